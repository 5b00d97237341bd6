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

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from dlx import runfolder, search
from dlx.runfolder import COMPLETED, FAILED, FINISHED, OVERWRITE, PRUNED, STOPPED_EARLY
from dlx.sweep.resume import RESUME_KEY
from dlx.sweep.summary import stop

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
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # its INFO lines repeat what the trial lines say
    study = optuna.create_study(study_name=name, storage=st, direction=s.direction, load_if_exists=True,
                                sampler=search.sampler(s.sampler_name, s.seed, space, s.sampler_args))
    study.set_user_attr(search.PRUNER_ATTR, {"name": s.pruner_name, "args": dict(s.pruner_args or {})})
    prune = search.pruner(s.pruner_name, s.pruner_args)
    shown = trials_progress(s, n_trials)
    with shown:
        metric = s.config.trainer.metric
        shown.say(f"dlx: search: {n_trials} trials of {', '.join(space)} ({s.direction}"
                  f"{'' if metric == 'auto' else ' ' + metric}; "
                  f"sampler {s.sampler_name}, seed {s.seed}; pruner {s.pruner_name}; {s.n_jobs} at once); the study "
                  f"in {url}")
        run_trials(s, study, space, prune, Layout(s.sweep_dir, s.seeds, url, name, fixed), n_trials, shown)
        write_results(s.sweep_dir, study, url, name, shown)


def trials_progress(s, n_trials: int):
    """The search's progress, counted in trials; dlx's launchers run the jobs quietly (a line per trial here)."""
    from dlx.sweep.progress import SweepProgress

    shown = SweepProgress(n_trials, s.n_jobs, mode=str(s.config.trainer.get("mode", "auto")), unit="trial",
                          quiet=True)
    if hasattr(s.launcher, "progress"):
        s.launcher.progress = shown
    return shown


def run_trials(s, study, space: dict, prune, lay: Layout, n_trials: int, shown) -> None:
    """Ask, launch, tell until ``n_trials`` trials ran; paused trials promoted before new ones."""
    from optuna.trial import TrialState

    k = s.seeds
    folder, job, progress = lay.folder, lay.job, lay.progress

    def done(t, seed: int, status: str) -> None:
        """After seed ``seed`` of trial t ran: pause it, go on to its next seed, or tell the study."""
        if status == PRUNED and s.pruner_name in search.PROMOTING and \
                runfolder.checkpoint_file(folder(t.number, seed)).is_file():
            paused.append(study._storage.get_trial(t._trial_id))
        elif status in ("completed", "stopped_early") and seed + 1 < k:
            todo.append((t, seed + 1))
        else:
            told(shown, study, t.number, status, [folder(t.number, i) for i in range(min(seed + 1, k))], k)

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
        numbers = ", ".join(str(t.number) for t, _ in todo)
        shown.say(f"dlx: search: continuing {len(todo)} interrupted trials: {numbers}")

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
                shown.say(f"dlx: search: promoting paused trials {', '.join(str(t.number) for t in up)}")
        n_new = min(s.n_jobs - len(batch), n_trials - len(study.get_trials(deepcopy=False)))
        batch += [(ask(study, space, s), 0, False) for _ in range(max(0, n_new))]
        if not batch:
            break
        shown.started([t.number for t, _, _ in batch])
        # every job leaves result.json in its folder (the task function returns NaN for a failed one)
        s.job_idx += len(s.launcher.launch([job(t, seed, cont) for t, seed, cont in batch],
                                           initial_job_idx=s.job_idx))
        for t, seed, _ in batch:
            done(t, seed, runfolder.status_of(folder(t.number, seed)))
    for t in paused:  # never promoted: pruned for good
        study.tell(t.number, state=TrialState.PRUNED)
        shown.ended(t.number, PRUNED, math.nan, None, trial_line(study, t.number, PRUNED, math.nan, None, k))


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


def tell(study, number: int, status: str, folders: list[Path]) -> float:
    """The trial's outcome: the mean over its seeds' folders of their best trainer.metric when it completed
    (returned; NaN otherwise)."""
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
    return math.nan if value is None else value


def told(shown, study, number: int, status: str, folders: list[Path], k: int) -> None:
    """Tell the study, and one line for the trial."""
    value = tell(study, number, status, folders)
    metric = (runfolder.read_result(folders[-1]) or {}).get("metric")
    if status == PRUNED:  # its best value so far, at the rung it stopped
        value = runfolder.primary(runfolder.read_result(folders[-1]) or {})
    shown.ended(number, status, value, metric, trial_line(study, number, status, value, metric, k))


def trial_line(study, number: int, status: str, value: float, metric: str | None, k: int) -> str:
    """``trial 3  optim.lr=0.02739  val/acc 0.9583  completed``: its parameters (not the settings a job gets from
    the sweeper) and, for a pruned trial, the rung it stopped at."""
    t = study.get_trials(deepcopy=False)[number]  # trials are numbered in order
    params = "  ".join(f"{key}={_short(v)}" for key, v in t.params.items())
    shown = f"  {metric} {value:.4f}" if metric and math.isfinite(value) else ""
    return f"trial {number}  {params}{shown}  {status}{_rung(t, k) if status == PRUNED else ''}"


def _short(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _rung(t, k: int) -> str:
    """Where a pruned trial stopped: the epoch of its last report (with k seeds: the epochs spent over them)."""
    if t.last_step is None:
        return ""
    return f" at epoch {t.last_step}" if k == 1 else f" after {t.last_step} epochs over its seeds"


def write_results(sweep_dir: Path, study, url: str, name: str, shown) -> None:
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    count = lambda s: sum(t.state == s for t in trials)
    out: dict[str, Any] = {"name": "optuna", "study_name": name, "storage": url, "n_trials": len(trials),
                           "complete": count(TrialState.COMPLETE), "pruned": count(TrialState.PRUNED),
                           "failed": count(TrialState.FAIL)}
    if out["complete"]:
        best = study.best_trial
        out.update(best_trial=best.number, best_params=best.params, best_value=best.value)
        params = "  ".join(f"{key}={_short(v)}" for key, v in best.params.items())
        shown.say(f"dlx: search: best trial {best.number}: {shown.metric or 'value'} {best.value:.4f}  {params}")
    shown.say(f"dlx: search: {out['complete']} trials complete, {_pruned(trials)}, {out['failed']} failed")
    OmegaConf.save(OmegaConf.create(out), sweep_dir / "optimization_results.yaml")


def _pruned(trials: list) -> str:
    """``5 pruned (3 at epoch 1: 2, 4, 5; 2 at epoch 3: 7, 9)``: the pruned trials by the rung they stopped at."""
    from optuna.trial import TrialState

    rungs: dict[Any, list[int]] = {}
    for t in trials:
        if t.state == TrialState.PRUNED:
            rungs.setdefault(t.last_step, []).append(t.number)
    if not rungs:
        return "0 pruned"
    parts = [f"{len(n)} at epoch {step}: {', '.join(map(str, n))}" if step is not None else
             f"{len(n)} before a report: {', '.join(map(str, n))}" for step, n in sorted(rungs.items(), key=str)]
    return f"{sum(map(len, rungs.values()))} pruned ({'; '.join(parts)})"


def _grid_size(grid: dict[str, list]) -> int:
    n = 1
    for values in grid.values():
        n *= len(values)
    return n
