"""Hydra's task function: one job of a run or a sweep.

``dlx train ...`` checks the config first (dlx/preflight.py) and then hands its arguments to :func:`main`;
``python -m dlx.job ...`` is Hydra's own entry point to the same function, without that check. dlx's launchers
(dlx/sweep) call :func:`task` with the job's share of the cores and how it may print.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from dlx import CONFIG_DIR
from dlx.setup import USER_ERRORS
from dlx.sweep.resume import SweepMismatch, resume_point
from dlx.track import error_line, write_result
from dlx.train import failed_result, primary, run

WRITE_ERRORS = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT)


def _drop_run_dir(run_dir: Path) -> None:
    """After a config error in a new single run, remove the folder Hydra made (only .hydra/, a log and the lock)."""
    if run_dir.is_dir() and {p.name for p in run_dir.iterdir()} <= {".hydra", "train.log", ".lock"}:
        shutil.rmtree(run_dir, ignore_errors=True)


def task(cfg: DictConfig, cores: int | None = None, progress: bool | None = None, prefix: str = "") -> float:
    """One job in Hydra's job folder; the number a sweeper optimises (NaN for a job that failed: a failed job
    never stops a sweep, its result.json says why). ``cores``, ``progress``, ``prefix``: as dlx.train.run."""
    hc = HydraConfig.get()
    run_dir = Path(hc.runtime.output_dir)
    overrides = list(hc.overrides.task)
    multirun = hc.mode == RunMode.MULTIRUN
    try:
        resume = None
        if multirun and cfg.resume_sweep:  # a re-run sweep: keep the jobs that finished (dlx/sweep/resume.py)
            kept, resume = resume_point(run_dir, overrides, hc.job.num)
            if kept is not None:
                return primary(kept)
        return run(cfg, run_dir, overrides, resume, cores, progress, prefix)
    except SweepMismatch as e:
        error_line(str(e))
        return float("nan")
    except KeyboardInterrupt:  # result.json says interrupted and how to resume; stop a sweep too
        raise SystemExit(130) from None
    except USER_ERRORS as e:
        error_line(str(e))
        if not multirun:
            if not cfg.get("resume"):  # never delete a folder this command did not create
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
        error_line(f"job {hc.job.num} failed: {type(e).__name__}: {e} (see {run_dir / 'result.json'})")
        return float("nan")


main = hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="train")(task)


if __name__ == "__main__":
    os.environ.setdefault("HYDRA_FULL_ERROR", "0")
    main()
