"""What the loop needs to know about model families beyond ``forward``: keys it handles itself, the
reconstruction and multi-task objectives, pretraining phases and the images they log.

A model class says what it learns with a ``task`` class attribute: ``reconstruction`` (the target is the
input: dlx.models.autoencoder) or ``multitask`` (forward returns {task: output}: dlx.models.multitask);
without one it is a plain classifier/regressor of the dataset's ``y``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from hydra.errors import InstantiationException
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn

from dlx.config import ConfigError
from dlx.data import Data
from dlx.models import transfer

LOOP_KEYS = ("init_from", "freeze", "prefix_map", "pretrain")  # model.<key> read by the loop, not the class


def instantiate_model(model_cfg, **kwargs) -> nn.Module:
    """``instantiate(cfg.model, ...)`` without the loop's keys: for code that rebuilds a run's model from its
    config (teachers, benchmarks); the loop itself uses :func:`build`."""
    node = model_cfg if isinstance(model_cfg, dict) else OmegaConf.to_container(model_cfg, resolve=True)
    return instantiate({k: v for k, v in node.items() if k not in LOOP_KEYS}, **kwargs)


def build(model_cfg: DictConfig, data: Data, restoring: bool = False) -> tuple[nn.Module, Data, dict]:
    """Instantiate ``cfg.model`` for ``data``; returns (model, data as the task sees it, loop keys).

    Reconstruction models get a Data whose targets are the inputs (so the loop's MSE is the reconstruction
    error); multi-task models get one head per ``data.targets`` entry (a dataset without extra targets
    counts as one task named ``y``). ``model.init_from``/``model.freeze`` are applied here; ``restoring``
    (resume, eval: a checkpoint's weights come next) skips init_from."""
    mcfg = OmegaConf.to_container(model_cfg, resolve=True)
    keys = {k: mcfg.pop(k, None) for k in LOOP_KEYS}
    target = get_class(mcfg["_target_"])
    task = getattr(target, "task", data.task)
    if task == "reconstruction":
        data = Data(data.x, data.x, data.x_val, data.x_val, data.x_test, data.x_test, "regression",
                    math.prod(data.in_shape), data.targets, data.target_info)
    elif task == "multitask":
        if not data.targets:
            data.targets = {"y": (data.y, data.y_val, data.y_test)}
            data.target_info = {"y": (data.task, data.n_out)}
        mcfg["tasks"] = {name: n for name, (_, n) in data.target_info.items()}
    try:
        model = instantiate(mcfg, in_shape=data.in_shape, n_out=data.n_out)
    except InstantiationException as e:  # the class rejected a value: one line, not a traceback
        if isinstance(e.__cause__, ValueError):
            raise ConfigError(str(e.__cause__)) from None
        raise
    model.task = task
    if keys["init_from"] and not restoring:
        try:
            report = transfer.init_from(model, keys["init_from"], keys["prefix_map"])
        except ValueError as e:
            raise ConfigError(str(e)) from None
        print("\n".join(report.lines()))
    if keys["freeze"]:
        try:
            frozen = transfer.freeze(model, list(keys["freeze"]))
        except ValueError as e:
            raise ConfigError(str(e)) from None
        n = sum(p.numel() for p in model.parameters() if not p.requires_grad)
        print(f"freeze: {len(frozen)} parameter tensors ({n} numbers) stay fixed: {', '.join(frozen)}")
    return model, data, keys


def default_metric(task: str, data: Data) -> str:
    """trainer.metric=auto: val/acc (classification), val/recon_mse (reconstruction), the first
    classification task's val/<task>/acc (multi-task), else val/loss."""
    if task == "reconstruction":
        return "val/recon_mse"
    if task == "multitask":
        first = [n for n, (kind, _) in data.target_info.items() if kind == "classification"]
        return f"val/{first[0]}/acc" if first else "val/loss"
    return "val/acc" if task == "classification" else "val/loss"


class MultiTaskObjective:
    """Weighted sum of per-task losses (cross-entropy for classification targets, MSE for regression) and
    per-task metrics val/<task>/loss, val/<task>/acc."""

    def __init__(self, data: Data, weights: dict[str, float]):
        self.targets = data.targets
        self.kinds = {n: kind for n, (kind, _) in data.target_info.items()}
        self.weights = {n: float(weights.get(n, 1.0)) for n in self.kinds}

    def batch(self, split: int, idx) -> dict[str, torch.Tensor]:
        """Targets of rows ``idx`` of split 0 (train), 1 (val) or 2 (test)."""
        return {n: t[split][idx] for n, t in self.targets.items()}

    def task_loss(self, name: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = out.float()
        return F.cross_entropy(out, y) if self.kinds[name] == "classification" else F.mse_loss(out, y)

    def loss(self, out: dict[str, torch.Tensor], y: dict[str, torch.Tensor]) -> torch.Tensor:
        return sum(self.weights[n] * self.task_loss(n, out[n], y[n]) for n in self.kinds)

    @torch.no_grad()
    def evaluate(self, model, x, split: int, batch_size: int, autocast) -> dict[str, float]:
        was_training = model.training
        model.eval()
        sums = {n: torch.zeros((), device=x.device) for n in self.kinds}
        classes = [n for n, k in self.kinds.items() if k == "classification"]
        correct = {n: torch.zeros((), device=x.device) for n in classes}
        for i in range(0, len(x), batch_size):
            sl = slice(i, i + batch_size)
            xb = x[sl]
            with autocast():
                out = model(xb)
            y = self.batch(split, sl)
            for n in self.kinds:
                sums[n] += self.task_loss(n, out[n], y[n]) * len(xb)
                if n in correct:
                    correct[n] += (out[n].argmax(-1) == y[n]).sum()
        model.train(was_training)
        metrics = {f"{n}/loss": (s / len(x)).item() for n, s in sums.items()}
        metrics["loss"] = sum(self.weights[n] * metrics[f"{n}/loss"] for n in self.kinds)
        metrics.update({f"{n}/acc": c.item() / len(x) for n, c in correct.items()})
        return metrics


def image_grid(images: torch.Tensor, nrow: int = 8, pad: int = 1) -> torch.Tensor:
    """(N, C, H, W) -> (C', rows*(H+pad)+pad, nrow*(W+pad)+pad) in [0, 1] for SummaryWriter.add_image;
    each image is min-max scaled on its own (filters have arbitrary sign and scale). C' is 1 or 3."""
    x = images.detach().float().cpu()
    n, c, h, w = x.shape
    if c not in (1, 3):
        x, c = x.mean(1, keepdim=True), 1
    lo = x.flatten(1).min(1).values.view(n, 1, 1, 1)
    hi = x.flatten(1).max(1).values.view(n, 1, 1, 1)
    x = (x - lo) / (hi - lo).clamp_min(1e-8)
    rows = math.ceil(n / nrow)
    grid = torch.zeros(c, rows * (h + pad) + pad, nrow * (w + pad) + pad)
    for i in range(n):
        r, col = divmod(i, nrow)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        grid[:, top:top + h, left:left + w] = x[i]
    return grid


def log_images(writer, model, x_val: torch.Tensor, step: int, prefix: str = "") -> None:
    """TensorBoard images of what a family learnt: a reconstruction model's inputs next to its reconstructions
    (``<prefix or val/>reconstructions``), a DBN's first-layer filters (``<prefix>rbm0/filters``)."""
    if getattr(model, "task", None) == "reconstruction":
        log_reconstructions(writer, model, x_val, f"{prefix or 'val/'}reconstructions", step)
    if hasattr(model, "filters"):
        log_filters(writer, model, f"{prefix}rbm0/filters", step)


@torch.no_grad()
def log_reconstructions(writer, model, x: torch.Tensor, tag: str, step: int, n: int = 8) -> None:
    """Inputs next to their reconstructions: images as a two-row grid (inputs above, reconstructions below);
    sequences (C, L) as a figure of overlaid curves."""
    was_training = model.training
    model.eval()
    xb = x[:n]
    rec = model(xb).float()
    model.train(was_training)
    if xb.dim() == 4:
        both = torch.cat([xb.float(), rec])  # first row the inputs, second row their reconstructions
        writer.add_image(tag, image_grid(both, nrow=len(xb)), step)
    else:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(xb), figsize=(2 * len(xb), 2), squeeze=False)
        for ax, a, b in zip(axes[0], xb.flatten(1).cpu(), rec.flatten(1).cpu()):
            ax.plot(a.numpy(), lw=1, label="input")
            ax.plot(b.numpy(), lw=1, label="reconstruction")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[0][0].legend(fontsize=6)
        writer.add_figure(tag, fig, step)


def log_filters(writer, model, tag: str, step: int, n: int = 64) -> None:
    """The first RBM's filters (a DBN's ``filters()``, one weight image per hidden unit) as an image grid;
    for sequence inputs one (units, L) heat map."""
    f = model.filters()[:n]
    if f.dim() == 3:  # (m, C, L) -> one image of m rows
        f = f.mean(1)[None, None]
        writer.add_image(tag, image_grid(f, nrow=1), step)
    else:
        writer.add_image(tag, image_grid(f, nrow=8), step)
