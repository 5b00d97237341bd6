"""The model families through the real loop (`dlx train model=<family>`): pretraining phases, reconstruction
and multi-task objectives, transfer learning, TensorBoard images."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import TINY, cli_refusal, dlx_cli, make_cfg, options, run_cfg
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from dlx import checkpoint

FAMILIES = ["lstm", "gru", "resnet", "autoencoder", "dbn", "multitask", "multistream", "linear"]
SMALL = {  # tiny widths so every run takes a fraction of a second
    "lstm": ["model.hidden=8"], "gru": [], "resnet": ["model.width=4", "model.blocks=[1]"],
    "autoencoder": ["model.hidden=[16,8]", "model.pretrain.steps=3"],
    "dbn": ["model.hidden=[16]", "model.pretrain.steps=3"], "multitask": ["model.hidden=[16]"],
    "multistream": ["model.width=8"], "linear": [],
}


def events(run_dir):
    ea = EventAccumulator(str(run_dir), size_guidance={"images": 0, "scalars": 0})
    ea.Reload()
    return ea


@pytest.mark.slow
@pytest.mark.parametrize("optim", options("optim"))
@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_with_every_optimizer(family, optim, tmp_path):
    result = run_cfg([f"model={family}", f"optim={optim}", *SMALL[family], *TINY], tmp_path)
    assert result["status"] == "completed", result["error"]
    assert math.isfinite(result["final"]["train/loss"])


def test_autoencoder_reconstructs_and_logs_images(tmp_path):
    result = run_cfg(["model=autoencoder", "model.hidden=[32,16]", "model.activation=relu",
                      "model.pretrain.steps=20", "trainer.max_epochs=3", "device=cpu"], tmp_path)
    assert result["status"] == "completed"
    assert result["metric"] == "val/recon_mse"
    assert result["final"]["val/recon_mse"] == result["final"]["val/loss"]
    assert "test/recon_mse" in result["final"] and "val/acc" not in result["final"]
    ea = events(tmp_path)
    assert "val/reconstructions" in ea.Tags()["images"]
    assert "pretrain/ae1/recon_mse" in ea.Tags()["scalars"]
    mse = [e.value for e in ea.Scalars("val/recon_mse")]
    assert mse[-1] < mse[0]


def test_dbn_pretrains_then_fine_tunes(tmp_path):
    # pretrain.lr 0.1 on batches of 100 and no linear probe: the CD phase alone, then fine-tuning
    result = run_cfg(["model=dbn", "model.hidden=[32]", "model.pretrain.steps=60", "model.pretrain.k=2",
                      "model.pretrain.lr=0.1", "model.pretrain.batch_size=100", "model.pretrain.probe=0",
                      "trainer.max_epochs=3",
                      "device=cpu"], tmp_path)
    assert result["status"] == "completed"
    assert result["final"]["val/acc"] > 0.5
    ea = events(tmp_path)
    assert {"pretrain/rbm0/recon_mse", "pretrain/rbm0/free_energy"} <= set(ea.Tags()["scalars"])
    assert "pretrain/rbm0/filters" in ea.Tags()["images"]
    assert [e.step for e in ea.Scalars("pretrain/rbm0/recon_mse")] == [50, 60]


def test_the_probe_logs_its_loss_and_a_dead_cd_phase_is_named(tmp_path, capsys):
    over = ["model=dbn", "trainer.max_epochs=1", "device=cpu"]  # the defaults: 256 units, 1000 CD-1 steps
    run_cfg(over, tmp_path / "ok")
    out = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert "linear probe: the head fit to the 1294 labeled training examples" in out and "warning" not in out
    assert [e.step for e in events(tmp_path / "ok").Scalars("pretrain/probe_loss")] == [100]
    run_cfg([*over, "model.pretrain.lr=1.0", "model.pretrain.probe=0"], tmp_path / "dead")
    out = " ".join(capsys.readouterr().out.split())
    assert "warning: pretraining switched off 100% of layer 0's units" in out and "linear probe" not in out


def test_pretraining_is_skipped_with_zero_steps(tmp_path):
    """steps=0 skips the CD phase; the linear probe (probe > 0) still fits the head on the random init's features,
    the control for a pretrained net's probe; with probe=0 too there is no phase at all."""
    run_cfg(["model=dbn", "model.hidden=[8]", "model.pretrain.steps=0", *TINY], tmp_path / "probe")
    tags = events(tmp_path / "probe").Tags()["scalars"]
    assert "pretrain/probe_loss" in tags and not any(t.startswith("pretrain/rbm") for t in tags)
    run_cfg(["model=dbn", "model.hidden=[8]", "model.pretrain.steps=0", "model.pretrain.probe=0", *TINY],
            tmp_path / "none")
    assert not any(t.startswith("pretrain/") for t in events(tmp_path / "none").Tags()["scalars"])


