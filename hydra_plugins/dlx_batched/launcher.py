"""``hydra/launcher=batched``: Hydra's basic launcher, except that jobs differing only in ``seed`` train together.

The jobs of a sweep are grouped by their composed config without ``seed``. A group that can be stacked (see
stacked.refusal, then one probe step under vmap) is prepared job by job through Hydra's ``run_job`` (so each
job's folder, ``.hydra/`` files, logging and callbacks are the basic launcher's) with a task function that
builds the job's Run instead of training it, then trained as one stack (stacked.py), and each job's
JobReturn gets its number as dlx.train.main would return it. Every other job runs through the normal task
function, after one line saying which and why.

With ``n_jobs`` processes (auto: one per core when the preflight found every job a one-thread CPU job, as
hydra/launcher=parallel decides) the groups are cut into one stack per process and run in the parallel
launcher's pool (hydra_plugins/dlx_pool.run_pool): on a CPU stacking saves no arithmetic, and the second core
is what a stack of small models can gain. The parent then groups by the command's overrides and composes two
jobs of a group to check that their configs differ only in seed; each worker composes its own jobs."""

import contextlib
import copy
import json
import logging
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

log = logging.getLogger(__name__)


@dataclass
class BatchedLauncherConf:
    _target_: str = "hydra_plugins.dlx_batched.launcher.BatchedLauncher"
    max_members: int = 0  # most jobs in one stack; 0: no limit
    n_jobs: Any = "auto"  # processes: auto (one per core for one-thread CPU jobs, else 1) or an integer


ConfigStore.instance().store(group="hydra/launcher", name="dlx_batched", node=BatchedLauncherConf, provider="dlx")


ALONE = "no other job of this sweep differs from it only in seed"


def say(line: str) -> None:
    print(f"dlx: batched launcher: {line}", flush=True)


def jobs_text(nums: list[int]) -> str:
    return f"job {nums[0]}" if len(nums) == 1 else "jobs " + ", ".join(map(str, nums))


