"""cfg -> Run: the only module that reads the composed config.

It turns the config into plain objects (data on the device, model, optimizer, schedule, the objective and its
parts, early stopping, the loop's numbers) that dlx/train.py's loop runs. :func:`check` builds the same
objects without training (the model on PyTorch's meta device, so nothing is allocated): the CLI runs it on
every job of a sweep before the first one starts, so every constructor's own argument checks run there too.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import inspect
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from hydra.errors import InstantiationException
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn

from dlx import checkpoint, checks, graphs, lazy_dynamo, metrics, objective, runfolder, search
from dlx import regularize as R
from dlx.checks import ConfigError
from dlx.config import validate
from dlx.data import Data, DataError
from dlx.models import transfer
from dlx.models.common import UNTRAINED, pretrain_on
from dlx.optim import check_torch, schedule

# Errors in what the user asked for (config, data files, checkpoints): one line and exit 2, no traceback.
USER_ERRORS = (ConfigError, DataError, checkpoint.CheckpointError)

LOOP_KEYS = ("init_from", "freeze", "prefix_map", "pretrain")  # model.<key> the setup applies, not the class
# Regularizers that are model arguments: regularization.<name> -> the constructor's keyword arguments.
MODEL_ARGS = {
    "dropout": lambda o: {"input_dropout": checks.probability("regularization.dropout.input", o["input"]),
                          "dropout": checks.probability("regularization.dropout.hidden", o["hidden"])},
    "batchnorm": lambda o: {"batchnorm": True},
}


@dataclass
class Run:
    """Everything the loop needs, as plain objects and numbers."""

    device: torch.device
    seed: int
    data: Data
    y: Any  # training targets: a tensor, or name -> tensor for a multi-task model
    y_val: Any
    y_test: Any
    model: nn.Module
    step_model: nn.Module  # the compiled model when trainer.compile, else the model
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scheduled: bool  # False for a constant rate: the loop skips the per-step scheduler update
    objective: objective.Objective
    early_stopping: R.EarlyStopping | None
    curriculum: tuple[torch.Tensor, float, int] | None  # (examples easy -> hard, start fraction, epochs)
    pretrain: dict | None  # the model's greedy layer-wise phase, run before the loop: model.pretrain(x, **pretrain)
    pretrain_x: torch.Tensor | None  # what it reads (N, *in_shape): training inputs only, see pretrain_inputs
    metric: str
    mode: str  # max | min
    batch_size: int
    order: torch.Tensor | None  # trainer.shuffle false/by_class: the training examples' order every epoch
    weight_norms: bool  # weights/* every log_every steps and weights/norm at each epoch end
    attack: tuple[str, list[float]]  # trainer.attack, trainer.attack_eps: test/attack_<eps>/acc at the end
    steps_per_epoch: int
    total_steps: int
    max_epochs: int
    log_every: int
    eval_batch_size: int
    grad_clip: float | None
    grad_norms: bool  # also train/grad_vanish at each epoch end
    dead_units: bool  # train/dead_units at each epoch end
    cost: bool  # cost/* metrics in result.json (dlx.train.cost_metrics)
    shifted_test: list[int]  # pixel shifts of the translation test (dlx.train.shifted)
    pictures: bool  # TensorBoard images at up to dlx.train.PICTURES of the epoch lines (dlx/track.py log_images)
    save_checkpoints: bool
    checkpoint_every_s: float  # last.pt/best.pt at most this often (and always at the end)
    threads: int  # CPU intra-op threads this run uses
    threads_auto: bool  # trainer.threads=auto chose them: a stack of runs counts again (dlx/sweep/stack.py)
    cuda_graphs: bool
    autocast: Any
    config_yaml: str  # stored in every checkpoint
    hparams: dict  # the config's leaves, for TensorBoard's HParams
    overrides: list[str] = field(default_factory=list)
    resume: dict | None = None  # the checkpoint state to continue from
    pretrain_s: float | None = None  # how long the pretraining phase took (set by dlx.train.start)
    pruner: Any = None  # in a search (dlx/search.py): (epoch, trainer.metric's value) -> stop now?
    # The same optimizer, schedule and regularizer parts over other tensors: runs trained as one stack
    # (dlx/sweep/stack.py) build theirs over the stacked (N, *shape) parameters with the single run's builders.
    new_optimizer: Callable[..., torch.optim.Optimizer] | None = None  # (params, fused=None)
    new_scheduler: Callable[[torch.optim.Optimizer], Any] | None = None
    new_parts: Callable[..., objective.Parts] | None = None  # (weights: which -> tensors, see objective.Context)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device=cuda is wrong: no CUDA GPU is visible here (torch.cuda.is_available() is "
                          "False); allowed is auto or cpu")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # seeds CUDA too


def _instantiate(node: dict, group: str, **kwargs):
    """Hydra's instantiate; a constructor's one-line ConfigError comes out with its key placed in ``group``."""
    try:
        return instantiate(node, **kwargs)
    except InstantiationException as e:
        cause = e.__cause__
        if isinstance(cause, ConfigError):
            raise checks.in_group(group, cause) from None
        if isinstance(cause, (DataError, checkpoint.CheckpointError)):
            raise cause from None
        if isinstance(cause, TypeError) and "argument" in str(cause):  # a YAML key the class does not take
            raise ConfigError(f"{group}: {str(cause).splitlines()[0]}; allowed are the arguments of "
                              f"{node.get('_target_')}") from None
        raise


# ---- data ---------------------------------------------------------------------------------------------------

_DATA: dict[str, Data] = {}  # per process: the jobs of a sweep that share a dataset config load it once


def load_data(node: dict) -> Data:
    """The dataset ``node`` describes, on the CPU; a copy of the cached tensors' holder, never mutated."""
    key = OmegaConf.to_yaml(OmegaConf.create(node))
    if key not in _DATA:
        _DATA.clear()  # keep one dataset: a sweep over datasets should not hold them all
        _DATA[key] = _instantiate(node, "dataset")
    d = _DATA[key]
    return Data(d.x, d.y, d.x_val, d.y_val, d.x_test, d.y_test, d.task, d.n_out, dict(d.targets),
                dict(d.target_info), dict(d.meta), d.x_unlabeled)


