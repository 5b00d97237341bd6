"""Learning-rate schedules as per-step multipliers of the base rate (torch.optim.lr_scheduler.LambdaLR).

linear (Goodfellow et al. 8.3.1): eps_k = (1 - a) eps_0 + a eps_tau, a = k / tau, then constant eps_tau;
    eps_tau = final_frac * eps_0 (1% by default), tau in optimizer steps (default: the whole run).
cosine: eps_k = eps_tau + (eps_0 - eps_tau) (1 + cos(pi k / tau)) / 2, then constant eps_tau.
Optional linear warm-up over the first ``warmup`` steps for either.
"""

from __future__ import annotations

import math

import torch

from dlx import checks

SCHEDULES = ("constant", "linear", "cosine")


def lr_factor(step: int, name: str, tau: int, final_frac: float = 0.01, warmup: int = 0) -> float:
    """Multiplier of the base rate at optimizer step ``step`` (0-based)."""
    warm = min(1.0, (step + 1) / warmup) if warmup > 0 else 1.0
    if name == "constant":
        return warm
    a = min(step / max(tau, 1), 1.0)
    if name == "linear":
        return warm * ((1 - a) + a * final_frac)
    if name == "cosine":
        return warm * (final_frac + (1 - final_frac) * 0.5 * (1 + math.cos(math.pi * a)))
    checks.one_of("name", name, SCHEDULES)
    raise AssertionError("unreachable")


def check(name: str, tau: int | None = None, final_frac: float = 0.01, warmup: int = 0) -> None:
    """The schedule group's keys (ConfigError, names relative: ``tau=0 is wrong: ...``); needs no optimizer,
    so a preflight can check every job of a sweep."""
    checks.one_of("name", name, SCHEDULES)
    checks.optional_count("tau", tau)  # null: the whole run; 0 steps would divide by zero
    checks.unit("final_frac", final_frac)
    checks.integer("warmup", warmup, 0)


def build(optimizer: torch.optim.Optimizer, name: str, total_steps: int, tau: int | None = None,
          final_frac: float = 0.01, warmup: int = 0) -> torch.optim.lr_scheduler.LambdaLR:
    """A LambdaLR to step once per optimizer step; ``tau=None`` decays over the whole run."""
    check(name, tau, final_frac, warmup)
    tau = total_steps if tau is None else tau
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda k: lr_factor(k, name, tau, final_frac, warmup))
