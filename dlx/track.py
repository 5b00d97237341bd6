"""The one place that reports: TensorBoard scalars and hparams, the rich console, result.json."""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams

from dlx.checkpoint import write_json


def flat_hparams(cfg: DictConfig) -> dict[str, float | int | str | bool]:
    """The config's leaves as TensorBoard hparams (lists and None become strings)."""
    out = {}

    def walk(node, prefix):
        for k, v in node.items():
            key = f"{prefix}{k}"
            if isinstance(v, dict):
                walk(v, key + ".")
            elif isinstance(v, (bool, int, float, str)):
                out[key] = v
            else:
                out[key] = str(v)

    walk(OmegaConf.to_container(cfg, resolve=True), "")
    return out


class Tracker:
    """Writes scalars to TensorBoard in ``run_dir`` and shows progress a few times a second."""

    def __init__(self, run_dir: Path, total_steps: int, progress: bool | None = None, resume_step: int = 0,
                 purge_step: int | None = None):
        self.run_dir = Path(run_dir)
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

    def print(self, *args) -> None:
        (self.progress.console if self.progress else self.console).print(*args)

    def hparams(self, cfg: DictConfig, metrics: dict[str, float]) -> None:
        """HParams dashboard entry in the run's own event file (add_hparams would make a sub-run folder)."""
        metrics = {k: (v if math.isfinite(v) else float("nan")) for k, v in metrics.items()}
        exp, ssi, sei = hparams(flat_hparams(cfg), metrics)
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
        table = Table(title=f"dlx run: {result['status']}", show_header=True, header_style="bold")
        table.add_column("metric")
        table.add_column("final", justify="right")
        table.add_column("best", justify="right")
        for k, v in result["final"].items():
            b = result["best"].get(k)
            table.add_row(k, f"{v:.4f}", "" if b is None else f"{b:.4f}")
        self.console.print(table)
        self.console.print(f"epochs {result['epochs']}  steps {result['steps']}  wall {result['wall_s']:.1f} s  "
                           f"{result['samples_per_s']:.0f} samples/s  ->  {self.run_dir}")


def write_result(run_dir: Path, result: dict) -> None:
    write_json(Path(run_dir) / "result.json", result)


def error_line(msg: str) -> None:
    print(f"dlx: error: {msg}", file=sys.stderr)
