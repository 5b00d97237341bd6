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

import functools
import math
import warnings
from dataclasses import dataclass

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


ALPHA = 0.05  # the family-wise error rate Holm's adjustment keeps over the comparisons of one table
POWER = 0.8  # the power a minimum detectable effect is quoted at


@dataclass(frozen=True)
class Spread:
    """What the power of one comparison depends on besides its level: the test it used and the spread it measured.
    Paired: ``sd`` is (the sd of the per-seed differences,) over ``n`` = (pairs,); Welch: each group's sd and
    count. ``se(n)`` and ``df(n)`` are the standard error and the t-test's degrees of freedom of a sweep with n
    seeds a group (None: the seeds these numbers came from)."""

    test: str  # paired | Welch
    sd: tuple[float, ...]
    n: tuple[int, ...]

    def _var(self, n: int | None) -> list[float]:  # each side's variance of its mean
        ns = self.n if n is None else (n,) * len(self.n)
        return [s * s / k for s, k in zip(self.sd, ns)]

    def se(self, n: int | None = None) -> float:
        return math.sqrt(sum(self._var(n)))

    def df(self, n: int | None = None) -> float:
        if self.test == "paired":
            return float((self.n[0] if n is None else n) - 1)
        ns = self.n if n is None else (n,) * len(self.n)
        v = self._var(n)
        below = sum(x * x / (k - 1) for x, k in zip(v, ns))
        return sum(v) ** 2 / below if below > 0 else math.inf  # Welch-Satterthwaite (Welch 1947)


@dataclass(frozen=True)
class Test:
    """One group against another: p (two-sided), the effect size d, the test, the mean difference (a - b, the
    metric's units) and the spread the test measured (None: not tested)."""

    p: float = math.nan
    d: float = math.nan
    test: str = ""
    diff: float = math.nan
    spread: Spread | None = None


def test_two(a: list[float], a_seeds: list[int | None], b: list[float], b_seeds: list[int | None]) -> Test:
    """Group a against group b. Paired t-test on the seeds both ran when they share at least two, Welch's
    otherwise; effect size d_z (paired) or Cohen's d, sign of a - b."""
    x, y = paired(a, a_seeds, b, b_seeds)
    if len(x) >= 2:
        from scipy.stats import ttest_rel

        diff = x - y
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            p = float(ttest_rel(x, y).pvalue)
        p = 1.0 if math.isnan(p) and not diff.any() else p
        mean, sd = float(diff.mean()), float(diff.std(ddof=1))
        return Test(p, _ratio(mean, sd), "paired", mean, Spread("paired", (sd,), (len(diff),)))
    fa, fb = finite(a), finite(b)
    if len(fa) < 2 or len(fb) < 2:
        return Test()
    pooled = math.sqrt(((len(fa) - 1) * fa.var(ddof=1) + (len(fb) - 1) * fb.var(ddof=1)) / (len(fa) + len(fb) - 2))
    mean = float(fa.mean() - fb.mean())
    spread = Spread("Welch", (float(fa.std(ddof=1)), float(fb.std(ddof=1))), (len(fa), len(fb)))
    return Test(welch_p(fa, fb), _ratio(mean, pooled), "Welch", mean, spread)


def vs_best(
    a: list[float], a_seeds: list[int | None], b: list[float], b_seeds: list[int | None]
) -> tuple[float, float, str]:
    """(p, effect size, test) of group a against group b (#1): :func:`test_two`."""
    t = test_two(a, a_seeds, b, b_seeds)
    return t.p, t.d, t.test


# ------------------------------------------------------------------------------------------------------- power
#
# The power of a two-sided t-test at level alpha against a true difference delta is P(|T| > t_crit), T noncentral
# t with the test's degrees of freedom and noncentrality delta / se (Cohen 1988, ch. 2; scipy's nct, as
# statsmodels' TTestPower does; for Welch's test the same with Satterthwaite's degrees of freedom, the
# approximation of Moser, Stevens & Watts 1989). The se is not known, only measured on a few seeds: quoting the
# power at the measured se overstates it (with 5 seeds, a difference "detectable with 80% power" at the measured
# sd is found in 68% of sweeps of that size). So the power quoted here is averaged over what the true se can be
# given the measured one, se_true^2 = se^2 nu / chi2_nu (nu: the degrees of freedom the se is measured with),
# as Julious & Owen (2006, Statistics in Medicine 25:2765) do to plan a study from a pilot's variance. That
# distribution is the sampling distribution of the measured se, so the quoted power is also what sweeps of that
# size find on average (tests/test_power.py simulates it).


