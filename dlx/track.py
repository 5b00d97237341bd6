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
from dlx.checkpoint import write_json


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


def write_result(run_dir: Path, result: dict) -> None:
    write_json(Path(run_dir) / "result.json", result)


def error_line(msg: str) -> None:
    print(f"dlx: error: {msg}", file=sys.stderr)


# ---- images of what a family learnt ----------------------------------------------------------------------


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
