"""``hydra/launcher=batched``: Hydra's basic launcher, except that jobs differing only in ``seed`` train together.

The jobs of a sweep are grouped by their overrides without an integer ``seed`` (jobs.seed_free), and a group is kept
together when two of its composed configs differ only in seed (jobs.same_but_seed) and stack.refusal finds nothing
against it. A group that passes one probe step under vmap is prepared job by job through Hydra's ``run_job`` (so
each job's folder, ``.hydra/`` files, logging and callbacks are the basic launcher's) with a task function that
builds the job's Run instead of training it, then trained as one stack (stack.py), and each job's JobReturn gets
its number as dlx.job.task would return it. Every other job runs through the normal task function, after one line
saying which and why.

With ``n_jobs`` processes (auto: one per core when every job is a one-thread CPU job, as hydra/launcher=parallel
decides) the groups are cut into one stack per process and run in the parallel launcher's pool (pool.run_pool): on
a CPU stacking saves no arithmetic, and the second core is what a stack of small models can gain. Each worker
composes its own jobs.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from dlx.sweep import jobs as J
from dlx.sweep import pool

ALONE = "no other job of this sweep differs from it only in seed"


def say(line: str) -> None:
    print(f"dlx: batched launcher: {line}", flush=True)


def jobs_text(nums: list[int]) -> str:
    return f"job {nums[0]}" if len(nums) == 1 else "jobs " + ", ".join(map(str, nums))


def launch(hydra_context, config: DictConfig, task_function: Callable, job_overrides: Sequence[Sequence[str]],
           initial_job_idx: int, n_jobs: Any, max_members: int, progress: Any = None) -> list:
    """``progress``: as pool.launch's."""
    jobs, n, threads = J.start(hydra_context, config, job_overrides, initial_job_idx, n_jobs,
                               lambda n, _: (f"in {n} processes, " if n > 1 else "locally, ") +
                               "jobs that differ only in seed as one stacked model" + (" in each" if n > 1 else ""),
                               say=progress is None)
    shown = progress or pool.jobs_progress(config, len(jobs), n)
    tally = None if progress else shown  # a sweeper's progress counts trials, not jobs
    batch = Batch(hydra_context, config, pool.in_process(task_function, shown), max_members,
                  progress=False if shown.live_on else None)
    groups = batch.seed_groups(jobs)
    rets: dict[int, Any] = {}
    with contextlib.nullcontext() if progress else shown:
        if n == 1:
            for g in groups:
                nums = [idx for idx, _ in g]
                if len(g) == 1:  # seed_groups said why it runs alone
                    idx, overrides = g[0]
                    sc = J.compose(hydra_context, config, idx, overrides)
                    run = functools.partial(J.run, hydra_context, config, batch.task_function, sc)
                    rets[idx] = pool.run_counted(tally, nums, run)
                else:
                    group = [batch.compose(idx, overrides) for idx, overrides in g]
                    with shown.jobs_output():
                        rets.update(zip(nums, pool.run_counted(tally, nums, functools.partial(batch.run_list, group))))
            return [rets[i] for i in sorted(rets)]
        parts = chunks(groups, n)
        tasks = [(pool.run_one, tuple(c[0])) if len(c) == 1 else (run_stack, (c,)) for c in parts]
        ids = [[idx for idx, _ in part] for part in parts]
        for part, ret in zip(parts, pool.run_pool(hydra_context, config, task_function, tasks, n, threads, shown,
                                                  tally, ids)):
            rets.update(zip([idx for idx, _ in part], ret if isinstance(ret, list) else [ret]))
    return [rets[i] for i in sorted(rets)]