def task_view(data: Data, task: str) -> Data:
    """The data as the model's task sees it: a reconstruction model's targets are its inputs; a multi-task
    model on a dataset without extra targets has one task named ``y``."""
    if task == "reconstruction":
        return Data(data.x, data.x, data.x_val, data.x_val, data.x_test, data.x_test, "regression",
                    math.prod(data.in_shape), data.targets, data.target_info, data.meta, data.x_unlabeled)
    if task == "multitask" and not data.targets:
        return Data(data.x, data.y, data.x_val, data.y_val, data.x_test, data.y_test, data.task, data.n_out,
                    {"y": (data.y, data.y_val, data.y_test)}, {"y": (data.task, data.n_out)}, data.meta,
                    data.x_unlabeled)
    return data


# ---- model --------------------------------------------------------------------------------------------------


def model_kwargs(cls: type, target: str, reg: dict, in_shape: tuple[int, ...], n_out: int) -> dict:
    """The keyword arguments dlx adds to the model's YAML keys: ``in_shape``/``n_out`` where the constructor
    takes them (a user's own model may not), and the regularizers that are model arguments (dropout, batch
    norm), refused with one line for a family that has no such argument."""
    params = inspect.signature(cls).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    takes = lambda name: takes_any or name in params
    kwargs = {k: v for k, v in (("in_shape", in_shape), ("n_out", n_out)) if takes(k)}
    for name, to_args in MODEL_ARGS.items():
        if name in reg:
            args = to_args(reg[name])
            missing = [a for a in args if not takes(a)]
            if missing:
                raise ConfigError(f"regularization={name} is wrong with model {target}: {cls.__name__} has no "
                                  f"{'/'.join(missing)} argument (see its docstring); allowed with it are the other "
                                  "regularizers")
            kwargs.update(args)
    return kwargs


def instantiate_model(model_cfg, in_shape: tuple[int, ...], n_out: int, reg: dict | None = None,
                      tasks: dict[str, int] | None = None) -> nn.Module:
    """The model ``model_cfg`` describes for inputs of ``in_shape`` and ``n_out`` outputs (``tasks``: name ->
    outputs, for a multi-task model), without the setup's own keys (init_from, freeze, ...): also for code that
    rebuilds a run's model from its config (teachers, eval, benchmarks)."""
    node = model_cfg if isinstance(model_cfg, dict) else OmegaConf.to_container(model_cfg, resolve=True)
    node = {k: v for k, v in node.items() if k not in LOOP_KEYS}
    cls = model_class(node["_target_"])
    kwargs = model_kwargs(cls, node["_target_"], reg or {}, tuple(in_shape), n_out)
    if getattr(cls, "task", None) == "multitask":
        kwargs["tasks"] = tasks
    model = _instantiate(node, "model", **kwargs)
    model.task = getattr(cls, "task", None)
    return model


