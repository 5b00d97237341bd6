"""Nothing lost at any moment: Ctrl-C and SIGTERM at any point of a run leave a run that resumes or no resume hint,
the lock comes before any write into a run folder, a folder that holds a run is not trained into unasked, and a
failed run keeps its traceback. The random kills of real processes are tests/test_kill_anywhere.py's."""

from __future__ import annotations

import fcntl
import json
import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest
from conftest import make_cfg
from test_resume import scalars

from dlx import cli
from dlx import train as T
from dlx.train import run

# An epoch of 3 steps and two evaluations (train, val): a good share of each epoch is its end, where the stop
# request and the checkpoint must agree. checkpoint_every_s stays at its default (30 s): no checkpoint is due
# before the last epoch unless a Ctrl-C asks for one.
FAST = ["dataset=digits", "model.hidden=[8]", "trainer.batch_size=512", "trainer.max_epochs=4", "trainer.log_every=1",
        "device=cpu", "trainer.threads=1"]


def result_of(run_dir: Path) -> dict | None:
    try:
        return json.loads((run_dir / "result.json").read_text())
    except FileNotFoundError:
        return None


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("ref") / "run"
    run(make_cfg(FAST), run_dir, FAST)
    return run_dir


def resume_as_hinted(run_dir: Path, reference: Path) -> None:
    """The hint result.json gives after a Ctrl-C must work: resume= ends with the uninterrupted run's numbers."""
    hint = result_of(run_dir)["error"]
    assert f"continue with: dlx train resume={run_dir}" in hint, hint
    run(make_cfg([*FAST, f"resume={run_dir}"]), run_dir, FAST)
    done, ref = result_of(run_dir), result_of(reference)
    assert done["status"] == "completed" and done["final"] == ref["final"] and done["steps"] == ref["steps"]


def test_ctrl_c_during_the_epoch_end_evaluation_leaves_that_epochs_checkpoint(reference, tmp_path, monkeypatch):
    """The stop request is read where the checkpoint is decided: a Ctrl-C that lands while the first epoch is
    evaluated (after the save was decided "not due") used to stop the run with no checkpoint and a resume hint
    that then failed ("the run stopped before its first checkpoint")."""
    run_dir, original, sent = tmp_path / "run", T.eval_split, []

    def eval_split(r, split):
        if split == "val" and not sent:
            sent.append(os.kill(os.getpid(), signal.SIGINT))
        return original(r, split)

    monkeypatch.setattr(T, "eval_split", eval_split)
    with pytest.raises(KeyboardInterrupt):
        run(make_cfg(FAST), run_dir, FAST)
    monkeypatch.undo()
    state = T.checkpoint.load(run_dir / "checkpoints" / "last.pt")
    assert (state["epoch"], state["step"], state["batch"]) == (1, 3, 0)
    resume_as_hinted(run_dir, reference)


def term_as_interrupt(signum, frame):
    """What `dlx train` does with SIGTERM where no handler of the loop's is in place (dlx.cli.entry)."""
    raise KeyboardInterrupt


def one_trial(run_dir: Path, delay: float, sig: int) -> None:
    """A run of FAST in ``run_dir`` sent ``sig`` after ``delay`` seconds (from another thread, as a terminal or a
    scheduler would): the signal lands wherever the run is, set-up, a step, an evaluation, a checkpoint or the end."""
    cfg, timer = make_cfg(FAST), threading.Timer(delay, os.kill, (os.getpid(), sig))
    try:
        timer.start()
        run(cfg, run_dir, FAST)
        timer.join()
        time.sleep(0.01)  # a signal sent just as the run ended lands here, not in the checks below
    except KeyboardInterrupt:
        timer.join()


@pytest.mark.slow
def test_ctrl_c_and_sigterm_at_random_moments_leave_a_resumable_run_or_no_hint(reference, tmp_path):
    """300 runs, each sent SIGINT or SIGTERM at a random moment; every resume hint given works and ends with the
    uninterrupted run's numbers; where none is given, the run says why (no checkpoint yet) or never started."""
    rng = random.Random(26)
    old = signal.signal(signal.SIGTERM, term_as_interrupt)  # as `dlx train` runs: SIGTERM before the loop
    seen = {"hinted": 0, "no checkpoint": 0, "not started": 0, "completed": 0}
    try:
        t0 = time.perf_counter()
        run(make_cfg(FAST), tmp_path / "timing", FAST)
        span = time.perf_counter() - t0
        for i in range(300):
            run_dir = tmp_path / str(i)
            one_trial(run_dir, rng.uniform(0, span), rng.choice((signal.SIGINT, signal.SIGTERM)))
            r = result_of(run_dir)
            if r is None:  # stopped in the set-up, before anything of the run: nothing to resume, no hint given
                assert not (run_dir / "checkpoints").exists()
                seen["not started"] += 1
            elif r["status"] == "completed":
                seen["completed"] += 1
            elif "continue with" in r["error"]:
                resume_as_hinted(run_dir, reference)
                seen["hinted"] += 1
            else:
                assert r["status"] == "interrupted" and "nothing to resume" in r["error"], r
                assert not (run_dir / "checkpoints" / "last.pt").exists()
                seen["no checkpoint"] += 1
    finally:
        signal.signal(signal.SIGTERM, old)
    assert seen["hinted"] >= 50, seen  # most signals land in the loop


