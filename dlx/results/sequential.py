"""Sequential seeds: which paired comparisons a sweep has decided, and how many seeds the next round adds.

A sweep runs every arm on ``first`` seeds, then adds ``step`` seeds a round to the arms of the comparisons still
undecided, up to ``most`` seeds. After each round every comparison is tested on the seeds both its arms ran (the
paired t-test of dlx compare) at a stricter level than a fixed design's, so that looking after every round keeps
the chance of any false "differs" at ``alpha`` over the whole sweep (a group-sequential design; Jennison &
Turnbull 2000, "Group Sequential Methods with Applications to Clinical Trials", ch. 2-3, 7 and 11):

- alpha is split evenly over the sweep's m comparisons (Bonferroni: valid whatever the comparisons share);
- each comparison spends its alpha / m over its looks with a Lan-DeMets spending function of the information
  fraction t = seeds / most (Lan & DeMets 1983, Biometrika 70:659): Pocock-type alpha log(1 + (e - 1) t), which
  spends early (a large difference stops after the first round), or O'Brien-Fleming-type 2 - 2 Phi(z_{a/2} /
  sqrt(t)), which keeps almost all of it for the last look;
- the boundaries are computed for a normal statistic with known variance (numerical integration over the looks,
  Jennison & Turnbull ch. 19; Armitage, McPherson & Rowe 1969) and applied to each look's t-test as nominal
  p-levels, the "significance level approach" (Jennison & Turnbull section 11.3). With a few seeds that alone
  lets through more than alpha (the t-statistics of successive looks are less correlated than z's: 5.9% instead
  of 5% with Pocock, 3 to 20 seeds), so the spending function's alpha is scaled down until a simulation of the
  looks' t-tests under no difference lets through at most alpha (its 95% upper bound): the t-statistics'
  distribution under no difference does not depend on the spread, so the simulation is exact up to its size.

A comparison is decided when its test finds a difference (``differs``), when its repeated confidence interval
(the interval each look's level inverts; all of them cover the true difference at once with probability
1 - alpha / m, Jennison & Turnbull ch. 9) lies inside +-``margin`` (``same``: any difference is smaller than the
margin; with no margin, only when the arms agree on every seed), when going on is futile (``futile``: even if the
true difference were the one ``most`` seeds detect with 80% power, the chance that the last look finds it,
given the seeds so far, is below ``futility``: stochastic curtailment, Lan, Simon & Halperin 1982, with the
spread measured so far; a futility stop only takes chances of a false "differs" away, so the levels need no
change for it), or when it has ``most`` seeds (``most``: no difference found). Everything is recomputed from the
per-seed values, so a sweep that stops and resumes decides as one that did not: nothing but the run folders needs
keeping.

The sweeper calls :func:`decide`; tests/test_power.py checks the error rates by simulation.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dlx.results.stats import ALPHA, Spread, detectable, min_detectable

SPENDING = ("pocock", "obf")
STATES = ("differs", "same", "futile", "undecided", "most")
PATHS = 1 << 17  # simulated sweeps under no difference that calibrate a design's levels (SE of 5%: 0.06 points)
CALIBRATION_SEED = 20240601  # the levels are a function of the design: the same on every call and machine


@dataclass(frozen=True)
class Design:
    """A sequential sweep: seeds in the first round, seeds each later round adds, the most a comparison gets, the
    family-wise alpha over the comparisons, the spending function, the margin within which two arms count as the
    same (None: only when they agree on every seed), and the conditional power below which a comparison stops as
    futile (None: never)."""

    first: int = 3
    step: int = 2
    most: int = 20
    alpha: float = ALPHA
    spending: str = "pocock"
    margin: float | None = None
    futility: float | None = 0.1

    @property
    def looks(self) -> tuple[int, ...]:
        """The seed counts after each round: first, first + step, ..., most."""
        return (*range(self.first, self.most, self.step), self.most)

    def problem(self) -> str | None:
        """What is wrong with these numbers, in the words of one error line (None: nothing)."""
        if not (isinstance(self.first, int) and self.first >= 2):
            return f"first={self.first} is wrong: allowed is an integer >= 2 (a t-test needs 2 seeds)"
        if not (isinstance(self.step, int) and self.step >= 1):
            return f"step={self.step} is wrong: allowed is an integer >= 1"
        if not (isinstance(self.most, int) and self.most >= self.first):
            return f"most={self.most} is wrong: allowed is an integer >= first ({self.first})"
        if not (isinstance(self.alpha, float | int) and 0 < self.alpha < 1):
            return f"alpha={self.alpha} is wrong: allowed is a number between 0 and 1, e.g. 0.05"
        if self.spending not in SPENDING:
            return f"spending={self.spending} is wrong: allowed are {', '.join(SPENDING)}"
        if self.margin is not None and not (isinstance(self.margin, float | int) and self.margin > 0):
            return f"margin={self.margin} is wrong: allowed is null or a number > 0 (the metric's units)"
        if self.futility is not None and not (isinstance(self.futility, float | int) and 0 < self.futility < 1):
            return f"futility={self.futility} is wrong: allowed is null or a probability between 0 and 1, e.g. 0.1"
        return None


@dataclass(frozen=True)
class Decision:
    """One comparison after the latest look: its state (STATES), the pairs and look index it was decided at (or
    the latest), the mean difference, the repeated confidence interval, the t-test's p and the nominal level it
    faced there, and the minimum detectable effect at that look's level (stats.detectable)."""

    state: str
    n: int
    look: int
    diff: float
    ci: tuple[float, float]
    p: float
    level: float
    mde: float


