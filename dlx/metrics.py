"""Facts about metric names, each in one place."""

from __future__ import annotations


def direction(metric: str, mode: str = "auto") -> str:
    """``max`` or ``min``: which way ``metric`` improves. ``mode`` max|min wins; auto maximises accuracies
    (names ending in ``acc``) and minimises everything else (losses, errors)."""
    if mode in ("max", "min"):
        return mode
    return "max" if metric.rsplit("/", 1)[-1].endswith("acc") else "min"


def better(a: float, b: float | None, mode: str) -> bool:
    """Is ``a`` an improvement on ``b`` (None: nothing yet) in direction ``mode`` (max|min)?"""
    return b is None or (a > b if mode == "max" else a < b)
