"""Facts about metric names, each in one place."""

from __future__ import annotations

import math


def direction(metric: str, mode: str = "auto") -> str:
    """``max`` or ``min``: which way ``metric`` improves. ``mode`` max|min wins; auto maximises accuracies
    (names ending in ``acc``) and minimises everything else (losses, errors)."""
    if mode in ("max", "min"):
        return mode
    return "max" if metric.rsplit("/", 1)[-1].endswith("acc") else "min"


def better(a: float, b: float | None, mode: str) -> bool:
    """Is ``a`` an improvement on ``b`` (None: nothing yet) in direction ``mode`` (max|min)?"""
    return b is None or (a > b if mode == "max" else a < b)


def better_checkpoint(new: dict[str, float], old: dict[str, float] | None, metric: str, mode: str) -> bool:
    """Does the epoch with metrics ``new`` replace best.pt, which holds the epoch with ``old`` (None: no best.pt
    yet)? A better ``metric`` wins; a tie goes to the lower or equal ``val/loss`` (among equal accuracies the
    more confident model), so a full tie goes to the later epoch."""
    if not old or better(new[metric], old.get(metric), mode):
        return True
    return new[metric] == old[metric] and new["val/loss"] <= old.get("val/loss", math.inf)
