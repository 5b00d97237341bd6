import pytest
import torch

from dlx.models.resnet import ResNet
from tests.models_util import accuracy, digits, fit


@pytest.mark.parametrize("in_shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32), (1, 40)])
def test_shapes(in_shape):
    m = ResNet(in_shape, 10, width=4, blocks=[1, 1, 1])
    assert m(torch.randn(2, *in_shape)).shape == (2, 10)


def test_depth_and_width_are_configurable():
    convs = lambda m: [p for n, p in m.named_parameters() if p.dim() >= 3 and "shortcut" not in n]
    small, deep = ResNet((1, 8, 8), 10, width=4, blocks=[1]), ResNet((1, 8, 8), 10, width=8, blocks=[3, 3])
    assert len(convs(small)) == 1 + 2 * 1 and len(convs(deep)) == 1 + 2 * 6
    assert deep.head.in_features == 16  # second stage doubles the width


def test_residual_blocks_use_batchnorm():
    m = ResNet((1, 40), 10, width=4, blocks=[1])
    assert any(isinstance(mod, torch.nn.BatchNorm1d) for mod in m.modules())


def test_learns_digits():
    torch.manual_seed(0)
    x, y, xt, yt = digits()
    m = ResNet((1, 8, 8), 10, width=8, blocks=[1, 1])
    first, last = fit(m, x, y, steps=100)
    assert last < 0.3 * first
    assert accuracy(m, xt, yt) > 0.85
