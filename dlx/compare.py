"""``dlx compare``: aggregate a sweep (or any run folders) into one table, CSV/Markdown summaries and a plot.

A run folder is a folder holding ``result.json`` (written by the loop when a run ends) or
``.hydra/overrides.yaml`` (written by Hydra when a job starts). A folder with the second but not the first is
a run still in progress (or killed): its numbers so far are read from its own TensorBoard events.

Runs are grouped by their overrides minus the seed; a group's numbers are mean +- sample std (ddof=1) over
its seeds, with a 95% bootstrap interval of the mean (BCa, Efron 1987; seeded, so the same runs give the same
interval). Diverged, failed and pruned runs are counted but kept out of the means: a NaN loss says the setting
is unstable (shown in the ``diverged`` column), not that its accuracy is low.

Each group's primary metric is tested against the best group's (#1), or against a named baseline group
(``--vs regularizer=none``): a paired t-test on the seeds both groups ran (a seed fixes the initialisation and
the batch order, so per-seed differences cancel that noise), Welch's t-test (unequal variances; Welch 1947)
when they share fewer than two seeds. The p-values are Holm-adjusted over all the comparisons with that group
(Holm 1979: controls the chance of any false "differs" at 5%). Effect size: Cohen's d (pooled sample std) for
Welch, d_z (mean difference / std of the differences) when paired; the sign is that of group minus #1 (or the
baseline).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import math
import os
import sys
import textwrap
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dlx import checks, runfolder
from dlx.metrics import direction

OK = ("completed", "stopped_early")
PARTIAL = ("running", "interrupted")
# Finished runs kept out of the means and tests, each counted in its own column: a diverged run (NaN loss) or a
# failed one has no meaningful number; a pruned one (a sweeper stopped it early) has only an early one.
NOT_COMPARED = ("failed", "diverged", "pruned")
# Overrides that name a run rather than a setting: they never split a group.
IGNORED_KEYS = ("seed", "resume", "resume_sweep", "trial")  # trial: a search's bookkeeping
SUMMARY_FILES = ("summary.csv", "summary.md", "runs.csv", "curves.png")


@dataclass
class Run:
    path: Path
    status: str  # completed | stopped_early | diverged | failed | pruned | interrupted | running (no result.json)
    overrides: list[str]
    seed: int | None = None
    final: dict[str, float] = field(default_factory=dict)
    best: dict[str, float] = field(default_factory=dict)
    epochs: int | None = None
    steps: int | None = None
    wall_s: float | None = None
    error: str | None = None
    metric: str | None = None  # the run's primary metric (result.json "metric")
    mode: str | None = None  # max | min for that metric (trainer.mode from .hydra/config.yaml)
    _curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None

    @property
    def curves(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """metric -> (steps, values, wall times), from the run's own TensorBoard event files."""
        if self._curves is None:
            self._curves = read_curves(self.path)
        return self._curves

    @property
    def steps_per_epoch(self) -> float | None:
        return self.steps / self.epochs if self.steps and self.epochs else None


@dataclass
class Group:
    key: tuple[str, ...]  # sorted overrides without the seed
    label: str  # the overrides that differ between groups
    runs: list[Run]
    stats: dict[str, tuple[float, float, int]] = field(default_factory=dict)  # column -> (mean, std, n)
    values: dict[str, list[float]] = field(default_factory=dict)  # column -> per-run values
    seeds: list[int | None] = field(default_factory=list)  # the seed of each of those values
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)  # metric column -> 95% interval of the mean
    p_value: float = math.nan  # vs #1 (or the --vs baseline) on the ranking column
    p_holm: float = math.nan  # the same, Holm-adjusted over every group compared with #1 (or the baseline)
    effect: float = math.nan  # Cohen's d (Welch) or d_z (paired), group minus #1 (or the baseline)
    test: str = ""  # paired | Welch | "" (not tested: #1 or the baseline itself, or fewer than 2 values)

    def count(self, *statuses: str) -> int:
        return sum(r.status in statuses for r in self.runs)


