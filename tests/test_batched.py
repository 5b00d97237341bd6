"""hydra/launcher=batched: seeds trained as one stacked model, each job its own complete run folder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from conftest import dlx_cli, make_cfg
from omegaconf import OmegaConf

SMALL = ["dataset=digits", "dataset.subset=256", "model.hidden=[16]", "trainer.max_epochs=2",
         "trainer.batch_size=64", "trainer.log_every=2", "device=cpu"]


def sequential(overrides: list[str], run_dir: Path) -> dict:
    from dlx.train import run

    run(make_cfg(overrides), run_dir, overrides)
    return json.loads((run_dir / "result.json").read_text())


def stacked_runs(overrides: list[str], seeds: list[int], root: Path) -> list[dict]:
    """The members of one stack, trained as the launcher trains them (without Hydra's job folders)."""
    from dlx import setup
    from dlx.sweep import stack as stacked

    members = []
    for seed in seeds:
        cfg = make_cfg([*overrides, f"seed={seed}"])
        run_dir = root / str(seed)
        run_dir.mkdir(parents=True)
        members.append(stacked.Member(setup.build(cfg, [f"seed={seed}"], None, run_dir), run_dir))
    stacked.train_group(members)
    return [m.result for m in members]


@pytest.mark.parametrize("extra", [
    pytest.param(["optim=sgd"], id="sgd"),
    pytest.param(["optim=adam", "regularization=[l2,max_norm]"], id="adam-l2-maxnorm", marks=pytest.mark.slow),
    pytest.param(["optim=momentum", "schedule=linear", "regularization=batchnorm"], id="momentum-linear-batchnorm",
                 marks=pytest.mark.slow),
    pytest.param(["model=cnn", "model.channels=[4]", "model.hidden=[8]", "optim=rmsprop"], id="cnn-rmsprop",
                 marks=pytest.mark.slow),
])
def test_a_member_follows_its_sequential_run(tmp_path, extra):
    """Same seed, same batches, no dropout: every member ends where its own sequential run ends."""
    overrides = [*SMALL, *extra]
    results = stacked_runs(overrides, [0, 1, 2], tmp_path / "stack")
    for seed, got in zip([0, 1, 2], results):
        want = sequential([*overrides, f"seed={seed}"], tmp_path / f"seq{seed}")
        assert got["status"] == want["status"] == "completed"
        assert got["steps"] == want["steps"] and got["epochs"] == want["epochs"]
        for k in ("train/loss", "val/loss", "test/loss", "train/eval_loss"):
            assert got["final"][k] == pytest.approx(want["final"][k], rel=1e-5, abs=1e-6), k
        assert got["final"]["test/acc"] == pytest.approx(want["final"]["test/acc"], abs=1 / 360)
    # the checkpoint holds the member's own weights, as a normal nn.Module state_dict
    a = torch.load(tmp_path / "stack" / "1" / "checkpoints" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "seq1" / "checkpoints" / "last.pt", weights_only=True)["model"]
    assert a.keys() == b.keys() and all(torch.allclose(a[k].float(), b[k].float(), atol=1e-5) for k in a)


def test_a_members_checkpoint_holds_only_its_own_state(tmp_path):
    """Adam's moments are sliced from the stack's: a member's checkpoint must not carry the whole stack's
    storage (a file as large as every member's together)."""
    overrides = [*SMALL, "optim=adam"]
    stacked_runs(overrides, [0, 1, 2, 3], tmp_path / "stack")
    sequential([*overrides, "seed=1"], tmp_path / "seq1")
    for name in ("last.pt", "best.pt"):
        path = tmp_path / "stack" / "1" / "checkpoints" / name
        state = torch.load(path, weights_only=True)
        assert state["optimizer"]["state"], "Adam keeps moments"
        shared = [t for t in _tensors(state) if t.untyped_storage().nbytes() > t.numel() * t.element_size()]
        assert not shared, [tuple(t.shape) for t in shared]
        assert path.stat().st_size < 1.2 * (tmp_path / "seq1" / "checkpoints" / name).stat().st_size


def _tensors(o):
    if torch.is_tensor(o):
        yield o
    elif isinstance(o, dict):
        for v in o.values():
            yield from _tensors(v)
    elif isinstance(o, (list, tuple)):
        for v in o:
            yield from _tensors(v)


def test_dropout_members_differ_and_learn(tmp_path):
    results = stacked_runs([*SMALL, "regularization=dropout", "trainer.max_epochs=3"], [0, 1], tmp_path)
    assert [r["status"] for r in results] == ["completed", "completed"]
    assert results[0]["final"]["train/loss"] != results[1]["final"]["train/loss"]
    assert all(math.isfinite(r["final"]["test/loss"]) for r in results)


def test_refusals_name_the_reason():
    from dlx.sweep import stack

    def why(*ov):
        return stack.refusal(OmegaConf.to_container(make_cfg([*SMALL, *ov]), resolve=True))

    assert why() is None and why("regularization=[dropout,l2,augment]") is None
    assert "not an elementwise optimizer" in why("optim=lbfgs")
    assert "global gradient norm" in why("trainer.grad_clip=1.0")
    assert why("regularization=early_stopping").startswith("regularization=early_stopping")
    assert "pretrain" in why("model=dbn")


def test_chunks_cut_the_stacks_for_the_processes():
    """With n processes each group is cut into stacks of two members at least, so that there are n where the
    groups allow; a job that is not stacked is a task of its own."""
    from dlx.sweep.batched import chunks

    def sizes(groups, n):
        return [len(c) for c in chunks([list(range(k)) for k in groups], n)]

    assert sizes([10], 2) == [5, 5] and sizes([10], 4) == [2, 3, 3, 2] and sizes([10], 8) == [2, 2, 2, 2, 2]
    assert sizes([10], 1) == [10] and sizes([3], 2) == [3] and sizes([2], 2) == [2] and sizes([4], 2) == [2, 2]
    assert sizes([5, 5], 2) == [5, 5] and sizes([5, 1, 1], 2) == [2, 3, 1, 1]


def test_seed_groups_stack_only_jobs_whose_configs_differ_in_seed_alone(monkeypatch, capsys):
    """The pool's parent groups by the command's overrides and composes two jobs of a group: a config that reads
    the seed elsewhere (one dataset per seed) or a refusal runs each job on its own, with the line why."""
    from dlx.sweep.batched import Batch

    base = OmegaConf.to_container(make_cfg(SMALL), resolve=True)
    leaks = False

    def compose(self, idx, overrides):
        seed = int(next(o for o in overrides if o.startswith("seed=")).split("=")[1])
        c = {**base, "seed": seed, "optim": {"_target_": "torch.optim.LBFGS"} if "optim=lbfgs" in overrides
             else base["optim"], "dataset": {**base["dataset"], "split_seed": seed} if leaks else base["dataset"]}
        return idx, None, c

    monkeypatch.setattr(Batch, "compose", compose)
    jobs = [(i, [f"seed={i % 3}", "optim=sgd" if i < 3 else "optim=lbfgs"]) for i in range(6)] + [(6, ["seed=0",
                                                                                                  "model=cnn"])]
    groups = Batch(None, None, None).seed_groups(jobs)
    assert [[idx for idx, _ in g] for g in groups] == [[0, 1, 2], [3], [4], [5], [6]]
    out = capsys.readouterr().out
    assert "jobs 3, 4, 5 run each on its own, not stacked: optim torch.optim.LBFGS is not an elementwise" in out
    assert "job 6 runs, not stacked: no other job of this sweep differs from it only in seed" in out
    leaks = True
    assert [len(g) for g in Batch(None, None, None).seed_groups(jobs[:3])] == [1, 1, 1]
    assert "jobs 0, 1, 2 run each on its own, not stacked: their configs differ in more than seed" in \
        capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [2, 1])
