"""``hydra/launcher=parallel``: the jobs of a sweep in ``n_jobs`` processes on this machine, started cheaply.

joblib's workers (hydra-joblib-launcher) are fresh interpreters: each imports torch, Hydra and dlx again (about
3 s of CPU), which on small jobs ate the whole gain of a second process. Here the workers are forked from a
server process (multiprocessing's ``forkserver``) that imported ``dlx.train`` once, before any tensor
arithmetic, so a worker starts in milliseconds and OpenMP is never forked mid-use (a fork after torch has run
a parallel CPU kernel can hang in the child). ``dlx train -m`` starts the server before its own imports, so both
import on separate cores, and kills it when the preflight finds the jobs will run in turn. The
standard library's pool is used as is; what is dlx's here is the preloading and the worker set-up, which joblib
does not offer.

Each job runs exactly as the basic launcher runs it (Hydra's ``run_job``: its folder, ``.hydra/`` files, logging,
callbacks), composed in its worker. Each worker gets cores / n_jobs intra-op threads, which is what
``trainer.threads=auto`` then uses for a large model; a small one trains on one thread under every launcher, so
the numbers match the basic launcher's. Workers print their lines prefixed with the job number and show no
live progress bar (two bars would overwrite each other). Ctrl-C reaches every worker: each running job saves a
checkpoint and stops as a single run does, jobs not yet started are dropped, and the command exits 130.
"""

import contextlib
import importlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict

log = logging.getLogger(__name__)


@dataclass
class PoolLauncherConf:
    _target_: str = "hydra_plugins.dlx_pool.launcher.PoolLauncher"
    n_jobs: Any = "auto"  # jobs at once: auto, or an integer (0 or less: one per core)


ConfigStore.instance().store(group="hydra/launcher", name="dlx_pool", node=PoolLauncherConf, provider="dlx")

PRELOAD = ["dlx.preload"]  # imported once in the fork server: torch, Hydra, the loop