def chunks(groups: list[list], n: int) -> list[list]:
    """With ``n`` processes: each group cut into stacks of nearly equal size, two members at least, so that there
    are ``n`` where the groups allow (on a CPU stacking saves no arithmetic, a second core halves the time); a job
    that is not stacked is a task of its own."""
    stackable = [g for g in groups if len(g) > 1]
    parts = max(1, math.ceil(n / max(len(stackable), 1)))
    out = []
    for g in groups:
        k = max(1, min(parts, len(g) // 2))  # stacks of two members at least
        cuts = [round(i * len(g) / k) for i in range(k + 1)]
        out.extend(g[a:b] for a, b in zip(cuts, cuts[1:]))
    return out


@dataclass
class Batch:
    """One process's part of a batched sweep: Hydra's context and config, the task function for the jobs that run
    on their own, and how this process's jobs print (``cores``, ``progress``, ``prefix``: as dlx.train.run)."""

    hydra_context: Any
    config: DictConfig
    task_function: Callable
    max_members: int = 0  # most jobs in one stack; 0: no limit
    cores: int | None = None
    progress: bool | None = None
    prefix: str = ""

    def compose(self, idx: int, overrides: list[str]) -> tuple[int, DictConfig, dict | None]:
        """One job's config as the basic launcher composes it, and its resolved container (None where it does
        not resolve)."""
        sc = J.compose(self.hydra_context, self.config, idx, overrides)
        return idx, sc, J.container(sc)

    def seed_groups(self, jobs: list[tuple[int, list[str]]]) -> list[list[tuple[int, list[str]]]]:
        """The jobs in groups that may train as one stack (at most max_members each), in job order: jobs that
        differ only in an integer seed, kept together when the first two composed configs differ only in seed and
        stack.refusal finds nothing; every other job a group of its own, after a line saying why."""
        from dlx.sweep import stack

        by_rest: dict[tuple, list] = {}
        for idx, overrides in jobs:
            by_rest.setdefault(J.seed_free(overrides) or (idx,), []).append((idx, overrides))
        out = []
        for g in by_rest.values():
            nums = [idx for idx, _ in g]
            if len(g) == 1:
                say(f"job {nums[0]} runs, not stacked: {ALONE}")
                out.append(g)
                continue
            a, b = (self.compose(idx, overrides)[2] for idx, overrides in g[:2])
            why = ("its config does not resolve" if a is None or b is None else stack.refusal(a) or
                   (None if J.same_but_seed(a, b) else "their configs differ in more than seed"))
            if why:
                say(f"{jobs_text(nums)} run each on its own, not stacked: {why}")
                out.extend([job] for job in g)
                continue
            size = self.max_members if self.max_members > 0 else len(g)
            out.extend(g[i:i + size] for i in range(0, len(g), size))
        return sorted(out, key=lambda g: g[0][0])

    def run_group(self, group: list) -> dict[int, Any]:
        """One group of composed jobs in this process: as one stack, or one after another with a line why."""
        nums = [idx for idx, _, _ in group]
        why = ALONE if len(group) == 1 else self.refusal(group[0][2], group[0][1])
        if not why:
            say(f"{jobs_text(nums)} train together as one stacked model of {len(group)}")
            return self.launch_stacked(group)
        say(f"{jobs_text(nums)} {'runs' if len(nums) == 1 else 'run each on its own'}, not stacked: {why}")
        return {idx: J.run(self.hydra_context, self.config, self.task_function, sc) for idx, sc, _ in group}

    def run_list(self, group: list) -> list:
        """:meth:`run_group`'s JobReturns in the group's order."""
        rets = self.run_group(group)
        return [rets[idx] for idx, _, _ in group]

    def refusal(self, c: dict, sc: DictConfig) -> str | None:
        from dlx import setup
        from dlx.sweep import stack

        why = stack.refusal(c)
        if why:
            return why
        try:
            run = setup.build(J.task_config(sc), cores=self.cores)
        except Exception as e:  # the normal task function reports it, job by job
            return f"its setup fails ({type(e).__name__}: {str(e).strip().splitlines()[0][:160]})"
        why = stack.probe(run)
        return f"vmap cannot run this model ({why})" if why else None

    def launch_stacked(self, group: list) -> dict[int, Any]:
        from dlx import train as T
        from dlx.runfolder import primary
        from dlx.sweep import stack
        from dlx.sweep.summary import prefetch_summary
        from dlx.track import error_line

        rets, members, later = {}, [], []
        for idx, sc, _ in group:  # folders, .hydra/, logging and callbacks as the basic launcher makes them
            rets[idx] = ret = J.run(self.hydra_context, self.config, functools.partial(prepare, cores=self.cores), sc)
            value = ret.return_value
            if isinstance(value, stack.Member):
                value.name = f"job {idx}: "
                members.append((idx, value))
            elif isinstance(value, str):
                later.append((idx, sc, value))
        interrupted = False
        t0 = time.time()
        try:
            if len(members) > 1:
                # the summary's imports run while the stack's steps run in torch's threads, outside the GIL (not
                # during the members' start, which is Python and would wait for the GIL); not in a worker of the
                # pool, whose parent runs the summary
                started = None if pool.in_worker() else (lambda: prefetch_summary(self.config))
                stack.train_group([m for _, m in members], started, self.cores, self.progress, self.prefix)
            elif members:  # the others were kept or failed: the one left trains as the loop trains it
                m = members[0][1]
                m.result = T.train(m.run, m.run_dir, self.progress, self.prefix)
        except KeyboardInterrupt:
            interrupted = True
        except Exception as e:
            for idx, m in members:
                if m.result is None:
                    msg = T.record_failure(m.run_dir, m.extra["cfg"], m.extra["overrides"], e, time.time() - t0)
                    error_line(f"job {idx} failed: {msg} (traceback in {m.run_dir / T.ERROR_LOG})")
        finally:
            for _, m in members:
                m.extra["lock"].close()
        for idx, m in members:
            rets[idx].return_value = primary(m.result or {})
        if interrupted:
            raise SystemExit(130)
        for idx, sc, why in later:
            say(f"job {idx} runs on its own, not stacked: {why}")
            rets[idx] = J.run(self.hydra_context, self.config, self.task_function, sc)
        return rets


def prepare(cfg: DictConfig, cores: int | None = None) -> Any:
    """The task function of a stacked job: dlx.job.task up to the training itself. Returns the job's stack.Member
    (its folder locked, its Run built); the number the task would return for a job that needs no training (kept
    by resume_sweep) or that failed to set up (result.json says why); or, as a string, why the job must run on its
    own (an interrupted job of a resumed sweep continues from its checkpoint)."""
    from hydra.core.hydra_config import HydraConfig

    from dlx import runfolder, setup
    from dlx import train as T
    from dlx.runfolder import lock as locked
    from dlx.runfolder import primary, write_result
    from dlx.setup import USER_ERRORS
    from dlx.sweep import stack
    from dlx.sweep.resume import SweepMismatch, resume_point
    from dlx.track import error_line

    hc = HydraConfig.get()
    run_dir, overrides = Path(hc.runtime.output_dir), list(hc.overrides.task)
    lock, t0 = contextlib.ExitStack(), time.time()
    try:
        # first: nothing is written into the folder before (a folder that holds a run: not even the lock's pid)
        check = None if cfg.resume_sweep else (lambda: runfolder.check_folder(run_dir, cfg, multirun=True))
        lock.enter_context(locked(run_dir, check))
        if cfg.resume_sweep:
            kept, resume = resume_point(run_dir, overrides, hc.job.num)
            if kept is not None or resume is not None:
                lock.close()
                return primary(kept) if kept is not None else "it continues from its checkpoints/last.pt"
            runfolder.write_hydra_files(run_dir, cfg, HydraConfig.instance().cfg)
        else:
            runfolder.start_folder(run_dir, cfg, HydraConfig.instance().cfg)
        run = setup.build(cfg, overrides, None, run_dir, cores=cores)
        return stack.Member(run, run_dir, extra={"lock": lock, "cfg": cfg, "overrides": overrides})
    except (SweepMismatch, runfolder.FolderInUse, runfolder.FolderHoldsRun) as e:  # nothing of the job written
        lock.close()
        error_line(str(e))
        return float("nan")
    except USER_ERRORS as e:
        lock.close()
        error_line(str(e))
        write_result(run_dir, T.failed_result(cfg, overrides, str(e), time.time() - t0))
        return float("nan")
    except Exception as e:
        msg = T.record_failure(run_dir, cfg, overrides, e, time.time() - t0)
        lock.close()
        error_line(f"job {hc.job.num} failed: {msg} (traceback in {run_dir / T.ERROR_LOG})")
        return float("nan")


def run_stack(jobs: list[tuple[int, list[str]]]) -> list:
    """A worker of the pool: these jobs, composed here, as one stack (or each on its own, with the line why, when
    the probe step finds that vmap cannot run the model)."""
    def work() -> list:
        prefix = f"{jobs_text([idx for idx, _ in jobs])}: "
        hydra_context, config = pool.context()
        me = Batch(hydra_context, config, pool.task(prefix), cores=pool.worker_cores(), progress=False, prefix=prefix)
        rets = me.run_group([me.compose(idx, overrides) for idx, overrides in jobs])
        return [pool.slim(rets[idx]) for idx, _ in jobs]

    return pool.guarded(work)
