"""The loop end to end: it learns, it is deterministic, it reports where tools can read it."""

from __future__ import annotations

import json
import math

import pytest
import torch
from conftest import TINY, make_cfg, run_cfg

from dlx import checkpoint

FAST = ["device=cpu", "trainer.max_epochs=3", "model.hidden=[64]"]


def test_default_mlp_learns_digits(tmp_path):
    result = run_cfg(FAST, tmp_path)
    assert result["status"] == "completed"
    assert result["final"]["val/acc"] > 0.85  # chance is 0.1
    assert result["final"]["test/acc"] > 0.85
    for key in ("status", "final", "best", "epochs", "steps", "wall_s", "samples_per_s", "seed", "overrides"):
        assert key in result
    assert result["epochs"] == 3 and result["steps"] == 3 * math.ceil(1294 / 64)
    assert result["best"]["val/acc"] >= result["final"]["val/acc"]


def test_same_seed_same_metrics_other_seed_differs(tmp_path):
    a = run_cfg([*FAST, "trainer.max_epochs=1", "seed=3"], tmp_path / "a")
    b = run_cfg([*FAST, "trainer.max_epochs=1", "seed=3"], tmp_path / "b")
    c = run_cfg([*FAST, "trainer.max_epochs=1", "seed=4"], tmp_path / "c")
    assert a["final"] == b["final"]
    assert a["final"]["train/loss"] != c["final"]["train/loss"]


def test_checkpoint_round_trip_restores_the_model(tmp_path):
    from dlx.setup import instantiate_model

    run_cfg([*FAST, "trainer.max_epochs=2"], tmp_path)
    state = checkpoint.load(tmp_path / "checkpoints" / "last.pt")
    assert state["epoch"] == 2 and (tmp_path / "checkpoints" / "best.pt").is_file()
    cfg = make_cfg(FAST)
    model = instantiate_model(cfg.model, in_shape=(1, 8, 8), n_out=10)  # without model.init_from/...
    model.load_state_dict(state["model"])
    for k, v in model.state_dict().items():
        assert torch.equal(v, state["model"][k])
    assert not list(tmp_path.glob("checkpoints/*.tmp"))


def test_truncated_checkpoint_names_the_file(tmp_path):
    run_cfg([*FAST, "trainer.max_epochs=1"], tmp_path)
    bad = tmp_path / "broken.pt"
    bad.write_bytes((tmp_path / "checkpoints" / "last.pt").read_bytes()[:200])
    with pytest.raises(checkpoint.CheckpointError, match="broken.pt"):
        checkpoint.load(bad)


def test_tensorboard_events_readable_by_tensorboard(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_cfg([*FAST, "trainer.max_epochs=2", "trainer.log_every=5"], tmp_path)
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["checkpoints"]  # no stray hparams run folder
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"train/loss", "val/loss", "val/acc", "lr", "test/loss", "test/acc"} <= tags
    assert len(acc.Scalars("val/acc")) == 2
    assert len(acc.Scalars("train/loss")) >= 8  # every 5 of 2 x 21 steps, plus epoch ends
    plugins = acc.PluginTagToContent("hparams")
    assert {"_hparams_/experiment", "_hparams_/session_start_info"} <= set(plugins)


def test_regression_with_mse(tmp_path):
    result = run_cfg(["dataset=synthetic", "device=cpu", "trainer.max_epochs=5"], tmp_path)
    assert result["metric"] == "val/loss"
    assert result["final"]["val/loss"] < result["best"]["train/loss"] * 10
    assert "val/acc" not in result["final"]
    assert result["final"]["val/loss"] < 0.5 * make_baseline_mse()


def make_baseline_mse() -> float:
    """MSE of predicting the mean: what a model that learned nothing scores."""
    from dlx.data.synthetic import load

    d = load()
    return float(((d.y_val - d.y.mean(0)) ** 2).mean())


def test_mse_loss_for_classification_learns(tmp_path):
    result = run_cfg([*FAST, "loss=mse", "optim.lr=0.01"], tmp_path)
    assert result["final"]["val/acc"] > 0.5


