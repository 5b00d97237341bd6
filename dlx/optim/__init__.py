"""Optimizers: torch.optim where it implements the course's algorithm, the course's own forms where it
does not (course.py: momentum, Nesterov, RMSProp, RMSProp+Nesterov; second_order.py: Newton, CG, BFGS),
and the LR schedules.

dlx's own optimizers check their arguments in their constructors. torch.optim's classes check some of theirs
(lr >= 0, not > 0) with multi-line messages, so :func:`check_torch` checks the keys a config can give them,
with the same one-line ConfigError, before they are built (dlx.setup calls it; so can a sweep's preflight).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dlx import checks


def betas(name: str, v: Any) -> list[float]:
    """Adam's (rho1, rho2): decay rates of its two moment estimates, each in [0, 1)."""
    ok = isinstance(v, Sequence) and not isinstance(v, str) and len(v) == 2 and \
        all(checks.is_num(b) and 0 <= b < 1 for b in v)
    if not ok:
        checks.fail(name, list(v) if isinstance(v, Sequence) and not isinstance(v, str) else v,
                    "a pair [rho1, rho2] of numbers in [0, 1)")
    return list(v)


def _line_search_fn(name: str, v: Any) -> Any:
    return checks.one_of(name, v, (None, "strong_wolfe"))  # the only search torch.optim.LBFGS has


_RATE = {"lr": checks.positive, "weight_decay": checks.non_negative, "maximize": checks.boolean}
# key -> check, per torch.optim class; keys a class takes that are not listed here (foreach, fused, ...) pass.
TORCH_RULES: dict[str, dict[str, Callable[[str, Any], Any]]] = {
    "torch.optim.SGD": {**_RATE, "momentum": checks.probability, "dampening": checks.unit,
                        "nesterov": checks.boolean},
    "torch.optim.Adam": {**_RATE, "betas": betas, "eps": checks.positive, "amsgrad": checks.boolean},
    "torch.optim.AdamW": {**_RATE, "betas": betas, "eps": checks.positive, "amsgrad": checks.boolean},
    "torch.optim.Adagrad": {**_RATE, "lr_decay": checks.non_negative, "eps": checks.positive,
                            "initial_accumulator_value": checks.non_negative},
    "torch.optim.RMSprop": {**_RATE, "alpha": checks.probability, "eps": checks.positive,
                            "momentum": checks.probability, "centered": checks.boolean},
    "torch.optim.LBFGS": {"lr": checks.positive, "max_iter": checks.count, "max_eval": checks.optional_count,
                          "tolerance_grad": checks.non_negative, "tolerance_change": checks.non_negative,
                          "history_size": checks.count, "line_search_fn": _line_search_fn},
}


def check_torch(target: str, kwargs: dict) -> None:
    """Check the constructor arguments ``kwargs`` (an optim config without ``_target_``/``_partial_``) of the
    torch.optim class ``target``: a key the class does not take, or a wrong value, is a ConfigError naming the
    key (``lr=0 is wrong: ...``). Targets not in TORCH_RULES (dlx's own, a user's) pass: they check themselves."""
    rules = TORCH_RULES.get(target)
    if rules is None:
        return
    import inspect

    import torch.optim

    cls = getattr(torch.optim, target.rsplit(".", 1)[1])
    takes = [k for k in inspect.signature(cls).parameters if k != "params"]
    for key, value in kwargs.items():
        if key.startswith("_"):  # Hydra's _target_, _partial_, _convert_
            continue
        if key not in takes:
            checks.fail(key, value, f"a key of {target}: {', '.join(takes)}")
        if key in rules:
            rules[key](key, value)
    if kwargs.get("nesterov") and (not kwargs.get("momentum") or kwargs.get("dampening", 0) != 0):
        checks.fail("nesterov", True, "true only with momentum > 0 and dampening=0 (torch's Nesterov form "
                    "has no dampening)")


def state_bytes(optimizer) -> int:
    """Bytes of the tensors an optimizer keeps from one step to the next (``optimizer.state``, any nesting): the
    memory the course's quasi-Newton slide is about (notes l. 1507-1508), e.g. BFGS's n x n inverse-Hessian
    estimate against L-BFGS's history of (s, y) pairs, Adam's two moments, nothing for plain SGD. What a step
    allocates and frees (Newton's Hessian, the line searches' trial points) is not counted."""
    import torch

    def size(v) -> int:
        if isinstance(v, torch.Tensor):
            return v.numel() * v.element_size()
        if isinstance(v, dict):
            return sum(size(x) for x in v.values())
        if isinstance(v, (list, tuple)):
            return sum(size(x) for x in v)
        return 0

    return size(dict(optimizer.state))
