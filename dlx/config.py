"""The loop's own keys (seed, device, loss, resume, trainer.*): checked before anything is built.

Every other key belongs to a group whose class or function checks it (models, optimizers, schedules,
datasets: their constructors; regularizers: their builders in dlx/objective.py); dlx/setup.py reaches all
of them. Keys that a config does not have are skipped.
"""

from __future__ import annotations

from functools import partial

from omegaconf import DictConfig, ListConfig, OmegaConf

from dlx import checks
from dlx.checks import ConfigError  # noqa: F401  (re-exported: dlx.config.ConfigError)
from dlx.objective import LOSSES, OUTPUTS
from dlx.regularize import ATTACKS


def _path(name, v):
    if v is not None and (not isinstance(v, str) or v == ""):
        checks.fail(name, v, "null or a path")


def _names(name, v):
    if not isinstance(v, list) or not all(isinstance(n, str) for n in v):
        checks.fail(name, v, "a list of parameter name prefixes, e.g. [encoder]")


def _metric(name, v):
    if not isinstance(v, str) or not (v == "auto" or v.startswith(("val/", "train/"))):
        checks.fail(name, v, "auto or a val/... or train/... metric name, e.g. val/acc or val/loss")


def _grad_clip(name, v):
    if v is not None:
        checks.positive(name, v)


def _shuffle(name, v):
    if not (isinstance(v, bool) or v == "by_class"):
        checks.fail(name, v, "true, false or by_class")


def _eps_list(name, v):
    if not isinstance(v, list) or not all(checks.is_num(e) and e >= 0 for e in v):
        checks.fail(name, v, "a list of perturbation sizes >= 0, e.g. [0.05, 0.1] (empty: no attack)")


def _shifts(name, v):
    if not (isinstance(v, list) and all(checks.is_int(k) and k >= 1 for k in v) and len(set(v)) == len(v)):
        checks.fail(name, v, "a list of distinct pixel shifts >= 1, e.g. [1,2] (or [] for none)")


MAX_THREADS = 1024  # more than any CPU has (the largest have 768 hardware threads); 100000 crashed torch


def _threads(name, v):
    if v != "auto" and not (checks.is_int(v) and 1 <= v <= MAX_THREADS):
        checks.fail(name, v, f"auto or an integer 1..{MAX_THREADS} (more threads than cores only slow a run)")


def _seed(name, v):
    # what torch.manual_seed takes: an integer that fits 64 bits
    if not (checks.is_int(v) and -(2**63) <= v < 2**64):
        checks.fail(name, v, "an integer in [-2**63, 2**64)")


# key -> check(name, value), each raising the one-line ConfigError.
RULES = {
    "seed": _seed,
    "device": partial(checks.one_of, options=("auto", "cpu", "cuda")),
    "loss": partial(checks.one_of, options=LOSSES),
    "output": partial(checks.one_of, options=OUTPUTS),
    "resume": _path,
    "resume_sweep": checks.boolean,
    "trainer.max_epochs": checks.count,
    "trainer.max_steps": checks.optional_count,
    "trainer.batch_size": checks.count,
    "trainer.eval_batch_size": checks.count,
    "trainer.attack": partial(checks.one_of, options=ATTACKS),
    "trainer.attack_eps": _eps_list,
    "trainer.shuffle": _shuffle,
    "trainer.weight_norms": checks.boolean,
    "trainer.log_every": checks.count,
    "trainer.metric": _metric,  # dlx/setup.py then checks it against the metrics the run logs
    "trainer.mode": partial(checks.one_of, options=("auto", "max", "min")),
    "trainer.checkpoint": checks.boolean,
    "trainer.drop_last": checks.boolean,
    "trainer.precision": partial(checks.one_of, options=("fp32", "bf16")),
    "trainer.compile": checks.boolean,
    "trainer.cuda_graphs": checks.boolean,
    "trainer.compile_mode": partial(checks.one_of, options=("default", "reduce-overhead", "max-autotune",
                                                            "max-autotune-no-cudagraphs")),
    "trainer.grad_clip": _grad_clip,
    "trainer.grad_norms": checks.boolean,
    "trainer.dead_units": checks.boolean,


    "trainer.pictures": checks.boolean,
    "trainer.cost": checks.boolean,
    "trainer.shifted_test": _shifts,
    "trainer.threads": _threads,
    "trainer.checkpoint_every_s": checks.non_negative,
    # the model keys the setup applies itself (dlx/setup.py LOOP_KEYS); the model's class checks the rest
    "model.init_from": _path,
    "model.freeze": _names,
}

_MISSING = object()


def validate(cfg: DictConfig) -> None:
    """Raise ConfigError for the first wrong value of the loop's own keys."""
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ConfigError(f"{missing[0]}=??? is wrong: a value is required, e.g. {missing[0]}=...")
    for key, check in RULES.items():
        value = OmegaConf.select(cfg, key, default=_MISSING, throw_on_missing=False)
        if value is _MISSING:
            continue
        if isinstance(value, (DictConfig, ListConfig)):
            value = OmegaConf.to_container(value, resolve=True)
        check(key, value)