def build_model(model_cfg: dict, data: Data, reg: dict) -> nn.Module:
    tasks = {name: n for name, (_, n) in data.target_info.items()}
    model = instantiate_model(model_cfg, data.in_shape, data.n_out, reg, tasks)
    model.task = model.task or data.task
    return model


def model_class(target: Any) -> type:
    try:
        cls = get_class(str(target))
    except Exception as e:
        raise ConfigError(f"model._target_={target} is wrong: it cannot be imported ({str(e).splitlines()[0][:160]}); "
                          "allowed is a class importable from the working directory or an installed package") from None
    if not issubclass(cls, nn.Module):
        raise ConfigError(f"model._target_={target} is wrong: it is not a torch.nn.Module; allowed is a model class "
                          "(dlx.models..., or your own nn.Module)")
    return cls


def check_memory(model: nn.Module, device: torch.device) -> None:
    """Refuse a model whose weights and gradients alone (2x its parameters' bytes; an optimizer adds more) are
    larger than the device's memory: allocating it would fail half way with a traceback, or swap for hours."""
    need = 2 * sum(p.numel() * p.element_size() for p in model.parameters())
    have = torch.cuda.get_device_properties(device).total_memory if device.type == "cuda" else checks.memory_bytes()
    if need > have:
        n = sum(p.numel() for p in model.parameters())
        raise ConfigError(f"model={type(model).__name__} is too large: {n:,} parameters need {need / 1e9:.1f} GB for "
                          f"weights and gradients, more than the {have / 1e9:.1f} GB of {device.type} memory here; "
                          "allowed is a model that fits (smaller widths or fewer layers)")


def apply_loop_keys(model: nn.Module, keys: dict, restoring: bool) -> None:
    """model.init_from (skipped when a checkpoint's weights come next: resume, eval) and model.freeze."""
    try:
        if keys.get("init_from") and not restoring:
            report = transfer.init_from(model, keys["init_from"], keys.get("prefix_map"))
            print("\n".join(report.lines()))
        if keys.get("freeze"):
            frozen = transfer.freeze(model, list(keys["freeze"]))
            n = sum(p.numel() for p in model.parameters() if not p.requires_grad)
            print(f"freeze: {len(frozen)} parameter tensors ({n} numbers) stay fixed: {', '.join(frozen)}")
    except ValueError as e:
        if isinstance(e, USER_ERRORS):
            raise
        raise ConfigError(str(e)) from None


def targets(data: Data, task: str) -> tuple[Any, Any, Any]:
    """(train, val, test) targets: tensors, or name -> tensor dicts for a multi-task model."""
    if task != "multitask":
        return data.y, data.y_val, data.y_test
    return tuple({n: t[i] for n, t in data.targets.items()} for i in range(3))


# ---- the whole run --------------------------------------------------------------------------------------------


def load_teacher(path: str, data: Data, device: torch.device) -> nn.Module:
    return R.load_teacher(path, lambda cfg: build_model(cfg, data, {}), device)


def _model(mcfg: dict, keys: dict, data: Data, reg: dict, device: torch.device, dry: bool,
           restoring: bool) -> nn.Module:
    """The model on the device with init_from/freeze applied (dry: on the meta device, their paths and names
    checked), its pretraining keys checked by the class."""
    with torch.device("meta") if dry else contextlib.nullcontext():
        model = build_model(mcfg, data, reg)
    check_overcomplete(model, mcfg.get("hidden"), reg)
    if dry:  # the preflight: a model too large for memory is one line before any folder exists
        check_memory(model, device)
    pre = keys.get("pretrain")
    if pre and hasattr(type(model), "check_pretrain"):
        try:
            type(model).check_pretrain(**pre)
        except ConfigError as e:
            raise checks.in_group("model", e) from None
    if not dry:
        model = model.to(device)
        apply_loop_keys(model, keys, restoring=restoring)
        return model
    if keys.get("init_from"):
        transfer.checkpoint_path(keys["init_from"])  # exists and is a checkpoint or run folder
    if keys.get("freeze"):
        try:
            transfer.freeze(model, list(keys["freeze"]))
        except ValueError as e:
            raise ConfigError(str(e)) from None
    return model


