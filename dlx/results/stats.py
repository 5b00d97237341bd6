"""Statistics on lists of numbers (a group's per-seed values): no run folders here.

A group's numbers are mean +- sample std (ddof=1) over its seeds, with a 95% bootstrap interval of the mean
(BCa, Efron 1987; seeded, so the same runs give the same interval).

A group is tested against another with a paired t-test on the seeds both ran (a seed fixes the initialisation
and the batch order, so per-seed differences cancel that noise), Welch's t-test (unequal variances; Welch 1947)
when they share fewer than two seeds. The p-values are Holm-adjusted over all the comparisons with one group
(Holm 1979: controls the chance of any false "differs" at 5%). Effect size: Cohen's d (pooled sample std) for
Welch, d_z (mean difference / std of the differences) when paired.
"""

from __future__ import annotations

import math
import warnings

import numpy as np


def mean_std(values: list[float]) -> tuple[float, float, int]:
    v = np.array([x for x in values if math.isfinite(x)], dtype=np.float64)
    if not v.size:
        return math.nan, math.nan, 0
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else math.nan, int(v.size)

def finite(values: list[float]) -> np.ndarray:
    return np.array([x for x in values if math.isfinite(x)], dtype=np.float64)


def is_zero(std: float, mean: float) -> bool:
    return std < 1e-9 * max(1.0, abs(mean))  # float noise in values that agree is 0


def welch_p(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of Welch's t-test (unequal variances); NaN with fewer than 2 values a side."""
    a, b = finite(a), finite(b)
    if len(a) < 2 or len(b) < 2:
        return math.nan
    from scipy.stats import ttest_ind

    with warnings.catch_warnings():  # seeds that agree to the last digit: scipy warns, the p-value stands
        warnings.simplefilter("ignore", RuntimeWarning)
        p = float(ttest_ind(a, b, equal_var=False).pvalue)
    return 1.0 if math.isnan(p) and a.mean() == b.mean() else p  # two constant, equal samples: no difference


def _by_seed(values: list[float], seeds: list[int | None]) -> dict[int, float] | None:
    """seed -> value of a group's finite values; None when a seed is missing or repeated (no pairing)."""
    pairs = [(s, v) for s, v in zip(seeds, values) if math.isfinite(v)]
    if any(s is None for s, _ in pairs) or len({s for s, _ in pairs}) < len(pairs):
        return None
    return dict(pairs)


def _ratio(mean: float, std: float) -> float:
    if is_zero(std, mean):
        return math.nan if mean == 0 else math.copysign(math.inf, mean)
    return mean / std


def vs_best(
    a: list[float], a_seeds: list[int | None], b: list[float], b_seeds: list[int | None]
) -> tuple[float, float, str]:
    """(p, effect size, test) of group a against group b (#1). Paired t-test on the seeds both ran when they
    share at least two, Welch's otherwise; effect size d_z (paired) or Cohen's d, sign of a - b."""
    pa, pb = _by_seed(a, a_seeds), _by_seed(b, b_seeds)
    shared = sorted(set(pa) & set(pb)) if pa is not None and pb is not None else []
    if len(shared) >= 2:
        from scipy.stats import ttest_rel

        x, y = np.array([pa[k] for k in shared]), np.array([pb[k] for k in shared])
        diff = x - y
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            p = float(ttest_rel(x, y).pvalue)
        p = 1.0 if math.isnan(p) and not diff.any() else p
        return p, _ratio(float(diff.mean()), float(diff.std(ddof=1))), "paired"
    fa, fb = finite(a), finite(b)
    if len(fa) < 2 or len(fb) < 2:
        return math.nan, math.nan, ""
    pooled = math.sqrt(((len(fa) - 1) * fa.var(ddof=1) + (len(fb) - 1) * fb.var(ddof=1)) / (len(fa) + len(fb) - 2))
    return welch_p(fa, fb), _ratio(float(fa.mean() - fb.mean()), pooled), "Welch"


def holm(p: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (NaN entries are not tests and stay NaN): the k-th smallest of m
    p-values times (m - k + 1), made monotone, capped at 1."""
    order = sorted((i for i, x in enumerate(p) if math.isfinite(x)), key=lambda i: p[i])
    adjusted, running = [math.nan] * len(p), 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (len(order) - k) * p[i]))
        adjusted[i] = running
    return adjusted


def ci95(values: list[float], seed: int = 0) -> tuple[float, float]:
    """95% bootstrap (BCa) interval of the mean; seeded, so the same values give the same interval. NaN with
    fewer than 2 values; a point when all values agree (no spread to resample)."""
    v = finite(values)
    if v.size < 2:
        return math.nan, math.nan
    if is_zero(float(np.ptp(v)), float(v.mean())):
        return float(v.mean()), float(v.mean())
    from scipy.stats import bootstrap

    for method in ("BCa", "percentile"):  # BCa can fail on odd samples (its jackknife divides by zero)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ci = bootstrap((v,), np.mean, confidence_level=0.95, method=method, **_rng(seed)).confidence_interval
        if math.isfinite(ci.low) and math.isfinite(ci.high):
            return float(ci.low), float(ci.high)
    return math.nan, math.nan


def _rng(seed: int) -> dict:
    import inspect

    from scipy.stats import bootstrap

    gen = np.random.default_rng(seed)  # scipy >= 1.15 calls it rng, older versions random_state
    return {"rng": gen} if "rng" in inspect.signature(bootstrap).parameters else {"random_state": gen}
