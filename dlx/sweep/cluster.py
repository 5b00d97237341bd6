"""Packed cluster sweeps: ``hydra.launcher.tasks=N`` on hydra/launcher=slurm or local (submitit), and
hydra/launcher=ray.

A cluster's scheduler starts each task after minutes in its queue, so one task per job (hydra-submitit-launcher's
array) spends most of a class's sweep waiting. Packed, the sweep is N scheduler tasks, and each one pulls the
sweep's jobs from a queue in the sweep folder as its workers free up, not a fixed slice: one slow job does not
idle the others, and a task that starts late (or never) leaves its share to the rest. The queue is the job
folders themselves plus a claim file per job in ``<sweep>/.queue/``: a worker claims job i by an exclusive
``flock`` on ``.queue/i`` (released by the kernel when its process ends, even by SIGKILL), so a job taken by a
task that died is free again at once; the job's own run-folder lock (dlx/runfolder.py) still guarantees that no
two processes ever train one job. Every job runs with resume_sweep=true's rules (dlx/sweep/resume.py): a finished
job is kept, an interrupted one continues exactly from its ``checkpoints/last.pt``, any other starts afresh.

Preemption and time limits: the scheduler's warning signal (SIGUSR2, submitit's checkpoint signal) to a task
stops its running jobs as SIGTERM stops a single run (each finishes its step, writes last.pt and result.json
``interrupted``); then submitit's own handler checkpoints the task (:class:`PackedTask` has the ``checkpoint``
method of ``submitit.helpers.Checkpointable``) and requeues it. The requeued task pulls again: its interrupted
jobs, or any other task's, continue where they stopped. A task killed outright (SIGKILL, a node lost) leaves its
running jobs with their last epoch's last.pt; the other tasks take them over, and what is left when all have ended is
finished by the same command with ``resume_sweep=true``.

Each job keeps its own folder, written exactly as the local launchers write it (jobs.compose and jobs.run:
Hydra's ``run_job``); the sweep's returns are read from the folders at the end, so dlx compare and the
end-of-sweep summary see no difference.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import math
import os
import pickle
import signal
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict

from dlx import runfolder
from dlx.checks import ConfigError
from dlx.signals import interrupts
from dlx.sweep import jobs as J
from dlx.sweep.resume import resumable
from dlx.sweep.summary import prefetch_summary

QUEUE = ".queue"  # the claim files, in the sweep folder
log = logging.getLogger(__name__)


# ---- the values a launcher takes (the preflight checks them before anything starts) ---------------------------


def check_tasks(tasks: Any) -> None:
    """hydra.launcher.tasks: null (one scheduler task per job, as hydra-submitit-launcher does) or an integer >= 1."""
    if tasks is not None and (isinstance(tasks, bool) or not isinstance(tasks, int) or tasks < 1):
        raise ConfigError(f"hydra.launcher.tasks={tasks} is wrong; allowed is null (one scheduler task per job) or an "
                          "integer >= 1 (the scheduler tasks the sweep is packed into)")


def check_ray(address: Any, tasks: Any) -> None:
    """hydra/launcher=ray: ray importable, ``address`` null (a local cluster for the sweep), ``auto`` or a
    host:port (``ray://`` too) that answers."""
    import importlib.util
    import socket

    if tasks is not None:
        check_tasks(tasks)
    if importlib.util.find_spec("ray") is None:
        raise ConfigError("hydra/launcher=ray is wrong here: ray is not installed; allowed is an environment with "
                          "pip install 'dlx[ray]', or another launcher (hydra/launcher=parallel)")
    if address is None or address == "auto":
        return
    host, _, port = str(address).removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
    except (OSError, ValueError) as e:
        raise ConfigError(f"hydra.launcher.address={address} is wrong: no Ray cluster answers there "
                          f"({getattr(e, 'strerror', None) or e}); allowed is null (a local Ray cluster for the "
                          "sweep), auto, or the host:port of a running cluster's head (ray start --head)") from None


# ---- the queue ----------------------------------------------------------------------------------------------------


def new_launch(config: DictConfig, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> tuple:
    """In the launching process: the sweep folder and its queue, the jobs as (index, overrides), and this launch's
    id (a job marked done under it is not taken again by this launch's tasks, whatever its status). With
    overwrite=true on a sweep not resumed, the grid's folders are cleared here, under their locks: the tasks run
    every job with resume_sweep=true's rules, which would keep the old runs."""
    from hydra.core.utils import filter_overrides

    sweep = Path(str(config.hydra.sweep.dir))
    (sweep / QUEUE).mkdir(parents=True, exist_ok=True)
    jobs = [(initial_job_idx + k, list(o)) for k, o in enumerate(job_overrides)]
    if config.get(runfolder.OVERWRITE) and not config.get(runfolder.RESUME_SWEEP):
        for idx, _ in jobs:
            if runfolder.run_status(sweep / str(idx)) is not None:
                with runfolder.lock(sweep / str(idx)):
                    runfolder.clear_run(sweep / str(idx))
    for idx, overrides in jobs:
        log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
    return sweep, jobs, uuid.uuid4().hex


@contextlib.contextmanager
def claim(sweep: Path, idx: int) -> Iterator[Callable[[str], None] | None]:
    """Try to take job ``idx``: while this process holds its claim (an exclusive flock on .queue/idx), a function
    that marks the job done under a launch id (written into the claim file itself: replacing the file would
    hand a new, unlocked one to the next process); None when another process holds it."""
    f = runfolder.open_lock(sweep / QUEUE / str(idx))
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return

        def mark(launch: str) -> None:
            f.seek(0)
            f.truncate()
            f.write(launch)
            f.flush()

        yield mark
    finally:
        f.close()


def done_here(sweep: Path, idx: int, launch: str) -> bool:
    """Job ``idx`` ended (not interrupted) under this launch, or holds a finished run."""
    try:
        if (sweep / QUEUE / str(idx)).read_text().strip() == launch:
            return True
    except OSError:
        pass
    return runfolder.run_status(sweep / str(idx)) in runfolder.FINISHED


def pull(sweep: Path, jobs: list[tuple[int, list[str]]], launch: str, run: Callable[[int, list[str]], None],
         stopped: Callable[[], bool]) -> int:
    """Take the first job no process holds and this launch has not done, run it (``run(idx, overrides)``), mark it
    done, and again, until none is left or ``stopped()``; the jobs run. A job interrupted (run raises) is not
    marked: whoever pulls next continues it."""
    ran, skip = 0, set()
    while not stopped():
        for idx, overrides in jobs:
            if idx in skip or done_here(sweep, idx, launch):
                skip.add(idx)
                continue
            with claim(sweep, idx) as mark:
                if mark is None or done_here(sweep, idx, launch):  # taken, or finished while we looked
                    continue
                run(idx, overrides)
                mark(launch)
                skip.add(idx)
                ran += 1
                break
        else:
            return ran
    return ran


def run_claimed(hydra_context, config: DictConfig, task_function: Callable, idx: int, overrides: list[str],
                where: str) -> None:
    """Job ``idx`` as the basic launcher runs it, with resume_sweep=true's rules; one line says how it starts (the
    task logs then show which task ran what, and that no job started from scratch twice)."""
    sc = J.compose(hydra_context, config, idx, overrides)
    with open_dict(sc):
        sc.resume_sweep = True  # the recorded overrides stay the command's
    run_dir = Path(str(sc.hydra.sweep.dir)) / str(idx)
    again = run_dir.is_dir() and resumable(run_dir, _result(run_dir))
    print(f"dlx: job {idx} on {where}: {'continues from its last.pt' if again else 'starts'}", flush=True)
    J.run(hydra_context, config, task_function, sc)


def _result(run_dir: Path) -> dict | None:
    try:
        return runfolder.read_result(run_dir)
    except runfolder.RunFolderError:
        return None


def returns(sweep: Path, jobs: list[tuple[int, list[str]]], task_name: str, problems: list[str]) -> list:
    """Hydra's JobReturns, read from the job folders (a job may have been run by several tasks in turn). Jobs left
    unfinished (a task killed outright, with nobody left to take its job over) end the command with one line:
    the same command with resume_sweep=true finishes them."""
    from hydra.core.utils import JobReturn, JobStatus

    rets, left = [], []
    for idx, overrides in jobs:
        result = _result(sweep / str(idx)) or {}
        if result.get("status") not in (*runfolder.FINISHED, runfolder.FAILED):
            left.append(idx)
        folder = OmegaConf.create({"hydra": {"runtime": {"output_dir": str(sweep / str(idx))}}})  # as pool.slim
        rets.append(JobReturn(overrides=overrides, hydra_cfg=folder, working_dir=str(sweep / str(idx)),
                              task_name=task_name, status=JobStatus.COMPLETED,
                              _return_value=runfolder.primary(result) if result else math.nan))
    if left:
        shown = ", ".join(map(str, left[:10])) + (" ..." if len(left) > 10 else "")
        print(f"dlx: error: {len(left)} of the sweep's {len(jobs)} jobs did not finish ({shown}): "
              f"{'; '.join(problems) or 'their task ended early'}; the jobs that finished keep their folders: run "
              f"the same command with hydra.sweep.dir={sweep} {runfolder.RESUME_SWEEP}=true to do the rest",
              file=sys.stderr)
        raise SystemExit(1)
    return rets


# ---- one scheduler task ---------------------------------------------------------------------------------------


def task_body(hydra_context, config: DictConfig, task_function: Callable, jobs: list[tuple[int, list[str]]],
              launch: str, where: str, cores: int) -> int:
    """One scheduler task: its workers pull the sweep's jobs until none is left. One worker per core for jobs
    that train on one CPU thread (as hydra/launcher=parallel decides), else the jobs run one at a time in this
    process with every core. Ctrl-C or SIGTERM stop the running jobs with their checkpoints (SystemExit 130)."""
    import torch

    from dlx.sweep import pool

    sweep = Path(str(config.hydra.sweep.dir))
    n = 1 if cores == 1 else max(1, min(J.auto_processes(hydra_context, config, jobs, cores), len(jobs)))
    print(f"dlx: {where}: pulling the sweep's jobs with {n} worker(s), {max(1, cores // n)} thread(s) each",
          flush=True)
    if n == 1:
        torch.set_num_threads(cores)
        fn = functools.partial(task_function, cores=cores, progress=False)
        return pull(sweep, jobs, launch, lambda idx, o: run_claimed(
            hydra_context, config, functools.partial(fn, prefix=f"job {idx}: "), idx, o, where), lambda: False)
    import cloudpickle  # how this task received them (PackedTask)

    ran = pool.run_pool(hydra_context, config, task_function,
                        [(pull_worker, (jobs, launch, f"{where}, worker {k}")) for k in range(n)], n, cores // n,
                        pool.jobs_progress(config, len(jobs), n), None, [[] for _ in range(n)], cloudpickle.dumps)
    return sum(ran)


def pull_worker(jobs: list[tuple[int, list[str]]], launch: str, where: str) -> int:
    """A pool worker's share of a task (dlx/sweep/pool.py's worker side): pull until the queue is empty; a stop
    request ends it after the running job has saved."""
    from dlx.sweep import pool

    hydra_context, config = pool.context()
    sweep = Path(str(config.hydra.sweep.dir))

    def run(idx: int, overrides: list[str]) -> None:
        pool.guarded(lambda: run_claimed(hydra_context, config, pool.task(f"job {idx}: "), idx, overrides, where))

    return pull(sweep, jobs, launch, run, pool.stop_requested)


class PackedTask:
    """What submitit runs as one scheduler task (pickled with the sweep's config and task function). On the
    scheduler's warning signal the running jobs stop with their checkpoints, and then submitit's own handler
    (time-out counting, the requeue: ``scontrol requeue``, or the local executor's restart) calls
    :meth:`checkpoint`, which resubmits this task as it was given: it pulls again."""

    def __init__(self, hydra_context, config: DictConfig, task_function: Callable) -> None:
        import cloudpickle  # submitit's own pickler

        # Pickled apart, so that the task imports what its jobs need first, with the garbage collector paused
        # (dlx/sweep/preload.py), and only then the task function's modules: unpickling them imports torch
        # with the collector on, ~30% more CPU in each task.
        self.payload = cloudpickle.dumps((hydra_context, config, task_function))

    def __call__(self, jobs: list[tuple[int, list[str]]], launch: str, k: int, singleton_state: dict,
                 cpus: int | None) -> int:
        from hydra.core.singleton import Singleton
        from hydra.core.utils import setup_globals

        import dlx.sweep.preload  # noqa: F401  (what every job imports, once, then frozen: no gc passes over it)

        hydra_context, config, task_function = pickle.loads(self.payload)
        Singleton.set_state(singleton_state)
        setup_globals()
        # the scheduler's warning signal: submitit's documented SUBMITIT_PREEMPT_SIGNAL, USR2 by default
        sig = getattr(signal, "SIG" + os.environ.get("SUBMITIT_PREEMPT_SIGNAL", "USR2"))
        requeue = signal.getsignal(sig)  # submitit's handler: checkpoint (self.checkpoint), requeue, exit
        preempted = []

        def on_warning(signum, frame) -> None:  # the jobs stop as on SIGTERM; the requeue waits for their last.pt
            preempted.append(signum)  # first: the SIGTERM's handler may raise KeyboardInterrupt right here
            if len(preempted) == 1:
                print(f"dlx: task {k}: {signal.Signals(signum).name}: stopping the running jobs (each saves its "
                      "last.pt); the task is requeued", file=sys.stderr, flush=True)
                os.kill(os.getpid(), signal.SIGTERM)

        signal.signal(sig, on_warning)
        cores = min(J.cores(), cpus) if cpus else J.cores()
        try:
            with term_stops_task():
                return task_body(hydra_context, config, task_function, jobs, launch, f"task {k}", cores)
        except (SystemExit, KeyboardInterrupt):
            if preempted and callable(requeue):
                requeue(preempted[0], None)  # exits (requeued) or raises submitit's "not requeued" error
            raise

    def checkpoint(self, *args: Any, **kwargs: Any):
        import submitit

        return submitit.helpers.DelayedSubmission(self, *args, **kwargs)


@contextlib.contextmanager
def term_stops_task() -> Iterator[None]:
    """SIGTERM between two jobs of a task run in its own process stops the task (submitit's task ignores it, and a
    job's own handler holds it only while the job runs)."""
    from dlx.signals import term_as_interrupt

    old = signal.signal(signal.SIGTERM, term_as_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


# ---- the engines: submitit (SLURM, local) and Ray -------------------------------------------------------------


def launch_submitit(hydra_context, config: DictConfig, task_function: Callable, job_overrides, initial_job_idx: int,
                    executor, tasks: int, cpus: int | None) -> list:
    """``tasks`` scheduler tasks (one array through ``executor``, submitit's executor with the launcher's
    parameters), each pulling the sweep's jobs; Hydra's returns once all have ended."""
    from hydra.core.singleton import Singleton

    sweep, jobs, launch = new_launch(config, job_overrides, initial_job_idx)
    tasks = min(tasks, len(jobs))
    log.info(f"Packing {len(jobs)} jobs into {tasks} scheduler task(s); their logs: "
             f"{config.hydra.launcher.submitit_folder}")
    state = Singleton.get_state()
    array = executor.map_array(PackedTask(hydra_context, config, task_function), *zip(
        *[(jobs, launch, k, state, cpus) for k in range(tasks)]))
    prefetch_summary(config)  # this process only waits now
    problems = []
    with interrupts():
        for k, job in enumerate(array):
            try:
                job.results()
            except Exception as e:  # a task that died (SIGKILL, a lost node): its jobs were free for the others
                problems.append(f"task {k} ({job.job_id}) ended early: {str(e).strip().splitlines()[0][:200]}")
                print(f"dlx: {problems[-1]}", file=sys.stderr, flush=True)
    return returns(sweep, jobs, str(config.hydra.job.name), problems)


def ray_task(hydra_context, config: DictConfig, task_function: Callable, jobs: list[tuple[int, list[str]]],
             launch: str, k: int, singleton_state: dict) -> int:
    """One Ray task: a puller with one core (Ray reserves one CPU for it), in the Ray worker process."""
    from hydra.core.singleton import Singleton
    from hydra.core.utils import setup_globals

    Singleton.set_state(singleton_state)
    setup_globals()
    with term_stops_task():
        return task_body(hydra_context, config, task_function, jobs, launch, f"ray task {k}", 1)


def launch_ray(hydra_context, config: DictConfig, task_function: Callable, job_overrides, initial_job_idx: int,
               address: str | None, tasks: int | None, num_cpus: int | None) -> list:
    """hydra/launcher=ray: ``tasks`` Ray tasks (default: one per CPU of the cluster), each pulling the sweep's
    jobs. Ray's own retry (a worker or node lost) starts a task again, which pulls again; no task waits for a
    batch. ``address``: null starts a local cluster for the sweep (``num_cpus`` CPUs, default all), else
    ray.init's address of a running one."""
    import ray
    from hydra.core.singleton import Singleton

    sweep, jobs, launch = new_launch(config, job_overrides, initial_job_idx)
    refs: list = []
    try:
        ray.init(address=address, num_cpus=num_cpus if address is None else None, include_dashboard=False,
                 log_to_driver=True, logging_level=logging.WARNING)
    except ConnectionError as e:
        print(f"dlx: error: hydra.launcher.address={address} is wrong: {e}; allowed is null (a local Ray cluster) "
              "or the address of a running cluster's head", file=sys.stderr)
        raise SystemExit(2) from None
    try:
        n = min(tasks or int(ray.cluster_resources().get("CPU", 1)), len(jobs))
        log.info(f"Packing {len(jobs)} jobs into {n} Ray task(s) on {ray.get_runtime_context().gcs_address}")
        remote = ray.remote(num_cpus=1, max_retries=3)(ray_task)
        state = Singleton.get_state()
        with interrupts():
            refs = [remote.remote(hydra_context, config, task_function, jobs, launch, k, state) for k in range(n)]
            prefetch_summary(config)
            problems, pending = [], list(refs)
            while pending:  # as each ends: no task waits for another
                ready, pending = ray.wait(pending, num_returns=1)
                try:
                    ray.get(ready[0])
                except ray.exceptions.RayError as e:
                    problems.append(f"Ray task {refs.index(ready[0])} ended early: "
                                    f"{str(e).strip().splitlines()[0][:200]}")
                    print(f"dlx: {problems[-1]}", file=sys.stderr, flush=True)
        return returns(sweep, jobs, str(config.hydra.job.name), problems)
    except KeyboardInterrupt:
        for ref in refs:  # Ray raises KeyboardInterrupt in each task: the running jobs save and stop
            ray.cancel(ref)
        ray.wait(refs, num_returns=len(refs), timeout=120)
        raise SystemExit(130) from None
    finally:
        ray.shutdown()
