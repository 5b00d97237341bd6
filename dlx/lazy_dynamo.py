"""torch._dynamo only for the runs that compile.

Importing ``torch._dynamo`` costs about 1.7 s of CPU (sympy and the compiler's modules), a third of a small
run's start-up. Torch marks a few functions that compiled code must not trace with ``torch._disable_dynamo``,
whose wrapper imports ``torch._dynamo`` on its first call, whether anything compiles or not. An eager run calls
four of them on every optimizer (its constructor's ``add_param_group``, ``zero_grad``, ``state_dict`` and
``load_state_dict``) and one for ``trainer.threads=auto`` (the FLOP counter's dispatch), so each dlx process
paid the import, the preflight's too, for nothing.

:func:`defer` gives those wrappers what their first call would cache (the function's ``__dynamo_disable``), a
function that calls the original directly while ``torch._dynamo`` is not imported: nothing can be compiling
then, so ``torch._dynamo.disable`` would only have called it. Once ``torch._dynamo`` is imported
(``trainer.compile=true``, CUDA graphs, or anything else), the next call removes it again and hands over to
torch's own wrapper, which from then on caches and calls torch's disabled function as it always does. Wrappers that
are not torch's (another torch version) are left alone: the import then happens as before, nothing else changes.
The entry points that check configs without training switch it on (``dlx train``'s preflight, ``python -m
dlx.job``'s launcher); importing dlx changes nothing in torch.

A run that trains needs it all the same: every optimizer's ``step`` imports it (torch's
``_use_grad_for_differentiable``). :func:`import_now` imports it with the garbage collector paused, which takes
0.9-1.0 s where the collector's passes over the growing heap made it 1.3-1.6 s. So the import is left to the
processes that train, and made cheaper there; a process that only checks the jobs (the parent of
``hydra/launcher=parallel``) skips it.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable

import torch
import torch._compile


# torch's lazy-import wrapper, read on torch 2.13.0: torch._compile._disable_dynamo(fn) returns ``inner`` (with
# functools.wraps: inner.__wrapped__ is fn), defined in torch/_compile.py, which caches torch._dynamo.disable(fn)
# as fn.__dynamo_disable on its first call and calls that. None of it has a public name; tests/test_private_apis.py
# fails when a wrapper dlx defers is no longer this one.
def is_torch_wrapper(inner: Callable) -> bool:
    code = getattr(inner, "__code__", None)
    return getattr(inner, "__wrapped__", None) is not None and code is not None and \
        code.co_filename == torch._compile.__file__


def _defer_one(inner: Callable) -> bool:
    """Defer the import of one ``torch._disable_dynamo`` wrapper; False where ``inner`` is not one (or is
    deferred, or has cached torch's disabled function already)."""
    if not is_torch_wrapper(inner):
        return False
    fn = inner.__wrapped__
    if getattr(fn, "__dynamo_disable", None) is not None:
        return False

    def call(*args, **kwargs):
        if "torch._dynamo" not in sys.modules:  # nothing compiles: torch's disabled function would just call fn
            return fn(*args, **kwargs)
        if fn.__dict__.get("__dynamo_disable") is call:  # hand back: torch's wrapper caches its own from now on
            del fn.__dict__["__dynamo_disable"]
        return inner(*args, **kwargs)

    setattr(fn, "__dynamo_disable", call)
    return True


def wrappers() -> list[Callable]:
    """The ``torch._disable_dynamo`` wrappers an eager dlx run calls."""
    from torch.utils import flop_counter

    opt = torch.optim.Optimizer
    found = [opt.__dict__.get(name) for name in ("add_param_group", "zero_grad", "state_dict", "load_state_dict")]
    counter = getattr(flop_counter, "_FlopCounterMode", None)  # FlopCounterMode's dispatch mode (torch >= 2.6)
    found.append(counter.__dict__.get("__torch_dispatch__") if counter is not None else None)
    return [w for w in found if w is not None]


def defer() -> int:
    """Defer the import for every wrapper of :func:`wrappers` not yet called; how many were deferred."""
    return sum(_defer_one(w) for w in wrappers())


def import_now() -> None:
    """Import torch._dynamo (about 1 s) with the garbage collector paused, then freeze every object alive
    (``gc.freeze``: the imports of torch, sympy, Hydra and dlx, about a million objects). The import creates
    half a million objects, and the collector's passes over them cost a third of its time; after it, each full
    collection of a run (six in a sweep of eight small jobs, 1.1 s together) would walk them all again, none
    of them garbage. Called before a run builds its own objects, so only what lives for the whole process is
    frozen (a frozen object is still freed when nothing refers to it; only the collector skips it). Once per
    process: later runs find the module imported."""
    if "torch._dynamo" in sys.modules:
        return
    was = gc.isenabled()
    gc.disable()
    try:
        import torch._dynamo  # noqa: F401
    finally:
        gc.freeze()
        if was:
            gc.enable()
