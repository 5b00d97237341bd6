"""A sweep's jobs: the grid in launch order, which jobs differ only in seed, composing job i and running it, and how
many processes run them. dlx's launchers, its preflight and resume_sweep all take these from here."""

from __future__ import annotations

import copy
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from dlx.runfolder import override_key, override_value

MAX_CHECKED = 1000  # a larger grid is checked on its first jobs (each check composes and builds: ~0.05 s)
log = logging.getLogger(__name__)


def grid(params: dict | None, overrides: Sequence[str]) -> list[list[str]]:
    """The basic sweeper's jobs in launch order (job i gets folder i): ``hydra.sweeper.params``, then the command
    line's overrides, expanded as Hydra's BasicSweeper does. Raises Hydra's error for an override it cannot parse."""
    # BasicSweeper.split_arguments is Hydra's own expansion, read on hydra-core 1.3.2-1.3.8; it has no public
    # name, and writing the grammar's sweeps (a,b / range / glob) out again here would drift from Hydra's order.
    # tests/test_private_apis.py fails when it changes.
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    given = [f"{k}={v}" for k, v in (params or {}).items()]
    parsed = OverridesParser.create().parse_overrides([*given, *overrides])
    return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


def seed_free(job: Sequence[str]) -> tuple[str, ...] | None:
    """The one definition of "these jobs differ only in seed": jobs with equal ``seed_free`` keys (not None) have
    the same overrides but for an integer ``seed``; None for a seed that is not a plain integer (an
    interpolation, a choice), which is no group."""
    if not all(re.fullmatch(r"-?\d+", override_value(o) or "") for o in job if override_key(o) == "seed"):
        return None
    return tuple(o for o in job if override_key(o) != "seed")


def first_of_kind(jobs: Sequence[Sequence[str]]) -> list[int]:
    """For each job, the index of the first job that differs from it only in seed (itself when none does): the
    jobs whose config needs building once."""
    first: dict[tuple, int] = {}
    out = []
    for i, job in enumerate(jobs):
        key = seed_free(job)
        out.append(i if key is None else first.setdefault(key, i))
    return out


def same_but_seed(a: dict | None, b: dict | None) -> bool:
    """Two jobs' resolved configs are equal but for ``seed`` (a config that reads ${seed} elsewhere, e.g. in a
    data split, is not: its jobs would not share one dataset)."""
    return a is not None and b is not None and {**a, "seed": 0} == {**b, "seed": 0}


# ---- one job: composed as Hydra's basic launcher composes it, and run -------------------------------------------


def compose(hydra_context, config: DictConfig, idx: int, overrides: Sequence[str]) -> DictConfig:
    """Job ``idx``'s config (with its hydra node), as Hydra's basic launcher composes it."""
    sc = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sc):
        sc.hydra.job.id = idx
        sc.hydra.job.num = idx
    return sc


def run(hydra_context, config: DictConfig, task_function: Callable, sc: DictConfig):
    """Run a composed job as Hydra's basic launcher does (its folder, .hydra/ files, logging and callbacks);
    Hydra's JobReturn."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.utils import configure_log, run_job

    HydraConfig.instance().set_config(sc)
    ret = run_job(hydra_context=hydra_context, task_function=task_function, config=sc,
                  job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
    configure_log(config.hydra.hydra_logging, config.hydra.verbose)
    return ret


def task_config(sc: DictConfig) -> DictConfig:
    """The job's config without its hydra node, as run_job hands it to the task function."""
    from hydra.core.hydra_config import HydraConfig

    HydraConfig.instance().set_config(sc)  # ${hydra:...} interpolations resolve against this job
    cfg = copy.deepcopy(sc)
    with read_write(cfg), open_dict(cfg):
        del cfg["hydra"]
    return cfg


def container(sc: DictConfig) -> dict | None:
    """The job's resolved config without its hydra node; None where it does not resolve."""
    try:
        return OmegaConf.to_container(task_config(sc), resolve=True)
    except Exception:
        return None


# ---- how many processes ----------------------------------------------------------------------------------------


