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


def paired(a: list[float], a_seeds: list[int | None], b: list[float], b_seeds: list[int | None]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Group a's and group b's finite values on the seeds both ran, in seed order (empty when either has a seed
    missing or repeated: no pairing)."""
    pa, pb = _by_seed(a, a_seeds), _by_seed(b, b_seeds)
    shared = sorted(set(pa) & set(pb)) if pa is not None and pb is not None else []
    return np.array([pa[k] for k in shared], dtype=np.float64), np.array([pb[k] for k in shared], dtype=np.float64)


def t_interval(diffs: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The t interval of the mean of paired differences (the interval the paired t-test inverts)."""
    from scipy.stats import t

    n = len(diffs)
    if n < 2:
        return math.nan, math.nan
    mean, half = float(diffs.mean()), float(t.ppf(0.5 + level / 2, n - 1) * diffs.std(ddof=1) / math.sqrt(n))
    return mean - half, mean + half


def min_detectable(sd: float, n: int, alpha: float, power: float = 0.8) -> float:
    """The smallest true mean difference a two-sided paired t-test at level ``alpha`` finds with probability
    ``power``, for ``n`` pairs whose differences have standard deviation ``sd`` (same units): the root in delta
    of P(|T| > t_crit) = power, T noncentral t with n - 1 degrees of freedom and noncentrality
    delta sqrt(n) / sd (Cohen 1988, ch. 2; scipy's nct, as statsmodels' TTestPower does)."""
    if n < 2 or not math.isfinite(sd):
        return math.nan
    if sd == 0:
        return 0.0
    from scipy.optimize import brentq
    from scipy.stats import nct, t

    df, crit = n - 1, float(t.ppf(1 - alpha / 2, n - 1))

    def short(d: float) -> float:
        nc = d * math.sqrt(n) / sd
        # the wrong-direction tail P(T < -t_crit) is below alpha/2 and falls with nc; scipy returns NaN for it
        # deep in its tail (df 1, nc ~20: the true value ~1e-17), which is 0 here
        wrong = float(nct.cdf(-crit, df, nc))
        return float(nct.sf(crit, df, nc)) + (wrong if math.isfinite(wrong) else 0.0) - power

    hi = sd
    while short(hi) < 0:  # widen until the power is reached (it grows without bound with the difference)
        hi *= 2
    return float(brentq(short, 0.0, hi, xtol=sd * 1e-6))


def vs_best(
    a: list[float], a_seeds: list[int | None], b: list[float], b_seeds: list[int | None]
) -> tuple[float, float, str]:
    """(p, effect size, test) of group a against group b (#1). Paired t-test on the seeds both ran when they
    share at least two, Welch's otherwise; effect size d_z (paired) or Cohen's d, sign of a - b."""
    x, y = paired(a, a_seeds, b, b_seeds)
    if len(x) >= 2:
        from scipy.stats import ttest_rel

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
