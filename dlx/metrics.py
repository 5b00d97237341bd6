"""Facts about metric names, each in one place: which metrics a run logs, which one it ranks by, which way each
improves. ``target_info``: a multi-task dataset's task name -> (kind, outputs), kind classification|regression."""

from __future__ import annotations

import math


def direction(metric: str, mode: str = "auto") -> str:
    """``max`` or ``min``: which way ``metric`` improves. ``mode`` max|min wins; auto maximises accuracies
    (names ending in ``acc``) and minimises everything else (losses, errors)."""
    if mode in ("max", "min"):
        return mode
    return "max" if metric.rsplit("/", 1)[-1].endswith("acc") else "min"


def better(a: float, b: float | None, mode: str) -> bool:
    """Is ``a`` an improvement on ``b`` (None: nothing yet) in direction ``mode`` (max|min)?"""
    return b is None or (a > b if mode == "max" else a < b)


def better_checkpoint(new: dict[str, float], old: dict[str, float] | None, metric: str, mode: str) -> bool:
    """Does the epoch with metrics ``new`` replace best.pt, which holds the epoch with ``old`` (None: no best.pt
    yet)? A better ``metric`` wins; a tie goes to the lower or equal ``val/loss`` (among equal accuracies the
    more confident model), so a full tie goes to the later epoch."""
    if not old or better(new[metric], old.get(metric), mode):
        return True
    return new[metric] == old[metric] and new["val/loss"] <= old.get("val/loss", math.inf)


def default_metric(task: str, target_info: dict[str, tuple[str, int]]) -> str:
    """trainer.metric=auto: val/acc (classification), val/recon_mse (reconstruction), the first
    classification task's val/<task>/acc (multi-task), else val/loss."""
    if task == "reconstruction":
        return "val/recon_mse"
    if task == "multitask":
        first = [n for n, (kind, _) in target_info.items() if kind == "classification"]
        return f"val/{first[0]}/acc" if first else "val/loss"
    return "val/acc" if task == "classification" else "val/loss"


def eval_keys(task: str, target_info: dict[str, tuple[str, int]]) -> list[str]:
    """What evaluating one split gives (dlx.objective.evaluate), before the split's prefix."""
    if task == "multitask":
        keys = []
        for n, (kind, _) in target_info.items():
            keys += [f"{n}/loss"] + ([f"{n}/acc"] if kind == "classification" else [])
        return [*keys, "loss"]
    return {"classification": ["loss", "acc"], "reconstruction": ["loss", "recon_mse"]}.get(task, ["loss"])


def split_metrics(split: str, m: dict[str, float]) -> dict[str, float]:
    """One split's evaluation as logged metrics; the training split's eval-mode loss is ``train/eval_loss``
    (``train/loss`` is the mean loss of the epoch's steps, in training mode)."""
    return {f"{split}/{'eval_loss' if split == 'train' and k == 'loss' else k}": v for k, v in m.items()}


def logged_metrics(task: str, target_info: dict[str, tuple[str, int]]) -> list[str]:
    """The metric names an epoch end logs (what trainer.metric and early stopping may name)."""
    keys = {k: 0.0 for k in eval_keys(task, target_info)}
    return ["train/loss", *split_metrics("train", keys), *split_metrics("val", keys)]


def shifted_metric(k: int) -> str:
    """trainer.shifted_test's metric for a shift of k pixels: the test accuracy with every input moved k pixels."""
    return f"test/shifted_{k}/acc"


# What trainer.cost adds to result.json's final metrics (dlx/train.py cost_metrics); cost/pretrain_s only where
# the run had a pretraining phase.
COST_METRICS = ("cost/epoch_s", "cost/flops")


def attack_metric(eps: float) -> str:
    """trainer.attack_eps's metric for one eps: the test accuracy after trainer.attack moves each input by eps."""
    return f"test/attack_{eps:g}/acc"


# What trainer.weight_norms adds to result.json's final metrics (dlx/train.py): the kernels' norm, the epoch's last
# measured step and its ratio to lr ||g||, and at the end the optimizer's state between steps.
WEIGHT_METRICS = ("weights/norm", "weights/step", "weights/step_ratio", "optim/state_bytes")


def diagnostic_metrics(dead_units: bool, grad_norms: bool) -> list[str]:
    """The train/ metrics trainer.dead_units and trainer.grad_norms add at each epoch end (dlx/train.py
    diagnostics; a model without activation modules or with one layer leaves its value out)."""
    return ["train/dead_units"] * bool(dead_units) + ["train/grad_vanish"] * bool(grad_norms)


def result_metrics(task: str, target_info: dict[str, tuple[str, int]], extra: list[str] = ()) -> list[str]:
    """The metric names a finished run's result.json holds: each epoch's (logged_metrics, plus ``extra``, e.g.
    diagnostic_metrics) and the test split's. A preset's claim block may name only these
    (dlx/results/claims.py): add a new metric here when the loop writes one."""
    keys = {k: 0.0 for k in eval_keys(task, target_info)}
    return [*logged_metrics(task, target_info), *extra, *split_metrics("test", keys)]
