"""Packed cluster sweeps (dlx/sweep/cluster.py): wrong values refused before anything starts, the claim queue, and
(slow) a 64-job sweep through submitit's local executor packed into 4 tasks, preempted (SIGUSR2) and killed
(SIGKILL, then resume_sweep=true), and through a local Ray cluster, each against Hydra's basic launcher job for
job."""

from __future__ import annotations

import collections
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dlx import runfolder
from dlx.sweep import cluster
from tests.conftest import ROOT, cli_refusal, dlx_cli

# 64 small jobs (digits MLP, 8 epochs of 11 steps, a checkpoint at every epoch's end: ~0.5 s of training each)
JOB = ["dataset=digits", "model.hidden=[16]", "trainer.batch_size=128", "trainer.max_epochs=8", "device=cpu",
       "trainer.checkpoint_every_s=0", "seed=range(0,16)", "optim.lr=0.01,0.03,0.1,0.3"]
PACKED = ["hydra/launcher=local", "hydra.launcher.tasks=4"]
TWO = ["dataset=digits", "model.hidden=[8]", "trainer.max_epochs=1", "seed=0,1"]


# ---- wrong values: one line, exit 2, nothing made --------------------------------------------------------------


@pytest.mark.parametrize("tasks", ["0", "-1", "abc", "1.5"])
def test_wrong_tasks_refused(capsys, tmp_path, tasks):
    line = cli_refusal(capsys, "train", "-m", "hydra/launcher=local", f"hydra.launcher.tasks={tasks}", *TWO,
                       f"hydra.sweep.dir={tmp_path / 's'}")
    assert f"hydra.launcher.tasks={tasks} is wrong" in line and "integer >= 1" in line
    assert not (tmp_path / "s").exists()


def test_ray_unreachable_refused(capsys, tmp_path):
    line = cli_refusal(capsys, "train", "-m", "hydra/launcher=ray", "hydra.launcher.address=127.0.0.1:1", *TWO,
                       f"hydra.sweep.dir={tmp_path / 's'}")
    assert "hydra.launcher.address=127.0.0.1:1 is wrong: no Ray cluster answers there" in line
    assert not (tmp_path / "s").exists()


def test_ray_not_installed_refused(capsys, tmp_path, monkeypatch):
    find = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else find(name, *a))
    line = cli_refusal(capsys, "train", "-m", "hydra/launcher=ray", *TWO, f"hydra.sweep.dir={tmp_path / 's'}")
    assert "ray is not installed" in line and "dlx[ray]" in line


# ---- the queue ---------------------------------------------------------------------------------------------------


def test_claim_is_exclusive_and_pull_takes_each_job_once(tmp_path):
    (tmp_path / cluster.QUEUE).mkdir()
    with cluster.claim(tmp_path, 3) as first, cluster.claim(tmp_path, 3) as second:
        assert first is not None and second is None  # a second open file (another process's) cannot take it
    with cluster.claim(tmp_path, 3) as again:
        assert again is not None  # released with its holder
    # job 1 already holds a finished run: skipped; job 2 is interrupted the first time: not marked, pulled again
    runfolder.write_result(tmp_path / "1", {"status": "completed"})
    jobs = [(i, [f"seed={i}"]) for i in range(4)]
    ran, interrupted = [], []

    def run(idx, overrides):
        ran.append(idx)
        if idx == 2 and not interrupted:
            interrupted.append(idx)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cluster.pull(tmp_path, jobs, "launch-a", run, lambda: False)
    assert cluster.pull(tmp_path, jobs, "launch-a", run, lambda: False) == 2  # jobs 2 and 3
    assert ran == [0, 2, 2, 3]
    assert cluster.pull(tmp_path, jobs, "launch-a", run, lambda: False) == 0  # all done under this launch
    assert cluster.pull(tmp_path, jobs, "launch-b", run, lambda: False) == 3  # a new launch: 1 stays finished


# ---- real sweeps (slow) -----------------------------------------------------------------------------------------


def sweep_cmd(folder: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "dlx", "train", "-m", *JOB, *extra, f"hydra.sweep.dir={folder}"]


def env() -> dict:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))


def metrics(folder: Path) -> dict[int, tuple]:
    """Job number -> (status, final, best) from each job's result.json."""
    out = {}
    for p in folder.glob("*/result.json"):
        r = json.loads(p.read_text())
        out[int(p.parent.name)] = (r["status"], r["final"], r["best"])
    return out


def task_logs(folder: Path) -> str:
    return "".join(p.read_text() for p in sorted((folder / ".submitit").glob("*/*_log.*")))