def test_multitask_digit_and_parity(tmp_path):
    over = ["model=multitask", "dataset.tasks=[digit,parity,ink]", "model.weights={parity:0.5}",
            "trainer.max_epochs=2", "device=cpu"]
    result = run_cfg(over, tmp_path / "a")
    assert result["metric"] == "val/digit/acc"
    final = result["final"]
    assert final["val/digit/acc"] > 0.5 and final["val/parity/acc"] > 0.6
    assert {"val/ink/loss", "test/parity/acc"} <= set(final)
    assert math.isclose(final["val/loss"], final["val/digit/loss"] + 0.5 * final["val/parity/loss"]
                        + final["val/ink/loss"], rel_tol=1e-5)
    other = run_cfg([*over, "trainer.metric=val/parity/acc", "trainer.max_epochs=1"], tmp_path / "b")
    assert other["metric"] == "val/parity/acc" and "val/parity/acc" in other["best"]


def test_multitask_on_a_single_target_dataset(tmp_path):
    result = run_cfg(["model=multitask", "model.hidden=[8]", *TINY], tmp_path)
    assert result["metric"] == "val/y/acc" and "val/y/acc" in result["final"]


def test_mnist1d_multitask_pair():
    from hydra.utils import instantiate

    data = instantiate(make_cfg(["dataset=mnist1d", "dataset.tasks=[digit,peak]"]).dataset)
    assert data.target_info == {"digit": ("classification", 10), "peak": ("regression", 1)}
    peak = data.targets["peak"][0]
    assert peak.shape == (len(data.x), 1) and abs(peak.mean().item()) < 1e-4  # standardised on train


def test_unknown_task_is_one_line(tmp_path, capsys):
    line = cli_refusal(capsys, "train", "model=multitask", "dataset.tasks=[digit,colour]", *TINY,
                       f"hydra.run.dir={tmp_path / 'run'}")
    assert "dataset.tasks=[digit,colour] is wrong: allowed" in line and not (tmp_path / "run").exists()


def _weights(run_dir):
    return checkpoint.load(run_dir / "checkpoints" / "last.pt")["model"]


def test_transfer_fine_tune_and_feature_extractor(tmp_path):
    src = tmp_path / "src"
    run_cfg(["model=mlp", "model.hidden=[16]", *TINY], src)
    # fine-tuning: everything starts from the source and keeps learning; the head is new (different classes)
    ft = tmp_path / "ft"
    run_cfg(["model=mlp", "model.hidden=[16]", f"model.init_from={src}", *TINY], ft)
    assert not torch.equal(_weights(ft)["net.1.weight"], _weights(src)["net.1.weight"])
    # feature extractor: the first layer is loaded and frozen, only the head learns
    fx = tmp_path / "fx"
    run_cfg(["model=mlp", "model.hidden=[16]", f"model.init_from={src}/checkpoints/last.pt",
             "model.freeze=[net.1]", *TINY], fx)
    assert torch.equal(_weights(fx)["net.1.weight"], _weights(src)["net.1.weight"])
    assert not torch.equal(_weights(fx)["net.3.weight"], _weights(src)["net.3.weight"])


def test_autoencoder_encoder_seeds_a_classifier(tmp_path, capsys):
    ae = tmp_path / "ae"
    run_cfg(["model=autoencoder", "model.hidden=[16]", "model.activation=relu", *TINY], ae)
    clf = tmp_path / "clf"
    result = run_cfg(["model=mlp", "model.hidden=[16]", f"model.init_from={ae}",
                      "model.prefix_map={encoder:net}", "model.freeze=[net.1]", *TINY], clf)
    out = capsys.readouterr().out
    assert "loaded 2 tensors" in out and "net.3.weight" in out  # encoder layer in, head kept fresh
    assert result["status"] == "completed"
    assert torch.equal(_weights(clf)["net.1.weight"], _weights(ae)["encoder.1.weight"])


@pytest.mark.slow  # through a real process; the same cases run in-process in the default suite: tests/test_fuzz.py
def test_bad_init_from_and_freeze_are_one_line(tmp_path):
    for arg, msg in [(f"model.init_from={tmp_path}/nothing", "model.init_from="),
                     ("model.freeze=[trunk]", "model.freeze=trunk is wrong: allowed is a parameter name prefix")]:
        proc = dlx_cli("train", arg, *TINY, f"hydra.run.dir={tmp_path}/run")
        assert proc.returncode == 2 and msg in proc.stderr and "Traceback" not in proc.stderr


def test_bad_family_value_is_one_line(tmp_path, capsys):
    line = cli_refusal(capsys, "train", "model=lstm", "model.cell=transformer", *TINY, f"hydra.run.dir={tmp_path}")
    assert "model.cell=transformer is wrong" in line and "lstm, gru, rnn" in line