# ---------------------------------------------------------------------------------------------------- reading


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def read_curves(run_dir: Path) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """All scalars in the event files directly inside run_dir. A resumed run has several event files; a
    step logged twice keeps its latest value."""
    if not any(p.name.startswith("events.out.tfevents") for p in run_dir.iterdir()):
        return {}
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logging.getLogger("tensorboard").setLevel(logging.WARNING)  # its per-file INFO lines are noise here
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})  # 0 = keep every point
    try:
        acc.Reload()
    except Exception:  # a file being written by a live run can end mid-record; use what was read
        pass
    curves = {}
    for tag in acc.Tags().get("scalars", []):
        by_step = {e.step: (e.value, e.wall_time) for e in acc.Scalars(tag)}
        steps = np.array(sorted(by_step), dtype=np.int64)
        curves[tag] = (
            steps,
            np.array([by_step[s][0] for s in steps], dtype=np.float64),
            np.array([by_step[s][1] for s in steps], dtype=np.float64),
        )
    return curves


def _load_yaml(path: Path):
    from omegaconf import OmegaConf

    try:
        return OmegaConf.to_container(OmegaConf.load(path))
    except Exception:
        return None


def load_run(path: Path) -> Run:
    result_file, overrides_file = path / "result.json", path / ".hydra" / "overrides.yaml"
    result: dict = {}
    if result_file.exists():
        try:
            result = json.loads(result_file.read_text())
        except (OSError, ValueError) as e:
            result = {"status": "failed", "error": f"unreadable result.json: {e}"}
        try:
            runfolder.check_result(result, result_file)  # a file anyone could have edited: the types dlx writes
        except runfolder.RunFolderError as e:
            raise CompareError(str(e)) from None
    overrides = result.get("overrides")
    if overrides is None and overrides_file.exists():
        overrides = _load_yaml(overrides_file)
        overrides = overrides if isinstance(overrides, list) else []
    overrides = [str(o) for o in overrides or []]
    seed = result.get("seed")
    if seed is None:
        seed = next((o.split("=", 1)[1] for o in overrides if _key(o) == "seed"), None)
    cfg = _load_yaml(path / ".hydra" / "config.yaml") if (path / ".hydra" / "config.yaml").exists() else None
    cfg = cfg if isinstance(cfg, dict) else None  # a file anyone could have edited
    trainer = (cfg or {}).get("trainer") if isinstance((cfg or {}).get("trainer"), dict) else {}
    if seed is None and cfg:
        seed = cfg.get("seed")
    # trainer.metric / trainer.mode may be "auto" in the config; result.json holds the resolved metric name
    metric = next((m for m in (result.get("metric"), trainer.get("metric")) if isinstance(m, str) and m != "auto"),
                  None)
    mode = trainer.get("mode") if trainer.get("mode") in ("max", "min") else None
    run = Run(
        path=path,
        status=result.get("status", "running") if result else "running",
        overrides=overrides,
        seed=int(seed) if seed is not None and str(seed).lstrip("-").isdigit() and len(str(seed)) < 40 else None,
        final={k: float(v) for k, v in (result.get("final") or {}).items() if v is not None},
        best={k: float(v) for k, v in (result.get("best") or {}).items() if v is not None},
        epochs=result.get("epochs"),
        steps=result.get("steps"),
        wall_s=result.get("wall_s"),
        error=result.get("error"),
        metric=metric,
        mode=mode if trainer.get("metric") in (metric, "auto") else None,
    )
    return run


def find_runs(paths: list[Path]) -> list[Run]:
    """Every run folder at or below the given paths (hidden folders such as .submitit are skipped)."""
    found: dict[Path, None] = {}
    for root in paths:
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            if "result.json" in filenames or (here / ".hydra" / "overrides.yaml").is_file():
                found[here.resolve()] = None
                dirnames[:] = [d for d in dirnames if d not in ("checkpoints", ".hydra")]
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
    return [load_run(p) for p in found]


# ------------------------------------------------------------------------------------------------ aggregation


def run_metric(run: Run, metric: str, which: str, mode: str) -> float:
    """A run's final or best value of a metric: result.json first, else its TensorBoard curve. ``a-b`` is
    the difference of two metrics' final values, e.g. the generalisation gap ``val/loss-train/loss``."""
    if "-" in metric and metric not in run.final and metric not in run.curves:
        a, _, b = metric.partition("-")
        return (
            run_metric(run, a, "final", mode) - run_metric(run, b, "final", mode)
            if which == "final"
            else math.nan
        )
    value = (run.final if which == "final" else run.best).get(metric)
    if value is None and metric in run.curves:
        values = run.curves[metric][1]
        values = values[np.isfinite(values)]
        if values.size:
            value = values[-1] if which == "final" else (values.max() if mode == "max" else values.min())
    return math.nan if value is None else float(value)