# regularization.<name>.<key> > 0 that keeps an overcomplete autoencoder from learning the identity
# (Goodfellow et al. 14.2): a sparse code, denoising, or weight decay
CONSTRAINTS = {"sparsity": "alpha", "input_noise": "std", "l2": "alpha", "weight_decay": "alpha"}


def check_overcomplete(model: nn.Module, hidden: Any, reg: dict) -> None:
    """An overcomplete autoencoder (model.overcomplete) trains only with a constraint of CONSTRAINTS on."""
    if not getattr(model, "overcomplete", False):
        return
    if any(isinstance(reg.get(name), dict) and checks.is_num(reg[name].get(key)) and reg[name][key] > 0
           for name, key in CONSTRAINTS.items()):
        return
    d = math.prod(getattr(model, "in_shape", ()))
    raise ConfigError(f"model.hidden={checks.show(hidden)} is wrong without a constraint: a level as wide as the one "
                      f"below it or wider (overcomplete) can copy its input and learn nothing; allowed is strictly "
                      f"decreasing widths below the input size {d}, or such a code with regularization=sparsity, "
                      "input_noise (denoising) or l2/weight_decay at a strength > 0")


PRETRAIN_INPUTS = ("all", "labeled")


def pretrain_inputs(pre: dict | None) -> tuple[dict | None, str]:
    """model.pretrain without ``inputs``, which the setup owns (the class checks the other keys), and that key:
    which training inputs the greedy phase reads. ``all``: the whole training split without its labels, also
    the examples dataset.subset leaves out (semi-supervised: many unlabeled inputs, few labeled ones);
    ``labeled``: only the examples the loop trains on. Validation and test inputs never."""
    if not pre:
        return pre, "all"
    pre = dict(pre)
    return pre, checks.one_of("model.pretrain.inputs", pre.pop("inputs", "all"), PRETRAIN_INPUTS)


def _early_stopping(o: dict, metric: str, logged: list[str]) -> R.EarlyStopping:
    es_metric = metric if o.get("metric", "auto") == "auto" else o["metric"]
    if es_metric not in logged:
        raise ConfigError(f"regularization.early_stopping.metric={es_metric} is wrong: allowed are auto and "
                          "the metrics this run logs: " + ", ".join(logged))
    mode = checks.one_of("regularization.early_stopping.mode", o.get("mode", "auto"), ("auto", "max", "min"))
    return R.EarlyStopping(es_metric, checks.count("regularization.early_stopping.patience", o["patience"]),
                           checks.non_negative("regularization.early_stopping.min_delta", o["min_delta"]),
                           metrics.direction(es_metric, mode))


def _curriculum(o: dict, data: Data, multi: bool, device: torch.device, batch: int, dry: bool):
    """(example indices easy -> hard, start fraction, epochs), by a teacher's loss or the class-mean distance."""
    start = checks.number("regularization.curriculum.start", o["start"], 0, 1, low_open=True)
    epochs = checks.count("regularization.curriculum.epochs", o["epochs"])
    if multi:
        raise ConfigError("regularization=curriculum is wrong with a multi-task model: allowed with it are the "
                          "regularizers that do not need a single output")
    # the preflight loads the teacher on the CPU (it must load and fit this data); on the meta device, which a
    # dry build uses, the checkpoint's checksum could not read its tensors
    judge = load_teacher(o["teacher"], data, torch.device("cpu") if dry else device) if o.get("teacher") else None
    if dry:
        return None
    return torch.argsort(R.difficulty(data.x, data.y, data.task, judge, batch)), start, epochs


