"""Validate the composed config before anything is built.

Each rule names a key, a check and what is allowed; a violation raises :class:`ConfigError` whose message
is the one line the CLI prints (``key=value is wrong: allowed ...``). Keys that a config does not have are
skipped, so a rule costs nothing for the groups that do not use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from omegaconf import DictConfig, ListConfig, OmegaConf

from dlx.checks import ConfigError  # noqa: E402  (re-exported: dlx.config.ConfigError)
from dlx.data import tasks
from dlx.models.common import ACTIVATIONS, INITS
from dlx.models.lstm import CELLS, READOUTS
from dlx.models.multistream import FUSE, STREAMS
from dlx.optim.schedule import SCHEDULES


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
unit = (lambda v: _num(v) and 0 <= v <= 1, "a number in [0, 1]")
integer = (lambda v: _int(v), "an integer")
boolean = (lambda v: isinstance(v, bool), "true or false")


def one_of(*options: str) -> tuple[Callable, str]:
    return (lambda v: v in options, "one of " + ", ".join(options))


def widths() -> tuple[Callable, str]:
    is_list = lambda v: isinstance(v, (list, tuple, ListConfig)) and all(_int(w) and w >= 1 for w in v)
    ok = lambda v: (_int(v) and v >= 1) or is_list(v)  # the lstm's hidden is one width
    return ok, "a list of integers >= 1, e.g. [128,64] (one integer for model=lstm)"


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
    ("resume_sweep", boolean),
    ("trainer.checkpoint", boolean),
    ("trainer.drop_last", boolean),
    ("trainer.precision", one_of("fp32", "bf16")),
    ("trainer.compile", boolean),
    ("trainer.cuda_graphs", boolean),
    ("trainer.compile_mode", one_of("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")),
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
    ("resume", (lambda v: v is None or (isinstance(v, str) and v != ""), "null or a run folder")),
    # dataset keys (dlx/data): the loaders check what needs the data itself (files, shapes, subset <= N)
    ("dataset.split_seed", integer),
    ("dataset.subset", optional_count),
    ("dataset.subset_mode", one_of("first", "stratified")),
    ("dataset.task", one_of("auto", "classification", "regression")),
    ("dataset.channels", (lambda v: v in (1, 3) and _int(v), "1 (greyscale) or 3 (RGB)")),
    ("dataset.size", (lambda v: isinstance(v, list) and len(v) == 2 and all(_int(s) and s >= 1 for s in v),
                      "[height, width], integers >= 1")),
    ("dataset.mirrors", (lambda v: isinstance(v, list) and all(isinstance(m, str) for m in v),
                         "a list of URL prefixes")),
    ("dataset.root", (lambda v: v is None or isinstance(v, str), "null or a folder")),
    ("dataset.path", (lambda v: isinstance(v, str) and v != "", "a file or folder path")),
    ("dataset.label", (lambda v: isinstance(v, str) and v != "", "a column name")),
    ("dataset.features", (lambda v: v is None or (isinstance(v, list) and all(isinstance(c, str) for c in v)),
                          "null or a list of column names")),
    ("dataset.test_path", (lambda v: v is None or (isinstance(v, str) and v != ""), "null or a path")),
    ("dataset.delimiter", (lambda v: isinstance(v, str) and len(v) == 1, "one character, e.g. , or ;")),
    ("dataset.data_seed", integer),
    ("dataset.n", count),
    ("dataset.dim", count),
    ("dataset.out_dim", count),
    ("dataset.noise", non_negative),
    ("optim.eps", positive),
    ("optim.line_search_fn", one_of("strong_wolfe")),
    ("regularization.early_stopping.metric", (lambda v: isinstance(v, str) and (v == "auto" or v.startswith(
        ("val/", "train/"))), "auto or a val/... or train/... metric name")),
    # optimizers (dlx/optim/course.py, second_order.py) and the regularization group (dlx/regularize.py)
    ("trainer.grad_norms", boolean),
    ("optim.rho", probability),
    ("optim.delta", non_negative),
    ("optim.betas", (lambda v: isinstance(v, list) and len(v) == 2 and all(_num(b) and 0 <= b < 1 for b in v),
                     "a pair [rho1, rho2] of numbers in [0, 1)")),
    ("optim.form", one_of("course", "torch")),
    ("optim.beta", one_of("polak_ribiere", "fletcher_reeves")),
    ("optim.damping", non_negative),
    ("optim.line_search", boolean),
    ("optim.max_params", count),
    ("optim.c2", fraction),
    ("optim.max_iter", count),
    ("optim.max_eval", count),
    ("optim.history_size", count),
    ("regularization.l2.params", one_of("weights", "all")),
    ("regularization.l1.alpha", non_negative),
    ("regularization.l1.params", one_of("weights", "all")),
    ("regularization.weight_noise.std", non_negative),
    ("regularization.input_noise.std", non_negative),
    ("regularization.augment.shift", count0),
    ("regularization.augment.rotate", (lambda v: _num(v) and 0 <= v <= 180, "degrees in [0, 180]")),
    ("regularization.augment.noise", non_negative),
    ("regularization.early_stopping.patience", count),
    ("regularization.early_stopping.min_delta", non_negative),
    ("regularization.early_stopping.mode", one_of("auto", "max", "min")),
    ("regularization.adversarial.epsilon", non_negative),
    ("regularization.adversarial.alpha", unit),
    ("regularization.label_smoothing.eps", probability),
    ("regularization.max_norm.c", positive),
    ("regularization.curriculum.teacher", (lambda v: v is None or isinstance(v, str),
                                           "null (distance-to-class-mean proxy) or a run folder / .pt file")),
    ("regularization.curriculum.start", (lambda v: _num(v) and 0 < v <= 1, "a number in (0, 1]")),
    ("regularization.curriculum.epochs", count),
    ("regularization.distill.teacher", (lambda v: isinstance(v, str) and v != "",
                                        "a trained run's folder or checkpoint .pt file")),
    ("regularization.distill.temperature", positive),
    ("regularization.distill.alpha", unit),
    ("regularization.distill.hint_weight", non_negative),
]

# Keys whose meaning depends on the model class: (key -> rule) replacing the generic rule above.
MODEL_RULES = {"dlx.models.lstm.LSTM": {"model.hidden": (lambda v: _int(v) and v >= 1, "an integer >= 1 "
                                                         "(units per direction)")}}

_MISSING = object()


def validate(cfg: DictConfig) -> None:
    """Raise ConfigError for the first wrong value; check cross-key constraints after the per-key rules."""
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ConfigError(f"{missing[0]}=??? is wrong: a value is required, e.g. {missing[0]}=...")
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
    if cfg.get("device") == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device=cuda is wrong: no CUDA GPU is visible here (torch.cuda.is_available() is "
                          "False); allowed is auto or cpu")


def _show(value) -> str:
    return "null" if value is None else str(value)
