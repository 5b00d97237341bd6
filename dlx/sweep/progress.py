"""What a sweep has done so far, while it runs: jobs done / running / failed / left, the best value, elapsed and
estimated time left. The launchers (and dlx's optuna sweeper, for its trials) feed it as jobs start and end.

In a terminal the state is one live line at the bottom (rich.live), every other line scrolling above it; the
parallel launcher's workers then send their lines through this process (:class:`Relay`), as a terminal holds
one live display and a line written past it would be overwritten. Not in a terminal (a pipe, a file, a
scheduler's log) each ended job gets one plain line with the same counts.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import select
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from dlx import runfolder
from dlx.metrics import better
from dlx.metrics import direction as metric_direction
from dlx.runfolder import FINISHED, TESTED


def clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def value_text(value: float) -> str:
    return f"{value:.4f}" if math.isfinite(value) else "-"


class SweepProgress:
    """The counts of ``total`` jobs (or trials: ``unit``) run by ``workers`` at once. ``mode``: trainer.mode
    (auto: the metric's own direction, named by the first result). ``live``: the live line (None: when stdout
    is a terminal). ``quiet``: the jobs print nothing to stdout (their errors still show; train.log has all)."""

    def __init__(self, total: int, workers: int, mode: str = "auto", unit: str = "job", live: bool | None = None,
                 quiet: bool = False):
        self.total, self.workers, self.mode, self.unit, self.quiet = total, max(1, workers), mode, unit, quiet
        self.console = Console(file=sys.stdout)  # this stdout, whatever a quiet job redirects later
        self.live_on = self.console.is_terminal if live is None else live
        self.t0 = time.monotonic()
        self.running: dict[int, float] = {}  # job -> when it started (monotonic s)
        self.durations: list[float] = []  # of the jobs that ended, s
        self.done = self.failed = 0
        self.metric: str | None = None
        self.best: tuple[float, int] | None = None  # (value, job)
        self._live: Live | None = None
        self.relay: Relay | None = None

    # ---- fed by the launchers ----------------------------------------------------------------------------------

    def started(self, jobs: list[int]) -> None:
        now = time.monotonic()
        for j in jobs:  # a trial's later seeds and a promoted trial keep their first start
            self.running.setdefault(j, now)

    def ended(self, job: int, status: str, value: float, metric: str | None, line: str) -> None:
        """Job ``job`` ended with ``status`` and the value a sweeper optimises (``metric``'s); ``line`` says so."""
        start = self.running.pop(job, None)
        if start is not None:
            self.durations.append(time.monotonic() - start)
        if status in FINISHED:
            self.done += 1
        else:
            self.failed += 1
        if metric and self.metric is None:
            self.metric = metric
        if status in TESTED and math.isfinite(value) and metric == self.metric:
            if self.best is None or better(value, self.best[0], metric_direction(metric, self.mode)):
                self.best = (value, job)
        self.say(line if self._live else f"{line} | {self.counts()}")

    def ended_folder(self, job: int, folder: str | Path) -> None:
        """Job ``job`` ended: its status and value as its run folder records them, in one line."""
        result = runfolder.read_result(folder) or {}
        status, value = runfolder.status_of(folder), runfolder.primary(result)
        metric = result.get("metric")
        shown = f" {metric} {value_text(value)}" if metric and math.isfinite(value) else ""
        self.ended(job, status, value, metric, f"dlx: {self.unit} {job} {status}{shown}")

    def say(self, line: str) -> None:
        """A line of the sweep's own (above the live line in a terminal)."""
        self.console.print(line, highlight=False, soft_wrap=True)

    # ---- what it shows -----------------------------------------------------------------------------------------

    def left(self) -> int:
        return max(0, self.total - self.done - self.failed - len(self.running))

    def eta(self) -> float | None:
        """Seconds left: each running job's mean duration less its age, and the jobs not started at the mean
        duration, shared by the workers; None before the first job ended."""
        if not self.durations:
            return None
        mean, now = sum(self.durations) / len(self.durations), time.monotonic()
        work = sum(max(mean - (now - t), 0.0) for t in self.running.values()) + self.left() * mean
        return work / self.workers

    def counts(self) -> str:
        n, eta = self.done + self.failed, self.eta()
        parts = [f"{self.total} {self.unit}s: {self.done} done, {len(self.running)} running, {self.failed} failed, "
                 f"{self.left()} left"]
        if self.best is not None:
            parts.append(f"best {self.metric} {value_text(self.best[0])} ({self.unit} {self.best[1]})")
        elapsed = clock(time.monotonic() - self.t0)
        parts.append(f"{elapsed} elapsed" + (f", ~{clock(eta)} left" if eta is not None and n < self.total else ""))
        return " | ".join(parts)

    def __rich__(self) -> Table:
        from rich.progress_bar import ProgressBar

        grid = Table.grid(padding=(0, 1))
        bar = ProgressBar(total=max(self.total, 1), completed=self.done + self.failed, width=20)
        grid.add_row(Text("sweep", style="bold"), bar, Text(self.counts()))
        return grid

    # ---- the terminal ------------------------------------------------------------------------------------------

    def __enter__(self) -> SweepProgress:
        if self.live_on:
            self._live = Live(self, console=self.console, refresh_per_second=2, transient=False,
                              redirect_stdout=True, redirect_stderr=True)
            self._live.start(refresh=True)
        return self

    def __exit__(self, *exc) -> None:
        if self.relay is not None:
            self.relay.close()
            self.relay = None
        if self._live is not None:
            self._live.stop()  # the last state stays on the screen
            self._live = None

    @contextlib.contextmanager
    def jobs_output(self) -> Iterator[None]:
        """Around jobs run in this process: their lines above the live line (a console of their own would write
        past it), a quiet sweep's stdout to nowhere."""
        with contextlib.ExitStack() as stack:
            if self.quiet:
                stack.enter_context(contextlib.redirect_stdout(stack.enter_context(open(os.devnull, "w"))))
            elif self._live is not None:
                lines = LineWriter(self.show)
                stack.enter_context(contextlib.redirect_stdout(lines))
                stack.enter_context(contextlib.redirect_stderr(lines))
            yield

    def show(self, line: str) -> None:
        """A job's line (with its colours) above the live line."""
        self.console.print(Text.from_ansi(line), soft_wrap=True)

    def relay_path(self) -> str | None:
        """Where the workers send their lines while the live line holds the terminal (None: they print as they
        are)."""
        if self._live is None:
            return None
        if self.relay is None:
            self.relay = Relay(self.show)
        return self.relay.path


class Relay:
    """Lines from worker processes, written to a FIFO and printed here by a thread. A FIFO because the workers
    are forked from a server process that has none of this process's descriptors, and a write of at most
    PIPE_BUF bytes to it is atomic, so the lines of two workers never mix (a queue would need a lock that a
    worker killed mid-line leaves held)."""

    def __init__(self, show):
        self.dir = tempfile.mkdtemp(prefix="dlx-lines-")
        self.path = os.path.join(self.dir, "lines")
        os.mkfifo(self.path, 0o600)
        self.fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self.keep = os.open(self.path, os.O_WRONLY)  # a writer of our own: no end of file between workers
        self.show, self.stop = show, threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        pending = b""
        while True:
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if not ready:
                if self.stop.is_set():
                    break
                continue
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            *lines, pending = (pending + data).split(b"\n")
            for line in lines:
                self.show(line.decode("utf-8", "replace"))
        if pending:
            self.show(pending.decode("utf-8", "replace"))

    def close(self) -> None:
        """After the workers ended: what they wrote is shown, then the FIFO goes."""
        self.stop.set()
        self.thread.join(timeout=5)
        for fd in (self.fd, self.keep):
            os.close(fd)
        shutil.rmtree(self.dir, ignore_errors=True)


class LineWriter(io.TextIOBase):
    """sys.stdout or sys.stderr of a job while the sweep's live line holds the terminal: each whole line to
    ``emit`` (the relay's FIFO in a worker, the live console in this process). ``isatty``: the lines reach a
    terminal, so rich colours them as it would there."""

    def __init__(self, emit: Callable[[str], None]):
        super().__init__()
        self.emit, self.pending = emit, ""

    def write(self, s: str) -> int:
        *lines, self.pending = (self.pending + s).split("\n")
        for line in lines:
            self.emit(line)
        return len(s)

    def isatty(self) -> bool:
        return True

    @property
    def encoding(self) -> str:
        return "utf-8"


def to_fifo(fd: int) -> Callable[[str], None]:
    def emit(line: str) -> None:  # one write of at most PIPE_BUF bytes: atomic, never mixed with another worker's
        data = (line + "\n").encode("utf-8", "replace")
        for i in range(0, len(data), select.PIPE_BUF):
            os.write(fd, data[i:i + select.PIPE_BUF])

    return emit


def worker_output(relay_path: str | None, quiet: bool) -> None:
    """In a worker, once: its stdout and stderr through the parent's relay (a live line holds the terminal), a
    quiet job's stdout to nowhere."""
    if relay_path:
        sys.stdout = sys.stderr = LineWriter(to_fifo(os.open(relay_path, os.O_WRONLY)))
    if quiet:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the worker's stdout for its whole life