def build(cfg: DictConfig, overrides: list[str] | None = None, resume: str | Path | None = None,
          run_dir: Path | None = None, dry: bool = False, cores: int | None = None) -> Run:
    """Every object of one run (``resume``: the run folder to continue, else ``cfg.resume``). ``dry`` builds the
    model on the meta device and skips what needs real weights (pretraining, init_from's copy, curriculum's
    ordering): a check that costs no training. ``cores``: this process's share of the machine, what
    trainer.threads=auto gives a large model (None: CORES; a worker of hydra/launcher=parallel gets cores / n_jobs)."""
    validate(cfg)  # the loop's own keys (dlx/config.py)
    if not dry:
        lazy_dynamo.import_now()  # what the first optimizer step imports, cheaper, before this run's objects
    resume = resume if resume is not None else cfg.get("resume")
    tc, device = cfg.trainer, pick_device(cfg.device)
    seed_everything(cfg.seed)
    c = OmegaConf.to_container(cfg, resolve=True)
    reg = {k: v for k, v in (c.get("regularization") or {}).items() if isinstance(v, dict)}
    data, model, pre = _setup_data_and_model(c, reg, device, dry, resume is not None)
    task = model.task
    threads = tc.threads if tc.threads != "auto" else \
        auto_threads(model, data.x[:tc.batch_size], device, dry, cores=cores)
    if not dry:
        torch.set_num_threads(threads)
    autocast = _autocast(tc.precision, tc.cuda_graphs, device, dry)
    multi = task == "multitask"
    probe = data.x[:2] if not dry else torch.zeros(2, *data.in_shape, device="meta")
    ctx = objective.Context(model, data.task, data.n_out, probe, cfg.loss, cfg.output, autocast,
                            multi, lambda path: load_teacher(path, data, probe.device))
    if dry and "distill" in reg:  # the teacher must load; its hooks need real tensors, checked at the run
        load_teacher(reg["distill"].get("teacher") or "", data, torch.device("cpu"))
        reg_here = {k: v for k, v in reg.items() if k != "distill"}
    else:
        reg_here = reg
    new_parts = lambda weights=None: objective.build_parts(reg_here, dataclasses.replace(ctx, weights=weights))
    parts = new_parts()
    steps = _steps(tc, len(data.x))
    optimizer, new_optimizer, scheduler, new_scheduler = _setup_optimizer(c, tc, steps[1], model, parts, device,
                                                                          len(data.x))
    metric, es, curriculum = _setup_metric(tc, reg, task, data, probe.device, dry)
    state = _resume(resume, run_dir, dry)
    sc = c["schedule"]
    y, y_val, y_test = targets(data, task)
    order, attack = fixed_order(tc.shuffle, y, task, len(data.x), data.x.device, dry), _attack(tc, task)
    return Run(
        device=device, seed=cfg.seed, data=data, y=y, y_val=y_val, y_test=y_test, model=model,
        step_model=torch.compile(model, mode=tc.compile_mode) if tc.compile and not dry else model,
        optimizer=optimizer, scheduler=scheduler, scheduled=sc["name"] != "constant" or sc.get("warmup", 0) > 0,
        objective=objective.Objective(_loss(cfg, data, model, multi), parts, autocast,
                                      getattr(optimizer, "create_graph", False)),
        early_stopping=es, curriculum=curriculum, pretrain=pre,
        pretrain_x=(data.x if data.x_unlabeled is None else data.x_unlabeled) if pre and not dry else None,
        metric=metric, mode=metrics.direction(metric, tc.mode), batch_size=tc.batch_size, order=order,
        weight_norms=tc.weight_norms, attack=attack,
        steps_per_epoch=steps[0], total_steps=steps[1],
        max_epochs=math.ceil(steps[1] / steps[0]),  # max_steps, when set, replaces max_epochs
        log_every=tc.log_every, eval_batch_size=tc.eval_batch_size, grad_clip=tc.grad_clip,
        grad_norms=tc.grad_norms, dead_units=tc.dead_units, cost=tc.cost, shifted_test=list(tc.shifted_test),
        pictures=tc.pictures, save_checkpoints=tc.checkpoint, checkpoint_every_s=tc.checkpoint_every_s,
        threads=threads, threads_auto=tc.threads == "auto", cuda_graphs=tc.cuda_graphs, autocast=autocast,
        config_yaml=OmegaConf.to_yaml(cfg), overrides=list(overrides or []), resume=state,
        hparams=flat({k: v for k, v in c.items() if k != "claim"}),  # a preset's claim: text, not a setting
        pruner=search.TrialPruner(**c["trial"]) if c.get("trial") and not dry else None,
        new_optimizer=new_optimizer, new_scheduler=new_scheduler, new_parts=new_parts)