def run_wall(run: Run) -> float:
    if run.wall_s is not None:
        return float(run.wall_s)
    walls = [c[2] for c in run.curves.values() if c[2].size]
    return float(max(w.max() for w in walls) - min(w.min() for w in walls)) if walls else math.nan


def reach(run: Run, metric: str, threshold: float, mode: str) -> tuple[float, float]:
    """(step, epoch) of the first logged value at or beyond the threshold; NaN if never reached.

    The epoch comes from the run's steps per epoch (result.json); for a run still going, from the count of
    evaluations, since the loop evaluates once per epoch."""
    if metric not in run.curves:
        return math.nan, math.nan
    steps, values, _ = run.curves[metric]
    hit = np.nonzero(values >= threshold if mode == "max" else values <= threshold)[0]
    if not hit.size:
        return math.nan, math.nan
    i = int(hit[0])
    spe = run.steps_per_epoch
    return float(steps[i]), float(steps[i] / spe) if spe else float(i + 1)


def threshold_columns(metric: str, threshold: float, mode: str) -> list[str]:
    op = ">=" if mode == "max" else "<="
    return [f"steps to {metric} {op} {threshold:g}", f"epochs to {metric} {op} {threshold:g}"]


def _stat(values: list[float]) -> tuple[float, float, int]:
    v = np.array([x for x in values if math.isfinite(x)], dtype=np.float64)
    if not v.size:
        return math.nan, math.nan, 0
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else math.nan, int(v.size)


def group_runs(runs: list[Run]) -> list[Group]:
    by_key: dict[tuple[str, ...], list[Run]] = {}
    for run in runs:
        key = tuple(sorted(o for o in run.overrides if _key(o) not in IGNORED_KEYS))
        by_key.setdefault(key, []).append(run)
    common = set.intersection(*(set(k) for k in by_key)) if by_key else set()
    groups = []
    for key, members in by_key.items():
        ordered = [o for o in members[0].overrides if o in key]  # as typed on the command line
        label = " ".join(o for o in ordered if o not in common) or " ".join(ordered) or "(defaults)"
        members.sort(key=lambda r: (r.seed is None, r.seed or 0, str(r.path)))
        groups.append(Group(key, label, members))
    return groups


def _finite(values: list[float]) -> np.ndarray:
    return np.array([x for x in values if math.isfinite(x)], dtype=np.float64)


def _is_zero(std: float, mean: float) -> bool:
    return std < 1e-9 * max(1.0, abs(mean))  # float noise in values that agree is 0


