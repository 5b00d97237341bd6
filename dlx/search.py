"""Hyperparameter search on Optuna (>= 4), the parts both sides need.

The sweeper (hydra_plugins/dlx_sweeper) asks the study for trials and tells it the results; each job reports
trainer.metric at every epoch end to its own trial (:class:`TrialPruner`, built by dlx/setup.py from the
``trial`` key the sweeper sets) and stops with status ``pruned`` when the study's pruner says so. Both sides
open the same storage: by default Optuna's journal file ``<sweep dir>/optuna.journal`` (a file lock, no
database server), or the URL a user gives (``sqlite:///study.db``, any storage Optuna takes).

The search space is written as for Hydra's sweepers: ``interval(a, b)`` (uniform float; ``int(interval(a,
b))`` for integers), ``tag(log, interval(a, b))`` (log-uniform), ``choice(a, b, ...)`` or ``a,b,c``
(categorical), ``range(a, b[, step])`` (the basic sweeper's values: a, a+step, ... below b).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from dlx.checks import ConfigError

SAMPLERS = ("tpe", "random", "cmaes", "grid")
PRUNERS = ("none", "median", "halving", "hyperband")
PROMOTING = ("halving", "hyperband")  # rungs: a paused trial may be promoted and continue from its last.pt
JOURNAL = "optuna.journal"
PRUNER_ATTR = "dlx.pruner"  # the study's user attribute the jobs read their pruner from


def storage(url: str | None, sweep_dir: str | Path | None = None):
    """Optuna storage: a journal file (a path, or null for ``<sweep dir>/optuna.journal``), else an Optuna URL."""
    import optuna
    from optuna.storages.journal import JournalFileBackend

    if url and "://" in str(url):
        return optuna.storages.get_storage(str(url))
    path = Path(url) if url else Path(sweep_dir) / JOURNAL
    path.parent.mkdir(parents=True, exist_ok=True)
    return optuna.storages.JournalStorage(JournalFileBackend(str(path)))


def distribution(override) -> Any:
    """A parsed Hydra override -> an Optuna distribution, or the fixed value (a string) of a plain override."""
    from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, RangeSweep, Transformer
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if not override.is_sweep_override():
        return override.get_value_element_as_str()
    value, key = override.value(), override.get_key_element()
    if isinstance(value, ChoiceSweep) or (isinstance(value, RangeSweep) and value.shuffle):
        # values as the command line writes them ([64] stays the string "[64]"), so a trial's override reads back
        return CategoricalDistribution(list(override.sweep_iterator(transformer=Transformer.encode)))
    if isinstance(value, RangeSweep):
        start, step = value.start, value.step
        values = list(override.sweep_iterator())  # the basic sweeper's values: the end is excluded
        if not values:
            raise ConfigError(f"{key}=range({start}, {value.stop}, {step}) is wrong: it holds no value; allowed is "
                              "a range with at least one value below its end")
        last = values[-1]
        if all(isinstance(v, int) for v in (start, last, step)):
            return IntDistribution(start, last, step=step)
        return FloatDistribution(float(start), float(last), step=float(step))
    if isinstance(value, IntervalSweep):
        log = "log" in value.tags
        if value.start >= value.end or (log and value.start <= 0):
            raise ConfigError(f"{key}=interval({value.start}, {value.end}) is wrong: allowed is low < high"
                              + (" and low > 0 with tag(log, ...)" if log else ""))
        if isinstance(value.start, int) and isinstance(value.end, int):
            return IntDistribution(value.start, value.end, log=log)
        return FloatDistribution(float(value.start), float(value.end), log=log)
    raise ConfigError(f"{override.input_line} is wrong for the optuna sweeper: allowed are interval(a, b), "
                      "tag(log, interval(a, b)), choice(...), a,b,c and range(a, b[, step])")


def search_space(overrides: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """``key=value`` strings -> (name -> distribution, name -> fixed value)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from optuna.distributions import BaseDistribution

    space, fixed = {}, {}
    for o in OverridesParser.create().parse_overrides(overrides):
        d = distribution(o)
        (space if isinstance(d, BaseDistribution) else fixed)[o.get_key_element()] = d
    return space, fixed


def grid(space: dict[str, Any]) -> dict[str, list]:
    """sampler=grid: every distribution as its list of values (intervals have none)."""
    from optuna.distributions import CategoricalDistribution

    out = {}
    for name, d in space.items():
        if isinstance(d, CategoricalDistribution):
            out[name] = list(d.choices)
        elif d.step is not None and not getattr(d, "log", False):
            n = round((d.high - d.low) / d.step) + 1
            out[name] = [d.low + i * d.step for i in range(n)]
        else:
            raise ConfigError(f"hydra.sweeper.sampler=grid is wrong with {name}: an interval has no grid; allowed "
                              "with grid are choice(...), a,b,c and range(...)")
    return out


