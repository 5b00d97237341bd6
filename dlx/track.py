"""The one place that reports: TensorBoard scalars and hparams, the rich console, result.json."""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams

from dlx import runfolder


class Tracker:
    """Writes scalars to TensorBoard in ``run_dir`` and shows progress a few times a second. ``progress``: the
    live progress bar (None: on a terminal); ``prefix`` starts every console line. Jobs that share one terminal
    (hydra/launcher=parallel's workers, a stack's members) show no bar, or one, and name their job there."""

    def __init__(self, run_dir: Path, total_steps: int, progress: bool | None = None, resume_step: int = 0,
                 purge_step: int | None = None, prefix: str = ""):
        self.run_dir, self.prefix = Path(run_dir), prefix
        # purge_step drops events past a resumed checkpoint, so curves continue without doubled steps.
        self.writer = SummaryWriter(log_dir=str(self.run_dir), purge_step=purge_step)
        self.console = Console(stderr=False)
        interactive = self.console.is_terminal if progress is None else progress
        self.progress = None
        self._last = 0.0
        self._text = ""
        if interactive:
            self.progress = Progress(
                TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                TimeRemainingColumn(), console=self.console, refresh_per_second=4, transient=True)
            self.task = self.progress.add_task("train", total=total_steps, completed=resume_step, info="")
            self.progress.start()

    def scalars(self, values: dict[str, float], step: int) -> None:
        for k, v in values.items():
            self.writer.add_scalar(k, v, step)

    def tick(self, step: int, info: str | None = None) -> None:
        """Called every step; touches the display only every 0.25 s (no per-step rendering or sync)."""
        if info is not None:
            self._text = info
        if self.progress is None:
            return
        now = time.perf_counter()
        if now - self._last >= 0.25:
            self._last = now
            self.progress.update(self.task, completed=step, info=self._text)

    def print(self, line: str) -> None:
        """A line for the console and the run folder's train.log (the log a user reads after the run)."""
        (self.progress.console if self.progress else self.console).print(self.prefix + line)
        runfolder.append_text(self.run_dir / "train.log", line + "\n")

    def hparams(self, values: dict[str, float | int | str | bool], metrics: dict[str, float]) -> None:
        """HParams dashboard entry in the run's own event file (add_hparams would make a sub-run folder)."""
        metrics = {k: (v if math.isfinite(v) else float("nan")) for k, v in metrics.items()}
        exp, ssi, sei = hparams(values, metrics)
        for summary in (exp, ssi, sei):
            self.writer.file_writer.add_summary(summary)

    def stop_progress(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def close(self) -> None:
        self.stop_progress()
        self.writer.close()

    def summary(self, result: dict) -> None:
        table = Table(title=f"{self.prefix}dlx run: {result['status']}", show_header=True, header_style="bold")
        table.add_column("metric")
        table.add_column("final", justify="right")
        table.add_column("best", justify="right")
        for k, v in result["final"].items():
            b = result["best"].get(k)
            table.add_row(k, f"{v:.4f}", "" if b is None else f"{b:.4f}")
        self.console.print(table)
        fw, bc = result.get("final_weights"), result.get("best_checkpoint")
        if fw:  # which weights the final column describes, and what best.pt scores on the test split
            which = "early stopping's best" if fw["early_stopping"] else "the last"
            line = f"{self.prefix}final = {which} weights (epoch {fw['epoch']}, step {fw['step']})"
            if bc:
                tests = "  ".join(f"{k} {v:.4f}" for k, v in bc.items() if k.startswith("test/"))
                line += f"; checkpoints/best.pt (epoch {bc['epoch']}, step {bc['step']}): {tests}"
            self.console.print(line)
        self.console.print(f"{self.prefix}epochs {result['epochs']}  steps {result['steps']}  wall "
                           f"{result['wall_s']:.1f} s  {result['samples_per_s']:.0f} samples/s  ->  {self.run_dir}")


def error_line(msg: str) -> None:
    print(f"dlx: error: {msg}", file=sys.stderr)


# ---- images of what a family learnt ----------------------------------------------------------------------


TILE = 24  # pixels: smaller tiles are enlarged (by a whole factor) to about this size


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
    scale = max(1, TILE // max(h, w))  # a 3x3 kernel or an 8x8 digit drawn as a visible tile, pixels kept sharp
    if scale > 1:
        x = x.repeat_interleave(scale, 2).repeat_interleave(scale, 3)
        h, w = h * scale, w * scale
    rows = math.ceil(n / nrow)
    # tiles padded on their bottom/right and laid out in one reshape: (rows, nrow, C, h+pad, w+pad) -> (C, ...)
    tiles = torch.zeros(rows * nrow, c, h + pad, w + pad)
    tiles[:n, :, :h, :w] = x
    grid = tiles.view(rows, nrow, c, h + pad, w + pad).permute(2, 0, 3, 1, 4).reshape(c, rows * (h + pad),
                                                                                         nrow * (w + pad))
    return torch.nn.functional.pad(grid, (pad, 0, pad, 0))  # the top and left borders


def log_images(writer, model, x_val: torch.Tensor, step: int, prefix: str = "") -> None:
    """TensorBoard pictures of what a network learnt, at the loop's epoch lines (never per step):
    - ``<prefix>filters/first_layer``: the first layer's weights, one tile per unit (a conv kernel, or an MLP's
      first-layer weights read as an input image; a heat map for sequences);
    - ``<prefix>rbm0/filters``: a DBN's first RBM's weights, one image per hidden unit;
    - ``<prefix or val/>reconstructions``: a reconstruction model's inputs above their reconstructions;
    - ``<prefix>units/activity`` and the scalars ``units/dead``, ``units/saturated``: for each hidden layer
      (one band of the image each) the share of validation inputs on which each unit passes a gradient, and
      the share of hidden units that pass none (a ReLU that never fires, a sigmoid or tanh saturated) on any."""
    if getattr(model, "task", None) == "reconstruction":
        log_reconstructions(writer, model, x_val, f"{prefix or 'val/'}reconstructions", step)
    if hasattr(model, "filters"):
        log_filters(writer, model, f"{prefix}rbm0/filters", step)
    else:
        first = first_layer_image(model, tuple(x_val.shape[1:]))
        if first is not None:
            writer.add_image(f"{prefix}filters/first_layer", first, step)
    activity = unit_activity(model, x_val[:ACTIVITY_INPUTS])
    if activity is not None:
        dead, saturated, image = activity
        writer.add_image(f"{prefix}units/activity", image, step)
        writer.add_scalar(f"{prefix}units/dead", dead, step)
        writer.add_scalar(f"{prefix}units/saturated", saturated, step)


def first_layer_image(model, in_shape: tuple[int, ...], n: int = 64) -> torch.Tensor | None:
    """(C, H, W) in [0, 1]: the first convolution's kernels as tiles (the mean over input channels unless they
    are RGB), or the first Linear that reads the whole input, each unit's weights as an input-shaped tile
    (images) or as one row of a heat map (sequences, tabular rows); None for a model with neither (an LSTM)."""
    from torch import nn

    d = math.prod(in_shape)
    layer = next((m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear, nn.RNNBase))), None)
    if not (isinstance(layer, (nn.Conv1d, nn.Conv2d)) or (isinstance(layer, nn.Linear) and layer.in_features == d)):
        return None  # a recurrent net reads its input a step at a time: no weights over the whole input
    w = layer.weight.detach().float().cpu()[:n]
    if isinstance(layer, nn.Conv2d):  # (out, in, kh, kw)
        return image_grid(w, nrow=8)
    if isinstance(layer, nn.Linear) and len(in_shape) == 3:  # (units, d) -> (units, C, H, W)
        return image_grid(w.view(-1, *in_shape), nrow=8)
    return image_grid(w.flatten(1)[None, None], nrow=1)  # (units, in*k or d) as one heat map


