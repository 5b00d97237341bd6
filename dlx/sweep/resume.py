"""``resume_sweep=true``: re-running a sweep into its own folder.

With ``hydra.sweep.dir=<an existing sweep>``, job N looks at its own folder first. A finished run with the same
overrides (completed, stopped early or diverged: running it again would give the same numbers) is kept and its
number returned without training; a failed, interrupted or missing one runs again from scratch, or continues from
its checkpoints/last.pt when it was interrupted. Job numbers stay those of the first run because the same command
enumerates the same jobs in the same order; a job folder that holds a different configuration is refused rather
than overwritten.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from omegaconf import DictConfig

from dlx.sweep.jobs import grid

FINISHED = ("completed", "stopped_early", "diverged", "pruned")
RESUME_KEY = "resume_sweep"


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


def resumable(run_dir: Path, result: dict | None) -> bool:
    """An interrupted run (or a killed one, which never wrote result.json) with a checkpoint to go on from."""
    status = (result or {}).get("status", "running")
    return status in ("interrupted", "running") and (run_dir / "checkpoints" / "last.pt").is_file()



def resume_point(run_dir: Path, overrides: list[str], job: int) -> tuple[dict | None, Path | None]:
    """Job ``job`` of a re-run sweep, in ``run_dir``: (its stored result, None) when it finished (the job is
    kept, not run); else (None, the folder to continue from when an interrupted run left checkpoints/last.pt,
    or None to run from scratch)."""
    kept = resume_job(run_dir, overrides, continue_interrupted=True)
    if kept is not None:
        print(f"dlx: job {job} kept from the earlier sweep ({kept['status']})")
        return kept, None
    return None, run_dir if (run_dir / "checkpoints" / "last.pt").is_file() else None


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
        result_file = sweep_dir / str(num) / "result.json"
        if result_file.is_file():
            try:
                stored = json.loads(result_file.read_text()).get("overrides", [])
            except ValueError:
                continue
            if _comparable(stored) != _comparable(overrides):
                raise mismatch(sweep_dir, str(num), stored, overrides)