def sampler(name: str, seed: int | None, space: dict[str, Any], args: dict | None = None):
    import optuna

    args = dict(args or {})
    if name == "grid":
        return optuna.samplers.GridSampler(grid(space), seed=seed)
    classes = {"tpe": optuna.samplers.TPESampler, "random": optuna.samplers.RandomSampler,
               "cmaes": optuna.samplers.CmaEsSampler}
    if name not in classes:
        raise ConfigError(f"hydra.sweeper.sampler={name} is wrong: allowed is one of {', '.join(SAMPLERS)}")
    return classes[name](seed=seed, **args)


def pruner(name: str, args: dict | None = None):
    """none | median | halving (asynchronous successive halving) | hyperband; ``args`` go to Optuna's class."""
    import optuna

    classes = {"none": optuna.pruners.NopPruner, "median": optuna.pruners.MedianPruner,
               "halving": optuna.pruners.SuccessiveHalvingPruner, "hyperband": optuna.pruners.HyperbandPruner}
    if name not in classes:
        raise ConfigError(f"hydra.sweeper.pruner={name} is wrong: allowed is one of {', '.join(PRUNERS)}")
    try:
        return classes[name](**dict(args or {}))
    except (TypeError, ValueError) as e:
        raise ConfigError(f"hydra.sweeper.pruner_args={dict(args or {})} is wrong for pruner {name}: {e}") from None


def promotable(study, prune, paused: list) -> list:
    """Asynchronous successive halving's promotion (Li et al. 2020, "A System for Massively Parallel
    Hyperparameter Tuning", alg. 2): a trial paused at rung k goes on when it is among the top
    floor(n / eta) of the n trials of its bracket that reached rung k. Optuna's pruner only compares a trial
    with those that reached the rung before it (and stops it for good); the trials that reach the rung later
    can lift a paused one into the top fraction. ``paused``: FrozenTrials; returns those to continue."""
    from optuna.study import StudyDirection

    trials = study.get_trials(deepcopy=False)
    bracket = lambda t: 0
    if hasattr(prune, "_get_bracket_id"):  # hyperband: trials compete within their bracket only
        prune._try_initialization(study)
        bracket = lambda t: prune._get_bracket_id(study, t)
    eta = prune._reduction_factor
    maximize = study.direction == StudyDirection.MAXIMIZE
    out = []
    for t in paused:
        rungs = [k for k in t.system_attrs if k.startswith("completed_rung_")]
        if not rungs:
            continue
        key = max(rungs, key=lambda k: int(k.rsplit("_", 1)[1]))
        b = bracket(t)
        values = sorted((o.system_attrs[key] for o in trials if key in o.system_attrs and bracket(o) == b),
                        reverse=maximize)
        top = len(values) // eta
        value = t.system_attrs[key]
        if top >= 1 and (value >= values[top - 1] if maximize else value <= values[top - 1]):
            out.append(t)
    return out


class TrialPruner:
    """``(epoch, value) -> stop now?`` for one job of a search: reports trainer.metric at every epoch end to the
    job's trial and asks the study's pruner. The study opens at the first report (not while the preflight
    checks the config).

    ``index``: the job is seed ``index`` of a trial scored by the mean over its seeds (the sweeper's ``seeds``;
    they run one after another). It keeps its values in the trial (user attribute ``dlx.seed<index>``, one per
    epoch) and reports the mean over the trial's seeds so far at this epoch (an earlier seed that stopped
    before it: its last value), at the step of the budget the trial has spent, the epochs of its earlier seeds
    plus this one's, so that trials are compared at equal budgets on the mean of the seeds they ran."""

    def __init__(self, storage: str, study: str, number: int, index: int | None = None):
        self.where, self.trial, self.index = (storage, study, int(number)), None, index

    def _open(self):
        import optuna

        url, name, number = self.where
        st = storage(url)
        study = optuna.load_study(study_name=name, storage=st)
        p = study.user_attrs.get(PRUNER_ATTR) or {"name": "none", "args": {}}
        study = optuna.load_study(study_name=name, storage=st, pruner=pruner(p["name"], p["args"]))
        trial_id = st.get_trial_id_from_study_id_trial_number(study._study_id, number)
        return optuna.trial.Trial(study, trial_id)

    def __call__(self, epoch: int, value: float) -> bool:
        if self.trial is None:
            self.trial = self._open()
        if self.index is None:
            self.trial.report(value, epoch)
            return self.trial.should_prune()
        attrs = self.trial.user_attrs  # read from the storage: the earlier seeds' jobs wrote theirs
        own = list(attrs.get(f"dlx.seed{self.index}", []))[: epoch - 1]  # a resumed job rewrites from here
        own += [math.nan] * (epoch - 1 - len(own)) + [float(value)]
        self.trial.set_user_attr(f"dlx.seed{self.index}", own)
        earlier = [attrs.get(f"dlx.seed{i}") or [math.nan] for i in range(self.index)]
        values = [h[min(epoch, len(h)) - 1] for h in earlier] + [float(value)]
        self.trial.report(sum(values) / len(values), sum(len(h) for h in earlier) + epoch)
        return self.trial.should_prune()
