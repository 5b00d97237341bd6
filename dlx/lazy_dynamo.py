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
(``trainer.compile=true``, CUDA graphs, or anything else), the first call caches torch's own disabled function
and behaves exactly as torch does from then on. Wrappers that are not torch's (another torch version) are left
alone: the import then happens as before, nothing else changes.

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


def _defer_one(inner: Callable) -> bool:
    """Defer the import of one ``torch._disable_dynamo`` wrapper; False where ``inner`` is not one."""
    fn = getattr(inner, "__wrapped__", None)
    code = getattr(inner, "__code__", None)
    if fn is None or code is None or code.co_filename != torch._compile.__file__ or "recursive" not in \
            code.co_freevars or getattr(fn, "__dynamo_disable", None) is not None:
        return False
    recursive = inner.__closure__[code.co_freevars.index("recursive")].cell_contents

    def call(*args, **kwargs):
        if "torch._dynamo" not in sys.modules:  # nothing compiles: torch's disabled function would just call fn
            return fn(*args, **kwargs)
        import torch._dynamo

        disabled = torch._dynamo.disable(fn, recursive, wrapping=False)  # what torch's own wrapper caches
        setattr(fn, "__dynamo_disable", disabled)
        return disabled(*args, **kwargs)

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
