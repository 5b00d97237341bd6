"""``hydra/launcher=parallel``: the jobs of a sweep in ``n_jobs`` processes on this machine, started cheaply.

joblib's workers (hydra-joblib-launcher) are fresh interpreters: each imports torch, Hydra and dlx again (about
3 s of CPU), which on small jobs ate the whole gain of a second process. Here the workers are forked from a
server process (multiprocessing's ``forkserver``) that imported dlx/sweep/preload.py once, before any tensor
arithmetic, so a worker starts in milliseconds and OpenMP is never forked mid-use (a fork after torch has run
a parallel CPU kernel can hang in the child). ``dlx train -m`` starts the server before its own imports, so both
import on separate cores, and kills it when the preflight finds the jobs will run in turn. The standard library's
pool is used as is; what is dlx's here is the preloading and the worker set-up, which joblib does not offer.

Each job runs exactly as the basic launcher runs it (jobs.compose and jobs.run: Hydra's ``run_job``), composed in
its worker. Each worker gets cores / n_jobs intra-op threads, which is what ``trainer.threads=auto`` then uses for
a large model; a small one trains on one thread under every launcher, so the numbers match the basic launcher's.
Workers print their lines prefixed with the job number and show no live progress bar (two bars would overwrite
each other). Ctrl-C or SIGTERM, to this process or its whole group (a terminal, SLURM's preemption, scancel),
reaches every worker: each running job saves a checkpoint and stops as a single run does, jobs not yet started
are dropped, and the command exits 130 once every worker has saved.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf

from dlx.signals import restore, unwinding
from dlx.sweep import jobs as J

if TYPE_CHECKING:  # imported where used: `dlx train -m` imports this module before it starts the server
    from dlx.sweep.progress import SweepProgress

PRELOAD = ["dlx.sweep.preload"]  # imported once in the fork server: torch, Hydra, the loop


def launch(hydra_context, config: DictConfig, task_function: Callable, job_overrides: Sequence[Sequence[str]],
           initial_job_idx: int, n_jobs: Any, progress: SweepProgress | None = None) -> list:
    """hydra/launcher=parallel's launch: in this process one after another (as Hydra's basic launcher) or in ``n``
    workers, with the sweep's progress (dlx/sweep/progress.py). ``progress``: a sweeper's own (it counts its
    trials and prints their lines; the jobs print nothing); None: this launch shows its jobs'."""
    jobs, n, threads = J.start(hydra_context, config, job_overrides, initial_job_idx, n_jobs,
                               lambda n, threads: f"in {n} processes ({threads} thread(s) each)" if n > 1
                               else "locally, one after another", say=progress is None)
    shown = progress or jobs_progress(config, len(jobs), n)
    tally = None if progress else shown  # a sweeper's progress counts trials, not jobs
    with contextlib.nullcontext() if progress else shown:
        if n == 1:
            task = in_process(task_function, shown)
            run = lambda idx, overrides: J.run(hydra_context, config, task,  # noqa: E731
                                               J.compose(hydra_context, config, idx, overrides))
            return [run_counted(tally, [idx], functools.partial(run, idx, overrides)) for idx, overrides in jobs]
        tasks = [(run_one, (idx, overrides)) for idx, overrides in jobs]
        return run_pool(hydra_context, config, task_function, tasks, n, threads, shown, tally,
                        [[idx] for idx, _ in jobs])


def jobs_progress(config: DictConfig, total: int, workers: int) -> SweepProgress:
    """The progress of a launch's ``total`` jobs on ``workers`` at once."""
    from dlx.sweep.progress import SweepProgress

    return SweepProgress(total, workers, mode=str((config.get("trainer") or {}).get("mode", "auto")))


def in_process(task_function: Callable, progress: SweepProgress) -> Callable:
    """The task function for a job in this process: its lines as the sweep's progress shows them, no live bar of
    its own under the sweep's live line (a terminal holds one live display)."""
    task = functools.partial(task_function, progress=False) if progress.live_on or progress.quiet else task_function
    return functools.partial(showing, progress, task)


def showing(progress: SweepProgress, task_function: Callable, *args, **kwargs):
    with progress.jobs_output():
        return task_function(*args, **kwargs)


def run_counted(tally: SweepProgress | None, ids: list[int], run: Callable[[], Any]) -> Any:
    """``run()`` the jobs ``ids`` in this process, counted by ``tally`` (None: not counted); its JobReturn or their
    list."""
    if tally is not None:
        tally.started(ids)
    ret = run()
    if tally is not None:
        for idx, r in zip(ids, ret if isinstance(ret, list) else [ret]):
            tally.ended_folder(idx, output_dir(r))
    return ret