class BatchedLauncher(Launcher):
    def __init__(self, max_members: int = 0, n_jobs: Any = "auto") -> None:
        self.max_members, self.n_jobs = max_members, n_jobs
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    # ---- Hydra's side: one job as the basic launcher runs it --------------------------------------------------

    def _run_job(self, config: DictConfig, task_function: TaskFunction) -> JobReturn:
        ret = run_job(hydra_context=self.hydra_context, task_function=task_function, config=config,
                      job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        return ret

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        setup_globals()
        assert self.config is not None and self.hydra_context is not None and self.task_function is not None
        from dlx import preflight  # the CLI's preflight counted each job's threads
        from hydra_plugins.dlx_pool import launcher as pool

        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        n_cores = pool.cores()
        n = max(1, min(pool.processes(self.n_jobs, preflight.one_thread_cpu_sweep, n_cores), len(job_overrides)))
        log.info(f"Launching {len(job_overrides)} jobs " + (f"in {n} processes, " if n > 1 else "locally, ") +
                 "jobs that differ only in seed as one stacked model" + (" in each" if n > 1 else ""))
        jobs = [(initial_job_idx + k, list(o)) for k, o in enumerate(job_overrides)]
        for idx, overrides in jobs:
            log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
        if n == 1:
            rets: dict[int, JobReturn] = {}
            for group in self.groups([self.compose(idx, overrides) for idx, overrides in jobs]):
                rets.update(self.run_group(group))
            return [rets[i] for i in sorted(rets)]
        chunks = self.chunks(self.seed_groups(jobs), n)
        tasks = [(pool._run, tuple(c[0])) if len(c) == 1 else (_run_stack, (c,)) for c in chunks]
        rets = {}
        for chunk, ret in zip(chunks, pool.run_pool(self.hydra_context, self.config, self.task_function, tasks, n,
                                                    max(1, n_cores // n))):
            rets.update(zip([idx for idx, _ in chunk], ret if isinstance(ret, list) else [ret]))
        return [rets[i] for i in sorted(rets)]

    def seed_groups(self, jobs: list[tuple[int, list[str]]]) -> list[list[tuple[int, list[str]]]]:
        """groups() without composing every job here (the workers compose their own): jobs whose overrides differ
        only in an integer ``seed``, kept together when the first two composed configs differ only in seed (a
        config that reads ${seed} elsewhere, e.g. a data split, would not share one dataset)."""
        by_rest: dict[tuple, list] = {}
        for idx, overrides in jobs:
            plain = all(re.fullmatch(r"-?\d+", o.split("=", 1)[1]) for o in overrides if o.startswith("seed="))
            rest = tuple(o for o in overrides if not (plain and o.startswith("seed="))) if plain else (idx,)
            by_rest.setdefault(rest, []).append((idx, overrides))
        from hydra_plugins.dlx_batched import stacked

        out = []
        for g in by_rest.values():
            nums = [idx for idx, _ in g]
            if len(g) == 1:
                say(f"job {nums[0]} runs, not stacked: {ALONE}")
                out.append(g)
                continue
            a, b = (self.compose(idx, overrides)[2] for idx, overrides in g[:2])
            why = ("its config does not resolve" if a is None or b is None else stacked.refusal(a) or
                   ("their configs differ in more than seed" if {**a, "seed": 0} != {**b, "seed": 0} else None))
            if why:
                say(f"{jobs_text(nums)} run each on its own, not stacked: {why}")
                out.extend([job] for job in g)
                continue
            out.extend(self.capped(g))
        return sorted(out, key=lambda g: g[0][0])

    def compose(self, idx: int, overrides: list[str]) -> tuple[int, DictConfig, dict | None]:
        """One job's config as the basic launcher composes it, and its resolved container (None where it does
        not resolve)."""
        sc = self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
        with open_dict(sc):
            sc.hydra.job.id = idx
            sc.hydra.job.num = idx
        return idx, sc, task_container(sc)

    def run_group(self, group: list) -> dict[int, JobReturn]:
        """One group of composed jobs in this process: as one stack, or one after another with a line why."""
        nums = [idx for idx, _, _ in group]
        why = (ALONE if len(group) == 1
               else self.refusal(group[0][2], group[0][1]))
        if not why:
            say(f"{jobs_text(nums)} train together as one stacked model of {len(group)}")
            return self.launch_stacked(group)
        say(f"{jobs_text(nums)} {'runs' if len(nums) == 1 else 'run each on its own'}, not stacked: {why}")
        return {idx: self._run_job(sc, self.task_function) for idx, sc, _ in group}

    @staticmethod
    def chunks(groups: list[list], n: int) -> list[list]:
        """With ``n`` processes: each group cut into stacks of nearly equal size, two members at least, so that
        there are ``n`` where the groups allow (on a CPU stacking saves no arithmetic, a second core halves the
        time); a job that is not stacked is a task of its own."""
        stackable = [g for g in groups if len(g) > 1]
        parts = max(1, math.ceil(n / max(len(stackable), 1)))
        out = []
        for g in groups:
            k = max(1, min(parts, len(g) // 2))  # stacks of two members at least
            cuts = [round(i * len(g) / k) for i in range(k + 1)]
            out.extend(g[a:b] for a, b in zip(cuts, cuts[1:]))
        return out

    def groups(self, jobs: list) -> list[list]:
        """Jobs whose configs are equal but for ``seed``, in job order; at most max_members per group."""
        by_key: dict[str, list] = {}
        for job in jobs:
            c = job[2]
            key = json.dumps({k: v for k, v in c.items() if k != "seed"}, sort_keys=True, default=str) \
                if c is not None else f"#{job[0]}"  # a config that does not resolve stays on its own
            by_key.setdefault(key, []).append(job)
        out = [part for g in by_key.values() for part in self.capped(g)]
        return sorted(out, key=lambda g: g[0][0])

    def capped(self, group: list) -> list[list]:
        """A group in stacks of at most max_members (0: one stack)."""
        size = self.max_members if self.max_members > 0 else len(group)
        return [group[i:i + size] for i in range(0, len(group), size)]

    def refusal(self, c: dict, sc: DictConfig) -> str | None:
        from hydra_plugins.dlx_batched import stacked

        why = stacked.refusal(c)
        if why:
            return why
        from dlx import setup

        HydraConfig.instance().set_config(sc)
        try:
            run = setup.build(strip_hydra(sc))
        except Exception as e:  # the normal task function reports it, job by job
            return f"its setup fails ({type(e).__name__}: {str(e).strip().splitlines()[0][:160]})"
        why = stacked.probe(run, c)
        return f"vmap cannot run this model ({why})" if why else None

    # ---- the stacked path ------------------------------------------------------------------------------------

    def launch_stacked(self, group: list) -> dict[int, JobReturn]:
        from dlx import train as T
        from dlx.track import error_line, write_result
        from hydra_plugins.dlx_batched import stacked

        rets, members, later = {}, [], []
        for idx, sc, _ in group:  # folders, .hydra/, logging and callbacks as the basic launcher makes them
            rets[idx] = ret = self._run_job(sc, prepare)
            value = ret.return_value
            if isinstance(value, stacked.Member):
                members.append((idx, value))
            elif isinstance(value, str):
                later.append((idx, sc, value))
        interrupted = False
        t0 = time.time()
        try:
            if len(members) > 1:
                from dlx.sweep import prefetch_summary
                from hydra_plugins.dlx_pool import launcher as pool

                # the summary's imports run while the stack's steps run in torch's threads, outside the GIL (not
                # during the members' start, which is Python and would wait for the GIL); not in a worker of the
                # pool, whose parent runs the summary
                started = None if pool._worker else (lambda: prefetch_summary(self.config))
                stacked.train_group([m for _, m in members], started=started)
            elif members:  # the others were kept or failed: the one left trains as the loop trains it
                m = members[0][1]
                m.result = T.train(m.run, m.run_dir)
        except KeyboardInterrupt:
            interrupted = True
        except Exception as e:
            for idx, m in members:
                if m.result is None:
                    msg = f"{type(e).__name__}: {e}"
                    write_result(m.run_dir, T.failed_result(m.extra["cfg"], m.extra["overrides"], msg,
                                                            time.time() - t0))
                    error_line(f"job {idx} failed: {msg} (see {m.run_dir / 'result.json'})")
        finally:
            for _, m in members:
                m.extra["lock"].close()
        for idx, m in members:
            rets[idx].return_value = T.primary(m.result) if m.result and "best" in m.result else float("nan")
        if interrupted:
            raise SystemExit(130)
        for idx, sc, why in later:
            say(f"job {idx} runs on its own, not stacked: {why}")
            rets[idx] = self._run_job(sc, self.task_function)
        return rets


def strip_hydra(sc: DictConfig) -> DictConfig:
    """The job's config without its hydra node, as run_job hands it to the task function."""
    cfg = copy.deepcopy(sc)
    with read_write(cfg), open_dict(cfg):
        del cfg["hydra"]
    return cfg


def task_container(sc: DictConfig) -> dict | None:
    HydraConfig.instance().set_config(sc)
    try:
        return OmegaConf.to_container(strip_hydra(sc), resolve=True)
    except Exception:
        return None


def prepare(cfg: DictConfig) -> Any:
    """The task function of a stacked job: dlx.train.main up to the training itself. Returns the job's
    stacked.Member (its folder locked, its Run built); the number main would return for a job that needs no
    training (kept by resume_sweep) or that failed to set up (result.json says why); or, as a string, why the
    job must run on its own (an interrupted job of a resumed sweep continues from its checkpoint)."""
    from dlx import setup, sweep
    from dlx import train as T
    from dlx.setup import USER_ERRORS
    from dlx.track import error_line, write_result
    from hydra_plugins.dlx_batched import stacked

    hc = HydraConfig.get()
    run_dir, overrides = Path(hc.runtime.output_dir), list(hc.overrides.task)
    lock, t0 = contextlib.ExitStack(), time.time()
    try:
        if cfg.resume_sweep:
            kept = sweep.resume_job(run_dir, overrides, continue_interrupted=True)
            if kept is not None:
                print(f"dlx: job {hc.job.num} kept from the earlier sweep ({kept['status']})")
                return T.primary(kept)
            if (run_dir / "checkpoints" / "last.pt").is_file():
                return "it continues from its checkpoints/last.pt"
        lock.enter_context(T.lock(run_dir))
        run = setup.build(cfg, overrides, None, run_dir)
        return stacked.Member(run, run_dir, OmegaConf.to_container(cfg, resolve=True),
                              extra={"lock": lock, "cfg": cfg, "overrides": overrides})
    except sweep.SweepMismatch as e:
        lock.close()
        error_line(str(e))
        return float("nan")
    except Exception as e:
        lock.close()
        msg = str(e) if isinstance(e, USER_ERRORS) else f"{type(e).__name__}: {e}"
        error_line(msg if isinstance(e, USER_ERRORS) else f"job {hc.job.num} failed: {msg}")
        write_result(run_dir, T.failed_result(cfg, overrides, msg, time.time() - t0))
        return float("nan")


def _run_stack(jobs: list[tuple[int, list[str]]]) -> list[JobReturn]:
    """A worker of the pool (hydra_plugins/dlx_pool): these jobs, composed here, as one stack (or each on its
    own, with the line why, when the probe step finds that vmap cannot run the model)."""
    from dlx import track
    from hydra_plugins.dlx_pool import launcher as pool

    def work() -> list[JobReturn]:
        me = BatchedLauncher()
        me.setup(hydra_context=pool._worker["hydra_context"], task_function=pool._worker["task_function"],
                 config=pool._worker["config"])
        track.PREFIX = f"{jobs_text([idx for idx, _ in jobs])}: "
        rets = me.run_group([me.compose(idx, overrides) for idx, overrides in jobs])
        return [pool._slim(rets[idx]) for idx, _ in jobs]

    return pool.guarded(work)
