"""What a user sees in a terminal: a closed pipe and a Ctrl-C end quietly, not as a traceback or an error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from dlx import cli


def test_a_closed_pipe_ends_quietly():
    """`dlx -h | head -1`: the reader is gone before dlx writes; no BrokenPipeError, the shell's 141."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "dlx", "-h"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # as head does after its line
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_ctrl_c_before_the_run_starts_is_not_an_error(monkeypatch, capsys):
    """A Ctrl-C during the imports or the preflight (before the loop's own handler) exits 130 with one line."""
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr("dlx.preflight.preflight", interrupted)
    monkeypatch.setattr(sys, "argv", ["dlx", "train", "trainer.max_epochs=1"])
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with pytest.raises(SystemExit) as e:
            cli.entry()
    finally:  # entry() sets the process's handlers for its teardown: give pytest's back
        for s, h in handlers.items():
            signal.signal(s, h)
    assert e.value.code == 130
    assert capsys.readouterr().err == "dlx: interrupted\n"


EARLY = """
import os, signal, time
from dlx import cli

def importing(argv=None):  # the user's Ctrl-C while the imports run (torch's, Hydra's: seconds)
    os.kill(os.getpid(), signal.{sig})
    time.sleep(2)
    print("the imports went on", flush=True)
    return 0

cli.main = importing
cli.entry()
"""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_signal_during_the_start_up_ends_at_once_with_one_line(sig):
    """Before dlx has written anything, a Ctrl-C or SIGTERM ends the command at once, exit 130 and one line: no
    KeyboardInterrupt unwinding through third-party import code (OmegaConf turns one into an AttributeError,
    pybind11 into std::terminate)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", EARLY.format(sig=sig)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert (proc.returncode, proc.stderr, proc.stdout) == (130, "dlx: interrupted\n", "")


def test_hydra_composes_under_the_start_up_handler_and_a_waiting_parent_takes_ctrl_c(monkeypatch, tmp_path):
    """While Hydra composes, a signal still ends the process at once (a KeyboardInterrupt there came out of OmegaConf
    as "'NoneType' object has no attribute '_invalidate_flags_cache'", exit 1); a sweep's parent that waits for its
    workers takes Ctrl-C and SIGTERM as KeyboardInterrupt, and gives the handlers back after."""
    from dlx import job
    from dlx.signals import exit_at_once, interrupts

    seen = []
    monkeypatch.setattr(job, "main", lambda: seen.append(signal.getsignal(signal.SIGINT)))
    monkeypatch.chdir(tmp_path)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for s in handlers:
            signal.signal(s, exit_at_once)  # as dlx.cli.entry sets them
        assert cli.main(["train", "trainer.max_epochs=1"]) == 0
        assert seen == [exit_at_once]
        with pytest.raises(KeyboardInterrupt), interrupts():
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        assert all(signal.getsignal(s) is exit_at_once for s in handlers)
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)


LATE = """
import atexit, os, signal, sys, time
from dlx import cli

def ctrl_c():  # the user's Ctrl-C while the interpreter tears down
    os.kill(os.getpid(), signal.{sig})
    time.sleep(1)
    print("the teardown went on", flush=True)

def work(argv=None):
    print("work done", flush=True)
    if {during_atexit}:
        atexit.register(ctrl_c)  # runs before dlx's last handler
    return 3

if not {during_atexit}:
    atexit.register(ctrl_c)  # registered before entry(): runs after dlx's last handler, as finalisation begins
cli.main = work
cli.entry()
"""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("during_atexit", [True, False])
def test_a_signal_after_the_work_is_done_keeps_its_exit_code(sig, during_atexit):
    """A Ctrl-C or SIGTERM once the command has done and written its work (a sweep that completed) has nothing to
    stop: the command ends with its own exit code, and no KeyboardInterrupt traceback from an atexit handler."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", LATE.format(sig=sig, during_atexit=during_atexit)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, (proc.returncode, proc.stderr)
    assert proc.stdout.startswith("work done"), proc.stdout
    assert "Traceback" not in proc.stderr and "KeyboardInterrupt" not in proc.stderr, proc.stderr
    # during the atexit handlers the signal ends the process at once; in the last one's wake it is ignored
    assert ("the teardown went on" in proc.stdout) is (not during_atexit)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """3 optimizers x 2 rates x 5 seeds, with a test metric and a gap: 12+ columns, wider than 120 characters."""
    from test_compare import make_run

    root = tmp_path_factory.mktemp("sweep")
    job = 0
    for opt, base in (("rmsprop_nesterov", 0.9), ("momentum", 0.8), ("sgd", 0.7)):
        for lr in (0.001, 0.1):
            for seed in range(5):
                top = base + 0.05 * (lr == 0.1) + 0.003 * seed
                make_run(root / str(job), [f"optim={opt}", f"optim.lr={lr}"], seed, [top - 0.2, top],
                         extra={"test/acc": [top - 0.25, top - 0.05], "train/eval_loss": [0.4, 0.1]})
                job += 1
    return root


