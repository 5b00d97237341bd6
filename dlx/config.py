"""Validate the composed config before anything is built.

Each rule names a key, a check and what is allowed; a violation raises :class:`ConfigError` whose message
is the one line the CLI prints (``key=value is wrong: allowed ...``). Keys that a config does not have are
skipped, so a rule costs nothing for the groups that do not use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from omegaconf import DictConfig, ListConfig, OmegaConf

from dlx.data import tasks
from dlx.models.common import ACTIVATIONS, INITS
from dlx.models.lstm import CELLS, READOUTS
from dlx.models.multistream import FUSE, STREAMS
from dlx.optim.schedule import SCHEDULES


class ConfigError(ValueError):
    """A wrong config value; ``str(err)`` is one line naming the key, the value and what is allowed."""


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


positive = (lambda v: _num(v) and v > 0, "a number > 0")
non_negative = (lambda v: _num(v) and v >= 0, "a number >= 0")
count = (lambda v: _int(v) and v >= 1, "an integer >= 1")
count0 = (lambda v: _int(v) and v >= 0, "an integer >= 0")
optional_count = (lambda v: v is None or (_int(v) and v >= 1), "null or an integer >= 1")
probability = (lambda v: _num(v) and 0 <= v < 1, "a number in [0, 1)")
fraction = (lambda v: _num(v) and 0 < v < 1, "a number in (0, 1)")
integer = (lambda v: _int(v), "an integer")
boolean = (lambda v: isinstance(v, bool), "true or false")


def one_of(*options: str) -> tuple[Callable, str]:
    return (lambda v: v in options, "one of " + ", ".join(options))


def widths() -> tuple[Callable, str]:
    ok = lambda v: isinstance(v, (list, tuple, ListConfig)) and all(_int(w) and w >= 1 for w in v)
    return ok, "a list of integers >= 1, e.g. [128,64]"


# (key, (check, allowed)). Groups add their keys here; a missing key is skipped.
RULES: list[tuple[str, tuple[Callable, str]]] = [
    ("seed", integer),
    ("device", one_of("auto", "cpu", "cuda")),
    ("loss", one_of("auto", "cross_entropy", "mse")),
    ("trainer.max_epochs", count),
    ("trainer.max_steps", optional_count),
    ("trainer.batch_size", count),
    ("trainer.eval_batch_size", count),
    ("trainer.log_every", count),
    ("trainer.mode", one_of("auto", "max", "min")),
    ("trainer.checkpoint", boolean),
    ("trainer.drop_last", boolean),
    ("trainer.grad_clip", (lambda v: v is None or (_num(v) and v > 0), "null or a number > 0")),
    ("optim.lr", positive),
    ("optim.momentum", probability),
    ("optim.weight_decay", non_negative),
    ("schedule.name", one_of(*SCHEDULES)),
    ("schedule.final_frac", (lambda v: _num(v) and 0 <= v <= 1, "a number in [0, 1]")),
    ("schedule.tau", optional_count),
    ("schedule.warmup", count0),
    ("dataset.val_frac", fraction),
    ("dataset.test_frac", fraction),
    ("model.hidden", widths()),
    ("model.channels", widths()),
    ("model.activation", one_of(*ACTIVATIONS)),
    ("model.init", one_of(*INITS)),
    ("model.dropout", probability),
    ("model.input_dropout", probability),
    ("model.batchnorm", boolean),
    ("model.kernel_size", count),
    ("model.stride", count),
    ("model.pool", count),
    ("model.padding", (lambda v: v in ("same", "valid") or (_int(v) and v >= 0),
                       "same, valid or an integer >= 0")),
    ("model.maxout_k", (lambda v: _int(v) and v >= 2, "an integer >= 2")),
    # model families (dlx/models/{lstm,resnet,autoencoder,dbn,multitask,multistream}.py, dlx/families.py)
    ("model.cell", one_of(*CELLS)),
    ("model.readout", one_of(*READOUTS)),
    ("model.layers", count),
    ("model.bidirectional", boolean),
    ("model.width", count),
    ("model.blocks", (lambda v: widths()[0](v) and len(v) > 0, "a non-empty list of integers >= 1, e.g. [2,2]")),
    ("model.tied", boolean),
    ("model.out_activation", one_of("none", "sigmoid")),
    ("model.visible", one_of("bernoulli", "gaussian")),
    ("model.fuse", one_of(*FUSE)),
    ("model.streams", (lambda v: isinstance(v, list) and len(v) > 0 and all(s in STREAMS for s in v),
                       "a non-empty list of " + ", ".join(STREAMS))),
    ("model.pretrain.steps", count0),
    ("model.pretrain.lr", positive),
    ("model.pretrain.batch_size", count),
    ("model.pretrain.k", count),
    ("model.pretrain.persistent", boolean),
    ("model.pretrain.sample_up", boolean),
    ("model.init_from", (lambda v: v is None or (isinstance(v, str) and v != ""), "null or a path")),
    ("model.freeze", (lambda v: isinstance(v, list) and all(isinstance(n, str) for n in v),
                      "a list of parameter name prefixes, e.g. [encoder]")),
    ("dataset.tasks", (tasks.valid, tasks.ALLOWED)),
    ("regularization.l2.alpha", non_negative),
    ("regularization.l2.decoupled", boolean),
]

# Keys whose meaning depends on the model class: (key -> rule) replacing the generic rule above.
MODEL_RULES = {"dlx.models.lstm.LSTM": {"model.hidden": (lambda v: _int(v) and v >= 1, "an integer >= 1 "
                                                         "(units per direction)")}}

_MISSING = object()


def validate(cfg: DictConfig) -> None:
    """Raise ConfigError for the first wrong value; check cross-key constraints after the per-key rules."""
    target = OmegaConf.select(cfg, "model._target_", default=None)
    for key, (check, allowed) in RULES:
        check, allowed = MODEL_RULES.get(target, {}).get(key, (check, allowed))
        value = OmegaConf.select(cfg, key, default=_MISSING, throw_on_missing=False)
        if value is _MISSING:
            continue
        if isinstance(value, (DictConfig, ListConfig)):
            value = OmegaConf.to_container(value, resolve=True)
        if not check(value):
            raise ConfigError(f"{key}={_show(value)} is wrong: allowed is {allowed}")
    metric = cfg.trainer.get("metric", "auto")
    if not isinstance(metric, str) or not (metric == "auto" or metric.startswith(("val/", "train/"))):
        raise ConfigError(f"trainer.metric={_show(metric)} is wrong: allowed is auto or a val/... or train/... "
                          "metric name, e.g. val/acc or val/loss")


def _show(value) -> str:
    return "null" if value is None else str(value)