def cores() -> int:
    """The CPUs this process may use (a cgroup or a SLURM allocation's affinity, not the whole node)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def processes(n_jobs: Any, one_thread_cpu: bool | None, n_cores: int) -> int:
    """How many worker processes: n_jobs=auto gives one per core when every job of the grid trains on the CPU with
    one thread (small models: they cannot use a second core themselves), else 1 (the jobs run in this process);
    an integer as given (0 or less: one per core). Linux only: on macOS a fork after torch's Accelerate/OpenMP
    set-up is not safe, and Windows has no fork; there the jobs run in turn."""
    n = (n_cores if one_thread_cpu else 1) if n_jobs == "auto" else int(n_jobs)
    n = n_cores if n <= 0 else n
    return n if sys.platform.startswith("linux") else 1


def check_jobs(jobs: Sequence[Sequence[str]], check: Callable[[Sequence[str]], Any]) -> tuple[set, dict[int, str], Any]:
    """Build each job's Run without training (``check(job)``: dlx.setup.check, which raises ConfigError for a job
    that cannot run); jobs that differ only in seed are built once. Returns the (device type, threads) pairs
    found, job number -> its error, and the last Run built (None: none was)."""
    from dlx.checks import ConfigError

    shapes, errors, run = set(), {}, None
    for i, first in enumerate(first_of_kind(jobs)):
        if i != first:
            if first in errors:
                errors[i] = errors[first]
            continue
        try:
            run = check(jobs[i])
            shapes.add((run.device.type, run.threads))
        except ConfigError as e:
            errors[i] = str(e)
    return shapes, errors, run


def auto_processes(hydra_context, config: DictConfig, jobs: list[tuple[int, list[str]]], n_cores: int) -> int:
    """n_jobs=auto where the command did not resolve it (``dlx train`` records its preflight's answer as
    hydra.launcher.n_jobs; ``python -m dlx.job -m`` and Hydra's own entry points do not): the same answer, from
    the jobs of a grid; a sweeper that picks as it goes (Optuna) runs its jobs in this process."""
    if not str(config.hydra.sweeper.get("_target_", "")).endswith("BasicSweeper"):
        return processes("auto", None, n_cores)
    from dlx import setup

    if len(jobs) > MAX_CHECKED:  # not known: as the preflight says for a grid it does not check whole
        return processes("auto", None, n_cores)
    try:
        shapes, errors, _ = check_jobs([o for _, o in jobs],
                                    lambda o: setup.check(task_config(compose(hydra_context, config, 0, o))))
    except Exception:  # a job that cannot be built fails on its own when it runs
        shapes, errors = set(), {0: "not built"}
    return processes("auto", not errors and shapes == {("cpu", 1)}, n_cores)


def start(hydra_context, config: DictConfig, job_overrides: Sequence[Sequence[str]], initial_job_idx: int,
          n_jobs: Any, what: Callable[[int, int], str],
          say: bool = True) -> tuple[list[tuple[int, list[str]]], int, int]:
    """What both of dlx's launchers do first: Hydra's globals and logging, the sweep folder, the number of
    processes (at most one per job) and each one's threads, and the launch lines (``what(processes, threads)``
    says how; none when ``say`` is False: a sweeper that prints its own line per trial).
    Returns (jobs as (index, overrides), processes, threads per process)."""
    from hydra.core.utils import configure_log, filter_overrides, setup_globals

    setup_globals()
    configure_log(config.hydra.hydra_logging, config.hydra.verbose)
    Path(str(config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
    jobs = [(initial_job_idx + k, list(o)) for k, o in enumerate(job_overrides)]
    n_cores = cores()
    n = (auto_processes(hydra_context, config, jobs, n_cores) if n_jobs == "auto"
         else processes(n_jobs, None, n_cores))
    n = max(1, min(n, len(jobs)))
    threads = max(1, n_cores // n)
    if not say:
        return jobs, n, threads
    log.info(f"Launching {len(jobs)} jobs {what(n, threads)}")
    for idx, overrides in jobs:
        log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
    return jobs, n, threads
