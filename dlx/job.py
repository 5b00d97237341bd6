"""Hydra's task function: one job of a run or a sweep.

``dlx train ...`` checks the config first (dlx/preflight.py) and then hands its arguments to :func:`main`;
``python -m dlx.job ...`` is Hydra's own entry point to the same function, without that check. dlx's launchers
(dlx/sweep) call :func:`task` with the job's share of the cores and how it may print.

The run folder's lock comes first: Hydra only makes the folder (dlx's config turns off its ``.hydra/`` files and
delays its log file), and the task writes nothing there before it holds the lock, so a second process refused on
a folder in use changes nothing in it.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from dlx import CONFIG_DIR, runfolder
from dlx.runfolder import lock, primary, write_result
from dlx.setup import USER_ERRORS
from dlx.signals import term_as_interrupt
from dlx.sweep.resume import SweepMismatch, resume_point
from dlx.track import error_line
from dlx.train import ERROR_LOG, StopRequest, failed_result, run_locked

WRITE_ERRORS = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT)


def _drop_run_dir(run_dir: Path) -> None:
    """After a config error in a new single run, remove the folder Hydra made, where the run wrote only its .hydra/
    files, the lock and maybe a log line."""
    if {p.name for p in run_dir.iterdir()} <= {".hydra", "train.log", ".lock"}:
        shutil.rmtree(run_dir, ignore_errors=True)


def task(cfg: DictConfig, cores: int | None = None, progress: bool | None = None, prefix: str = "") -> float:
    """One job in Hydra's job folder; the number a sweeper optimises (NaN for a job that failed: a failed job
    never stops a sweep, its result.json says why). ``cores``, ``progress``, ``prefix``: as dlx.train.run."""
    hc = HydraConfig.get()
    run_dir = Path(hc.runtime.output_dir)
    overrides = list(hc.overrides.task)
    multirun = hc.mode == RunMode.MULTIRUN
    fresh = not any(run_dir.iterdir())  # Hydra made it (or it was empty): a refused run may remove it again
    try:
        # a folder that holds a run is refused before the lock's pid is written (for resume_sweep=true, the
        # sweep's start checked every job folder already)
        check = None if multirun and cfg.resume_sweep else (lambda: runfolder.check_folder(run_dir, cfg, multirun))
        with StopRequest() as stop, lock(run_dir, check):  # Ctrl-C and SIGTERM from here to the job's end: train.py
            value = locked_task(cfg, run_dir, overrides, multirun, hc.job.num if multirun else 0, cores, progress,
                                prefix, fresh, stop)
            stop.check()  # a request while a kept job was looked at: no job after this one
            return value
    except (runfolder.FolderHoldsRun, runfolder.FolderInUse) as e:  # nothing of this job was written
        error_line(str(e))
        if not multirun:
            raise SystemExit(2) from None
        return float("nan")
    except KeyboardInterrupt:  # result.json says interrupted and how to resume; stop a sweep too
        raise SystemExit(130) from None


def locked_task(cfg: DictConfig, run_dir: Path, overrides: list[str], multirun: bool, num: int, cores: int | None,
                progress: bool | None, prefix: str, fresh: bool, stop: StopRequest) -> float:
    """:func:`task` once it holds the folder's lock."""
    try:
        resume = None
        if multirun and cfg.resume_sweep:  # a re-run sweep: keep the jobs that finished (dlx/sweep/resume.py)
            kept, resume = resume_point(run_dir, overrides, num)
            if kept is not None:
                return primary(kept)
            runfolder.write_hydra_files(run_dir, cfg, HydraConfig.instance().cfg)
        else:
            runfolder.start_folder(run_dir, cfg, HydraConfig.instance().cfg)
        return run_locked(cfg, run_dir, overrides, resume, cores, progress, prefix, stop)
    except SweepMismatch as e:  # nothing of this job was written
        error_line(str(e))
        if not multirun:
            raise SystemExit(2) from None
        return float("nan")
    except USER_ERRORS as e:
        error_line(str(e))
        if not multirun:
            if fresh and not cfg.get("resume"):  # never delete a folder this command did not create
                _drop_run_dir(run_dir)
            raise SystemExit(2) from None
        write_result(run_dir, failed_result(cfg, overrides, str(e), 0.0))
        return float("nan")
    except OSError as e:  # a read-only or full disk: what was written before stays (atomic writes)
        if e.errno not in WRITE_ERRORS:
            raise
        error_line(f"cannot write to the run folder {run_dir}: {e.strerror} ({e.filename}); allowed is a folder "
                   "on a writable disk with free space (hydra.run.dir=...)")
        if not multirun:
            raise SystemExit(2) from None
        return float("nan")
    except Exception as e:
        if not multirun:
            raise
        log = run_dir / ERROR_LOG
        error_line(f"job {num} failed: {type(e).__name__}: {e}" + (f" (traceback in {log})" if log.is_file() else ""))
        return float("nan")


main = hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="train")(task)


if __name__ == "__main__":
    from dlx import lazy_dynamo

    os.environ.setdefault("HYDRA_FULL_ERROR", "0")
    lazy_dynamo.defer()  # a launcher here checks jobs without training: no torch._dynamo import (dlx/lazy_dynamo.py)
    signal.signal(signal.SIGTERM, term_as_interrupt)  # as `dlx train` does
    main()
