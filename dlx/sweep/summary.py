"""The end of every multirun: ``dlx compare`` and report.html on the sweep folder, and the exit code.

``SweepSummary`` is a Hydra callback (``hydra.callbacks.summary`` in train.yaml). When the multirun ends it runs
``dlx compare`` on the sweep folder and records the jobs that failed, so ``dlx train -m`` exits 1 if any did. A
failed job never stops the others (the task function returns NaN for it; its result.json says why). When a
re-run sweep (resume_sweep=true) starts, it refuses a sweep folder that holds another sweep's jobs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from dlx.runfolder import FAILED, UNFINISHED, RunFolderError
from dlx.sweep.resume import RESUME_KEY, SweepMismatch, check_new_sweep_dir, check_sweep_dir


def stop(message: str) -> None:
    print(f"dlx: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _sweep_failures(sweep_dir: Path) -> tuple[int, list[Path]]:
    from dlx.results.runs import find_runs

    runs = find_runs([sweep_dir])
    bad = [r.path for r in runs if r.status in (FAILED, *UNFINISHED)]
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
        if not config.get(RESUME_KEY):
            try:
                check_new_sweep_dir(config)
            except (SweepMismatch, RunFolderError) as e:
                stop(str(e))
        if config.get(RESUME_KEY):
            # Hydra turns a callback's exception into a warning and goes on, which would let the jobs
            # rewrite the .hydra/ files of folders holding other runs: stop the sweep here instead.
            target = str(config.hydra.sweeper.get("_target_", ""))
            if not target.endswith(("BasicSweeper", "dlx_sweeper.optuna_sweeper.OptunaSweeper",
                                    "dlx_sweeper.seeds_sweeper.SeedsSweeper")):
                stop(
                    f"{RESUME_KEY}=true is wrong with hydra.sweeper={config.hydra.sweeper._target_}: allowed "
                    "with the basic sweeper (a grid: every job's number is known in advance), dlx's optuna "
                    "sweeper (hydra/sweeper=optuna|tpe: the study is kept in the sweep folder) and its seeds "
                    "sweeper (hydra/sweeper=seeds: a run's folder follows from its arm and seed)"
                )
            try:
                check_sweep_dir(config)
            except SweepMismatch as e:
                stop(str(e))

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
