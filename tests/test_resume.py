"""A runner that never loses work: exact resume, Ctrl-C, SIGKILL, corrupt checkpoints, divergence, and one clear
line for every wrong override."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import ROOT, dlx_cli, make_cfg, options

from dlx import checkpoint, cli
from dlx.track import Tracker
from dlx.train import run

# Small but real: 3 epochs of 41 steps, dropout on (so the torch RNG matters), batch order from its generator.
BASE = ["dataset=digits", "model.hidden=[32]", "+regularization.dropout={input:0.0,hidden:0.3}", "trainer.max_epochs=3",
        "trainer.checkpoint_every_s=0",
        "trainer.batch_size=32", "trainer.log_every=5", "device=cpu"]


def result_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "result.json").read_text())


def scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar curve as TensorBoard shows it (purged events dropped), as (step, value) lists."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def interrupt_at(monkeypatch, at_step: int) -> None:
    """Send a real SIGINT to this process when the loop reports step `at_step` (mid-epoch)."""
    original = Tracker.tick

    def tick(self, step, info=None):
        if step == at_step:
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, step, info)

    monkeypatch.setattr(Tracker, "tick", tick)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The uninterrupted run every resumed run must reproduce exactly."""
    run_dir = tmp_path_factory.mktemp("reference")
    run(make_cfg(BASE), run_dir, BASE)
    return run_dir


def test_ctrl_c_saves_and_resume_is_exact(reference, tmp_path, monkeypatch, capsys):
    run_dir = tmp_path / "run"
    interrupt_at(monkeypatch, 60)  # epoch 2 of 3, batch 19 of 41
    with pytest.raises(KeyboardInterrupt):
        run(make_cfg(BASE), run_dir, BASE)
    monkeypatch.undo()
    err = capsys.readouterr().err  # a Ctrl-C the user asked for is news, not an error
    assert f"dlx: interrupted at step 60; continue with: dlx train resume={run_dir}" in err and "error" not in err
    stopped = result_of(run_dir)
    assert stopped["status"] == "interrupted" and stopped["steps"] == 60 and stopped["epochs"] == 1
    assert f"resume={run_dir}" in stopped["error"]
    state = checkpoint.load(run_dir / "checkpoints" / "last.pt")
    assert state["step"] == 60 and state["batch"] == 19  # saved mid-epoch, after a whole step

    run(make_cfg([*BASE, f"resume={run_dir}"]), run_dir, BASE)
    done, ref = result_of(run_dir), result_of(reference)
    assert done["status"] == "completed"
    assert done["final"] == ref["final"] and done["best"] == ref["best"]  # bit-identical, not approximately
    assert (done["steps"], done["epochs"]) == (ref["steps"], ref["epochs"])
    # TensorBoard continues the same curves: every step once, same values as the uninterrupted run.
    assert scalars(run_dir) == scalars(reference)