def _rejects(crit: float, df: float, nc: np.ndarray) -> np.ndarray:
    """P(|T| > crit) for T noncentral t(df, nc), elementwise in nc."""
    from scipy.stats import nct

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # the wrong-direction tail P(T < -crit) is below alpha/2 and falls with nc; scipy returns NaN for it deep
        # in its tail (df 1, nc ~20: the true value ~1e-17), which is 0 here
        wrong = np.nan_to_num(nct.cdf(-crit, df, nc), nan=0.0)
        return np.nan_to_num(nct.sf(crit, df, nc), nan=1.0) + wrong


@functools.lru_cache(maxsize=256)
def _se_ratios(nu: float) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes (64) over the quantiles of sqrt(chi2_nu / nu) = se_measured / se_true, and weights:
    E[f(ratio)] = sum(w * f(ratios)). Quantiles, not Laguerre nodes: accurate for any nu (the distribution
    narrows as nu grows)."""
    from scipy.stats import chi2

    x, w = np.polynomial.legendre.leggauss(64)
    return np.sqrt(chi2.ppf((x + 1) / 2, nu) / nu), w / 2


def power_at(delta: float, spread: Spread, alpha: float, n: int | None = None, known: bool = False) -> float:
    """The probability that the spread's test at level alpha finds a true difference delta in a sweep of n seeds
    a group (None: the sweep measured), averaged over the se the spread was measured with (``known``: the se is
    the true one)."""
    se, df = spread.se(n), spread.df(n)
    if not (math.isfinite(se) and df > 0):
        return math.nan
    if se == 0:
        return 1.0 if delta else alpha
    return _power(abs(delta) / se, df, math.inf if known else spread.df(), alpha)


def _power(z: float, df: float, nu: float, alpha: float) -> float:
    """The power of a two-sided t-test (df) at level alpha when the true difference is z measured standard errors,
    the se measured with nu degrees of freedom (inf: known)."""
    from scipy.stats import t

    crit = float(t.ppf(1 - alpha / 2, df))
    if math.isinf(nu):
        return float(_rejects(crit, df, np.array([z]))[0])
    ratios, w = _se_ratios(nu)
    return float(w @ _rejects(crit, df, z * ratios))


@functools.lru_cache(maxsize=4096)
def _detectable_z(df: float, nu: float, alpha: float, power: float) -> float:
    """The minimum detectable effect in measured standard errors (it scales with the se: one root per test size)."""
    from scipy.optimize import brentq

    short = lambda z: _power(z, df, nu, alpha) - power  # noqa: E731
    hi = 1.0
    while short(hi) < 0:  # widen until the power is reached (it grows without bound with the difference)
        hi *= 2
    return float(brentq(short, 0.0, hi, xtol=1e-7))


def detectable(spread: Spread | None, alpha: float, power: float = POWER, known: bool = False) -> float:
    """The minimum detectable effect: the smallest true difference (the metric's units) the spread's test at level
    alpha finds with probability ``power`` in a sweep like the one measured (:func:`power_at`). NaN untested."""
    if spread is None or not math.isfinite(spread.se()) or spread.df() <= 0:
        return math.nan
    se = spread.se()
    if se == 0 or power <= alpha:
        return 0.0
    return se * _detectable_z(spread.df(), math.inf if known else spread.df(), alpha, power)


def seeds_for(delta: float, spread: Spread | None, alpha: float, power: float = POWER, most: int = 100_000) -> float:
    """The fewest seeds a group with which the spread's test at level alpha finds a true difference delta with
    probability ``power`` (averaged over the measured se, :func:`power_at`): how many seeds a sweep needs. inf
    beyond ``most`` (delta 0, or a spread too wide), NaN untested."""
    if spread is None or not math.isfinite(spread.se()) or spread.df() <= 0 or not math.isfinite(delta):
        return math.nan
    if spread.se() == 0:
        return 2.0 if delta else math.inf
    if delta == 0:
        return math.inf
    enough = lambda n: power_at(delta, spread, alpha, n) >= power  # noqa: E731
    lo, hi = 1, 2  # power grows with n: double, then bisect (enough(lo) is false, enough(hi) true)
    while not enough(hi):
        if hi >= most:
            return math.inf
        lo, hi = hi, min(2 * hi, most)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if enough(mid) else (mid, hi)
    return float(hi)


def min_detectable(sd: float, n: int, alpha: float, power: float = POWER) -> float:
    """The minimum detectable effect of a paired t-test over ``n`` pairs whose differences have the TRUE standard
    deviation ``sd``: the textbook number (Cohen 1988), which :func:`detectable` quotes for a measured sd."""
    if n < 2 or not math.isfinite(sd):
        return math.nan
    return detectable(Spread("paired", (sd,), (n,)), alpha, power, known=True)


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
