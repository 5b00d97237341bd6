"""What the presets of the notes' parts 2-5 measure: the translation test, the cost of a run, the random-init
linear probe, the plain net beside the residual one, a digits class split for transfer."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import run_cfg

from dlx.checks import ConfigError
from dlx.models.resnet import ResNet
from dlx.regularize import shift_inputs

BASE = ["dataset=digits", "trainer.batch_size=64", "device=cpu"]


def test_shift_inputs_moves_each_input_exactly_k_pixels_with_zeros_coming_in():
    x = torch.arange(1, 2 * 1 * 5 * 5 + 1, dtype=torch.float32).view(2, 1, 5, 5).repeat(20, 1, 1, 1)
    out = shift_inputs(x, 2, torch.Generator().manual_seed(0))
    moves = {(0, 2): "down", (0, -2): "up", (2, 0): "right", (-2, 0): "left"}
    seen = set()
    for a, b in zip(x, out):
        for (dx, dy), name in moves.items():
            expected = torch.zeros_like(a)
            h_src = slice(max(0, -dy), 5 - max(0, dy))
            h_dst = slice(max(0, dy), 5 - max(0, -dy))
            w_src = slice(max(0, -dx), 5 - max(0, dx))
            w_dst = slice(max(0, dx), 5 - max(0, -dx))
            expected[:, h_dst, w_dst] = a[:, h_src, w_src]
            if torch.equal(b, expected):
                seen.add(name)
                break
        else:
            raise AssertionError("an input was not moved by 2 pixels along one axis")
    assert seen == set(moves.values())  # 40 inputs: every direction drawn
    seq = torch.arange(1, 9, dtype=torch.float32).view(1, 1, 8)
    assert shift_inputs(seq, 3, torch.Generator().manual_seed(1)).flatten().tolist() in (
        [0, 0, 0, 1, 2, 3, 4, 5], [4, 5, 6, 7, 8, 0, 0, 0])


def test_translation_test_and_cost_metrics_in_result_json(tmp_path):
    result = run_cfg(["model=cnn", "model.channels=[4,8]", "trainer.max_epochs=2", "trainer.cost=true",
                      "trainer.shifted_test=[1,3]", *BASE], tmp_path / "cnn")
    final = result["final"]
    assert 0 <= final["test/shifted_3/acc"] <= final["test/shifted_1/acc"] <= 1  # a 3-pixel move hurts more
    assert final["test/shifted_1/acc"] < final["test/acc"]  # 8x8 digits: even one pixel costs some accuracy
    assert final["cost/epoch_s"] > 0 and "cost/pretrain_s" not in final
    # the forward pass of one 8x8 digit: conv 4x(1x3x3) at 8x8, conv 8x(4x3x3) at 4x4, Linear 32->64, 64->10
    convs = 2 * (4 * 9 * 64 + 8 * 36 * 16)
    assert final["cost/flops"] == convs + 2 * (32 * 64 + 64 * 10)
    strided = run_cfg(["model=cnn", "model.channels=[4,8]", "model.stride=2", "model.pool=none",
                       "trainer.max_epochs=1", "trainer.cost=true", *BASE], tmp_path / "strided")
    assert strided["final"]["cost/flops"] < final["cost/flops"] / 2  # stride 2 computes a quarter of the positions
    dbn = run_cfg(["model=dbn", "model.hidden=[16]", "model.pretrain.steps=10", "trainer.max_epochs=1",
                   "trainer.cost=true", *BASE], tmp_path / "dbn")
    assert dbn["final"]["cost/pretrain_s"] > 0


def test_the_probe_runs_on_the_random_init_with_method_none(tmp_path, capsys):
    """The control the DBN table lacked: random init + the same linear probe as a pretrained net."""
    common = ["model=dbn", "model.hidden=[32]", "model.pretrain.method=none", "trainer.max_steps=1",
              "trainer.log_every=1", "dataset.subset=100", *BASE]
    probed = run_cfg([*common, "model.pretrain.probe=50"], tmp_path / "probe")
    out = capsys.readouterr().out
    assert "no pretraining (the random init is kept)" in out and "linear probe" in out
    plain = run_cfg([*common, "model.pretrain.probe=0"], tmp_path / "plain")
    # one step from a head fit to the random features against one step from a random head
    assert probed["final"]["val/acc"] > plain["final"]["val/acc"] + 0.2


def test_plain_net_has_the_residual_nets_layers_without_shortcuts():
    res, plain = ResNet((1, 8, 8), 10, blocks=[2, 2]), ResNet((1, 8, 8), 10, blocks=[2, 2], residual=False)
    names = lambda m: [n for n, _ in m.named_parameters()]
    assert [n for n in names(res) if "shortcut" not in n] == names(plain)
    x = torch.randn(2, 1, 8, 8)
    torch.manual_seed(0)
    block = ResNet((1, 8, 8), 10, blocks=[1], residual=False).features[3].eval()
    h = block.act1(block.bn1(block.conv1(x.repeat(1, 16, 1, 1))))
    assert torch.equal(block(x.repeat(1, 16, 1, 1)), block.act2(block.bn2(block.conv2(h))))
    with pytest.raises(ValueError, match="^residual=no is wrong"):
        ResNet((1, 8, 8), 10, residual="no")


def test_plain_and_residual_nets_learn(tmp_path):
    for residual in ("true", "false"):
        result = run_cfg(["model=resnet", "model.width=8", "model.blocks=[1]", f"model.residual={residual}",
                          "trainer.max_epochs=4", "trainer.threads=1", *BASE], tmp_path / residual)
        assert result["final"]["test/acc"] > 0.3, residual  # 10 classes: chance is 0.1


def test_a_digits_class_split_for_transfer(tmp_path):
    source = run_cfg(["model.hidden=[16]", "dataset.classes=[0,1,2,3,4]", "trainer.max_epochs=15", *BASE],
                     tmp_path / "source")
    assert source["final"]["test/acc"] > 0.8
    target = ["model.hidden=[16]", "dataset.classes=[5,6,7,8,9]", "dataset.subset=25",
              "dataset.subset_mode=stratified", "trainer.max_steps=1", "trainer.log_every=1", *BASE]
    fresh = run_cfg(target, tmp_path / "fresh")
    frozen = run_cfg([*target, f"model.init_from={tmp_path / 'source'}", "model.freeze=[net.1]"],
                     tmp_path / "frozen")
    assert math.isfinite(fresh["final"]["test/acc"]) and math.isfinite(frozen["final"]["test/acc"])
    with pytest.raises(ConfigError, match=r"dataset.classes=\[5\] is wrong: allowed is null or a list of two"):
        run_cfg(["dataset.classes=[5]", *BASE, "trainer.max_steps=1"], tmp_path / "bad")


def test_translation_test_needs_a_classifier(tmp_path):
    with pytest.raises(ConfigError, match=r"^trainer.shifted_test=\[1\] is wrong for a reconstruction model"):
        run_cfg(["model=autoencoder", "trainer.shifted_test=[1]", *BASE], tmp_path)


def test_delayed_recall_labels_the_marked_symbol_in_the_first_half():
    from dlx.data.recall import load

    d = load(n=400, length=20, symbols=3, data_seed=1)
    x = torch.cat([d.x, d.x_val, d.x_test])
    y = torch.cat([d.y, d.y_val, d.y_test])
    assert x.shape == (400, 4, 20) and d.n_out == 3
    assert torch.equal(x[:, :3].sum(1), torch.ones(400, 20))  # one symbol at every step
    marker = x[:, 3]
    assert torch.equal(marker.sum(1), torch.ones(400)) and int(marker.argmax(1).max()) < 10  # one, in the first half
    assert torch.equal(x[torch.arange(400), :3, marker.argmax(1)].argmax(1), y)  # the class: the marked symbol
    assert torch.equal(load(n=400, length=20, symbols=3, data_seed=1).x, d.x)  # the same seed, the same data
    with pytest.raises(ValueError, match="^lag_frac=0 is wrong"):
        load(lag_frac=0)