def test_resume_from_an_epoch_boundary_is_exact(reference, tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    interrupt_at(monkeypatch, 41)  # the last step of epoch 1: the epoch's own checkpoint is the one kept
    with pytest.raises(KeyboardInterrupt):
        run(make_cfg(BASE), run_dir, BASE)
    monkeypatch.undo()
    state = checkpoint.load(run_dir / "checkpoints" / "last.pt")
    assert (state["epoch"], state["step"], state["batch"]) == (1, 41, 0)
    run(make_cfg([*BASE, f"resume={run_dir}"]), run_dir, BASE)
    assert result_of(run_dir)["final"] == result_of(reference)["final"]
    assert scalars(run_dir) == scalars(reference)


SMALL = ["dataset=digits", "model.hidden=[16]", "trainer.max_epochs=3", "trainer.batch_size=128",
         "trainer.log_every=3", "device=cpu"]  # 11 steps an epoch


def interrupted_then_resumed(overrides, tmp_path, monkeypatch, at_step=16) -> tuple[dict, dict]:
    """(resumed run's result, uninterrupted run's result) for the same overrides."""
    ref, run_dir = tmp_path / "ref", tmp_path / "run"
    run(make_cfg(overrides), ref, overrides)
    interrupt_at(monkeypatch, at_step)
    with pytest.raises(KeyboardInterrupt):
        run(make_cfg(overrides), run_dir, overrides)
    monkeypatch.undo()
    run(make_cfg([*overrides, f"resume={run_dir}"]), run_dir, overrides)
    return result_of(run_dir), result_of(ref)


def test_early_stopping_and_noise_resume_exactly(tmp_path, monkeypatch):
    # patience 1 with an improvement no run can make: alg. 7.1 stops after epoch 2 and restores epoch 1's
    # weights, which only works after a resume if the checkpoint carried the early-stopping state.
    overrides = [*SMALL, "regularization=[early_stopping,weight_noise,input_noise]",
                 "+regularization.dropout={input:0.0,hidden:0.2}", "regularization.early_stopping.patience=1",
                 "regularization.early_stopping.min_delta=10"]
    done, ref = interrupted_then_resumed(overrides, tmp_path, monkeypatch)
    assert ref["status"] == done["status"] == "stopped_early" and ref["epochs"] == done["epochs"] == 2
    assert done["final"] == ref["final"] and done["best"] == ref["best"]


@pytest.mark.slow
@pytest.mark.parametrize("optim", options("optim"))
def test_every_optimizer_resumes_exactly(optim, tmp_path, monkeypatch):
    small = ["model.hidden=[4]"] if optim == "newton" else []  # an exact n x n Hessian per step
    done, ref = interrupted_then_resumed([*SMALL, f"optim={optim}", *small], tmp_path, monkeypatch)
    assert done["status"] == ref["status"] and done["final"] == ref["final"] and done["steps"] == ref["steps"]


@pytest.mark.slow
@pytest.mark.parametrize("model", options("model"))
def test_every_model_resumes_exactly(model, tmp_path, monkeypatch):
    base = [o for o in SMALL if not o.startswith("model.")]  # each family at its own default size
    done, ref = interrupted_then_resumed([*base, f"model={model}"], tmp_path, monkeypatch)
    assert done["status"] == ref["status"] and done["final"] == ref["final"] and done["steps"] == ref["steps"]


@pytest.mark.slow
@pytest.mark.parametrize("reg", [o for o in options("regularization") if o not in ("none", "distill")])
def test_every_regularizer_resumes_exactly(reg, tmp_path, monkeypatch):
    extra = ["model=autoencoder"] if reg == "sparsity" else []  # a penalty on an autoencoder's code
    done, ref = interrupted_then_resumed([*SMALL, *extra, f"regularization={reg}"], tmp_path, monkeypatch)
    assert done["status"] == ref["status"] and done["final"] == ref["final"] and done["steps"] == ref["steps"]


def test_interrupted_run_resumes_through_the_cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_dir = tmp_path / "run"
    interrupt_at(monkeypatch, 30)
    with pytest.raises(SystemExit) as e:
        cli.main(["train", *BASE, "trainer.max_epochs=2", f"hydra.run.dir={run_dir}"])
    assert e.value.code == 130
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    assert result_of(run_dir)["status"] == "interrupted"
    # `dlx train resume=<folder>` alone: the folder's own overrides come back (2 epochs, not the default 30).
    assert cli.main(["train", f"resume={run_dir}"]) == 0
    done = result_of(run_dir)
    assert done["status"] == "completed" and done["epochs"] == 2
    assert not (tmp_path / "outputs").exists()  # no second run folder
    assert cli.main(["train", f"resume={run_dir}"]) == 0  # finished: nothing to do, nothing changed
    assert result_of(run_dir) == done


def test_resume_with_hydra_flags_continues_in_the_same_folder(tmp_path, monkeypatch):
    # Hydra flags (here --config-dir) must not stop resume=<folder> from continuing in that folder.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "conf").mkdir()
    run_dir = tmp_path / "run"
    interrupt_at(monkeypatch, 20)
    with pytest.raises(SystemExit):
        cli.main(["train", "--config-dir", "conf", *SMALL, "trainer.max_epochs=2", f"hydra.run.dir={run_dir}"])
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "--config-dir", "conf", f"resume={run_dir}"]) == 0
    assert result_of(run_dir)["status"] == "completed" and result_of(run_dir)["steps"] == 22
    assert not (tmp_path / "outputs").exists()