def spent(t: np.ndarray, alpha: float, kind: str) -> np.ndarray:
    """The two-sided alpha spent by information fraction t (Lan & DeMets 1983)."""
    from scipy.stats import norm

    t = np.minimum(np.asarray(t, dtype=np.float64), 1.0)
    if kind == "obf":
        return 2 - 2 * norm.cdf(norm.ppf(1 - alpha / 2) / np.sqrt(t))
    return alpha * np.log1p((math.e - 1) * t)


def z_bounds(looks: Sequence[int], alpha: float, kind: str, points: int = 201) -> np.ndarray:
    """Two-sided boundaries c_k for Z_k = S_k / sqrt(n_k), S the sum of n_k standard normal values, such that
    P(first |Z_k| >= c_k at look k) is the alpha the spending function assigns to look k. The density of S on
    the continuation region is carried from look to look on a grid (trapezoid rule; Jennison & Turnbull 2000,
    ch. 19). Written here because no maintained Python package computes group-sequential boundaries (gsDesign
    and rpact are R packages)."""
    from scipy.optimize import brentq

    n = np.asarray(looks, dtype=np.float64)
    cum = spent(n / n[-1], alpha, kind)
    bounds, x, f = [], np.zeros(1), np.ones(1)  # before the first look: S = 0 with probability 1
    for k in range(len(n)):
        target = cum[k] - (cum[k - 1] if k else 0.0)
        sd = math.sqrt(n[k] - (n[k - 1] if k else 0.0))  # of the sum's increment since the last look

        # P(|S_k| >= c sqrt(n_k), no boundary crossed before) - target, for the boundary c
        crossed = functools.partial(_crossed, n=n[k], sd=sd, x=x, f=f, target=target)
        c = brentq(crossed, 0.0, 40.0, xtol=1e-10) if target > 1e-300 else 40.0
        bounds.append(c)
        b = c * math.sqrt(n[k])
        grid = np.linspace(-b, b, points)
        w = np.full(points, grid[1] - grid[0])
        w[[0, -1]] /= 2
        # the sub-density of S_k where no boundary was crossed, times the trapezoid weights: (points,)
        kernel = np.exp(-0.5 * ((grid[:, None] - x[None, :]) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
        x, f = grid, (kernel @ f) * w
    return np.array(bounds)


def _crossed(c: float, n: float, sd: float, x: np.ndarray, f: np.ndarray, target: float) -> float:
    from scipy.special import ndtr

    b = c * math.sqrt(n)
    return float(f @ (ndtr((x - b) / sd) + ndtr((-b - x) / sd))) - target


@functools.lru_cache(maxsize=64)
def _null_p(looks: tuple[int, ...]) -> np.ndarray:
    """The paired t-test's p-value at each look of PATHS sweeps with no difference: (PATHS, looks)."""
    from scipy.stats import t

    rng = np.random.default_rng(CALIBRATION_SEED)
    x = rng.standard_normal((PATHS, looks[-1]), dtype=np.float64)
    n = np.array(looks)
    s1, s2 = np.cumsum(x, axis=1)[:, n - 1], np.cumsum(x * x, axis=1)[:, n - 1]
    sd = np.sqrt(np.maximum(s2 - s1 * s1 / n, 0.0) / (n - 1))
    return 2 * t.sf(np.abs(s1 / n) / (sd / np.sqrt(n)), n - 1)


@functools.lru_cache(maxsize=256)
def levels(looks: tuple[int, ...], alpha: float, kind: str) -> tuple[float, ...]:
    """The nominal two-sided p-level of each look's paired t-test for one comparison at level ``alpha``: the
    spending function's boundaries as p-levels, with its alpha scaled down until the simulated sweeps with no
    difference (_null_p) let through at most ``alpha`` (the 95% upper bound of the simulated rate)."""
    from scipy.stats import norm

    if len(looks) == 1:
        return (alpha,)  # one look: the fixed design's t-test
    p = _null_p(looks)
    target = alpha - 1.645 * math.sqrt(alpha * (1 - alpha) / PATHS)

    def at(a: float) -> np.ndarray:
        return 2 * norm.sf(z_bounds(looks, a, kind))

    lo, hi = alpha / 4, alpha  # the rate at alpha is above the target (the t-tests' extra chances), at alpha/4 below
    for _ in range(16):  # bisection: the simulated rate is a step function of the scaled alpha
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.any(p <= at(mid), axis=1).mean() <= target else (lo, mid)
    return tuple(float(v) for v in at(lo))


def looks_rule(diffs: np.ndarray, design: Design, m: int = 1, seeds: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The design's rule on many comparisons at once (the sweeper's and the simulations' one implementation).

    ``diffs``: (C, N) per-seed differences of C comparisons in seed order, NaN where a pair is missing; ``seeds``:
    (C,) how many seed positions each comparison has run (default N); m: the comparisons alpha is split over.
    Returns arrays over C: ``state`` (an index into STATES), ``look`` (the look that decided it, or the latest;
    -1 before the first), and at that look ``n`` (pairs), ``mean``, ``sd``, ``p``, ``level``, ``lo`` and ``hi``
    (the repeated confidence interval)."""
    from scipy.special import ndtr
    from scipy.stats import t

    looks = np.array(design.looks)
    nominal = np.array(levels(design.looks, design.alpha / m, design.spending))
    c, width = diffs.shape
    seeds = np.full(c, width) if seeds is None else np.asarray(seeds)
    ok = np.isfinite(diffs)
    z = np.where(ok, diffs, 0.0)
    at = np.minimum(looks, width) - 1  # the column that closes each look (C, K) after the cumulative sums
    n = np.cumsum(ok, axis=1)[:, at].astype(np.float64)
    s1, s2 = np.cumsum(z, axis=1)[:, at], np.cumsum(z * z, axis=1)[:, at]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s1 / n
        sd = np.sqrt(np.maximum(s2 - s1 * mean, 0.0) / (n - 1))
        se = sd / np.sqrt(n)
        df = np.maximum(n - 1, 1)
        flat = se < 1e-12 * np.maximum(1.0, np.abs(mean))  # the same difference on every seed (float noise aside)
        p = np.where(flat, np.where(mean == 0, 1.0, 0.0), 2 * t.sf(np.abs(mean) / se, df))
        half = np.where(flat, 0.0, t.ppf(1 - nominal / 2, df) * se)
        margin = design.margin or 0.0
        state = np.full(n.shape, STATES.index("undecided"))
        tested = (n >= 2) & (looks <= seeds[:, None])
        same = tested & (mean - half >= -margin) & (mean + half <= margin)
        if design.futility and len(looks) > 1:
            # conditional power (_conditional_power's formula on arrays); the last look has no futility stop
            most, last = design.most, nominal[-1]
            delta = np.copysign(min_detectable(1.0, most, last) * sd, np.where(mean == 0, 1.0, mean))
            bar = float(t.ppf(1 - last / 2, most - 1)) * sd / math.sqrt(most)
            mu, v = (n * mean + (most - n) * delta) / most, np.sqrt(np.maximum(most - n, 0)) * sd / most
            power = np.where(sd == 0, (mean != 0) * 1.0, ndtr((mu - bar) / v) + ndtr((-bar - mu) / v))
            futile = tested & (looks < most) & (power < design.futility)
            state = np.where(futile, STATES.index("futile"), state)
        state = np.where(same, STATES.index("same"), state)
        state = np.where(tested & (p <= nominal), STATES.index("differs"), state)
    decided = state != STATES.index("undecided")
    reached = (looks <= seeds[:, None]).sum(axis=1) - 1  # the latest look each comparison has run
    look = np.where(decided.any(axis=1), decided.argmax(axis=1), reached)
    rows, k = np.arange(c), np.maximum(look, 0)
    final = np.where(look >= 0, state[rows, k], STATES.index("undecided"))
    final = np.where((final == STATES.index("undecided")) & (look == len(looks) - 1), STATES.index("most"), final)
    pick = lambda a: np.where(look >= 0, a[rows, k], np.nan)  # noqa: E731
    return dict(state=final, look=look, n=pick(n), mean=pick(mean), sd=pick(sd), p=pick(p),
                level=nominal[k], lo=pick(mean - half), hi=pick(mean + half))


def _conditional_power(mean: float, sd: float, n: int, most: int, level: float) -> float:
    """The chance that the last look (``most`` pairs, its nominal ``level``) finds a difference, given the mean of
    the n pairs so far, if the true difference were the one ``most`` pairs detect with 80% power (in the direction
    seen; the measured sd taken as the true one, a normal approximation of the t-test: Lan, Simon & Halperin
    1982). The mean over all ``most`` pairs is normal with mean (n mean + (most - n) delta) / most and standard
    deviation sqrt(most - n) sd / most. :func:`looks_rule` computes it on arrays; this is the formula in words."""
    from scipy.stats import norm, t

    if sd == 0:
        return 1.0 if mean else 0.0
    delta = math.copysign(min_detectable(sd, most, level), mean or 1.0)
    bar = float(t.ppf(1 - level / 2, most - 1)) * sd / math.sqrt(most)  # |mean| the last look needs
    mu, v = (n * mean + (most - n) * delta) / most, math.sqrt(most - n) * sd / most
    return float(norm.sf((bar - mu) / v) + norm.cdf((-bar - mu) / v))


def decide(values: Mapping[str, Sequence[float]], design: Design) -> tuple[dict[str, Decision], int]:
    """Each comparison's decision, and the seed count the next round brings the arms of the undecided ones to
    (the design's next look; 0: every comparison is decided or has its most seeds).

    ``values``: every comparison of the sweep (decided ones too: m is their number) -> its per-seed differences
    (arm a minus arm b) in seed order, NaN where a seed's pair is missing (a diverged run). A comparison is
    looked at after each round its seeds complete (the design's looks); its decision is that of the first look
    that decided it, so the seeds a decided comparison's arms run for others do not change it."""
    names = list(values)
    if not names:
        return {}, 0
    width = max(design.most, *(len(values[k]) for k in names))
    diffs = np.full((len(names), width), np.nan)
    for i, k in enumerate(names):
        diffs[i, : len(values[k])] = values[k]
    seeds = np.array([len(values[k]) for k in names])
    r = looks_rule(diffs, design, len(names), seeds)
    out = {}
    for i, k in enumerate(names):
        n = int(r["n"][i]) if np.isfinite(r["n"][i]) else 0
        mde = detectable(Spread("paired", (float(r["sd"][i]),), (n,)), float(r["level"][i])) if n >= 2 else math.nan
        out[k] = Decision(STATES[r["state"][i]], n, int(r["look"][i]), float(r["mean"][i]),
                          (float(r["lo"][i]), float(r["hi"][i])), float(r["p"][i]), float(r["level"][i]), mde)
    undecided = [int(r["look"][i]) for i in range(len(names)) if out[names[i]].state == "undecided"]
    return out, design.looks[min(undecided) + 1] if undecided else 0