def _setup_data_and_model(c: dict, reg: dict, device: torch.device, dry: bool, resuming: bool):
    """(the data as the model's task sees it, on the device; the model with init_from/freeze applied; the greedy
    pretraining phase's keys, None when the run has none or skips it: a resumed run; a dry check keeps the keys,
    what the preflight says the run logs, and never runs the phase)."""
    mcfg = dict(c["model"])
    keys = {k: mcfg.pop(k, None) for k in LOOP_KEYS}
    keys["pretrain"], pre_inputs = pretrain_inputs(keys["pretrain"])
    pretraining = pretrain_on(keys["pretrain"]) and not resuming and not dry
    cls = model_class(mcfg.get("_target_"))
    data = load_data(c["dataset"])
    data = task_view(data, getattr(cls, "task", data.task))
    pre = keys["pretrain"] or {}
    reads_inputs = pre.get("steps", 0) > 0 and pre.get("method", "cd") not in UNTRAINED
    if not (pretraining and reads_inputs and pre_inputs == "all"):
        data.x_unlabeled = None  # nothing reads it (a probe alone fits the head to the labeled x): off the device
    if not dry:
        data = data.to(device)
    model = _model(mcfg, keys, data, reg, device, dry, resuming)
    if device.type == "cuda" and data.x.ndim == 4 and c["trainer"]["precision"] == "bf16" and not dry:
        # NHWC feeds bf16 tensor-core conv kernels; in fp32 small LeNet-size convs ran slower in NHWC (H200)
        model = model.to(memory_format=torch.channels_last)
        data.x, data.x_val, data.x_test = (t.contiguous(memory_format=torch.channels_last)
                                           for t in (data.x, data.x_val, data.x_test))
    return data, model, keys.get("pretrain") if pretrain_on(keys["pretrain"]) and not resuming else None


def _autocast(precision: str, cuda_graphs: bool, device: torch.device, dry: bool) -> Callable:
    """A context factory for the forward passes: bf16 autocast, or nothing (fp32)."""
    if precision != "bf16":
        return contextlib.nullcontext  # building an autocast context costs microseconds every forward
    if device.type == "cpu" and not dry:
        print("dlx: precision=bf16 on CPU runs with CPU autocast (slow on most CPUs; fp32 is the CPU default)")
    # autocast's weight-cast cache must be off under graph capture (PyTorch's CUDA-graph notes)
    return lambda: torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=not cuda_graphs)


def _steps(tc, n_train: int) -> tuple[int, int]:
    """(steps per epoch, total steps): trainer.max_steps, when set, replaces max_epochs."""
    batch = tc.batch_size
    steps_per_epoch = n_train // batch if tc.drop_last else math.ceil(n_train / batch)
    if steps_per_epoch == 0:
        raise ConfigError(f"trainer.batch_size={batch} is wrong with drop_last: allowed is at most the "
                          f"{n_train} training examples")
    return steps_per_epoch, tc.max_steps or tc.max_epochs * steps_per_epoch


def _setup_optimizer(c: dict, tc, total_steps: int, model: nn.Module, parts: objective.Parts,
                     device: torch.device, n_train: int):
    """(the optimizer over the trainable parameters and the regularizers' own modules, the function that builds
    the same optimizer over other tensors, the schedule, the function that builds the same schedule)."""
    trainable = [p for p in model.parameters() if p.requires_grad]  # model.freeze leaves the rest out
    extra = [p for m in parts.modules.values() for p in m.parameters()]
    new_optimizer = lambda params, fused=None: build_optimizer(c["optim"], params, fused)
    optimizer = new_optimizer(trainable + extra)
    if getattr(optimizer, "create_graph", False) and tc.compile:  # Newton differentiates the gradient again
        raise ConfigError(f"trainer.compile=true is wrong with optim {c['optim']['_target_']}: it differentiates "
                          "the gradient again (double backward), which torch.compile does not support; allowed "
                          "with it is trainer.compile=false")
    sc = c["schedule"]
    new_scheduler = lambda opt: schedule.build(opt, sc["name"], total_steps, sc.get("tau"),
                                               sc.get("final_frac", 0.01), sc.get("warmup", 0))
    try:
        scheduler = new_scheduler(optimizer)
    except ConfigError as e:
        raise checks.in_group("schedule", e) from None
    if tc.cuda_graphs:
        graphs.check(device, optimizer, c["optim"]["_target_"], n_train, tc.batch_size, tc.drop_last, sc["name"],
                     sc.get("warmup", 0), tc.compile, tc.compile_mode)
    return optimizer, new_optimizer, scheduler, new_scheduler