def test_batched_sweep_writes_complete_folders_compares_and_resumes(tmp_path, n_jobs):
    sweep = tmp_path / "sweep"
    out = dlx_cli("train", "-m", "hydra/launcher=batched", f"hydra.launcher.n_jobs={n_jobs}", *SMALL,
                  "optim=sgd,lbfgs", "seed=0,1", f"hydra.sweep.dir={sweep}", timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (f"Launching 4 jobs in {n_jobs} processes" if n_jobs > 1 else "Launching 4 jobs locally") in \
        out.stdout + out.stderr
    assert "dlx: batched launcher: jobs 0, 1 train together as one stacked model of 2" in out.stdout
    # the job it cannot stack runs through the normal task function, after one line saying why
    assert ("dlx: batched launcher: jobs 2, 3 run each on its own, not stacked: optim torch.optim.LBFGS is not "
            "an elementwise optimizer") in out.stdout
    for job in "0123":
        d = sweep / job
        names = {p.name for p in d.iterdir()}
        assert {"result.json", "provenance.json", ".hydra", "checkpoints", "train.log"} <= names, names
        assert any(n.startswith("events.out.tfevents") for n in names)
        assert {p.name for p in (d / "checkpoints").iterdir()} == {"last.pt", "best.pt"}
        assert {p.name for p in (d / ".hydra").iterdir()} == {"config.yaml", "hydra.yaml", "overrides.yaml"}
        r = json.loads((d / "result.json").read_text())
        assert r["status"] == "completed" and r["seed"] == int(job) % 2
    # a stacked member matches its sequential run
    want = sequential([*SMALL, "optim=sgd", "seed=1"], tmp_path / "seq")
    got = json.loads((sweep / "1" / "result.json").read_text())
    assert got["final"]["val/loss"] == pytest.approx(want["final"]["val/loss"], rel=1e-5)
    # the end-of-sweep summary and dlx compare see the sweep as any other
    assert "dlx compare: 4 runs in 2 groups" in out.stdout
    cmp = dlx_cli("compare", str(sweep), "--out", str(tmp_path / "cmp"), "--no-plot")
    assert cmp.returncode == 0, cmp.stderr
    assert (tmp_path / "cmp" / "summary.csv").exists()
    # dlx eval reads a member's checkpoint; resume continues the member's folder as a normal run
    ev = dlx_cli("eval", str(sweep / "1"))
    assert ev.returncode == 0, ev.stderr
    res = dlx_cli("train", f"resume={sweep / '1'}", "trainer.max_epochs=3", timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    again = json.loads((sweep / "1" / "result.json").read_text())
    assert again["status"] == "completed" and again["epochs"] == 3 and again["steps"] == got["steps"] * 3 // 2


@pytest.mark.slow
def test_batched_stacks_in_two_processes_ctrl_c_saves_every_member_and_resume_finishes(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT

    sweep = tmp_path / "sweep"
    args = [*(a for a in SMALL if not a.startswith("trainer.max_epochs")), "trainer.max_epochs=150", "seed=0,1,2,3",
            "hydra/launcher=batched", "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={sweep}"]
    proc = subprocess.Popen([sys.executable, "-m", "dlx", "train", "-m", *args], env=dict(os.environ,
                            PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)

    def training(j: str) -> bool:  # an epoch line in the member's train.log: its stack is training
        log = sweep / j / "train.log"
        return log.exists() and any(line.startswith("epoch ") for line in log.read_text().splitlines())

    deadline = time.time() + 120
    while time.time() < deadline and not (training("0") and training("2")):
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out[-3000:]
    assert "jobs 0, 1 train together as one stacked model of 2" in out and "jobs 2, 3 train together" in out
    for j in "0123":
        r = json.loads((sweep / j / "result.json").read_text())
        assert r["status"] == "interrupted" and (sweep / j / "checkpoints" / "last.pt").is_file(), out[-3000:]
    again = dlx_cli("train", "-m", *args, "resume_sweep=true", timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    for j in "0123":
        r = json.loads((sweep / j / "result.json").read_text())
        assert r["status"] == "completed" and r["epochs"] == 150