ACTIVITY_INPUTS = 256  # validation inputs the activity picture reads: one forward pass, no gradient
ACTIVATION_KINDS = {"ReLU": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}  # the units that can stop learning


@torch.no_grad()
def unit_activity(model, x: torch.Tensor) -> tuple[float, float, torch.Tensor] | None:
    """(share of dead units, share of saturated units, (1, 10 * layers, ~256) image) over the hidden layers'
    units (a conv channel is one unit) on the inputs ``x``. A unit passes a gradient on an input when its
    derivative there is at least 1% of the largest it can be: a ReLU that fires, a sigmoid between 0.0025 and
    0.9975, a tanh inside +-0.995; other activations (leaky ReLU, PReLU, abs, maxout) always do. Dead: a ReLU
    that passes none on any input (notes l. 965); saturated: a sigmoid or tanh that passes none. The image has
    one band per layer, a column per unit, white = passes on every input, black = on none. A DBN's RBMs are read
    as its sigmoid layers; None for a model without hidden activations."""
    from torch import nn

    bands: list[tuple[str, torch.Tensor]] = []  # (kind, (B, units, ...) outputs)
    if hasattr(model, "rbms"):
        h = x.flatten(1)
        for rbm in model.rbms:
            h = rbm.p_h(h)
            bands.append(("sigmoid", h))
    else:
        output = getattr(model, "dec_acts", [None])[0]  # an autoencoder's reconstruction: output, not hidden
        acts = [m for m in model.modules() if m is not output and (type(m).__name__ in ACTIVATION_KINDS or
                isinstance(m, (nn.LeakyReLU, nn.PReLU)) or type(m).__name__ in ("Abs", "Maxout"))]
        hooks = [m.register_forward_hook(lambda m, i, o: bands.append(
            (ACTIVATION_KINDS.get(type(m).__name__, "other"), o))) for m in acts]
        was = model.training
        model.eval()
        try:
            model(x)
        finally:
            model.train(was)
            for hk in hooks:
                hk.remove()
    bands = [(k, o) for k, o in bands if isinstance(o, torch.Tensor) and o.dim() >= 2]
    if not bands:
        return None
    shares, counts = [], {"dead": 0, "saturated": 0, "units": 0}
    for kind, out in bands:
        o = out.detach().float().flatten(2) if out.dim() > 2 else out.detach().float()[..., None]
        if kind == "relu":
            passes = o > 0
        elif kind == "sigmoid":
            passes = (o > 0.0025) & (o < 0.9975)
        elif kind == "tanh":
            passes = o.abs() < 0.995
        else:
            passes = torch.ones_like(o, dtype=torch.bool)
        share = passes.any(-1).float().mean(0).cpu()  # (units,): the inputs on which it passes, anywhere in its map
        shares.append(share)
        none = int((share == 0).sum())
        counts["units"] += share.numel()
        counts["dead" if kind == "relu" else "saturated"] += none if kind != "other" else 0
    width = max(s.numel() for s in shares)
    px = max(1, 256 // width)  # a unit's column: at least one pixel, the widest layer about 256 wide
    image = torch.full((1, 10 * len(shares), width * px), 0.5)  # grey where a layer has fewer units than the widest
    for i, share in enumerate(shares):
        image[0, 10 * i:10 * i + 8, :share.numel() * px] = share.repeat_interleave(px)  # a grey line between layers
    return counts["dead"] / counts["units"], counts["saturated"] / counts["units"], image


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