def _setup_metric(tc, reg: dict, task: str, data: Data, device: torch.device, dry: bool):
    """(trainer.metric resolved, early stopping, curriculum's order), each checked against the metrics logged."""
    metric = tc.metric if tc.metric != "auto" else metrics.default_metric(task, data.target_info)
    logged = metrics.logged_metrics(task, data.target_info)
    if metric not in logged:
        raise ConfigError(f"trainer.metric={metric} is wrong: allowed are auto and the metrics this run logs: "
                          + ", ".join(logged))
    es = _early_stopping(reg["early_stopping"], metric, logged) if "early_stopping" in reg else None
    if tc.shifted_test and task != "classification":
        raise ConfigError(f"trainer.shifted_test={checks.show(list(tc.shifted_test))} is wrong for a {task} model: "
                          "allowed is [] (the translation test measures a classifier's test accuracy)")
    curriculum = (_curriculum(reg["curriculum"], data, task == "multitask", device, tc.eval_batch_size, dry)
                  if "curriculum" in reg else None)
    return metric, es, curriculum


def _resume(resume: str | Path | None, run_dir: Path | None, dry: bool) -> dict | None:
    """The checkpoint state a resumed run continues from (dry: only that it is there, before anything starts)."""
    if resume is None:
        return None
    if dry:
        last = runfolder.checkpoint_file(Path(str(resume)).expanduser())
        if not last.is_file():
            raise ConfigError(f"resume={resume} is wrong: {last} does not exist (the run stopped before its "
                              "first checkpoint); allowed is a run folder with checkpoints/last.pt (run this one "
                              f"again: the same command with hydra.run.dir={resume} overwrite=true)")
        return None
    return resume_state(Path(run_dir), resume)


def fixed_order(shuffle, y, task: str, n: int, device: torch.device, dry: bool) -> torch.Tensor | None:
    """trainer.shuffle: None (true: the loop draws a fresh permutation each epoch), else the order every epoch
    repeats: the stored one (false) or the examples sorted by label (by_class; a stable sort keeps the stored
    order within a class), which makes consecutive minibatches anything but independent (notes l. 1122)."""
    if shuffle is True:
        return None
    if shuffle == "by_class" and task != "classification":
        raise ConfigError(f"trainer.shuffle=by_class is wrong for a {task} model: allowed are true and false "
                          "(by_class sorts by a single class label)")
    if dry:
        return None
    return torch.arange(n, device=device) if shuffle is False else torch.sort(y, stable=True).indices


def _attack(tc, task: str) -> tuple[str, list[float]]:
    """(trainer.attack, trainer.attack_eps): what the end of the run measures the test accuracy under."""
    eps = list(tc.attack_eps)
    if eps and task != "classification":
        raise ConfigError(f"trainer.attack_eps={checks.show(eps)} is wrong for a {task} model: allowed is [] "
                          "(an attack measures a single classifier's accuracy)")
    return tc.attack, eps


CORES = torch.get_num_threads()  # the cores this process may use, read once at import (a run sets its own count)
SMALL_FLOPS = 5e7  # forward FLOPs per batch below which one thread is as fast (scripts/bench_threads.py, idle
# 2-core machine: digits MLP 6.5 MFLOP 1.04x from a second thread, MNIST MLP 137 MFLOP 1.54x; under load 1 thread wins)


@torch.no_grad()
def auto_threads(model: nn.Module, xb: torch.Tensor, device: torch.device, dry: bool = False,
                 copies: int = 1, cores: int | None = None) -> int:
    """trainer.threads=auto: one thread for a model whose forward pass over a batch is under SMALL_FLOPS (its
    steps are too small to split: a second thread costs more in handoffs than it gives, and one thread gives the
    same numbers whichever launcher runs the job), else all of this process's cores. On a GPU: unchanged.
    ``dry``: the model is on the meta device (the preflight). Counting there would run torch's Python meta
    kernels, which import torch._dynamo (dlx/lazy_dynamo.py). So a model with so many parameters that, at 2
    FLOPs per parameter per example (what a matmul or convolution does at least with each of its weights), it
    is 4x over SMALL_FLOPS (a margin for biases and norms, which no matmul uses) gets all cores uncounted, and a
    smaller one is counted on a CPU copy left uninitialized (the count does not depend on the values).
    ``copies``: that many models trained as one stack (hydra/launcher=batched) count together. ``cores``: this
    process's share of the machine (None: CORES)."""
    if device.type != "cpu":
        return torch.get_num_threads()
    cores = cores or CORES
    from torch.utils.flop_counter import FlopCounterMode

    if dry:
        if copies * 2 * len(xb) * sum(p.numel() for p in model.parameters()) >= 4 * SMALL_FLOPS:
            return cores
        # what Module.to_empty does, with torch.empty for empty_like: on a meta tensor that runs a Python meta
        # kernel, which imports sympy (0.6 s)
        model = copy.deepcopy(model)._apply(lambda t: torch.empty(t.shape, dtype=t.dtype))
        xb = xb.to("cpu")
    was_training = model.training
    model.eval()  # no dropout draw, no batch-norm statistics update
    try:
        with FlopCounterMode(display=False) as counter:
            model(xb)
    except Exception:  # a family that needs its initialised values to run: the real run counts again
        if not dry:
            raise
        return cores
    finally:
        model.train(was_training)
    return 1 if copies * counter.get_total_flops() < SMALL_FLOPS else cores


