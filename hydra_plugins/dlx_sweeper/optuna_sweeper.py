"""dlx's Optuna sweeper (``hydra/sweeper=optuna``, configs/hydra/sweeper/optuna.yaml): Optuna's ask/tell
through any Hydra launcher, pruning with promotion, and a study that lives in the sweep folder.

Trial N runs in ``<sweep dir>/N`` (``hydra.sweep.subdir`` is set per job), so a trial's folder is known from
its number: a trial paused by halving/hyperband and promoted later, or interrupted and resumed, continues from
its own ``checkpoints/last.pt`` (``resume=<folder>``). A trial is told to the study when its job ends; a paused
one stays running in the study until it is promoted or the search ends (then it is told pruned).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from dlx import search

log = logging.getLogger(__name__)
TOLD = {"completed": "COMPLETE", "stopped_early": "COMPLETE", "pruned": "PRUNED"}  # else FAIL


def _quote(value: str) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _status(folder: Path) -> str:
    """result.json's status; ``running`` when the job never wrote one (killed)."""
    try:
        return json.loads((folder / "result.json").read_text()).get("status", "running")
    except (OSError, ValueError):
        return "running"


class OptunaSweeper(Sweeper):
    def __init__(self, sampler: str = "tpe", seed: int | None = 0, sampler_args: Any = None,
                 direction: str = "maximize", n_trials: int = 20, n_jobs: int = 1, pruner: str = "none",
                 pruner_args: Any = None, storage: str | None = None, study_name: str | None = None,
                 params: Any = None) -> None:
        self.sampler_name, self.seed, self.direction = sampler, seed, str(direction)
        plain = lambda v: OmegaConf.to_container(v) if isinstance(v, DictConfig) else v
        self.sampler_args, self.pruner_name, self.pruner_args = plain(sampler_args), pruner, plain(pruner_args)
        self.n_trials, self.n_jobs = int(n_trials), max(1, int(n_jobs))
        self.storage_url, self.study_name, self.params = storage, study_name, params
        self.job_idx = 0

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config, self.hydra_context = config, hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(config=config, hydra_context=hydra_context,
                                                                task_function=task_function)
        self.sweep_dir = Path(config.hydra.sweep.dir).resolve()

    def sweep(self, arguments: list[str]) -> None:
        import optuna
        from optuna.trial import TrialState

        from dlx import sweep as dlx_sweep

        given = [f"{k}={v}" for k, v in (self.params or {}).items()]
        given += [a for a in arguments if a.split("=", 1)[0].lstrip("+~") != dlx_sweep.RESUME_KEY]
        space, fixed = search.search_space(given)
        resume = bool(self.config.get(dlx_sweep.RESUME_KEY))
        n_trials = self.n_trials
        if self.sampler_name == "grid":
            n_trials = min(n_trials, _grid_size(search.grid(space)))
        # The jobs open the storage too: the journal by its absolute path; a study per sweep folder by default.
        url = self.storage_url or str(self.sweep_dir / search.JOURNAL)
        name = self.study_name or f"dlx:{self.sweep_dir}"
        st = search.storage(url)
        if not resume and name in optuna.get_all_study_names(st):
            dlx_sweep._stop(f"hydra.sweep.dir={self.sweep_dir} is wrong: it already holds the study {name}; allowed: "
                            f"the same command with {dlx_sweep.RESUME_KEY}=true to continue it, or a new folder")
        study = optuna.create_study(study_name=name, storage=st, direction=self.direction, load_if_exists=True,
                                    sampler=search.sampler(self.sampler_name, self.seed, space, self.sampler_args))
        study.set_user_attr(search.PRUNER_ATTR, {"name": self.pruner_name, "args": dict(self.pruner_args or {})})
        prune = search.pruner(self.pruner_name, self.pruner_args)
        log.info(f"Study {name} in {url}: sampler {self.sampler_name} (seed {self.seed}), pruner {self.pruner_name}, "
                 f"{self.direction} {n_trials} trials, {self.n_jobs} at once")

        def folder(number: int) -> Path:
            return self.sweep_dir / str(number)

        def job(t, cont: bool) -> list[str]:
            values = [f"{k}={v}" for k, v in t.params.items()] + [f"{k}={v}" for k, v in fixed.items()]
            where = f"trial={{storage:{_quote(url)},study:{_quote(name)},number:{t.number}}}"
            return [*values, where, f"hydra.sweep.subdir={t.number}",
                    *([f"resume={_quote(folder(t.number))}"] if cont else [])]

        # A search resumed after a kill: trials still running in the study were paused (pruned at a rung),
        # ended before the sweeper could tell them, or were interrupted (they continue from last.pt).
        paused, todo = [], []
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            status = _status(folder(t.number))
            if status == "pruned" and self.pruner_name in search.PROMOTING:
                paused.append(t)
            elif status in dlx_sweep.FINISHED or status == "failed":
                self._tell(study, t.number, status, folder(t.number))
            else:
                todo.append(t)
        if todo:
            log.info(f"Continuing {len(todo)} interrupted trials: {', '.join(str(t.number) for t in todo)}")

        while True:
            batch = []  # (trial, continue from last.pt)
            while todo and len(batch) < self.n_jobs:
                t = todo.pop(0)
                dlx_sweep.resume_job(folder(t.number), [], continue_interrupted=True)  # clears a run with no last.pt
                batch.append((t, (folder(t.number) / "checkpoints" / "last.pt").is_file()))
            if paused and len(batch) < self.n_jobs:  # promotions before new trials (ASHA)
                up = search.promotable(study, prune, paused)[: self.n_jobs - len(batch)]
                paused = [t for t in paused if t.number not in {u.number for u in up}]
                batch += [(t, True) for t in up]
                if up:
                    log.info(f"Promoting paused trials {', '.join(str(t.number) for t in up)}")
            n_new = min(self.n_jobs - len(batch), n_trials - len(study.get_trials(deepcopy=False)))
            batch += [(study.ask(space), False) for _ in range(max(0, n_new))]
            if not batch:
                break
            # every job leaves result.json in its folder (the task function returns NaN for a failed one)
            self.job_idx += len(self.launcher.launch([job(t, cont) for t, cont in batch], initial_job_idx=self.job_idx))
            for t, _ in batch:
                status = _status(folder(t.number))
                if status == "pruned" and self.pruner_name in search.PROMOTING and \
                        (folder(t.number) / "checkpoints" / "last.pt").is_file():
                    paused.append(study._storage.get_trial(t._trial_id))
                else:
                    self._tell(study, t.number, status, folder(t.number))
        for t in paused:  # never promoted: pruned for good
            study.tell(t.number, state=TrialState.PRUNED)
        self._write_results(study, url, name)

    @staticmethod
    def _tell(study, number: int, status: str, folder: Path) -> None:
        from optuna.trial import TrialState

        state = TrialState[TOLD.get(status, "FAIL")]
        value = None
        if state == TrialState.COMPLETE:
            result = json.loads((folder / "result.json").read_text())
            value = float(result["best"].get(result["metric"], float("nan")))
        try:
            study.tell(number, value, state=state)
        except RuntimeError as e:  # the grid sampler's "grid done" stop, after the trial was stored (as Hydra's)
            if "Study.stop" not in str(e):
                raise

    def _write_results(self, study, url: str, name: str) -> None:
        from optuna.trial import TrialState

        trials = study.get_trials(deepcopy=False)
        count = lambda s: sum(t.state == s for t in trials)
        out: dict[str, Any] = {"name": "optuna", "study_name": name, "storage": url, "n_trials": len(trials),
                               "complete": count(TrialState.COMPLETE), "pruned": count(TrialState.PRUNED),
                               "failed": count(TrialState.FAIL)}
        if out["complete"]:
            best = study.best_trial
            out.update(best_trial=best.number, best_params=best.params, best_value=best.value)
            log.info(f"Best trial {best.number}: value {best.value}, parameters {best.params}")
        log.info(f"Trials: {out['complete']} complete, {out['pruned']} pruned, {out['failed']} failed")
        OmegaConf.save(OmegaConf.create(out), self.sweep_dir / "optimization_results.yaml")


def _grid_size(grid: dict[str, list]) -> int:
    n = 1
    for values in grid.values():
        n *= len(values)
    return n