def _compare_at(columns: int, sweep: Path, out: Path, monkeypatch, capsys) -> str:
    from dlx import compare

    monkeypatch.setenv("COLUMNS", str(columns))
    compare.compare([sweep], out=out, plot=False)
    return capsys.readouterr().out


@pytest.mark.parametrize("columns", [80, 120])
def test_compare_fits_a_narrow_terminal_and_keeps_the_statistics(columns, sweep, tmp_path, monkeypatch, capsys):
    from dlx.results.runs import find_runs
    from dlx.results.summary import summarize
    from dlx.results.tables import table_rows

    text = _compare_at(columns, sweep, tmp_path, monkeypatch, capsys)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= columns, text
    header, rows = table_rows(summarize(find_runs([sweep])))
    wanted = [header.index(h) for h in header if h in ("runs", "val/acc best")
              or h.startswith(("95% CI", "p vs "))]
    for row in rows:  # n, mean ± sd, the interval and p: each whole, on the group's first line
        first = next(line for line in lines if line.startswith(f"│ {row[0]} "))
        for j in wanted:
            assert f" {row[j]} " in first, (header[j], row[j], first)
        override = row[1].split()[0]  # the group's first override starts its cell, whole where it fits
        assert (override if columns > 80 else override[:15]) in first
    assert "…" not in text
    assert "more columns (" in text and str(tmp_path / "summary.md") in text.replace("\n", "")


def test_compare_in_a_wide_terminal_shows_more_and_a_log_shows_everything(sweep, tmp_path, monkeypatch, capsys):
    narrow = _compare_at(120, sweep, tmp_path, monkeypatch, capsys)
    wide = _compare_at(200, sweep, tmp_path, monkeypatch, capsys)
    count = lambda text: next(line for line in text.splitlines() if line.startswith("┃ # ")).count("┃") - 1
    assert max(len(line) for line in wide.splitlines()) <= 200
    assert count(wide) > count(narrow)
    monkeypatch.delenv("COLUMNS")  # stdout is not a terminal here: a log gets the whole table, one line a row
    from dlx import compare

    compare.compare([sweep], out=tmp_path, plot=False)
    log = capsys.readouterr().out
    from dlx.results.runs import find_runs
    from dlx.results.summary import summarize
    from dlx.results.tables import table_rows

    assert "more columns" not in log and count(log) == len(table_rows(summarize(find_runs([sweep])))[0])


def test_compare_of_run_folders_writes_beside_them(sweep, tmp_path, monkeypatch, capsys):
    """Not into the current folder: a folder beside the runs, named by them, and the output says where."""
    import shutil

    from dlx import compare

    shutil.copytree(sweep, tmp_path / "sweep")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "120")
    compare.compare([Path("sweep/0"), Path("sweep/5")], plot=False)
    out = tmp_path / "sweep" / "compare-0-5"
    assert (out / "summary.md").is_file() and not (tmp_path / "summary.md").exists()
    assert not (tmp_path / "sweep" / "summary.md").exists()  # the sweep's own summary is not overwritten
    assert f"wrote {out / 'summary.csv'}" in capsys.readouterr().out.replace("\n", "")
    many = [Path(f"sweep/{i}") for i in range(10)]
    compare.compare(many, plot=False)
    made = sorted(p.name for p in (tmp_path / "sweep").glob("compare-0-to-9-10-runs-*"))
    assert len(made) == 1 and (tmp_path / "sweep" / made[0] / "summary.md").is_file()
    from dlx import report  # the report of the same runs goes to the same folder

    assert report.report([Path("sweep/0"), Path("sweep/5")]) == out / "report.html"


def test_a_long_line_in_a_pipe_or_a_log_is_one_line(tmp_path, capsys):
    """Piped output (a file, `| tee`, a scheduler's log) is not cut at rich's default 80 columns: an epoch line with
    many metrics stays one line a script or grep can read."""
    from dlx.track import Tracker

    line = "epoch    1/2  step     21  " + "  ".join(f"metric/{i} 0.{i:04d}" for i in range(12))
    tracker = Tracker(tmp_path, total_steps=10, progress=False, prefix="job 3: ")
    tracker.print(line)
    tracker.close()
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"job 3: {line}"] and len(printed[0]) > 120