# torch.optim classes with a fused CPU kernel: on the CPU dlx asks for it unless the optim config names
# ``fused`` or ``foreach`` itself. One kernel call updates every tensor, where the default ("for-loop") code
# runs about ten small ops per tensor from Python: a digits-MLP step with Adam 1.5-1.7 -> 1.0-1.1 ms on one
# thread, the update alone of ten stacked MLPs 0.96 -> 0.20 ms. The update is the same up to float rounding
# (SGD's bit for bit; Adam's and AdamW's in the last bit), so a run is still reproducible on the same machine.
FUSED_CPU = {f"torch.optim.{n}" for n in ("SGD", "Adam", "AdamW", "Adagrad")}


def build_optimizer(node: dict, params: list, fused: bool | None = None) -> torch.optim.Optimizer:
    """``instantiate(cfg.optim)(params)`` (optim configs are partial); torch.optim's own classes get dlx's
    argument checks first (dlx/optim), dlx's classes check their own; see FUSED_CPU. ``fused=True`` asks for the
    fused kernel on any device (a stack of runs on a GPU: one kernel for every member's tensors)."""
    try:
        check_torch(node["_target_"], {k: v for k, v in node.items() if not k.startswith("_")})
    except ConfigError as e:
        raise checks.in_group("optim", e) from None
    if node["_target_"] in FUSED_CPU and not {"fused", "foreach"} & node.keys() and params and \
            (fused or all(p.device.type == "cpu" for p in params)):
        node = {**node, "fused": True}
    try:
        return _instantiate(node, "optim")(params)
    except ConfigError as e:
        raise checks.in_group("optim", e) from None


def flat(c: dict, prefix: str = "") -> dict:
    """The config's leaves as TensorBoard hparams (lists and None become strings)."""
    out = {}
    for k, v in c.items():
        if isinstance(v, dict):
            out.update(flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v if isinstance(v, (bool, int, float, str)) else str(v)
    return out


RESUME_KEYS = ("optimizer", "scheduler", "epoch", "step", "batch", "rng", "best", "final")


def _loss(cfg: DictConfig, data: Data, model: nn.Module, multi: bool):
    """The family's loss, or a multi-task model's weighted sum of its heads' losses."""
    if multi:
        kinds = {n: kind for n, (kind, _) in data.target_info.items()}
        return objective.MultiTaskLoss(kinds, getattr(model, "weights", None))
    return objective.family_loss(cfg.loss, data.task, data.n_out, output=cfg.output)


def resume_state(run_dir: Path, folder: str | Path) -> dict:
    """The checkpoint `resume=<run folder>` continues from, after checking it is this run's."""
    if Path(str(folder)).expanduser().resolve() != run_dir.resolve():
        raise ConfigError(f"resume={folder} is wrong: this run writes to {run_dir}; allowed is the run's own "
                          f"folder (dlx train resume=<run folder> continues in that folder)")
    path = runfolder.checkpoint_file(run_dir)
    if not path.is_file():
        raise ConfigError(f"resume={folder} is wrong: {path} does not exist (the run stopped before its "
                          f"first checkpoint); allowed is a run folder with checkpoints/last.pt")
    state = checkpoint.load(path)
    missing = [k for k in RESUME_KEYS if k not in state]
    if missing:
        raise checkpoint.CheckpointError(f"checkpoint {path} cannot resume a run: it lacks {', '.join(missing)}")
    return state


def check(cfg: DictConfig) -> Run:
    """Everything :func:`build` checks, without training or allocating the model: the preflight of a run and
    of every job of a sweep. Returns the (unrunnable) Run, whose metric and mode the sweeper takes."""
    return build(cfg, dry=True)