def welch_p(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of Welch's t-test (unequal variances); NaN with fewer than 2 values a side."""
    a, b = _finite(a), _finite(b)
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
    if _is_zero(std, mean):
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
    fa, fb = _finite(a), _finite(b)
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
    v = _finite(values)
    if v.size < 2:
        return math.nan, math.nan
    if _is_zero(float(np.ptp(v)), float(v.mean())):
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
        g.stats = {c: _stat(v) for c, v in g.values.items()}
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
    if top is not None and not math.isnan(top.stats[rank_col][0]):
        others = [g for g in groups if g is not top]
        for g in others:
            g.p_value, g.effect, g.test = vs_best(g.values[rank_col], g.seeds, top.values[rank_col], top.seeds)
        for g, p in zip(others, holm([g.p_value for g in others])):
            g.p_holm = p
    ref = top.label if vs and top is not None else "#1"
    return Summary(groups, runs, metrics, primary, mode, by, thresholds, columns, best_per, all_groups, ref)


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
        mean = _stat(values)[0]
        return math.inf if math.isnan(mean) else sign * mean

    best: dict[str, Group] = {}
    for g in sorted(groups, key=score):  # stable: equal scores keep the ranking's order
        value = next((o.split("=", 1)[1] for o in g.key if _key(o) == key), "(default)")
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


# ---------------------------------------------------------------------------------------------------- output


def fmt(mean: float, std: float, n: int) -> str:
    if n == 0 or math.isnan(mean):
        return "-"
    if math.isnan(std):
        return f"{mean:.4g}"
    return f"{mean:.4g} ± {0.0 if std < 1e-9 * max(1.0, abs(mean)) else std:.2g}"  # float noise is 0


def _runs_cell(g: Group) -> str:
    n_run = g.count(*PARTIAL)
    return f"{len(g.runs)}" + (f" ({n_run} running)" if n_run else "")


def table_rows(s: Summary, ci: bool = True) -> tuple[list[str], list[list[str]]]:
    """The human table (strings) shared by the console (without the ``ci`` column, for width) and summary.md."""
    pruned = any(r.status == "pruned" for r in s.runs)  # a column only for sweepers that prune
    header = ["#", "group", "runs", "diverged", "failed", *(["pruned"] if pruned else []), *s.columns]
    header += [f"95% CI ({s.rank_col})"] if ci else []
    header += [f"p vs {s.ref} ({s.rank_col})", "p (Holm)", "d", "test"]
    rows = []
    for i, g in enumerate(s.groups, 1):
        cells = [str(i), g.label, _runs_cell(g), str(g.count("diverged")), str(g.count("failed"))]
        cells += [str(g.count("pruned"))] if pruned else []
        for c in s.columns:
            mean, std, n = g.stats[c]
            cell = fmt(mean, std, n)
            if c.startswith(("steps to", "epochs to")) and n < len(g.values[c]):
                cell += f" ({n}/{len(g.values[c])})"  # only n of the runs reached the threshold
            cells.append(cell)
        lo, hi = g.ci.get(s.rank_col, (math.nan, math.nan))
        cells += (["-" if math.isnan(lo) else f"[{lo:.4g}, {hi:.4g}]"] if ci else [])
        cells += [_num(g.p_value), _num(g.p_holm), _num(g.effect), g.test or "-"]
        rows.append(cells)
    return header, rows


def _num(x: float) -> str:
    if math.isnan(x):
        return "-"
    return ("-∞" if x < 0 else "∞") if math.isinf(x) else f"{x:.2g}"


def _csv_num(x: float) -> str:
    return "" if math.isnan(x) else repr(x)


def stats_note(s: Summary) -> str:
    """One line under the table: what the p, Holm and d columns are."""
    return (
        f"p vs {s.ref}: {s.test_name} over the groups compared with {s.ref} on {s.rank_col} (paired: the seeds "
        f"both groups ran); d: effect size, group minus {s.ref} (paired: d_z, mean difference / std of "
        "differences; Welch: Cohen's d, pooled std); 95% CI: bootstrap (BCa) interval of the mean"
    )


def _write_atomic(path: Path, data: str | bytes) -> None:
    if path.is_symlink():  # os.replace would replace the link, but a link where dlx writes was put there by someone
        raise CompareError(f"--out {path.parent} is wrong: {path} is a symbolic link; allowed is a folder without "
                           "links where dlx writes (remove the link)")
    runfolder.write_bytes(path, data.encode() if isinstance(data, str) else data)  # an unpredictable temp name


def write_csv(s: Summary, path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf)
    head = ["rank", "group", "overrides", "runs", "running", "diverged", "failed"]
    for c in s.columns:
        head += [f"{c} mean", f"{c} std", f"{c} n"]
    ci_cols = [c for c in s.columns if c in (s.groups[0].ci if s.groups else {})]
    # new columns go after the old ones: scripts that read summary.csv by position keep working
    tail = ["pruned", *[f"{c} ci95 {e}" for c in ci_cols for e in ("low", "high")]]
    tail += [f"p vs {s.ref}", f"p vs {s.ref} (Holm)", f"effect size vs {s.ref}", "test"]
    w.writerow(runfolder.csv_row(head + ["p_value"] + tail))
    for i, g in enumerate(s.groups, 1):
        row = [
            i,
            g.label,
            " ".join(g.key),
            len(g.runs),
            g.count(*PARTIAL),
            g.count("diverged"),
            g.count("failed"),
        ]
        for c in s.columns:
            mean, std, n = g.stats[c]
            row += ["" if math.isnan(mean) else repr(mean), "" if math.isnan(std) else repr(std), n]
        row += [_csv_num(g.p_value), g.count("pruned")]
        row += [_csv_num(x) for c in ci_cols for x in g.ci[c]]
        w.writerow(runfolder.csv_row(row + [_csv_num(g.p_value), _csv_num(g.p_holm), _csv_num(g.effect), g.test]))
    _write_atomic(path, buf.getvalue())


def write_runs_csv(s: Summary, path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf)
    cols = [f"{m} {which}" for m in s.metrics for which in ("final", "best")]
    w.writerow(runfolder.csv_row(["path", "group", "seed", "status", "epochs", "steps", "wall_s", *cols, "error"]))
    modes = {m: (s.mode if m == s.primary else direction(m)) for m in s.metrics}
    for g in s.all_groups:
        for r in g.runs:
            vals = [run_metric(r, m, which, modes[m]) for m in s.metrics for which in ("final", "best")]
            w.writerow(runfolder.csv_row(
                [
                    str(r.path),
                    g.label,
                    "" if r.seed is None else r.seed,
                    r.status,
                    r.epochs or "",
                    r.steps or "",
                    "" if math.isnan(run_wall(r)) else f"{run_wall(r):.3f}",
                    *["" if math.isnan(v) else repr(v) for v in vals],
                    _first_line(r.error),
                ]
            ))
    _write_atomic(path, buf.getvalue())


def write_md(s: Summary, path: Path, title: str) -> None:
    header, rows = table_rows(s)
    esc = lambda x: x.replace("|", "\\|")
    lines = [
        f"# {title}",
        "",
        f"Ranked by {s.primary} ({s.by}, {s.mode}); mean ± std over seeds; "
        "diverged, failed and pruned runs are counted, not averaged.",
        "",
        stats_note(s) + ".",
        "",
    ]
    lines.append("| " + " | ".join(map(esc, header)) + " |")
    lines.append("|" + "---|" * len(header))
    lines += ["| " + " | ".join(map(esc, r)) + " |" for r in rows]
    if s.failed:
        lines += ["", "Failed or diverged runs:", ""]
        lines += [
            f"- `{r.path}`: {r.status}" + (f": {_first_line(r.error)}" if r.error else "") for r in s.failed
        ]
    _write_atomic(path, "\n".join(lines) + "\n")


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""  # the last line of a traceback names the exception


def plot_curves(s: Summary, path: Path, top: int = 20) -> list[str]:
    """curves.png: one panel per metric with a curve: the mean over seeds per group, a band of +-1 std.
    Returns the metrics plotted (empty: no PNG written)."""
    png, metrics = curves_png(s, top)
    if png:
        _write_atomic(path, png)
    return metrics


def prefetch() -> None:
    """Import what a summary needs (scipy.stats, matplotlib, TensorBoard's event reader: ~1.5 s) ahead of time,
    e.g. in a thread while a sweep's jobs run in other processes (hydra/launcher=parallel)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import scipy.stats  # noqa: F401
    from tensorboard.backend.event_processing import event_accumulator  # noqa: F401


def curves_png(s: Summary, top: int = 20, ncols: int | None = None) -> tuple[bytes | None, list[str]]:
    """The curves figure as PNG bytes (None when no metric has a curve), panels ``ncols`` a row (default all
    in one row), and the metrics plotted."""
    groups = s.groups[:top]
    # test/* is measured once at the end: a curve only for what is logged along the way
    metrics = [
        m
        for m in s.metrics
        if not m.startswith("test/")
        and any(m in r.curves and r.curves[m][0].size for g in groups for r in g.runs)
    ]
    if not metrics:
        return None, []
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on servers and in tests
    import matplotlib.pyplot as plt

    # the legend goes under the panels (one line per group), so the curves stay visible
    legend_rows = math.ceil(len(groups) / 2)
    ncols = min(ncols or len(metrics), len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    height = 4.2 * nrows + 0.2 * legend_rows
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(5.5 * ncols, 9), height), squeeze=False)
    for ax in axes.flat[len(metrics):]:
        ax.set_visible(False)
    palette = plt.get_cmap("tab10" if len(groups) <= 10 else "tab20")
    plotted = [r for g in groups for r in g.runs if r.status not in NOT_COMPARED]
    # Epochs put runs with different batch sizes (or full-batch methods, one step an epoch) on one axis;
    # steps when a run still going has no result.json to say how many steps an epoch has.
    per_epoch = all(r.steps_per_epoch for r in plotted)
    for ax, m in zip(axes.flat, metrics):
        for i, g in enumerate(groups):
            by_step: dict[float, list[float]] = {}
            for r in g.runs:
                if r.status in NOT_COMPARED or m not in r.curves:
                    continue
                for st, v in zip(*r.curves[m][:2]):
                    if math.isfinite(v):
                        x = round(st / r.steps_per_epoch, 3) if per_epoch else float(st)
                        by_step.setdefault(x, []).append(float(v))
            if not by_step:
                continue
            steps = np.array(sorted(by_step))
            mean = np.array([np.mean(by_step[t]) for t in steps])
            # spread of the seeds at that step (sample std, as in the table)
            std = np.array([np.std(by_step[t], ddof=1) if len(by_step[t]) > 1 else 0.0 for t in steps])
            color = palette(i % palette.N)
            marker = "o" if len(steps) < 3 else None  # a line of one or two points is easy to miss
            ax.plot(steps, mean, color=color, label=f"{i + 1}. {g.label}"[:90], lw=1.6, marker=marker)
            ax.fill_between(steps, mean - std, mean + std, color=color, alpha=0.2, lw=0)
        ax.set_xlabel("epoch" if per_epoch else "step")
        ax.set_ylabel(m)
        ax.set_title(f"{m} (mean ± std over seeds)")
        ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.2 * legend_rows / height + 0.02, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue(), metrics


def print_summary(s: Summary, title: str, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    header, rows = table_rows(s, ci=False)
    # every cell stays on one line; a header wraps at its words to its column's width
    widths = [max(max((len(r[j]) for r in rows), default=1), *map(len, h.replace("/", "/ ").split()))
              for j, h in enumerate(header)]
    # a log file gets the whole table; a terminal narrower than it shortens cells with an ellipsis
    console = console or Console(width=None if sys.stdout.isatty() else max(120, sum(w + 3 for w in widths) + 1))
    table = Table(
        title=title,
        caption=f"ranked by {s.primary} {s.by} ({s.mode}); mean ± std over seeds; "
        "diverged/failed/pruned runs are counted, not averaged\n" + stats_note(s) + " (in summary.md)",
    )
    for h, w in zip(header, widths):
        table.add_column(textwrap.fill(h.replace("/", "/ "), w).replace("/ ", "/").replace("/\n", "/\n"),
                         justify="left" if h == "group" else "right", overflow="ellipsis", no_wrap=True)
    for i, r in enumerate(rows):
        g = s.groups[i]
        style = "bold green" if i == 0 else ("red" if g.count("failed", "diverged") == len(g.runs) else None)
        table.add_row(*r, style=style)
    console.print(table)
    for r in s.failed:
        console.print(
            f"[red]{r.status}[/red] {r.path}" + (f": {_first_line(r.error)}" if r.error else ""),
            highlight=False,
        )


# ------------------------------------------------------------------------------------------------------- CLI


def _threshold(text: str) -> tuple[str | None, float]:
    metric, _, value = text.rpartition("=")
    try:
        return metric or None, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--threshold {text} is wrong: allowed a number (for the primary metric) or metric=number"
        ) from None


class CompareError(ValueError):
    """A wrong argument of dlx compare/report: one line."""


def checked_runs(paths: list[Path], metrics: list[str] | None) -> list[Run]:
    """The runs under ``paths``, after checking the paths exist, hold runs, and logged ``metrics``."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CompareError(f"{', '.join(missing)} is wrong: allowed are existing run or sweep folders")
    runs = find_runs(paths)
    if not runs:
        raise CompareError(f"{', '.join(map(str, paths))} is wrong: allowed are folders holding runs "
                           "(result.json or .hydra/overrides.yaml); none found")
    known = {k for r in runs for k in (*r.final, *r.best)}
    # a-b, the difference of two logged metrics (run_metric), e.g. the gap train/acc-test/acc
    unknown = [m for m in metrics or [] if known and m not in known and not set(m.split("-", 1)) <= known]
    if unknown:
        raise CompareError(f"--metric {unknown[0]} is wrong: allowed are the metrics these runs logged: "
                           + ", ".join(sorted(known)))
    return runs


def writable(folder: Path, flag: str = "--out") -> None:
    """Make ``folder`` and check a file can be written in it (a read-only or full disk: one line)."""
    refused = checks.cannot_write(folder)
    if refused is None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            refused = folder, e.strerror
    if refused:
        raise CompareError(f"{flag} {folder} is wrong: it cannot be written ({refused[1]}); allowed is a folder "
                           "you can write to")


def compare(
    paths: list[Path],
    out: Path | None = None,
    metrics: list[str] | None = None,
    mode: str | None = None,
    by: str = "best",
    thresholds: list[tuple[str | None, float]] | None = None,
    plot: bool = True,
    console=None,
    best_per: str | None = None,
    best_on: str | None = None,
    vs: str | None = None,
) -> Summary:
    """Find, summarize, print and write; CompareError (one line) for wrong paths, metrics, --vs or --out."""
    if best_on and not best_per:
        raise CompareError(f"--best-on {best_on} is wrong without --best-per: allowed with --best-per KEY, which "
                           "it chooses for")
    runs = checked_runs(paths, [*(metrics or []), *([best_on] if best_on else [])])
    s = summarize(runs, metrics, mode, by, thresholds, best_per, best_on, vs)
    out = out or (paths[0] if len(paths) == 1 and paths[0].is_dir() else Path.cwd())
    writable(out)
    title = f"dlx compare: {len(runs)} runs in {len(s.all_groups)} groups"
    if best_per:
        title += f", the best of each {best_per} ({len(s.groups)})" + (f" on {best_on}" if best_on else "")
    title += f" ({', '.join(map(str, paths))})"
    write_csv(s, out / "summary.csv")
    write_runs_csv(s, out / "runs.csv")
    write_md(s, out / "summary.md", title)
    plotted = plot_curves(s, out / "curves.png") if plot else []
    print_summary(s, title, console)
    written = ["summary.csv", "summary.md", "runs.csv"] + (["curves.png"] if plotted else [])
    (console or _plain_console()).print(f"wrote {', '.join(str(out / f) for f in written)}", highlight=False)
    return s


def _plain_console():
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 200)


