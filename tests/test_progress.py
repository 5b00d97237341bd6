"""A sweep's progress as a user sees it: plain lines in a pipe, a live line in a terminal, one line per trial of a
search, and each stacked member's lines naming its own job."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, dlx_cli

from dlx.sweep.progress import SweepProgress

FAST = ["dataset=digits", "model.hidden=[16]", "trainer.batch_size=256", "device=cpu"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def best_of(sweep_dir: Path) -> float:
    return max(json.loads(p.read_text())["best"]["val/acc"] for p in sweep_dir.glob("*/result.json"))


def test_counts_best_and_time_left(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("dlx.sweep.progress.time.monotonic", lambda: now[0])
    p = SweepProgress(5, workers=2, live=False)
    p.started([0, 1])
    now[0] = 110.0
    p.ended(0, "completed", 0.5, "val/loss", "job 0")  # a loss: smaller is better
    p.started([2])
    assert (p.done, len(p.running), p.failed, p.left()) == (1, 2, 0, 2)
    now[0] = 114.0
    p.ended(1, "completed", 0.3, "val/loss", "job 1")
    p.ended(2, "failed", float("nan"), None, "job 2")
    assert p.best == (0.3, 1) and p.failed == 1
    # mean duration (10 + 14 + 4) / 3 s; the 2 jobs not started share 2 workers
    assert abs(p.eta() - 2 * (28 / 3) / 2) < 1e-9
    line = p.counts()
    assert "5 jobs: 2 done, 0 running, 1 failed, 2 left" in line and "best val/loss 0.3000 (job 1)" in line


def test_a_piped_sweep_prints_plain_lines_with_the_counts(tmp_path):
    sweep_dir = tmp_path / "sweep"
    out = dlx_cli("train", "-m", *FAST, "optim=sgd,adam", "seed=0,1", "trainer.max_epochs=1",
                  f"hydra.sweep.dir={sweep_dir}", "hydra.launcher.n_jobs=2")
    assert out.returncode == 0, out.stderr[-3000:]
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("dlx: job ")]
    assert len(lines) == 4 and not ANSI.search(out.stdout)
    assert "4 jobs: 4 done, 0 running, 0 failed, 0 left" in lines[-1]
    assert f"best val/acc {best_of(sweep_dir):.4f}" in lines[-1]
    assert all(re.search(r"\d+ done, \d running, 0 failed, \d left", ln) for ln in lines)
    assert "sweep ━" not in out.stdout  # no live display in a pipe


def run_in_pty(args: list[str], columns: int = 150, timeout: float = 120) -> str:
    """The CLI under a pseudo-terminal, as a user's terminal runs it: everything it wrote, escapes included."""
    env = dict(os.environ, COLUMNS=str(columns), LINES="40", TERM="xterm-256color")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("DLX_CACHE", str(Path.home() / ".cache" / "dlx"))
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "dlx", *args], stdin=child, stdout=child, stderr=child, env=env,
                            close_fds=True)
    os.close(child)
    chunks, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([main], [], [], 0.5)
        if ready:
            try:
                data = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(main)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")[-3000:]
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.slow  # a batched sweep in a real pseudo-terminal (12 s); CI's slow suite runs it
def test_a_sweep_in_a_terminal_shows_the_live_line_and_stacked_members_name_their_jobs(tmp_path):
    """hydra/launcher=batched in 2 workers: each stack's lines pass through the parent, above its live line."""
    sweep_dir = tmp_path / "sweep"
    raw = run_in_pty(["train", "-m", *FAST, "hydra/launcher=batched", "hydra.launcher.n_jobs=2", "seed=0,1,2,3",
                      "trainer.max_epochs=2", f"hydra.sweep.dir={sweep_dir}"])
    text = ANSI.sub("", raw).replace("\r", "\n")
    assert "sweep ━" in text  # the live line
    assert "4 jobs: 4 done, 0 running, 0 failed, 0 left" in text  # its last state
    assert f"best val/acc {best_of(sweep_dir):.4f}" in text
    for job in range(4):  # each member's epoch lines name it, whole (not cut by the live line)
        assert re.search(rf"^job {job}: epoch +2/2 +step +\d+ +train/loss", text, re.M), text[-3000:]
    assert not re.search(r"^jobs \d", text, re.M)  # no line starts with the whole stack


@pytest.mark.slow  # a whole CLI run or search (over 9 s); CI's slow suite runs it
def test_a_search_prints_one_line_per_trial_and_the_pruned_by_rung(tmp_path):
    sweep_dir = tmp_path / "sweep"
    out = dlx_cli("train", "-m", "hydra/sweeper=optuna", *FAST, "hydra.sweeper.n_trials=8", "trainer.max_epochs=3",
                  "optim.lr=tag(log, interval(0.001, 1))", "hydra.sweeper.pruner=median",
                  "hydra.sweeper.pruner_args={n_startup_trials:2}", f"hydra.sweep.dir={sweep_dir}")
    assert out.returncode == 0, out.stderr[-3000:]
    trials = [ln for ln in out.stdout.splitlines() if ln.startswith("trial ")]
    assert [int(ln.split()[1]) for ln in trials] == list(range(8))  # one line each, in order
    for ln in trials:
        assert re.match(r"trial \d+  optim\.lr=[0-9.e-]+  (val/acc \d\.\d{4}  )?(completed|pruned at epoch \d)", ln), ln
    assert "trial=" not in out.stdout and "hydra." not in out.stdout and "epoch    1/3" not in out.stdout
    pruned = [ln for ln in trials if "pruned" in ln]
    assert pruned
    summary = next(ln for ln in out.stdout.splitlines() if "trials complete" in ln)
    assert re.search(rf"{len(pruned)} pruned \((\d+ at epoch \d: [\d, ]+;? ?)+\)", summary), summary
    assert "best trial" in out.stdout


@pytest.mark.slow  # ten jobs in a real pseudo-terminal; CI's slow suite runs it
def test_a_ten_job_sweep_in_a_terminal_shows_the_live_line(tmp_path):
    """The default launcher (parallel) with ten jobs, as a user types it in a terminal: the live line, ending at ten
    done with the best value the result files hold."""
    sweep_dir = tmp_path / "sweep"
    raw = run_in_pty(["train", "-m", *FAST, "optim=sgd,adam", "seed=0,1,2,3,4", "trainer.max_epochs=1",
                      f"hydra.sweep.dir={sweep_dir}"])
    text = ANSI.sub("", raw).replace("\r", "\n")
    assert "sweep ━" in text and "10 jobs: 10 done, 0 running, 0 failed, 0 left" in text, text[-3000:]
    assert f"best val/acc {best_of(sweep_dir):.4f}" in text