def starts(logs: str) -> collections.Counter:
    """How often each job started from scratch (the pulling task's line), across every task's log."""
    return collections.Counter(int(n) for n in re.findall(r"dlx: job (\d+) on [^:]+: starts", logs))


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """The 64 jobs through Hydra's basic launcher, one after another."""
    folder = tmp_path_factory.mktemp("basic") / "s"
    out = subprocess.run(sweep_cmd(folder, "hydra/launcher=basic"), env=env(), capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    got = metrics(folder)
    assert len(got) == 64 and {s for s, _, _ in got.values()} == {"completed"}
    return got


@pytest.mark.slow
def test_packed_local_equals_basic(tmp_path, reference):
    folder = tmp_path / "s"
    out = dlx_cli("train", "-m", *JOB, *PACKED, f"hydra.sweep.dir={folder}", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    assert metrics(folder) == reference
    logs = task_logs(folder)
    assert set(starts(logs).values()) == {1} and len(starts(logs)) == 64
    assert len(set(re.findall(r"dlx: job \d+ on (task \d+)", logs))) == 4  # every task pulled jobs
    assert (folder / "summary.csv").is_file()  # the end-of-sweep summary, as with the local launchers


def tasks_of(folder: Path) -> list[int]:
    """Pids of the sweep's running submitit tasks (python -m submitit.core._submit <sweep>/.submitit/...)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if proc.name.isdigit() and b"submitit.core._submit" in cmd and any(str(folder).encode() in c for c in cmd):
            pids.append(int(proc.name))
    return pids


def current_job(folder: Path, pid: int) -> int | None:
    """The job task ``pid`` runs now, when it has written a last.pt and no result yet."""
    controller = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    try:
        log = next((folder / ".submitit" / str(controller)).glob("*_log.out")).read_text()
    except (StopIteration, OSError):
        return None
    taken = re.findall(r"dlx: job (\d+) on [^:]+: ", log)
    if not taken:
        return None
    job = folder / taken[-1]
    return int(taken[-1]) if (job / "checkpoints" / "last.pt").is_file() and not (job / "result.json").exists() \
        else None


def signal_one_task(folder: Path, sig: int, proc: subprocess.Popen) -> int:
    """Once a third of the jobs are done, ``sig`` to one task while its job has a last.pt; that job's number."""
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None:
        if len(list(folder.glob("*/result.json"))) >= 20:
            for pid in tasks_of(folder):
                job = current_job(folder, pid)
                if job is not None:
                    os.kill(pid, sig)
                    return job
        time.sleep(0.02)
    raise AssertionError("no task to signal: " + (proc.stderr.read() if proc.poll() is not None else "timeout"))


def no_double_start(folder: Path) -> str:
    logs = task_logs(folder)
    assert starts(logs) == {n: 1 for n in range(64)}, starts(logs)  # none trained from scratch twice
    assert "is in use by process" not in logs  # no job's folder was ever taken twice at once
    return logs


def packed_sweep_with_a_signalled_task(folder: Path, sig: signal.Signals) -> tuple[subprocess.Popen, int, str]:
    """The packed sweep into ``folder``, ``sig`` sent to one of its tasks mid-sweep: the ended command, the job that
    task was running, and the command's stderr."""
    proc = subprocess.Popen(sweep_cmd(folder, *PACKED), env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    job = signal_one_task(folder, sig, proc)
    _, err = proc.communicate(timeout=900)
    return proc, job, err


@pytest.mark.slow
def test_preempted_task_is_requeued_and_loses_nothing(tmp_path, reference):
    folder = tmp_path / "s"
    proc, job, err = packed_sweep_with_a_signalled_task(folder, signal.SIGUSR2)
    assert proc.returncode == 0, err[-3000:]
    assert metrics(folder) == reference
    logs = no_double_start(folder)
    assert "Requeued job" in logs and "the task is requeued" in logs
    assert f"dlx: job {job} on" in logs and re.search(rf"dlx: job {job} on [^:]+: continues from its last.pt", logs)


@pytest.mark.slow
def test_killed_task_then_resume_sweep_loses_nothing(tmp_path, reference):
    folder = tmp_path / "s"
    proc, job, err = packed_sweep_with_a_signalled_task(folder, signal.SIGKILL)
    assert "task" in err and "ended early" in err  # said, whether the others finished its job (exit 0) or not (1)
    assert proc.returncode in (0, 1), err[-3000:]
    if proc.returncode == 1:
        assert "resume_sweep=true" in err
    out = subprocess.run(sweep_cmd(folder, *PACKED, "resume_sweep=true"), env=env(), capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    assert metrics(folder) == reference
    logs = no_double_start(folder)
    assert re.search(rf"dlx: job {job} on [^:]+: continues from its last.pt", logs)


@pytest.mark.slow
def test_ray_local_cluster_equals_basic(tmp_path, reference):
    pytest.importorskip("ray")
    folder = tmp_path / "s"
    out = dlx_cli("train", "-m", *JOB, "hydra/launcher=ray", "hydra.launcher.num_cpus=2",
                  f"hydra.sweep.dir={folder}", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    assert metrics(folder) == reference
    assert re.search(r"Packing 64 jobs into 2 Ray task", out.stdout + out.stderr)
