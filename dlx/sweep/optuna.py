"""``hydra/sweeper=optuna`` (configs/hydra/sweeper/optuna.yaml): Optuna's ask/tell through any Hydra launcher,
pruning with promotion, and a study that lives in the sweep folder.

Trial N runs in ``<sweep dir>/N`` (``hydra.sweep.subdir`` is set per job), so a trial's folder is known from
its number: a trial paused by halving/hyperband and promoted later, or interrupted and resumed, continues from
its own ``checkpoints/last.pt`` (``resume=<folder>``). A trial is told to the study when its job ends; a paused
one stays running in the study until it is promoted or the search ends (then it is told pruned).

With ``seeds: k`` (k > 1) a trial is scored by the mean over k seeds: its seeds run one after another, seed s in
``<sweep dir>/N/s`` (an ordinary run folder each), and the trial's value is the mean of their best values of
trainer.metric. Each seed's job reports to the trial, at every epoch end, the mean over the trial's seeds so far
at that epoch, at the step of the budget the trial has spent (the epochs of its earlier seeds plus this one's):
trials are compared at equal budgets on the mean of the seeds they ran (search.TrialPruner), and a pruned seed
ends its trial (a paused one is promoted as with one seed, then its later seeds run).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from dlx import runfolder, search
from dlx.runfolder import COMPLETED, FAILED, FINISHED, OVERWRITE, PRUNED, STOPPED_EARLY
from dlx.sweep.resume import RESUME_KEY
from dlx.sweep.summary import stop

log = logging.getLogger(__name__)
TOLD = {COMPLETED: "COMPLETE", STOPPED_EARLY: "COMPLETE", PRUNED: "PRUNED"}  # else FAIL


def direction(metric: str, mode: str) -> str:
    """Optuna's direction for trainer.metric/mode (dlx.metrics.direction): the ``dlx.direction`` resolver of
    optuna.yaml. With metric auto the CLI's preflight passes hydra.sweeper.direction from the metric the run will
    really use (val/acc, val/loss, ...)."""
    from dlx.metrics import direction as metric_direction

    return f"{metric_direction('val/acc' if metric == 'auto' else metric, mode)}imize"


def _quote(value: str) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def sweep(s, arguments: list[str]) -> None:
    """hydra/sweeper=optuna's sweep: ``s`` is the sweeper (its settings, config, launcher and sweep folder)."""
    import optuna
    from optuna.trial import TrialState

    given = [f"{k}={v}" for k, v in (s.params or {}).items()]
    given += [a for a in arguments if a.split("=", 1)[0].lstrip("+~") != RESUME_KEY]
    space, fixed = search.search_space(given)
    resume = bool(s.config.get(RESUME_KEY))
    n_trials = s.n_trials
    if s.sampler_name == "grid":
        n_trials = min(n_trials, _grid_size(search.grid(space)))
    # The jobs open the storage too: the journal by its absolute path; a study per sweep folder by default.
    url = s.storage_url or str(s.sweep_dir / search.JOURNAL)
    name = s.study_name or f"dlx:{s.sweep_dir}"
    st = search.storage(url)
    if not resume and name in optuna.get_all_study_names(st):
        if not s.config.get(OVERWRITE):
            stop(f"hydra.sweep.dir={s.sweep_dir} is wrong: it already holds the study {name}; allowed: the same "
                 f"command with {RESUME_KEY}=true to continue it, {OVERWRITE}=true to start it again, or a new folder")
        optuna.delete_study(study_name=name, storage=st)  # overwrite=true: each trial's job replaces its folder
    study = optuna.create_study(study_name=name, storage=st, direction=s.direction, load_if_exists=True,
                                sampler=search.sampler(s.sampler_name, s.seed, space, s.sampler_args))
    study.set_user_attr(search.PRUNER_ATTR, {"name": s.pruner_name, "args": dict(s.pruner_args or {})})
    prune = search.pruner(s.pruner_name, s.pruner_args)
    log.info(f"Study {name} in {url}: sampler {s.sampler_name} (seed {s.seed}), pruner {s.pruner_name}, "
             f"{s.direction} {n_trials} trials, {s.n_jobs} at once")

    k, lay = s.seeds, Layout(s.sweep_dir, s.seeds, url, name, fixed)
    folder, job, progress = lay.folder, lay.job, lay.progress

    def done(t, seed: int, status: str) -> None:
        """After seed ``seed`` of trial t ran: pause it, go on to its next seed, or tell the study."""
        if status == PRUNED and s.pruner_name in search.PROMOTING and \
                runfolder.checkpoint_file(folder(t.number, seed)).is_file():
            paused.append(study._storage.get_trial(t._trial_id))
        elif status in ("completed", "stopped_early") and seed + 1 < k:
            todo.append((t, seed + 1))
        else:
            tell(study, t.number, status, [folder(t.number, i) for i in range(min(seed + 1, k))])

    # A search resumed after a kill: trials still running in the study were paused (pruned at a rung),
    # ended before the sweeper could tell them, or were interrupted (they continue from last.pt).
    paused, todo = [], []
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        seed, status = progress(t.number)
        if seed < k and status not in FINISHED and status != FAILED:
            todo.append((t, seed))  # interrupted or never started
        else:
            done(t, min(seed, k - 1), status)
    if todo:
        log.info(f"Continuing {len(todo)} interrupted trials: {', '.join(str(t.number) for t, _ in todo)}")

    while True:
        batch = []  # (trial, seed, continue from last.pt)
        while todo and len(batch) < s.n_jobs:
            t, seed = todo.pop(0)
            f = folder(t.number, seed)  # an interrupted run, or one never started (no folder yet)
            batch.append((t, seed, runfolder.checkpoint_file(f).is_file() or restart(f)))
        if paused and len(batch) < s.n_jobs:  # promotions before new trials (ASHA)
            up = search.promotable(study, prune, paused)[: s.n_jobs - len(batch)]
            paused = [t for t in paused if t.number not in {u.number for u in up}]
            batch += [(t, progress(t.number)[0], True) for t in up]
            if up:
                log.info(f"Promoting paused trials {', '.join(str(t.number) for t in up)}")
        n_new = min(s.n_jobs - len(batch), n_trials - len(study.get_trials(deepcopy=False)))
        batch += [(ask(study, space, s), 0, False) for _ in range(max(0, n_new))]
        if not batch:
            break
        # every job leaves result.json in its folder (the task function returns NaN for a failed one)
        s.job_idx += len(s.launcher.launch([job(t, seed, cont) for t, seed, cont in batch],
                                           initial_job_idx=s.job_idx))
        for t, seed, _ in batch:
            done(t, seed, runfolder.status_of(folder(t.number, seed)))
    for t in paused:  # never promoted: pruned for good
        study.tell(t.number, state=TrialState.PRUNED)
    write_results(s.sweep_dir, study, url, name)