def cores() -> int:
    """The CPUs this process may use (a cgroup or a SLURM allocation's affinity, not the whole node)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def processes(n_jobs: Any, one_thread_cpu_sweep: bool | None, n_cores: int) -> int:
    """How many worker processes: n_jobs=auto gives one per core when the preflight found every job of the grid
    on the CPU with one thread (small models: they cannot use a second core themselves), else 1 (the jobs run in
    this process); an integer as given (0 or less: one per core). Linux only: on macOS a fork after torch's
    Accelerate/OpenMP set-up is not safe, and Windows has no fork; there the jobs run in turn."""
    n = (n_cores if one_thread_cpu_sweep else 1) if n_jobs == "auto" else int(n_jobs)
    n = n_cores if n <= 0 else n
    return n if sys.platform.startswith("linux") else 1


class PoolLauncher(Launcher):
    def __init__(self, n_jobs: Any = "auto") -> None:
        self.n_jobs = n_jobs
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        setup_globals()
        assert self.config is not None and self.hydra_context is not None and self.task_function is not None
        from dlx import preflight  # the CLI's preflight checked n_jobs and counted each job's threads

        n_cores = cores()
        n = max(1, min(processes(self.n_jobs, preflight.one_thread_cpu_sweep, n_cores), len(job_overrides)))
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        jobs = [(initial_job_idx + k, list(o)) for k, o in enumerate(job_overrides)]
        threads = max(1, n_cores // n)
        log.info(f"Launching {len(jobs)} jobs in {n} processes ({threads} thread(s) each)" if n > 1 else
                 f"Launching {len(jobs)} jobs locally, one after another")
        for idx, overrides in jobs:
            log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
        if n == 1:  # Hydra's basic launcher: in this process, with the live progress bar
            return [self.run_here(idx, overrides) for idx, overrides in jobs]
        return run_pool(self.hydra_context, self.config, self.task_function,
                        [(_run, (idx, overrides)) for idx, overrides in jobs], n, threads)

    def run_here(self, idx: int, overrides: list[str]) -> JobReturn:
        sc = self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
        with open_dict(sc):
            sc.hydra.job.id = idx
            sc.hydra.job.num = idx
        HydraConfig.instance().set_config(sc)
        ret = run_job(hydra_context=self.hydra_context, task_function=self.task_function, config=sc,
                      job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        return ret


def run_pool(hydra_context: HydraContext, config: DictConfig, task_function: TaskFunction,
             tasks: list[tuple[Callable, tuple]], n: int, threads: int) -> list:
    """Run ``tasks`` (a module-level function of the worker side, e.g. :func:`_run`, and its arguments) in ``n``
    workers forked from the server, ``threads`` intra-op threads each; their results in order. Ctrl-C, SIGTERM
    and a dead worker are handled as the module's docstring says. hydra/launcher=batched runs its stacks here."""
    ctx = start_server()
    task = (task_function.__module__, task_function.__qualname__)  # by name: see _init_worker
    # OmegaConf's resolvers are closures, which do not pickle: the worker has Hydra's (setup_globals) and dlx's
    # (registered when dlx.train is imported); only the singletons' instances travel.
    stop = ctx.Event()  # set by the first Ctrl-C anywhere: no worker starts another job
    state = (hydra_context, config, task, Singleton.get_state()["instances"], threads, stop)
    pool = ProcessPoolExecutor(n, mp_context=ctx, initializer=_init_worker, initargs=state)
    old_term = signal.signal(signal.SIGTERM, _term_as_interrupt)  # kill/timeout/a scheduler: as Ctrl-C
    try:
        futures = [pool.submit(fn, *args) for fn, args in tasks]
        from dlx.sweep import prefetch_summary

        prefetch_summary(config)  # this process only waits now
        rets = [f.result() for f in futures]
    except (KeyboardInterrupt, SystemExit) as e:
        # Ctrl-C reached every worker too (SIGTERM is passed on): running jobs save a checkpoint and return;
        # no worker starts another job. Wait for them; a second Ctrl-C stops the waiting.
        stop.set()
        for pid in list(getattr(pool, "_processes", {}) or {}):
            with contextlib.suppress(OSError):
                if isinstance(e, SystemExit) or _got_sigterm:
                    os.kill(pid, signal.SIGTERM)
        with contextlib.suppress(KeyboardInterrupt):
            pool.shutdown(wait=True, cancel_futures=True)
        raise SystemExit(130) from None
    except BrokenProcessPool:  # a worker died (the OOM killer, kill -9, or a failure while it started)
        pool.shutdown(wait=False, cancel_futures=True)
        print("dlx: error: a worker process of the sweep died (killed, out of memory, or failed "
              "to start: see the lines above); the jobs that finished keep their folders: re-run with "
              "resume_sweep=true to do the rest", file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        signal.signal(signal.SIGTERM, old_term)
    pool.shutdown(wait=True)
    return rets


def start_server():
    """The fork server with dlx.preload imported (started once per process; later calls return at once)."""
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()
    return ctx


def stop_server() -> None:
    """Stop a fork server this process started and will not use (the preflight found jobs to run in turn)."""
    from multiprocessing import forkserver

    server = forkserver._forkserver
    pid = getattr(server, "_forkserver_pid", None)
    if pid:  # killed, not asked: it may still be importing, and nobody should wait for that
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    stop = getattr(server, "_stop", None)  # the standard library's own (used by its tests): closes and reaps
    if stop is not None:
        stop()


# ---- the worker side -------------------------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(hydra_context: HydraContext, config: DictConfig, task: tuple[str, str],
                 instances: dict, threads: int, stop) -> None:
    """Once per worker: Hydra's global state as the parent has it, the thread share, quiet output. The task
    function comes by name: the module attribute is @hydra.main's wrapper, the function it wraps is the task."""
    import torch
    from omegaconf.basecontainer import BaseContainer

    from dlx import setup, track

    signal.signal(signal.SIGINT, _on_sigint)
    sys.stdout.reconfigure(line_buffering=True)  # a worker's lines reach a pipe in order, not in 8 KiB blocks
    threading.Thread(target=_watch_parent, daemon=True).start()
    setup_globals()
    Singleton.set_state({"instances": instances, "omegaconf_resolvers": BaseContainer._resolvers})
    torch.set_num_threads(threads)
    setup.CORES = threads  # trainer.threads=auto's "all of this process's cores"
    track.LIVE = False
    fn = getattr(importlib.import_module(task[0]), task[1])
    _worker.update(hydra_context=hydra_context, config=config, task_function=getattr(fn, "__wrapped__", fn),
                   stop=stop)


