"""Run folders: finding them, loading each one, grouping them, and a run's value of a metric.

A run folder is a folder holding ``result.json`` (written by the loop when a run ends) or
``.hydra/overrides.yaml`` (written by Hydra when a job starts). A folder with the second but not the first is
a run still in progress (or killed): its numbers so far are read from its own TensorBoard events.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dlx import runfolder
from dlx.runfolder import RUN_KEYS, RUNNING, override_key, override_value

# Overrides that name a run rather than a setting: they never split a group.
IGNORED_KEYS = ("seed", *RUN_KEYS)


class CompareError(ValueError):
    """A wrong argument of dlx compare/report: one line."""


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
    diff: float = math.nan  # the mean difference, group minus #1 (or the baseline), in the metric's units
    mde: float = math.nan  # the smallest difference the test finds with 80% power (stats.detectable), metric units
    seeds_needed: float = math.nan  # not significant: seeds a group that find ``diff`` with 80% power (inf: never)
    spread: Any = None  # the stats.Spread its test measured (None: not tested), for power at other sizes

    def count(self, *statuses: str) -> int:
        return sum(r.status in statuses for r in self.runs)


def read_events(run_dir: Path, size_guidance: dict[str, int]):
    """TensorBoard's EventAccumulator over the event files directly inside ``run_dir``, loaded as far as they can
    be read (``size_guidance``: how many of each kind it keeps, 0 = all); None without any event file."""
    if not any(p.name.startswith("events.out.tfevents") for p in run_dir.iterdir()):
        return None
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logging.getLogger("tensorboard").setLevel(logging.WARNING)  # its per-file INFO lines are noise here
    acc = EventAccumulator(str(run_dir), size_guidance=size_guidance)
    try:
        acc.Reload()
    except Exception:  # a file being written by a live run can end mid-record; use what was read
        pass
    return acc


def read_curves(run_dir: Path) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """All scalars in the event files directly inside run_dir. A resumed run has several event files; a
    step logged twice keeps its latest value."""
    acc = read_events(run_dir, {"scalars": 0})  # 0 = keep every point
    if acc is None:
        return {}
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
    overrides_file = path / ".hydra" / "overrides.yaml"
    try:
        result = runfolder.read_result(path) or {}
    except runfolder.UnreadableResult as e:  # a write cut short: the run did not end with a result
        result = {"status": runfolder.FAILED, "error": str(e)}
    except runfolder.RunFolderError as e:  # a file anyone could have edited: the types dlx writes, or one line
        raise CompareError(str(e)) from None
    overrides = result.get("overrides")
    if overrides is None and overrides_file.exists():
        overrides = _load_yaml(overrides_file)
        overrides = overrides if isinstance(overrides, list) else []
    overrides = [str(o) for o in overrides or []]
    seed = result.get("seed")
    if seed is None:
        seed = next((override_value(o) for o in overrides if override_key(o) == "seed"), None)
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
        status=result.get("status") or RUNNING,
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
            if runfolder.RESULT in filenames or (here / ".hydra" / "overrides.yaml").is_file():
                found[here.resolve()] = None
                dirnames[:] = [d for d in dirnames if d not in ("checkpoints", ".hydra")]
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
    return [load_run(p) for p in found]

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

def group_runs(runs: list[Run]) -> list[Group]:
    by_key: dict[tuple[str, ...], list[Run]] = {}
    for run in runs:
        key = tuple(sorted(o for o in run.overrides if override_key(o) not in IGNORED_KEYS))
        by_key.setdefault(key, []).append(run)
    common = set.intersection(*(set(k) for k in by_key)) if by_key else set()
    groups = []
    for key, members in by_key.items():
        ordered = [o for o in members[0].overrides if o in key]  # as typed on the command line
        label = " ".join(o for o in ordered if o not in common) or " ".join(ordered) or "(defaults)"
        members.sort(key=lambda r: (r.seed is None, r.seed or 0, str(r.path)))
        groups.append(Group(key, label, members))
    return groups

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