def ask(study, space: dict, s):
    """A new trial, its parameters drawn by a sampler seeded for this trial's number (from hydra.sweeper.seed):
    a search resumed after a kill draws what the uninterrupted search draws for the same trial and history,
    where the one sampler of a new process would start its random stream again and ask the points of the first
    trials once more."""
    if s.seed is not None:
        import numpy as np

        number = len(study.get_trials(deepcopy=False))  # the number this ask gives: trials are numbered in order
        seed = int(np.random.SeedSequence([int(s.seed), number]).generate_state(1)[0])
        study.sampler = search.sampler(s.sampler_name, seed, space, s.sampler_args)
    return study.ask(space)


def restart(folder: Path) -> bool:
    """Clear the folder of a trial that starts over, one killed before its first checkpoint or before its folder
    was made (False: it does not continue from a checkpoint), holding the folder's lock: a worker of the killed
    search that still saves its job keeps it (one line, the search stops)."""
    if folder.is_dir():
        try:
            with runfolder.lock(folder):
                runfolder.clear_run(folder)
        except runfolder.FolderInUse as e:
            stop(str(e))
    return False


@dataclass(frozen=True)
class Layout:
    """Where a trial's seeds run and what their jobs are: trial N in ``<sweep>/N``, or with k > 1 seeds seed s in
    ``<sweep>/N/s``, each job reporting to its trial (and its seed's index in it)."""

    sweep_dir: Path
    k: int
    url: str
    name: str
    fixed: dict

    def folder(self, number: int, seed: int = 0) -> Path:
        return self.sweep_dir / str(number) / str(seed) if self.k > 1 else self.sweep_dir / str(number)

    def job(self, t, seed: int, cont: bool) -> list[str]:
        values = [f"{k}={v}" for k, v in t.params.items()] + [f"{k}={v}" for k, v in self.fixed.items()]
        where = f"storage:{_quote(self.url)},study:{_quote(self.name)},number:{t.number}"
        several = self.k > 1
        return [*values, *([f"seed={seed}"] if several else []),
                f"trial={{{where}" + (f",index:{seed}}}" if several else "}"),
                f"hydra.sweep.subdir={t.number}/{seed}" if several else f"hydra.sweep.subdir={t.number}",
                *([f"resume={_quote(self.folder(t.number, seed))}"] if cont else [])]

    def progress(self, number: int) -> tuple[int, str]:
        """The trial's first seed that has not completed (k: all have) and that seed's status."""
        for seed in range(self.k):
            status = runfolder.status_of(self.folder(number, seed))
            if status not in ("completed", "stopped_early"):
                return seed, status
        return self.k, "completed"


def tell(study, number: int, status: str, folders: list[Path]) -> None:
    """The trial's outcome: the mean over its seeds' folders of their best trainer.metric when it completed."""
    from optuna.trial import TrialState

    state = TrialState[TOLD.get(status, "FAIL")]
    value = None
    if state == TrialState.COMPLETE:
        values = [runfolder.primary(runfolder.read_result(f) or {}) for f in folders]
        value = sum(values) / len(values)
    try:
        study.tell(number, value, state=state)
    except RuntimeError as e:  # the grid sampler's "grid done" stop, after the trial was stored (as Hydra's)
        if "Study.stop" not in str(e):
            raise


def write_results(sweep_dir: Path, study, url: str, name: str) -> None:
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
    OmegaConf.save(OmegaConf.create(out), sweep_dir / "optimization_results.yaml")


def _grid_size(grid: dict[str, list]) -> int:
    n = 1
    for values in grid.values():
        n *= len(values)
    return n