def test_truncated_checkpoint_is_named_and_best_kept(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run_dir = tmp_path / "run"
    interrupt_at(monkeypatch, 50)
    with pytest.raises(SystemExit):
        cli.main(["train", *BASE, f"hydra.run.dir={run_dir}"])
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    last, best = run_dir / "checkpoints" / "last.pt", run_dir / "checkpoints" / "best.pt"
    best_bytes = best.read_bytes()
    last.write_bytes(last.read_bytes()[:1000])  # a truncated file (e.g. copied while being written)
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        cli.main(["train", f"resume={run_dir}"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"checkpoint {last} cannot be read" in err[0] and "truncated" in err[0]
    assert best.read_bytes() == best_bytes and result_of(run_dir)["status"] == "interrupted"


def test_foreign_checkpoint_is_refused(tmp_path):
    path = tmp_path / "foreign.pt"
    torch.save({"model": PoisonAfter((2,), 2)}, path)  # a pickled module: weights_only refuses its class
    with pytest.raises(checkpoint.CheckpointError, match=f"checkpoint {path} cannot be read"):
        checkpoint.load(path)
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(checkpoint.CheckpointError, match="not a dlx checkpoint"):
        checkpoint.load(path)


def test_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    checkpoint.save(path, {"model": {"w": torch.ones(3)}, "step": 1})

    def dies_half_way(obj, f):
        f.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", dies_half_way)
    with pytest.raises(OSError):
        checkpoint.save(path, {"model": {"w": torch.zeros(3)}, "step": 2})
    monkeypatch.undo()
    assert checkpoint.load(path)["step"] == 1 and [p.name for p in tmp_path.iterdir()] == ["last.pt"]


class PoisonAfter(torch.nn.Module):
    """An MLP-shaped model that writes NaN into its weight on forward call `after` (a diverging run)."""

    def __init__(self, in_shape, n_out, after: int = 60, **_):
        super().__init__()
        self.fc = torch.nn.Linear(int(torch.tensor(in_shape).prod()), n_out)
        self.calls, self.after = 0, after

    def forward(self, x):
        self.calls += 1 if self.training else 0
        if self.calls == self.after:
            with torch.no_grad():
                self.fc.weight[0, 0] = float("nan")
        return self.fc(x.flatten(1))


def test_nan_ends_the_run_as_diverged_with_its_last_good_checkpoint(tmp_path):
    cfg = make_cfg([*BASE, "+model.after=60"])
    cfg.model._target_ = f"{__name__}.PoisonAfter"
    run(cfg, tmp_path, BASE)
    result = result_of(tmp_path)
    assert result["status"] == "diverged" and result["epochs"] == 1
    assert f"{tmp_path / 'checkpoints' / 'last.pt'} (epoch 1, step 41)" in result["error"]
    state = checkpoint.load(tmp_path / "checkpoints" / "last.pt")
    assert state["step"] == 41 and all(torch.isfinite(t).all() for t in state["model"].values())


# ---- guard rails: every wrong override ends with one line, exit code 2 and no completed run folder ----------

WRONG = [
    ["trainer.max_epoch=3"],  # typo in a key
    ["model=nonexistent"],  # unknown option
    ["regularization=[l2,bogus]"],
    ["trainer.max_epochs=abc"],
    ["trainer.max_epochs=0"],
    ["trainer.batch_size=1.5"],
    ["trainer.log_every=-1"],
    ["trainer.mode=maximum"],
    ["trainer.grad_clip=-1"],
    ["optim.lr=-1"],
    ["optim.lr=nan"],
    ["optim.momentum=1.5"],
    ["regularization=dropout", "regularization.dropout.hidden=1.5"],
    ["model.hidden=[0]"],
    ["model.activation=swish"],
    ["loss=hinge"],
    ["device=tpu"],
    ["seed=[1,2"],  # not parseable
    ["seed=1.5"],
    ["dataset.val_frac=1"],
    ["dataset=tensors"],  # required key left out
    ["dataset=tensors", "dataset.path=/nonexistent.npz"],  # fails when the data loads, after Hydra started
    ["dataset=csv", "dataset.label=y", "dataset.path=/nonexistent.csv"],
    ["dataset=mnist", "dataset.subset_mode=random"],
    ["dataset=mnist", "dataset.subset=0"],
    ["dataset=csv", "dataset.path=x.csv", "dataset.label=y", "dataset.delimiter=;;"],
    ["dataset=synthetic", "dataset.noise=-1"],
    ["optim=adam", "optim.eps=0"],
    ["regularization=early_stopping", "regularization.early_stopping.patience=0"],
    ["resume=/nonexistent/run"],
]
if not torch.cuda.is_available():
    WRONG.append(["device=cuda"])


@pytest.mark.parametrize("overrides", WRONG, ids=[" ".join(o) for o in WRONG])
def test_wrong_override_gives_one_clear_line(overrides, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    try:
        code = cli.main(["train", *overrides])
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (out, err)
    assert len(lines) == 1 and lines[0].startswith("dlx: error: "), err
    assert "Traceback" not in out + err
    key = overrides[-1].split("=", 1)[0]
    assert key.split(".")[-1] in lines[0] or overrides[-1].split("=", 1)[1] in lines[0], lines[0]
    statuses = [json.loads(p.read_text())["status"] for p in tmp_path.rglob("result.json")]
    assert "completed" not in statuses


@pytest.mark.slow
def test_wrong_overrides_through_a_real_process(tmp_path):
    for overrides in (["optim.lr=-1"], ["model=nonexistent"], ["dataset=tensors", "dataset.path=/x.npz"]):
        proc = dlx_cli("train", *overrides, cwd=tmp_path)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("dlx: error: "), proc.stderr
    assert not list(tmp_path.rglob("result.json"))


# ---- a real SIGKILL in the middle of an epoch ---------------------------------------------------------------

# checkpoint_every_s=0: a checkpoint at every epoch end, so a kill in epoch 2 finds epoch 1's
KILL = ["dataset=digits", "model.hidden=[64]", "+regularization.dropout={input:0.0,hidden:0.2}", "trainer.max_epochs=3",
        "trainer.checkpoint_every_s=0",
        "trainer.batch_size=8",
        "trainer.log_every=1", "device=cpu"]


def _cli_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["OMP_NUM_THREADS"] = "1"  # two runs side by side on a small machine: no thread oversubscription
    return env


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_matches_an_uninterrupted_run(tmp_path):
    ref_dir, run_dir = tmp_path / "ref", tmp_path / "killed"
    reference = subprocess.Popen([sys.executable, "-m", "dlx", "train", *KILL, f"hydra.run.dir={ref_dir}"],
                                 env=_cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    victim = subprocess.Popen([sys.executable, "-m", "dlx", "train", *KILL, f"hydra.run.dir={run_dir}"],
                              env=_cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last = run_dir / "checkpoints" / "last.pt"
    deadline = time.time() + 300
    while not last.exists() and victim.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert victim.poll() is None, "the run ended before it could be killed; make the epochs longer"
    # Let it get well into an epoch after its last checkpoint (events on disk past it), then kill it without warning.
    # Each look happens with the run stopped (SIGSTOP), so what is read is what the kill leaves: an epoch here
    # takes well under a second, less than reading the events.
    while True:
        victim.send_signal(signal.SIGSTOP)
        saved_step = checkpoint.load(last)["step"]
        logged = max([s for s, _ in scalars(run_dir).get("train/loss", [])], default=0)
        if logged > saved_step + 20 or victim.poll() is not None or time.time() > deadline:
            break
        victim.send_signal(signal.SIGCONT)
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL and not (run_dir / "result.json").exists()
    assert logged > saved_step + 20  # killed mid-epoch, with events on disk past the checkpoint
    assert checkpoint.load(last)["step"] == saved_step

    proc = dlx_cli("train", f"resume={run_dir}", timeout=600, env_extra={"OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    assert reference.wait(timeout=600) == 0
    done, ref = result_of(run_dir), result_of(ref_dir)
    assert done["status"] == "completed"
    assert done["final"] == ref["final"] and done["best"] == ref["best"] and done["steps"] == ref["steps"]
    assert scalars(run_dir) == scalars(ref_dir)  # the killed process's extra events are purged


def test_distillation_resumes_exactly(tmp_path, monkeypatch):
    """FitNets' hint regressor trains with the student: the checkpoint must carry its weights too."""
    teacher = tmp_path / "teacher"
    run(make_cfg(["model.hidden=[32]", "trainer.max_steps=5", "device=cpu"]), teacher, [])
    overrides = [*SMALL, "regularization=distill", f"regularization.distill.teacher={teacher}"]
    done, ref = interrupted_then_resumed(overrides, tmp_path, monkeypatch)
    assert done["status"] == ref["status"] == "completed"
    assert done["final"] == ref["final"] and done["steps"] == ref["steps"]
