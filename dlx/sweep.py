"""Sweeps: a summary at the end of every multirun, and re-running a sweep into its own folder.

Hydra runs the jobs (basic, joblib or submitit launcher; basic or Optuna sweeper). dlx adds:

- ``SweepSummary``, a Hydra callback (``hydra.callbacks.summary`` in train.yaml): when the multirun ends it
  runs ``dlx compare`` on the sweep folder and records the jobs that failed, so ``dlx train -m`` exits 1 if
  any did.
  A failed job never stops the others (the task function returns NaN for it; its result.json says why).
- ``resume_sweep=true``: with ``hydra.sweep.dir=<an existing sweep>``, job N looks at its own folder first. A
  finished run with the same overrides (completed, stopped early or diverged: running it again would give the
  same numbers) is kept and its number returned without training; a failed, interrupted or missing one runs
  again from scratch. Job numbers stay those of the
  first run because the same command enumerates the same jobs in the same order; a job folder that holds a
  different configuration is refused rather than overwritten.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

FINISHED = ("completed", "stopped_early", "diverged", "pruned")
RESUME_KEY = "resume_sweep"


def direction(metric: str, mode: str) -> str:
    """Optuna's direction for trainer.metric/mode (dlx.metrics.direction). With metric auto the CLI's preflight
    passes hydra.sweeper.direction from the metric the run will really use (val/acc, val/loss, ...)."""
    from dlx.metrics import direction as metric_direction

    return f"{metric_direction('val/acc' if metric == 'auto' else metric, mode)}imize"


if not OmegaConf.has_resolver("dlx.direction"):
    OmegaConf.register_new_resolver("dlx.direction", direction)


def _comparable(overrides) -> list[str]:
    return sorted(o for o in overrides if o.split("=", 1)[0].lstrip("+~") not in (RESUME_KEY, "resume", "trial"))


class SweepMismatch(ValueError):
    """A job folder of the sweep being resumed holds a run with other overrides."""


def mismatch(sweep_dir: Path, job: str, stored: list[str], overrides: list[str]) -> SweepMismatch:
    return SweepMismatch(
        f"hydra.sweep.dir={sweep_dir} is wrong for {RESUME_KEY}=true: job folder {job} holds a run with "
        f"overrides {_comparable(stored)}, this sweep's job {job} is {_comparable(overrides)}; allowed: the "
        "command that made the sweep (same grid, same order)"
    )


def resume_job(run_dir: Path, overrides: list[str], continue_interrupted: bool = False) -> dict | None:
    """Prepare job folder ``run_dir`` for a re-run sweep. Returns the stored result.json of a finished run
    (skip the job), else None after clearing what an unfinished run left (run it again). With
    ``continue_interrupted`` an interrupted or killed run keeps its checkpoints, for a loop that continues
    from ``checkpoints/last.pt`` (``resume=<run folder>``)."""
    result_file = run_dir / "result.json"
    result = None
    if result_file.is_file():
        try:
            result = json.loads(result_file.read_text())
        except ValueError:
            result = None
    if result is not None and _comparable(result.get("overrides", [])) != _comparable(overrides):
        raise mismatch(run_dir.parent, run_dir.name, result.get("overrides", []), overrides)
    if result is not None and result.get("status") in FINISHED:
        return result
    if continue_interrupted and resumable(run_dir, result):
        return None
    # A failed or unfinished run: start clean so its curves don't mix with the new run's.
    for p in run_dir.iterdir():
        if p.name.startswith("events.out.tfevents") or p.name == "result.json":
            p.unlink()
    shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)
    return None


def continue_command(run_dir: Path) -> str:
    """The command that continues an interrupted run: for a job of a grid sweep (its folder's parent holds the
    basic sweeper's multirun.yaml) the sweep's own command with hydra.sweep.dir=<sweep> resume_sweep=true, which
    keeps the finished jobs and continues this one from its last.pt; else ``dlx train resume=<run folder>``."""
    import shlex

    sweep_dir = run_dir.parent
    try:
        cfg = OmegaConf.load(sweep_dir / "multirun.yaml")
        ov = cfg.hydra.overrides
        dirs = [s.path for s in cfg.hydra.runtime.config_sources if s.provider == "command-line"]
    except Exception:  # not a grid sweep's job (or an unreadable file): the run's own folder
        return f"dlx train resume={run_dir}"
    keep = lambda o, drop: o.split("=", 1)[0].lstrip("+~") not in drop
    args = [*(a for d in dirs for a in ("--config-dir", d)),
            *(o for o in ov.hydra if keep(o, ("hydra.mode", "hydra.sweep.dir"))),
            *(o for o in ov.task if keep(o, (RESUME_KEY,))), f"hydra.sweep.dir={sweep_dir}", f"{RESUME_KEY}=true"]
    return "dlx train -m " + " ".join(map(shlex.quote, args))


def resumable(run_dir: Path, result: dict | None) -> bool:
    """An interrupted run (or a killed one, which never wrote result.json) with a checkpoint to go on from."""
    status = (result or {}).get("status", "running")
    return status in ("interrupted", "running") and (run_dir / "checkpoints" / "last.pt").is_file()


def planned_jobs(config: DictConfig) -> list[list[str]] | None:
    """The basic sweeper's jobs in launch order (job i gets folder i): its params, then the command line's
    overrides, expanded as Hydra's BasicSweeper does. None for other sweepers (Optuna picks as it goes)."""
    if not str(config.hydra.sweeper.get("_target_", "")).endswith("BasicSweeper"):
        return None
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = [f"{k}={v}" for k, v in (config.hydra.sweeper.get("params") or {}).items()]
    try:
        parsed = OverridesParser.create().parse_overrides([*params, *config.hydra.overrides.task])
        return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]
    except Exception:  # e.g. glob() needs Hydra's config loader; each job still checks its own folder
        return None