def _on_sigint(signum, frame) -> None:
    """Ctrl-C reaches every process of the terminal's group. An idle worker leaves it to the parent (which
    drops the jobs not started); a job being set up stops at once, as a single run does (the training loop
    installs dlx's own handler: finish the step, save, stop). Only a flag here: a lock taken in a signal handler
    can deadlock with the same thread holding it."""
    _worker["interrupted"] = True
    if _worker.get("busy"):
        raise KeyboardInterrupt


def _watch_parent() -> None:
    """The parent died (SIGKILL, or SIGTERM before it could pass it on): stop this worker's job as a SIGTERM
    does (a checkpoint, then stop), then end the worker, which nobody will give another job."""
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:
        return
    wait([parent.sentinel])
    _worker["interrupted"] = True
    if _worker.get("busy"):
        os.kill(os.getpid(), signal.SIGTERM)  # the loop's handler saves and stops the job
        while _worker.get("busy"):
            time.sleep(0.1)
    os._exit(1)


_got_sigterm = False


def _term_as_interrupt(signum, frame) -> None:
    global _got_sigterm
    _got_sigterm = True
    raise KeyboardInterrupt


def _run(idx: int, overrides: list[str]) -> JobReturn:
    return guarded(lambda: _slim(_job(idx, overrides)))


def guarded(work: Callable[[], Any]) -> Any:
    """A task of the worker: not started after a Ctrl-C (its jobs are left for resume_sweep=true); one that is
    interrupted stops the sweep."""
    if _worker.get("interrupted") or _worker["stop"].is_set():
        raise SystemExit(130)
    _worker["busy"] = True
    try:
        return work()
    except (SystemExit, KeyboardInterrupt):  # this job was interrupted: so is the sweep
        _worker["stop"].set()
        raise
    finally:
        _worker["busy"] = False


def _job(idx: int, overrides: list[str]) -> JobReturn:
    """One job as Hydra's basic launcher runs it, composed here."""
    from dlx import track

    hydra_context, config = _worker["hydra_context"], _worker["config"]
    sc = hydra_context.config_loader.load_sweep_config(config, overrides)
    with open_dict(sc):
        sc.hydra.job.id = idx  # as the basic launcher (and run_here) set them
        sc.hydra.job.num = idx
    HydraConfig.instance().set_config(sc)
    track.PREFIX = f"job {idx}: "
    return run_job(hydra_context=hydra_context, task_function=_worker["task_function"], config=sc,
                   job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")


def _slim(ret: JobReturn) -> JobReturn:
    # What goes back to the parent: the number, the status and where. The configs stay here: they hold
    # structured-config classes that Hydra's plugin scan loaded outside sys.modules, which do not pickle, and no
    # sweeper reads them (the basic sweeper checks return_value, dlx's optuna sweeper reads the run folders).
    value = ret._return_value
    if isinstance(value, BaseException):  # not every exception pickles
        value = RuntimeError(f"{type(value).__name__}: {value}")
    return JobReturn(overrides=ret.overrides, cfg=None, hydra_cfg=None, working_dir=ret.working_dir,
                     task_name=ret.task_name, status=ret.status, _return_value=value)
