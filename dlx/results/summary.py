"""Runs -> a Summary: groups, their columns (mean +- std over seeds, intervals), the ranking and the tests.

Runs are grouped by their overrides minus the seed. Diverged, failed and pruned runs are counted but kept out
of the means: a NaN loss says the setting is unstable (shown in the ``diverged`` column), not that its accuracy
is low. Each group's primary metric is tested against the best group's (#1), or against a named baseline group
(``--vs regularizer=none``), as dlx/results/stats.py says; the sign of the effect is that of group minus #1 (or
the baseline).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from dlx.metrics import direction
from dlx.results.runs import (
    NOT_COMPARED,
    CompareError,
    Group,
    Run,
    group_runs,
    override_key,
    reach,
    run_metric,
    run_wall,
)
from dlx.results.stats import ALPHA, POWER, ci95, detectable, holm, mean_std, seeds_for, test_two


@dataclass
class Summary:
    groups: list[Group]  # sorted, best first
    runs: list[Run]
    metrics: list[str]
    primary: str
    mode: str
    by: str  # final | best: which value of the primary metric ranks the groups
    thresholds: list[tuple[str, float]]
    columns: list[str]  # stat columns in display order
    best_per: str | None = None  # only the best group for each value of this override key is kept
    all_groups: list[Group] = field(default_factory=list)  # every group, best_per or not
    ref: str = "#1"  # the group the others are tested against: #1, or the --vs baseline's label
    claims: list[dict] = field(default_factory=list)  # the verdicts of the runs' claim blocks (results/claims.py)
    level: float = math.nan  # the level each group's minimum detectable effect is quoted at (:func:`power_level`)

    @property
    def failed(self) -> list[Run]:
        return [r for r in self.runs if r.status in ("failed", "diverged")]

    @property
    def rank_col(self) -> str:
        return f"{self.primary} {self.by}"

    @property
    def test_name(self) -> str:
        """The test behind the p column, in words (each group's own is in its ``test``)."""
        kinds = {g.test for g in self.groups if g.test}
        if not kinds:
            return "no test (fewer than 2 seeds a group)"
        name = {"paired": "paired t-test", "Welch": "Welch's t-test"}
        text = name[kinds.pop()] if len(kinds) == 1 else "paired t-test on shared seeds, else Welch's t-test"
        return f"{text}, Holm-adjusted"


def gap_metrics(known: set[str]) -> list[str]:
    """The generalisation gaps the logged metrics allow: val/loss - train/eval_loss (the training split's loss
    measured like val's, model in eval mode) where logged, else val/loss - train/loss (the running training
    loss, with dropout and noise on: a rougher gap); train/acc - val/acc."""
    gaps = []
    if "val/loss" in known:
        train = next((m for m in ("train/eval_loss", "train/loss") if m in known), None)
        gaps += [f"val/loss-{train}"] if train else []
    if "train/acc" in known and "val/acc" in known:
        gaps.append("train/acc-val/acc")
    return gaps


def summarize(
    runs: list[Run],
    metrics: list[str] | None = None,
    mode: str | None = None,
    by: str = "best",
    thresholds: list[tuple[str, float]] | None = None,
    best_per: str | None = None,
    best_on: str | None = None,
    vs: str | None = None,
) -> Summary:
    """Group the runs and compute every column. metrics[0] is the primary metric (ranks the groups); by
    default the runs' own primary metric, then val/loss and test/acc where any run logged them. best_per keeps
    each value of that override key's best group on best_on (default: the ranking column); vs names the
    baseline group the p-values compare with (default #1)."""
    known = {m for r in runs for m in (*r.final, *r.best, *r.curves)}
    # logged with a number by a run that is compared (a diverged run's NaN train/loss says nothing)
    logged = {m for r in runs if r.status not in NOT_COMPARED for m, v in (*r.final.items(), *r.best.items())
              if math.isfinite(v)} | {m for r in runs if r.status not in NOT_COMPARED for m in r.curves}
    if metrics:
        primary = metrics[0]
    else:
        counts = Counter(r.metric for r in runs if r.metric)
        primary = counts.most_common(1)[0][0] if counts else "val/acc"
        metrics = [primary] + [m for m in ("val/loss", "test/acc") if m != primary and m in known]
        metrics += [g for g in gap_metrics(logged) if g not in metrics]
    if mode is None:
        modes = Counter(r.mode for r in runs if r.mode and r.metric == primary)
        mode = modes.most_common(1)[0][0] if modes else direction(primary)
    modes = {m: (mode if m == primary else direction(m)) for m in metrics}
    thresholds = [(m or primary, t) for m, t in thresholds or []]

    groups = group_runs(runs)
    # "best" only for metrics logged along the way (test/* is measured once, at the end)
    has_best = {
        m: any(m in r.best or (not r.final and m in r.curves and len(r.curves[m][0]) > 1) for r in runs)
        for m in metrics
    }
    columns = [f"{m} {w}" for m in metrics for w in ("final", "best") if w == "final" or has_best[m]]
    for m, t in thresholds:
        columns += threshold_columns(m, t, modes.get(m, direction(m)))
    columns.append("wall_s")
    for g in groups:
        counted = [r for r in g.runs if r.status not in NOT_COMPARED]
        g.seeds = [r.seed for r in counted]
        for m in metrics:
            for which in ("final", "best"):
                if f"{m} {which}" in columns:
                    g.values[f"{m} {which}"] = [run_metric(r, m, which, modes[m]) for r in counted]
        for m, t in thresholds:
            hits = [reach(r, m, t, modes.get(m, direction(m))) for r in counted]
            steps_col, epochs_col = threshold_columns(m, t, modes.get(m, direction(m)))
            g.values[steps_col] = [h[0] for h in hits]
            g.values[epochs_col] = [h[1] for h in hits]
        g.values["wall_s"] = [run_wall(r) for r in counted]
        g.stats = {c: mean_std(v) for c, v in g.values.items()}
        g.ci = {f"{m} {w}": ci95(g.values[f"{m} {w}"]) for m in metrics for w in ("final", "best")
                if f"{m} {w}" in g.values}

    by = by if f"{primary} {by}" in columns else "final"
    rank_col = f"{primary} {by}"
    sign = -1.0 if mode == "max" else 1.0
    groups.sort(key=lambda g: (math.isnan(g.stats[rank_col][0]), sign * np.nan_to_num(g.stats[rank_col][0])))
    all_groups = list(groups)
    if best_per:
        # Keep each value of the best_per key's best group: with a grid over the learning rate and the
        # optimizer, best_per="optim" gives every optimizer at its own best rate, chosen on validation
        # (the DeepOBS protocol, Schneider et al. 2019), with its seeds' spread. best_on chooses on another
        # metric than the ranking one: rank and test on test/acc, choose on val/acc.
        chosen = _best_per(groups, best_per, best_on, by, mode if best_on in (None, primary) else None)
        groups = [g for g in groups if g in chosen]
    top = _baseline(groups, vs) if vs else (groups[0] if groups else None)
    level = _test_against(top, [g for g in groups if g is not top], rank_col)
    ref = top.label if vs and top is not None else "#1"
    return Summary(groups, runs, metrics, primary, mode, by, thresholds, columns, best_per, all_groups, ref,
                   level=level)


def _test_against(top: Group | None, others: list[Group], rank_col: str) -> float:
    """Each of ``others`` tested against ``top`` on the ranking column (p, Holm, effect, its power); returns the
    level the power is quoted at (NaN: no test)."""
    if top is None or math.isnan(top.stats[rank_col][0]):
        return math.nan
    tests = [test_two(g.values[rank_col], g.seeds, top.values[rank_col], top.seeds) for g in others]
    level = power_level(sum(math.isfinite(t.p) for t in tests))
    for g, t, p in zip(others, tests, holm([t.p for t in tests])):
        g.p_value, g.effect, g.test, g.diff, g.p_holm, g.spread = t.p, t.d, t.test, t.diff, p, t.spread
        g.mde = detectable(t.spread, level, POWER)
        if not p < ALPHA:  # not significant: how many seeds would show the difference seen
            g.seeds_needed = seeds_for(abs(t.diff), t.spread, level, POWER)
    return level


def power_level(m: int, alpha: float = ALPHA) -> float:
    """The level a power quote (minimum detectable effect, seeds needed) assumes for one of ``m`` comparisons
    Holm-adjusted together: Holm's first step, alpha / m. It is the level the comparison with the smallest
    p-value faces, and every other one faces a looser level only once that one is found (Holm 1979), so it is
    the level each can count on: with one real difference among m, its power is the quoted one (a little more
    when another comparison is found by chance); with several, more."""
    return alpha / max(m, 1)


def _best_per(groups: list[Group], key: str, on: str | None, by: str, mode: str | None) -> list[Group]:
    """Each value of the override ``key``: its best group on metric ``on`` (its ``by`` value where logged
    along the way, else its final one; the mean over seeds). ``groups`` are ranked best first, so with ``on``
    None (the ranking column) the first of each value wins, and ties keep the ranking's order."""
    mode = mode or direction(on or "")
    sign = -1.0 if mode == "max" else 1.0

    def score(g: Group) -> float:
        if on is None:
            return 0.0
        counted = [r for r in g.runs if r.status not in NOT_COMPARED]
        values = [run_metric(r, on, by, mode) for r in counted]
        if by == "best" and not any(math.isfinite(v) for v in values):
            values = [run_metric(r, on, "final", mode) for r in counted]
        mean = mean_std(values)[0]
        return math.inf if math.isnan(mean) else sign * mean

    best: dict[str, Group] = {}
    for g in sorted(groups, key=score):  # stable: equal scores keep the ranking's order
        value = next((o.split("=", 1)[1] for o in g.key if override_key(o) == key), "(default)")
        best.setdefault(value, g)
    return list(best.values())


def _baseline(groups: list[Group], vs: str) -> Group:
    """The group named by ``vs``: its label, or overrides (space-separated) that only it has."""
    wanted = set(vs.split())
    found = [g for g in groups if g.label == vs] or [g for g in groups if wanted <= set(g.key)]
    if len(found) != 1:
        shown = "; ".join(g.label for g in groups[:8]) + ("; ..." if len(groups) > 8 else "")
        what = "no group" if not found else f"{len(found)} groups"
        raise CompareError(f"--vs {vs} is wrong: {what} match it; allowed is a group's label or overrides only "
                           f"one group has, e.g. one of: {shown}")
    return found[0]

def threshold_columns(metric: str, threshold: float, mode: str) -> list[str]:
    op = ">=" if mode == "max" else "<="
    return [f"steps to {metric} {op} {threshold:g}", f"epochs to {metric} {op} {threshold:g}"]

def prefetch() -> None:
    """Import what a summary needs (scipy.stats, matplotlib, TensorBoard's event reader: ~1.5 s) ahead of time,
    e.g. in a thread while a sweep's jobs run in other processes (hydra/launcher=parallel)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import scipy.stats  # noqa: F401
    from tensorboard.backend.event_processing import event_accumulator  # noqa: F401