def check_sweep_dir(config: DictConfig) -> None:
    """Before any job of a resumed sweep starts: every existing job folder must hold the job that this sweep
    would put there, else job numbers would pair old results with new settings."""
    jobs = planned_jobs(config)
    sweep_dir = Path(config.hydra.sweep.dir)
    if jobs is None or not sweep_dir.is_dir():
        return
    for num, overrides in enumerate(jobs):
        result_file = sweep_dir / str(num) / "result.json"
        if result_file.is_file():
            try:
                stored = json.loads(result_file.read_text()).get("overrides", [])
            except ValueError:
                continue
            if _comparable(stored) != _comparable(overrides):
                raise mismatch(sweep_dir, str(num), stored, overrides)


def _stop(message: str) -> None:
    print(f"dlx: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _sweep_failures(sweep_dir: Path) -> tuple[int, list[Path]]:
    from dlx.results.runs import find_runs

    runs = find_runs([sweep_dir])
    bad = [r.path for r in runs if r.status in ("failed", "running", "interrupted")]
    return len(runs), sorted(bad, key=lambda p: (len(p.name), p.name))


def prefetch_summary(config: DictConfig) -> None:
    """When the end-of-sweep summary is on, import its libraries (dlx.results.summary.prefetch) in a background thread:
    for a launcher whose main thread only waits meanwhile (workers in other processes, a stack in torch's
    threads)."""
    if (config.hydra.callbacks.get("summary") or {}).get("enabled", False):
        import threading

        from dlx.results.summary import prefetch

        threading.Thread(target=prefetch, daemon=True).start()


class SweepSummary(Callback):
    """At the end of a multirun: `dlx compare` on the sweep folder, and the failed jobs for the exit code."""

    def __init__(self, enabled: bool = True, plot: bool = True) -> None:
        self.enabled, self.plot = enabled, plot

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        if config.get(RESUME_KEY):
            # Hydra turns a callback's exception into a warning and goes on, which would let the jobs
            # rewrite the .hydra/ files of folders holding other runs: stop the sweep here instead.
            target = str(config.hydra.sweeper.get("_target_", ""))
            if not target.endswith(("BasicSweeper", "dlx_sweeper.optuna_sweeper.OptunaSweeper")):
                _stop(
                    f"{RESUME_KEY}=true is wrong with hydra.sweeper={config.hydra.sweeper._target_}: allowed "
                    "with the basic sweeper (a grid: every job's number is known in advance) and dlx's optuna "
                    "sweeper (hydra/sweeper=optuna|tpe: the study is kept in the sweep folder)"
                )
            try:
                check_sweep_dir(config)
            except SweepMismatch as e:
                _stop(str(e))

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        n_jobs, failed_jobs = _sweep_failures(sweep_dir)
        if self.enabled:
            from dlx.compare import compare

            trainer = config.get("trainer") or {}
            metric = trainer.get("metric", "auto")
            mode = trainer.get("mode", "auto")
            summary = None
            try:
                summary = compare(
                    [sweep_dir],
                    metrics=None if metric == "auto" else [metric],
                    mode=mode if mode in ("max", "min") else None,
                    plot=self.plot,
                )
            except Exception as e:  # the summary must never hide the sweep's own outcome
                print(f"dlx: the sweep summary failed: {type(e).__name__}: {e}")
            if summary is not None:
                try:  # report.html beside summary.md, from the same summary (the events are read once)
                    from dlx import report

                    title = f"dlx report: {len(summary.runs)} runs in {len(summary.all_groups)} groups ({sweep_dir})"
                    print(f"wrote {report.write(summary, sweep_dir / 'report.html', title)}")
                except Exception as e:
                    print(f"dlx: the sweep report failed: {type(e).__name__}: {e}")
        if failed_jobs:
            names = ", ".join(p.name for p in failed_jobs)
            print(
                f"dlx: {len(failed_jobs)} of {n_jobs} jobs failed (job folders {names} in {sweep_dir}); "
                f"re-run the same command with hydra.sweep.dir={sweep_dir} {RESUME_KEY}=true to redo only "
                "those"
            )
            raise SystemExit(1)  # Hydra lets SystemExit through its callback guard: `dlx train -m` exits 1
