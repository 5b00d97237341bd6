"""Sweeps resume from any kill: SIGTERM to a sweep's process group, an Optuna search resumed after a kill between
ask and folder, and the kill-anywhere harness (tests/killharness.py): 100 random SIGKILL/SIGINT/SIGTERM over
single runs, the parallel and batched launchers and an Optuna search with pruning, each followed by the documented
resume, with nothing lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import killharness as H
import pytest
from conftest import dlx_cli

pytestmark = pytest.mark.slow
optuna = pytest.importorskip("optuna", minversion="4", reason="needs the `sweep` extra (optuna >= 4)")

# kills per mode: 100 in all, in chains of 5 (a chain: kill, resume as documented, kill the resume, ...)
KILLS = {"single": 25, "parallel": 25, "batched": 25, "optuna": 25}


@pytest.mark.parametrize("mode", list(H.MODES))
def test_kill_anywhere_then_resume_as_documented_loses_nothing(mode, tmp_path):
    chains = H.run_mode(mode, tmp_path, KILLS[mode], seed=26)
    kills = [k for c in chains for k in c.kills]
    print(f"{mode}: {len(kills)} kills, nothing lost:\n" + "\n".join("; ".join(c.log) for c in chains))
    assert len(kills) == KILLS[mode]


def results(sweep: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(sweep.glob("*/result.json"))}


def test_sigterm_to_a_parallel_sweeps_group_saves_every_running_job(tmp_path):
    """What SLURM's preemption and scancel send: SIGTERM to every process. Each worker got it twice (the group's
    copy and its parent's) and took the second as "stop at once": no job had a checkpoint or result.json."""
    sweep, ref = tmp_path / "sweep", tmp_path / "ref"
    args = [*H.BASE[:-1], "trainer.max_epochs=60", "seed=0,1,2,3", "hydra/launcher=parallel",
            "hydra.launcher.n_jobs=2"]  # checkpoint_every_s: the default 30 s, so only the SIGTERM saves
    proc = subprocess.Popen([sys.executable, "-m", "dlx", "train", "-m", *args, f"hydra.sweep.dir={sweep}"],
                            env=H.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and not all(H.training("single", sweep / j) for j in "01"):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGTERM)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 130, out[-3000:]
    res = results(sweep)
    assert set(res) == {"0", "1"} and not (sweep / "2").exists(), out[-3000:]  # jobs 2, 3 never started
    for j, r in res.items():
        assert r["status"] == "interrupted" and r["steps"] > 0, (j, r, out[-3000:])
        assert (sweep / j / "checkpoints" / "last.pt").is_file() and "resume_sweep=true" in r["error"]
    again = dlx_cli("train", "-m", *args, f"hydra.sweep.dir={sweep}", "resume_sweep=true", timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert dlx_cli("train", "-m", *args, f"hydra.sweep.dir={ref}", timeout=600).returncode == 0
    res, want = results(sweep), results(ref)
    assert sorted(res) == ["0", "1", "2", "3"]
    for j in want:  # bit for bit the uninterrupted sweep's numbers
        assert res[j]["status"] == "completed" and res[j]["final"] == want[j]["final"]


SEARCH = ["-m", "hydra/sweeper=optuna", *H.BASE, "trainer.max_epochs=2", "hydra.sweeper.sampler=random",
          "optim.lr=tag(log, interval(0.0003, 0.3))"]


def trials(sweep: Path) -> list:
    return H.study(sweep).get_trials(deepcopy=False)


def test_a_resumed_search_asks_what_the_uninterrupted_one_asks(tmp_path):
    """A new process's sampler with the same seed started its random stream again: a resumed search asked the
    first trials' points once more (6 trials held 4 distinct learning rates)."""
    half, whole = tmp_path / "half", tmp_path / "whole"
    assert dlx_cli("train", *SEARCH, "hydra.sweeper.n_trials=2", f"hydra.sweep.dir={half}").returncode == 0
    out = dlx_cli("train", *SEARCH, "hydra.sweeper.n_trials=4", f"hydra.sweep.dir={half}", "resume_sweep=true")
    assert out.returncode == 0, out.stderr[-3000:]
    assert dlx_cli("train", *SEARCH, "hydra.sweeper.n_trials=4", f"hydra.sweep.dir={whole}").returncode == 0
    got, want = [t.params["optim.lr"] for t in trials(half)], [t.params["optim.lr"] for t in trials(whole)]
    assert len(set(got)) == 4 and got == want
    assert [r["final"] for r in results(half).values()] == [r["final"] for r in results(whole).values()]


def test_a_trial_asked_before_its_folder_was_made_runs_when_the_search_resumes(tmp_path):
    """Killed between ask and the folder's creation: the trial is running in the study, with no folder; the resumed
    search ended in FileNotFoundError."""
    sweep = tmp_path / "sweep"
    assert dlx_cli("train", *SEARCH, "hydra.sweeper.n_trials=2", f"hydra.sweep.dir={sweep}").returncode == 0
    asked = H.study(sweep).ask({"optim.lr": optuna.distributions.FloatDistribution(0.0003, 0.3, log=True)})
    assert not (sweep / str(asked.number)).exists()
    out = dlx_cli("train", *SEARCH, "hydra.sweeper.n_trials=4", f"hydra.sweep.dir={sweep}", "resume_sweep=true")
    assert out.returncode == 0, out.stderr[-3000:]
    ts = trials(sweep)
    assert [t.state.name for t in ts] == ["COMPLETE"] * 4 and ts[2].params == asked.params
    res = results(sweep)
    assert sorted(res) == ["0", "1", "2", "3"] and f"optim.lr={asked.params['optim.lr']}" in res["2"]["overrides"]


def test_sigint_to_a_searchs_group_then_resume_finishes_the_interrupted_trial(tmp_path):
    """An interrupted trial (its result.json says interrupted) continues from its last.pt when the search resumes;
    the sweeper compared that result's overrides with none and refused the folder as another sweep's."""
    sweep = tmp_path / "sweep"
    args = [*SEARCH, "trainer.max_epochs=60", "hydra.sweeper.n_trials=2", f"hydra.sweep.dir={sweep}"]
    proc = subprocess.Popen([sys.executable, "-m", "dlx", "train", *args], env=H.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and not H.training("single", sweep / "0"):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 130 and results(sweep)["0"]["status"] == "interrupted", out[-3000:]
    again = dlx_cli("train", *args, "resume_sweep=true", timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    # the search says so (its trials' own lines go to their train.log); the trial's job ran with resume=<its folder>
    assert "dlx: search: continuing 1 interrupted trials: 0" in again.stdout, again.stdout[-3000:]
    assert f"resume='{sweep / '0'}'" in (sweep / "0" / ".hydra" / "overrides.yaml").read_text()
    assert [r["status"] for r in results(sweep).values()] == ["completed", "completed"]
