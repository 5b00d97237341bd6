"""Shapes of the foundation's models on every input kind they promise, and activations/init."""

from __future__ import annotations

import math

import pytest
import torch

from dlx.models.cnn import CNN
from dlx.models.common import ACTIVATIONS, init_weights
from dlx.models.mlp import MLP


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32), (1, 40)])
def test_cnn_shapes(shape):
    model = CNN(shape, 10)
    assert model(torch.randn(5, *shape)).shape == (5, 10)
    conv = model.features[0]
    assert isinstance(conv, torch.nn.Conv1d if len(shape) == 2 else torch.nn.Conv2d)


def test_cnn_stride_and_valid_padding():
    model = CNN((1, 28, 28), 10, channels=[6, 16], kernel_size=5, padding="valid", pool_size=2)  # LeNet-5 maps
    feats = model.features(torch.zeros(1, 1, 28, 28))
    assert feats.shape == (1, 16, 4, 4)  # 28-4=24 -> 12 -> 12-4=8 -> 4
    strided = CNN((1, 28, 28), 10, channels=[8], stride=2, padding="same", pool="none")
    assert strided.features(torch.zeros(1, 1, 28, 28)).shape == (1, 8, 14, 14)


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_mlp_every_activation(act):
    model = MLP((1, 8, 8), 10, hidden=[16, 8], activation=act, batchnorm=True, dropout=0.5, input_dropout=0.2)
    out = model(torch.randn(4, 1, 8, 8))
    assert out.shape == (4, 10)
    out.sum().backward()


def test_glorot_uniform_bounds():
    model = MLP((100,), 50, hidden=[200], init="glorot_uniform")
    w = model.net[1].weight  # (200, 100)
    bound = math.sqrt(6 / (100 + 200))
    assert w.abs().max() <= bound and w.abs().max() > 0.9 * bound
    assert torch.count_nonzero(model.net[1].bias) == 0
    with pytest.raises(ValueError, match="^init=xavier is wrong"):
        init_weights(model, "xavier")
