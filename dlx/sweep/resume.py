"""``resume_sweep=true``: re-running a sweep into its own folder.

With ``hydra.sweep.dir=<an existing sweep>``, job N looks at its own folder first. A finished run with the same
overrides (completed, stopped early or diverged: running it again would give the same numbers) is kept and its
number returned without training; a failed, interrupted or missing one runs again from scratch, or continues from
its checkpoints/last.pt when it was interrupted. Job numbers stay those of the first run because the same command
enumerates the same jobs in the same order; a job folder that holds a different configuration is refused rather
than overwritten.
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from dlx import runfolder
from dlx.runfolder import FINISHED, UNFINISHED, setting
from dlx.runfolder import RESUME_SWEEP as RESUME_KEY
from dlx.sweep.jobs import grid


def _stored(run_dir: Path) -> dict | None:
    """The job folder's result.json; None without one, or with one dlx cannot read (the job runs again)."""
    try:
        return runfolder.read_result(run_dir)
    except runfolder.RunFolderError:
        return None


class SweepMismatch(ValueError):
    """A job folder of the sweep being resumed holds a run with other overrides."""


def mismatch(sweep_dir: Path, job: str, stored: list[str], overrides: list[str]) -> SweepMismatch:
    return SweepMismatch(
        f"hydra.sweep.dir={sweep_dir} is wrong for {RESUME_KEY}=true: job folder {job} holds a run with "
        f"overrides {setting(stored)}, this sweep's job {job} is {setting(overrides)}; allowed: the "
        "command that made the sweep (same grid, same order)"
    )


def resume_job(run_dir: Path, overrides: list[str], continue_interrupted: bool = False) -> dict | None:
    """Prepare job folder ``run_dir`` for a re-run sweep. Returns the stored result.json of a finished run
    (skip the job), else None after clearing what an unfinished run left (run it again). With
    ``continue_interrupted`` an interrupted or killed run keeps its checkpoints, for a loop that continues
    from ``checkpoints/last.pt`` (``resume=<run folder>``)."""
    if not run_dir.is_dir():
        return None
    result = _stored(run_dir)
    if result is not None and setting(result.get("overrides", [])) != setting(overrides):
        raise mismatch(run_dir.parent, run_dir.name, result.get("overrides", []), overrides)
    if result is not None and result.get("status") in FINISHED:
        return result
    if continue_interrupted and resumable(run_dir, result):
        return None
    # A failed or unfinished run: start clean so its curves, log and results don't mix with the new run's.
    runfolder.clear_run(run_dir)
    return None


def resumable(run_dir: Path, result: dict | None) -> bool:
    """An interrupted run (or a killed one, which never wrote result.json) with a checkpoint to go on from."""
    status = (result or {}).get("status", runfolder.RUNNING)
    return status in UNFINISHED and runfolder.checkpoint_file(run_dir).is_file()



def resume_point(run_dir: Path, overrides: list[str], job: int) -> tuple[dict | None, Path | None]:
    """Job ``job`` of a re-run sweep, in ``run_dir``: (its stored result, None) when it finished (the job is
    kept, not run); else (None, the folder to continue from when an interrupted run left checkpoints/last.pt,
    or None to run from scratch)."""
    kept = resume_job(run_dir, overrides, continue_interrupted=True)
    if kept is not None:
        print(f"dlx: job {job} kept from the earlier sweep ({kept['status']})")
        return kept, None
    return None, run_dir if runfolder.checkpoint_file(run_dir).is_file() else None


def planned_jobs(config: DictConfig) -> list[list[str]] | None:
    """The basic sweeper's jobs in launch order (job i gets folder i). None for other sweepers (Optuna picks as
    it goes)."""
    if not str(config.hydra.sweeper.get("_target_", "")).endswith("BasicSweeper"):
        return None
    try:
        return grid(config.hydra.sweeper.get("params"), config.hydra.overrides.task)
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
        stored = (_stored(sweep_dir / str(num)) or {}).get("overrides")
        if stored is not None and setting(stored) != setting(overrides):
            raise mismatch(sweep_dir, str(num), stored, overrides)


def check_new_sweep_dir(config: DictConfig) -> None:
    """Before a sweep that is not resumed starts: its folder must not hold the runs of an earlier sweep (each job
    refuses a folder that holds a run too, but by then Hydra's sweeper has rewritten multirun.yaml). With
    overwrite=true each job replaces the run in its folder; the job folders past this grid's last job are cleared
    here (holding their locks), so the sweep's summary sees this sweep's runs only."""
    from dlx.runfolder import lock

    sweep_dir = Path(config.hydra.sweep.dir)
    if not sweep_dir.is_dir():
        return
    held = sorted(int(p.name) for p in sweep_dir.iterdir()
                  if p.name.isdigit() and p.is_dir() and runfolder.run_status(p) is not None)
    if not held:
        return
    if not config.get(runfolder.OVERWRITE):
        raise SweepMismatch(f"hydra.sweep.dir={sweep_dir} is wrong: it holds the runs of an earlier sweep ({len(held)} "
                            f"job folders); allowed: the same command with {RESUME_KEY}=true to finish that sweep, "
                            f"{runfolder.OVERWRITE}=true to replace its runs, or a new folder")
    jobs = planned_jobs(config)
    for num in held:
        if jobs is not None and num >= len(jobs):
            with lock(sweep_dir / str(num)):
                runfolder.clear_run(sweep_dir / str(num))