def run_pool(hydra_context, config: DictConfig, task_function: Callable, tasks: list[tuple[Callable, tuple]],
             n: int, threads: int, shown: SweepProgress, tally: SweepProgress | None, ids: list[list[int]],
             dumps: Callable[[Any], bytes] = pickle.dumps) -> list:
    """Run ``tasks`` (a module-level function of the worker side, e.g. :func:`run_one`, and its arguments) in ``n``
    workers forked from the server, ``threads`` intra-op threads each; their results in order. Ctrl-C, SIGTERM
    and a dead worker are handled as the module's docstring says. hydra/launcher=batched runs its stacks here.
    ``shown``: where the workers' lines go (dlx/sweep/progress.py); ``tally`` counts the jobs ``ids[i]`` of task i
    as they start and end (None: not counted). ``dumps`` pickles Hydra's context, the config and the task function
    for the workers: a packed cluster task (dlx/sweep/cluster.py) received them through cloudpickle, which rebuilt
    the classes Hydra's plugin scan loaded outside sys.modules by value, and only cloudpickle pickles those again."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    from hydra.core.singleton import Singleton

    from dlx.sweep.summary import prefetch_summary

    ctx = start_server()
    # OmegaConf's resolvers are closures, which do not pickle: the worker has Hydra's (setup_globals) and dlx's
    # (registered when their modules are imported); only the singletons' instances travel.
    stop = ctx.Event()  # set by the first Ctrl-C anywhere: no worker starts another job
    state = dumps((hydra_context, config, task_function, Singleton.get_state()["instances"], threads))
    pool = ProcessPoolExecutor(n, mp_context=ctx, initializer=_init_worker,
                               initargs=(state, stop, shown.relay_path(), shown.quiet))

    # from here this process only waits: Ctrl-C, and kill/timeout/a scheduler's SIGTERM, as KeyboardInterrupt
    old = unwinding()
    try:
        futures = [pool.submit(fn, *args) for fn, args in tasks]
        prefetch_summary(config)  # this process only waits now
        # The pool hands tasks out in order: the first n run, and each one that ends starts the next.
        started = min(n, len(tasks))
        for i in range(started):
            if tally:
                tally.started(ids[i])
        index, pending = {f: i for i, f in enumerate(futures)}, set(futures)
        while pending:
            ended, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in sorted(ended, key=index.get):
                ret = f.result()
                if started < len(tasks):  # the worker took the next task as this one ended
                    if tally:
                        tally.started(ids[started])
                    started += 1
                for idx, r in zip(ids[index[f]], ret if isinstance(ret, list) else [ret]):
                    if tally:
                        tally.ended_folder(idx, output_dir(r))
        rets = [f.result() for f in futures]
    except (KeyboardInterrupt, SystemExit):
        # Every worker is asked to stop with a SIGTERM, whether the request reached them too (Ctrl-C and
        # SIGTERM to the process group) or only this process (kill <pid>): a SIGTERM never means "stop at once"
        # to a job, so a second copy is harmless. Running jobs save a checkpoint and return; no worker starts
        # another job. This process waits for them: a further SIGTERM (a scheduler repeats it) is ignored, a
        # second Ctrl-C stops the waiting.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop.set()
        # The executor has no public list of its workers: it keeps them in _processes (pid -> process), read on
        # CPython 3.11 (the same since 3.7); tests/test_private_apis.py fails when it is gone.
        for pid in list(getattr(pool, "_processes", {}) or {}):
            with contextlib.suppress(OSError):
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
        restore(old)
    pool.shutdown(wait=True)
    return rets


def start_server():
    """The fork server with dlx.sweep.preload imported (started once per process; later calls return at once)."""
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    # The server starts with Ctrl-C and SIGTERM ignored (a disposition a new process inherits, and Python keeps):
    # it shares the terminal's process group, and a signal while it imports would print a traceback and take the
    # workers it has not forked yet with it. Its workers set their own handlers (_init_worker); the server ends
    # when this process does.
    # A scheduler's warning signal (SIGUSR2, sent to every process of a SLURM task) is ignored by the server and
    # its workers for good: the task's own process answers it (dlx/sweep/cluster.py) and passes a SIGTERM on.
    old = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR2)}
    try:
        forkserver.ensure_running()
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    return ctx


def stop_server() -> None:
    """Stop a fork server this process started and will not use (the preflight found jobs to run in turn)."""
    from multiprocessing import forkserver

    # multiprocessing has no public way to stop its fork server: its module-level instance, the pid it keeps and
    # its _stop (what the standard library's own tests call), read on CPython 3.11 (the same since 3.8) and used
    # where they exist; tests/test_private_apis.py fails when they are gone.
    server = forkserver._forkserver
    pid = getattr(server, "_forkserver_pid", None)
    if pid:  # killed, not asked: it may still be importing, and nobody should wait for that
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    stop = getattr(server, "_stop", None)
    if stop is not None:
        stop()


# ---- the worker side -------------------------------------------------------------------------------------------

# The worker process's own state, set once by its initializer (a ProcessPoolExecutor hands an initializer's
# arguments to the worker no other way) and by its signal handlers.
_worker: dict[str, Any] = {}


def in_worker() -> bool:
    return bool(_worker)


def _init_worker(state: bytes, stop, relay_path: str | None, quiet: bool) -> None:
    """Once per worker: Hydra's global state as the parent has it (``state``: run_pool's pickled arguments), the
    thread share, its output (through the parent while its live line holds the terminal; none on stdout for a
    quiet sweep)."""
    import torch
    from hydra.core.singleton import Singleton
    from hydra.core.utils import setup_globals

    hydra_context, config, task_function, instances, threads = pickle.loads(state)

    signal.signal(signal.SIGINT, _on_stop)
    signal.signal(signal.SIGTERM, _on_stop)
    sys.stdout.reconfigure(line_buffering=True)  # a worker's lines reach a pipe in order, not in 8 KiB blocks
    from dlx.sweep.progress import worker_output

    worker_output(relay_path, quiet)
    threading.Thread(target=_watch_parent, daemon=True).start()
    setup_globals()
    Singleton.set_state({**Singleton.get_state(), "instances": instances})  # this worker's resolvers, the parent's rest
    torch.set_num_threads(threads)
    _worker.update(hydra_context=hydra_context, config=config, task_function=task_function, threads=threads,
                   stop=stop)


def task(prefix: str) -> Callable:
    """The task function as a worker runs it: ``cores`` its thread share (trainer.threads=auto's "all of this
    process's cores"), no live progress bar, every console line starting with ``prefix``."""
    return functools.partial(_worker["task_function"], cores=_worker["threads"], progress=False, prefix=prefix)


def worker_cores() -> int:
    """This worker's share of the cores (its intra-op threads)."""
    return _worker["threads"]


def context() -> tuple[Any, DictConfig]:
    """(Hydra's context, the sweep's config) in a worker."""
    return _worker["hydra_context"], _worker["config"]


def _on_stop(signum, frame) -> None:
    """Ctrl-C reaches every process of the terminal's group, and the parent passes a SIGTERM on to every worker.
    An idle worker leaves them to the parent (which drops the jobs not started); a job being set up stops at
    once, as a single run does (the training loop installs dlx's own handler: finish the step, save, stop), on
    the first of them only (the second copy must not strike the job's unwinding). Only flags here otherwise: a
    lock taken in a signal handler can deadlock with the same thread holding it."""
    first = not _worker.get("interrupted")
    _worker["interrupted"] = True
    if _worker.get("busy") and first:
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


def run_one(idx: int, overrides: list[str]):
    """A task of the worker: job ``idx``, composed here, run as Hydra's basic launcher runs it."""
    def work():
        hydra_context, config = context()
        sc = J.compose(hydra_context, config, idx, overrides)
        return slim(J.run(hydra_context, config, task(f"job {idx}: "), sc))

    return guarded(work)


def stop_requested() -> bool:
    """A worker was asked to stop (Ctrl-C, SIGTERM, or another worker's job was interrupted)."""
    return bool(_worker.get("interrupted")) or _worker["stop"].is_set()


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


def output_dir(ret) -> str:
    """A JobReturn's run folder (its working_dir is the process's working folder: Hydra's job.chdir is off)."""
    return str(ret.hydra_cfg.hydra.runtime.output_dir)


def slim(ret):
    """What goes back to the parent: the number, the status and where. The configs stay here: they hold
    structured-config classes that Hydra's plugin scan loaded outside sys.modules, which do not pickle, and no
    sweeper reads them (the basic sweeper checks return_value, dlx's optuna sweeper reads the run folders)."""
    from hydra.core.utils import JobReturn

    # the return_value property writes a line and raises a failed job's exception; the dataclass field (JobReturn's
    # own constructor argument, hydra-core 1.3.x) hands it over as it is
    value = ret._return_value
    if isinstance(value, BaseException):  # not every exception pickles
        value = RuntimeError(f"{type(value).__name__}: {value}")
    # of the hydra node only the job's folder, where the parent reads its result (output_dir)
    folder = OmegaConf.create({"hydra": {"runtime": {"output_dir": output_dir(ret)}}})
    return JobReturn(overrides=ret.overrides, cfg=None, hydra_cfg=folder, working_dir=ret.working_dir,
                     task_name=ret.task_name, status=ret.status, _return_value=value)