def test_nan_loss_ends_run_as_diverged(tmp_path):
    result = run_cfg([*TINY, "optim=sgd", "optim.lr=1e30", "trainer.max_steps=20"], tmp_path)
    assert result["status"] == "diverged"
    assert json.loads((tmp_path / "result.json").read_text())["status"] == "diverged"


def test_linear_schedule_follows_course_equation():
    from dlx.optim.schedule import lr_factor

    tau = 100
    for k in (0, 10, 50, 99, 100, 150):
        a = min(k / tau, 1)
        assert lr_factor(k, "linear", tau) == pytest.approx((1 - a) + a * 0.01)
    assert lr_factor(0, "cosine", tau) == pytest.approx(1.0)
    assert lr_factor(tau, "cosine", tau) == pytest.approx(0.01)
    assert lr_factor(4, "constant", tau, warmup=10) == pytest.approx(0.5)


def test_lr_logged_decays_with_linear_schedule(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_cfg([*FAST, "trainer.max_epochs=2", "optim=sgd", "schedule=linear"], tmp_path)
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    lrs = [e.value for e in acc.Scalars("lr")]
    assert lrs[0] > lrs[-1] and lrs[-1] == pytest.approx(0.1 * 0.01, rel=0.05)


def test_checkpoints_at_most_every_n_seconds_and_always_at_the_end(tmp_path, monkeypatch):
    saves = []
    real_save = checkpoint.save
    monkeypatch.setattr(checkpoint, "save", lambda path, state: (saves.append((path.name, state["epoch"])),
                                                                  real_save(path, state)))
    result = run_cfg([*FAST, "trainer.max_epochs=4", "trainer.checkpoint_every_s=3600"], tmp_path / "slow")
    assert [name for name, _ in saves] == ["last.pt", "best.pt"] and saves[0][1] == 4  # only at the end
    best = checkpoint.load(tmp_path / "slow" / "checkpoints" / "best.pt")
    assert best["final"]["val/acc"] == result["best"]["val/acc"]  # the best epoch, kept in memory until then
    saves.clear()
    run_cfg([*FAST, "trainer.max_epochs=4", "trainer.checkpoint_every_s=0"], tmp_path / "each")
    assert [e for name, e in saves if name == "last.pt"] == [1, 2, 3, 4]


def test_threads_auto_uses_one_thread_for_a_small_model(tmp_path):
    assert run_cfg([*FAST, "trainer.max_epochs=1"], tmp_path / "auto")["threads"] == 1
    assert run_cfg([*FAST, "trainer.max_epochs=1", "trainer.threads=2"], tmp_path / "two")["threads"] == 2


def test_threads_auto_counts_flops_on_the_meta_device_and_for_a_stack():
    """The preflight counts each job's threads without real weights (hydra/launcher=parallel's n_jobs=auto
    reads it), and a stack of models (hydra/launcher=batched) counts as their sum. A model with many weights
    is many FLOPs without a count; a small one is counted on an uninitialised CPU copy, which finds a conv net
    with few weights but many FLOPs; the meta model itself is left on the meta device."""
    import torch

    from dlx import setup

    cpu = torch.device("cpu")
    small = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    xb = torch.zeros(64, 64)
    assert setup.auto_threads(small, xb, cpu) == 1
    assert setup.auto_threads(small, xb, cpu, copies=1000) == setup.CORES  # 1000 stacked: 2.2 GFLOP a batch
    with torch.device("meta"):
        big = torch.nn.Sequential(torch.nn.Linear(784, 4096), torch.nn.ReLU(), torch.nn.Linear(4096, 10))
        small_meta = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
        conv = torch.nn.Sequential(torch.nn.Conv2d(3, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                                   torch.nn.Linear(32 * 32 * 32, 10))  # 0.33M weights, 155 MFLOP a batch of 64
    assert setup.auto_threads(big, torch.zeros(64, 784), cpu, dry=True) == setup.CORES
    assert setup.auto_threads(small_meta, xb, cpu, dry=True) == 1
    assert setup.auto_threads(small_meta, xb, cpu, dry=True, copies=1000) == setup.CORES
    assert setup.auto_threads(conv, torch.zeros(64, 3, 32, 32), cpu, dry=True) == setup.CORES
    for m in (big, small_meta, conv):
        assert all(p.device.type == "meta" for p in m.parameters())  # the preflight's model is not moved
