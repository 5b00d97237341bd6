"""Validate the composed config before anything is built.

Each rule names a key, a check and what is allowed; a violation raises :class:`ConfigError` whose message
is the one line the CLI prints (``key=value is wrong: allowed ...``). Keys that a config does not have are
skipped, so a rule costs nothing for the groups that do not use it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import torch
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from dlx import CONFIG_DIR
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


# ---- the CLI's check before Hydra starts a single run ---------------------------------------------------------


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def _quote(value: str) -> str:
    """A path as a Hydra override value (quoted when it holds characters the override grammar reserves)."""
    return value if re.fullmatch(r"[\w./\-:~+@]+", value) else "'" + value.replace("'", "\\'") + "'"


def resume_args(args: list[str]) -> list[str] | None:
    """``resume=<run folder>`` -> the arguments given now, then that run's own overrides (from its
    .hydra/overrides.yaml) except those given now (which win), then ``resume`` and ``hydra.run.dir`` pointing at
    the folder, so Hydra composes the same config and the loop continues in the same folder. None when the run
    already finished and nothing changed."""
    given = [a for a in args if _key(a) == "resume"]
    value = given[-1].split("=", 1)[1] if given else "null"
    if value in ("null", "", "None"):
        return args
    folder = Path(value.strip("'\"")).expanduser()
    saved_file = folder / ".hydra" / "overrides.yaml"
    if not saved_file.is_file():
        raise ConfigError(f"resume={value} is wrong: {folder} is not a dlx run folder (it has no "
                          ".hydra/overrides.yaml); allowed is the folder of a run, e.g. outputs/runs/<day>/<time>")
    extra = [a for a in args if _key(a) not in ("resume", "hydra.run.dir")]
    result = folder / "result.json"
    if not extra and result.is_file():
        try:
            status = json.loads(result.read_text()).get("status")
        except ValueError:
            status = None
        if status in ("completed", "stopped_early"):
            print(f"dlx: {folder} already finished ({status}); nothing to resume")
            return None
    keys = {_key(a) for a in extra}
    try:
        stored = OmegaConf.load(saved_file)
        assert isinstance(stored, ListConfig) and all(isinstance(o, str) for o in stored)
    except Exception:
        raise ConfigError(f"resume={value} is wrong: {saved_file} cannot be read as a list of overrides; allowed "
                          "is the folder of a run that dlx wrote") from None
    _check_saved(list(stored), saved_file)
    saved = [o for o in stored if _key(o) not in keys | {"resume", "hydra.run.dir"}]
    where = _quote(str(folder))
    # The given arguments first, in their order (Hydra flags stay before the overrides, as argparse needs).
    return [*extra, *saved, f"resume={where}", f"hydra.run.dir={where}"]


def _check_saved(overrides: list[str], source: Path) -> None:
    """A run folder's saved overrides may not name what gets called (a _target_ outside the config search path)
    or change Hydra itself (callbacks, launchers): they come from a file anyone could have edited."""
    from dlx import checkpoint

    allowed = None
    for o in overrides:
        key, _, value = o.partition("=")
        key = key.lstrip("+~")
        if key.startswith("hydra.") or key == "hydra":
            raise ConfigError(f"{source} holds the override {o}, which a resumed run does not take from a run "
                              "folder; allowed there are the config's own keys")
        if key.endswith("_target_"):
            allowed = checkpoint.config_targets(checkpoint.search_dirs()) if allowed is None else allowed
            if value.strip("'\"") not in allowed:
                raise ConfigError(f"{source} names _target_ {value} ({key}), which dlx will not build from a run "
                                  "folder; allowed are the targets of dlx's configs and --config-dir")


def _one_line(e: Exception, args: list[str]) -> str:
    """Hydra's multi-line composition errors, as the one line ``key=value is wrong: allowed ...``."""
    text = str(e)
    given = {_key(a): a for a in args}
    m = re.search(r"Could not (?:find|load) '([^']+)/([^'/]+)'", text)
    if m:
        group, option = m.groups()
        options = sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))
        allowed = f"one of {', '.join(options)}" if options else f"an option in {CONFIG_DIR / group}/"
        return f"{group}={option} is wrong: allowed is {allowed}"
    m = re.search(r"Could not override '([^']+)'", text) or re.search(r"Key '([^']+)' is not in struct", text)
    if m:
        key = m.group(1)
        return (f"{given.get(key, key)} is wrong: {key} is not a key of the config (check the spelling; "
                f"`dlx train --cfg job` lists the keys, and +{key}=... adds a new one)")
    for a in args:  # a syntax error: find the override the grammar rejects
        try:
            OverridesParser.create().parse_overrides([a])
        except HydraException as pe:
            first = str(pe).strip().splitlines()[0]
            return f"{a} cannot be parsed ({first}); quote values that hold special characters"
    first = text.strip().splitlines()[0] if text.strip() else type(e).__name__
    return f"the config cannot be composed: {first}"


def preflight(args: list[str]) -> list[str] | None:
    """Before Hydra starts a single run: apply ``resume=``, compose the config as Hydra will and validate it
    (when no Hydra flag changes how it composes).

    Raises ConfigError (one line) for anything wrong, so no run folder is made for a config that cannot run.
    Returns the arguments to hand to Hydra, or None when there is nothing to do."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra


    args = resume_args(args)
    if args is None or any(a.startswith("-") for a in args):  # Hydra flags (--config-dir, --cfg, ...): Hydra checks
        return args
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            cfg = compose(config_name="train", overrides=args)
    except (HydraException, OmegaConfBaseException) as e:
        raise ConfigError(_one_line(e, args)) from None
    finally:
        GlobalHydra.instance().clear()
    validate(cfg)
    return args