def build_parser() -> argparse.ArgumentParser:
    p = checks.ArgumentParser(
        prog="dlx compare",
        description="Group runs by their overrides (seed aside) and compare the groups: mean ± std over "
        "seeds with a 95% bootstrap interval, steps to a threshold, a paired (shared seeds) or Welch t-test "
        "against the best group, Holm-adjusted, with an effect size. Writes summary.csv, summary.md, runs.csv "
        "and curves.png.",
    )
    p.add_argument("paths", nargs="+", type=Path, help="a sweep folder, or several run folders")
    p.add_argument(
        "--metric",
        action="append",
        default=None,
        help="metric to report (repeatable; the first ranks the groups). Default: the runs' own "
        "primary metric (trainer.metric, val/acc), plus val/loss and test/acc where logged",
    )
    p.add_argument(
        "--mode",
        choices=("max", "min"),
        default=None,
        help="whether the first metric is better high or low. Default: the runs' trainer.mode",
    )
    p.add_argument(
        "--by",
        choices=("best", "final"),
        default="best",
        help="rank by the best or the final value of the first metric (default best)",
    )
    p.add_argument(
        "--threshold",
        action="append",
        type=_threshold,
        default=None,
        help="NUMBER (first metric) or METRIC=NUMBER: report steps and epochs to reach it (repeatable)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write the summaries (default: the sweep folder, or . for several folders)",
    )
    p.add_argument(
        "--best-per",
        default=None,
        metavar="KEY",
        help="keep only the best group for each value of this override key, e.g. --best-per optim after an "
        "optimizer x learning-rate grid (every optimizer at its best rate, chosen on the first metric)",
    )
    p.add_argument(
        "--best-on",
        default=None,
        metavar="METRIC",
        help="with --best-per: choose each value's best group on this metric instead of the ranking one, e.g. "
        "--metric test/acc --best-per regularizer --best-on val/acc (its final value when the ranking metric "
        "is measured only at the end, as test/... is)",
    )
    p.add_argument(
        "--vs",
        default=None,
        metavar="GROUP",
        help="test every group against this one instead of #1: its label or overrides only it has, e.g. "
        "--vs regularizer=none",
    )
    p.add_argument("--no-plot", action="store_true", help="skip curves.png")
    return p


def main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # argparse already printed the usage line (or the help)
        return int(e.code or 0)
    try:
        compare(args.paths, args.out, args.metric, args.mode, args.by, args.threshold, plot=not args.no_plot,
                best_per=args.best_per, best_on=args.best_on, vs=args.vs)
    except CompareError as e:
        print(f"dlx: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
