"""model=cnn's course options: the notes' four poolings, VGG-style stages, and engineered (fixed) first kernels."""

from __future__ import annotations

import pytest
import torch
from conftest import run_cfg
from models_util import accuracy, digits, fit
from torch import nn

from dlx import runfolder
from dlx.models.cnn import CNN, ENGINEERED

BASE = ["model=cnn", "dataset=digits", "dataset.subset=128", "trainer.max_epochs=1", "trainer.batch_size=64",
        "device=cpu", "trainer.log_every=1"]


def test_each_pooling_is_its_statistic_over_the_window():
    x = torch.randn(3, 4, 6, 6)
    windows = x.unfold(2, 2, 2).unfold(3, 2, 2).flatten(-2)  # (3, 4, 3, 3, 4): each 2x2 window's values
    want = {"max": windows.amax(-1), "avg": windows.mean(-1), "sum": windows.sum(-1), "min": windows.amin(-1)}
    for kind, expected in want.items():
        pool = CNN((4, 6, 6), 2, channels=[4], pool=kind).features[-1]
        assert torch.allclose(pool(x), expected, atol=1e-5), kind
    seq = torch.randn(2, 3, 8)
    pool = CNN((3, 8), 2, channels=[3], pool="sum", pool_size=4).features[-1]
    assert torch.allclose(pool(seq), seq.view(2, 3, 2, 4).sum(-1), atol=1e-5)


@pytest.mark.parametrize("pool", ["max", "avg", "sum", "min", "none"])
def test_every_pooling_shapes_and_learns_digits(pool):
    torch.manual_seed(0)
    x, y, xt, yt = digits()
    model = CNN((1, 8, 8), 10, channels=[8, 16], pool=pool, hidden=[32])
    assert model(x[:5]).shape == (5, 10)
    first, last = fit(model, x, y, steps=150)
    assert last < 0.5 * first and accuracy(model, xt, yt) > 0.8, (pool, first, last)


def test_vgg_stages_pool_after_every_second_conv():
    model = CNN((1, 16, 16), 10, channels=[8, 8, 16, 16], pool_every=2)
    kinds = [type(m).__name__ for m in model.features]
    assert kinds == ["Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d"]
    assert model.features(torch.zeros(1, 1, 16, 16)).shape == (1, 16, 4, 4)  # 16 -> 8 -> 4: two stages
    lenet = CNN((1, 16, 16), 10, channels=[8, 8, 16, 16])  # pool_every=1: a pool after each conv, while it fits
    assert lenet.features(torch.zeros(1, 1, 16, 16)).shape == (1, 16, 1, 1)
    # a third conv without its stage's second one: no pool after it
    odd = CNN((1, 16, 16), 10, channels=[8, 8, 16], pool_every=2)
    assert odd.features(torch.zeros(1, 1, 16, 16)).shape == (1, 16, 8, 8)


def test_engineered_kernels_are_the_notes_filters_and_stay_fixed_in_the_loop(tmp_path):
    model = CNN((1, 8, 8), 10, channels=[4, 8], first_kernels="engineered")
    first = model.features[0]
    assert torch.equal(first.weight[:, 0], ENGINEERED[[0, 1, 2, 0]]) and not first.weight.requires_grad
    sobel_x = ENGINEERED[0]
    assert torch.equal(sobel_x, torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]))  # notes l. 1611
    rgb = CNN((3, 8, 8), 10, channels=[3], first_kernels="engineered").features[0].weight
    assert torch.allclose(rgb.sum(1), ENGINEERED)  # the same filter on each colour, over 3 channels
    # the real loop trains the rest and never moves the fixed kernels
    result = run_cfg([*BASE, "model.first_kernels=engineered", "model.channels=[3,8]"], tmp_path)
    assert result["status"] == "completed"
    saved = torch.load(runfolder.checkpoint_file(tmp_path), weights_only=True)
    assert torch.equal(saved["model"]["features.0.weight"][:, 0], ENGINEERED)
    trained = len(saved["optimizer"]["param_groups"][0]["params"])
    assert trained == len(saved["model"]) - 2  # all but the first conv's kernels and bias


def test_engineered_kernels_refused_where_they_cannot_be():
    with pytest.raises(ValueError, match="^first_kernels=engineered is wrong: allowed is learned for sequences"):
        CNN((1, 40), 10, first_kernels="engineered")
    with pytest.raises(ValueError, match="^first_kernels=engineered is wrong: allowed is learned unless"):
        CNN((1, 8, 8), 10, channels=[], first_kernels="engineered")
    with pytest.raises(ValueError, match="^first_kernels=engineered is wrong: allowed is learned with shared=false"):
        CNN((1, 8, 8), 10, shared=False, first_kernels="engineered")


def test_locally_connected_layers_take_the_pool_options():
    """model.shared=false (parameter sharing taken away) beside pool/pool_every: the same stages, the same shapes."""
    local = CNN((1, 8, 8), 10, channels=[4, 4, 8], shared=False, pool="avg", pool_every=2)
    shared = CNN((1, 8, 8), 10, channels=[4, 4, 8], pool="avg", pool_every=2)
    kinds = [type(m).__name__ for m in local.features]
    assert kinds == ["LocallyConnected", "ReLU", "LocallyConnected", "ReLU", "AvgPool2d", "LocallyConnected", "ReLU"]
    x = torch.rand(3, 1, 8, 8)
    assert local.features(x).shape == shared.features(x).shape == (3, 8, 4, 4)


def test_pool_keys_through_the_cli_are_one_line(tmp_path):
    from dlx.checks import ConfigError

    for override, start in [("model.pool=2", "model.pool=2 is wrong: allowed is one of max, avg, sum, min, none"),
                            ("model.pool_every=0", "model.pool_every=0 is wrong"),
                            ("model.pool=median", "model.pool=median is wrong")]:
        with pytest.raises(ConfigError) as e:
            run_cfg([*BASE, override], tmp_path)
        assert str(e.value).startswith(start) and "\n" not in str(e.value)
    assert isinstance(CNN((1, 8, 8), 10, pool="none").features[-1], nn.ReLU)
