"""hydra/launcher=parallel (hydra_plugins/dlx_pool): jobs in worker processes forked from a preloaded server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, dlx_cli
from test_sweep import SMALL, boom_model, multirun, results


@pytest.mark.slow  # the default suite's sweeps (test_cli) already run through this launcher
def test_parallel_launcher_gives_the_basic_launchers_numbers(tmp_path):
    par, basic = tmp_path / "par", tmp_path / "basic"
    out = multirun(par, "hydra/launcher=parallel", "hydra.launcher.n_jobs=2", "optim=sgd,adam")
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Launching 2 jobs in 2 processes" in out.stdout + out.stderr
    assert "job 0: epochs 2" in out.stdout and "job 1: epochs 2" in out.stdout  # each line says its job
    assert "dlx compare: 2 runs in 2 groups" in out.stdout and (par / "report.html").exists()
    assert multirun(basic, "optim=sgd,adam").returncode == 0
    rp, rb = results(par), results(basic)
    assert sorted(rp) == ["0", "1"] and {r["status"] for r in rp.values()} == {"completed"}
    for k in rb:  # one thread each under both launchers: the same numbers, bit for bit
        assert rp[k]["final"] == rb[k]["final"] and rp[k]["threads"] == rb[k]["threads"] == 1


@pytest.mark.slow
def test_parallel_launcher_a_failed_job_does_not_stop_the_others(tmp_path):
    sweep_dir = tmp_path / "sweep"
    out = multirun(sweep_dir, "hydra/launcher=parallel", *boom_model(tmp_path), "model.fail=false,true", "seed=0,1",
                   cwd=tmp_path)  # the user's module is imported in the workers too
    assert out.returncode == 1, out.stderr[-3000:]
    assert sorted(r["status"] for r in results(sweep_dir).values()) == ["completed", "completed", "failed", "failed"]
    assert "2 of 4 jobs failed" in out.stdout


@pytest.mark.slow
def test_parallel_launcher_ctrl_c_saves_running_jobs_and_resume_finishes(tmp_path):
    sweep_dir = tmp_path / "sweep"
    args = [*(a for a in SMALL if not a.startswith("trainer.max_epochs")), "trainer.max_epochs=150",
            "seed=0,1,2,3,4,5", "hydra/launcher=parallel", f"hydra.sweep.dir={sweep_dir}"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "dlx", "train", "-m", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.time() + 120
    def training(j: str) -> bool:  # an epoch line in the job's train.log: its loop is running
        log = sweep_dir / j / "train.log"
        return log.exists() and any(line.startswith("epoch ") for line in log.read_text().splitlines())

    while time.time() < deadline and not (training("0") and training("1")):
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out[-3000:]
    res = results(sweep_dir)
    assert set(res) <= {"0", "1", "2", "3"} and "interrupted" in {r["status"] for r in res.values()}, out[-3000:]
    assert not (sweep_dir / "5").exists()  # not started: left for resume_sweep
    again = dlx_cli("train", "-m", *args, "resume_sweep=true", timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    res = results(sweep_dir)
    assert sorted(res) == [str(i) for i in range(6)] and {r["status"] for r in res.values()} == {"completed"}
    assert all(r["epochs"] == 150 for r in res.values())