def test_sigterm_during_pretraining_ends_the_run_interrupted_without_a_hint(tmp_path, monkeypatch):
    """A scheduler's SIGTERM while a DBN pretrains: the phase stops (it cannot be saved halfway) and result.json
    says so, with no resume hint; the run used to die on the spot with nothing written."""
    overrides = ["model=dbn", "model.hidden=[16]", "model.pretrain.steps=200", "trainer.max_epochs=2", "device=cpu"]
    run_dir, old = tmp_path / "run", signal.signal(signal.SIGTERM, term_as_interrupt)
    original = T.Tracker.scalars

    def scalars_(self, values, step):  # the first pretraining curve point: the phase is under way
        if any(k.startswith("pretrain/") for k in values):
            os.kill(os.getpid(), signal.SIGTERM)
        return original(self, values, step)

    monkeypatch.setattr(T.Tracker, "scalars", scalars_)
    try:
        with pytest.raises(KeyboardInterrupt):
            run(make_cfg(overrides), run_dir, overrides)
    finally:
        signal.signal(signal.SIGTERM, old)
    r = result_of(run_dir)
    assert r is not None and r["status"] == "interrupted" and r["steps"] == 0, r
    assert "before its first checkpoint: nothing to resume" in r["error"] and "continue with" not in r["error"]
    assert not (run_dir / "checkpoints").exists()


# ---- the lock comes first ---------------------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and modification time (ns)."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def hold_lock(run_dir: Path):
    """The lock as a live dlx train holds it (its pid in .lock)."""
    f = open(run_dir / ".lock", "a+")
    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    f.seek(0)
    f.truncate()
    f.write("4242")
    f.flush()
    return f


def refused_line(argv: list[str], capsys) -> str:
    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("dlx: error: "), err
    return lines[0]


def test_a_second_run_on_a_folder_in_use_changes_nothing(tmp_path, capsys):
    """The first run's .hydra files were rewritten by the refused second one (Hydra wrote them before dlx took the
    lock), so its later resume used the intruder's settings."""
    run_dir = tmp_path / "run"
    assert cli.main(["train", *FAST, f"hydra.run.dir={run_dir}"]) == 0  # a run's folder, as a live run has it
    (run_dir / "result.json").unlink()  # ... still running
    with hold_lock(run_dir):
        before = snapshot(run_dir)
        line = refused_line(["train", *FAST, "optim.lr=0.5", f"hydra.run.dir={run_dir}"], capsys)
        assert snapshot(run_dir) == before
    assert "is in use by process 4242" in line


def test_a_refused_run_never_deletes_the_folder_of_a_run_that_is_starting(tmp_path, capsys):
    run_dir = tmp_path / "run"
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "overrides.yaml").write_text("- trainer.max_epochs=4\n")
    with hold_lock(run_dir):
        before = snapshot(run_dir)
        assert "in use" in refused_line(["train", *FAST, f"hydra.run.dir={run_dir}"], capsys)
        assert snapshot(run_dir) == before


def test_a_finished_run_is_not_trained_into_unless_overwrite(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert cli.main(["train", *FAST, f"hydra.run.dir={run_dir}"]) == 0
    before = snapshot(run_dir)
    line = refused_line(["train", *FAST, "optim.lr=0.5", f"hydra.run.dir={run_dir}"], capsys)
    assert f"hydra.run.dir={run_dir} is wrong: it holds a run (status completed)" in line and "overwrite=true" in line
    assert snapshot(run_dir) == before
    # overwrite=true replaces it: one run's results and curves, not two mixed
    assert cli.main(["train", *FAST, "optim.lr=0.5", "overwrite=true", f"hydra.run.dir={run_dir}"]) == 0
    r = result_of(run_dir)
    assert r["status"] == "completed" and "optim.lr=0.5" in r["overrides"]
    assert len(list(run_dir.glob("events.out.tfevents*"))) == 1
    assert [s for s, _ in scalars(run_dir)["val/acc"]] == [3, 6, 9, 12]  # every epoch once
    # and resume= does not replay overwrite=true (the saved overrides keep it, the resumed run ignores it)
    assert cli.main(["train", f"resume={run_dir}", "trainer.max_epochs=5"]) == 0
    assert result_of(run_dir)["epochs"] == 5 and [s for s, _ in scalars(run_dir)["val/acc"]] == [3, 6, 9, 12, 15]


def test_a_grid_sweep_is_not_rerun_into_its_folder_without_resume_sweep(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    for job in ("0", "1"):  # an earlier sweep's job folders
        (sweep / job / ".hydra").mkdir(parents=True)
        (sweep / job / ".hydra" / "overrides.yaml").write_text(f"- seed={job}\n")
        (sweep / job / "result.json").write_text(json.dumps({"status": "completed", "overrides": [f"seed={job}"]}))
    (sweep / "multirun.yaml").write_text("hydra: {}\n")
    before = snapshot(sweep)
    line = refused_line(["train", "-m", *FAST, "seed=0,1", f"hydra.sweep.dir={sweep}"], capsys)
    assert "holds the runs of an earlier sweep (2 job folders)" in line and "resume_sweep=true" in line
    assert snapshot(sweep) == before


# ---- a failed run keeps its traceback ------------------------------------------------------------------------------


def test_a_failed_run_keeps_its_traceback_in_error_log(tmp_path, monkeypatch):
    """A failure that is not the user's (a bug, a library's error): result.json's one line names error.log, which
    holds the traceback (a sweep's failed job used to keep one line, and an empty log)."""
    def boom(*args):
        raise RuntimeError("boom: fails while training")

    monkeypatch.setattr(T, "epoch_order", boom)
    run_dir = tmp_path / "run"
    with pytest.raises(RuntimeError, match="boom"):
        run(make_cfg(FAST), run_dir, FAST)
    r = result_of(run_dir)
    assert r["status"] == "failed" and r["error"] == "RuntimeError: boom: fails while training"
    assert r["error_log"] == "error.log"
    log = (run_dir / "error.log").read_text()
    assert log.startswith("Traceback (most recent call last)") and "in train" in log and log.strip().endswith(
        "RuntimeError: boom: fails while training")
