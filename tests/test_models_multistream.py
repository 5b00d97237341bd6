import pytest
import torch

from dlx.checks import ConfigError
from dlx.models.multistream import MultiStream, Sobel
from tests.models_util import accuracy, digits, fit


def test_sobel_finds_a_vertical_edge():
    x = torch.zeros(1, 1, 5, 6)
    x[..., 3:] = 1.0  # step between columns 2 and 3
    e = Sobel(1, 2)(x)[0, 0]
    assert e.shape == (5, 6)
    assert torch.allclose(e[2], torch.tensor([0.0, 0.0, 4.0, 4.0, 0.0, 4.0]))  # last column: zero padding
    step = torch.tensor([[[0.0, 0.0, 1.0, 1.0]]])
    assert torch.equal(Sobel(1, 1)(step), torch.tensor([[[0.0, 1.0, 1.0, 1.0]]]))


@pytest.mark.parametrize("fuse", ["concat", "sum"])
@pytest.mark.parametrize("in_shape", [(1, 8, 8), (3, 32, 32), (1, 40)])
def test_shapes(fuse, in_shape):
    m = MultiStream(in_shape, 10, streams=["pixels", "edges", "rows"], width=4, fuse=fuse, hidden=[6])
    assert m(torch.rand(2, *in_shape)).shape == (2, 10)
    assert m.head.in_features == 6


def test_streams_come_from_the_config():
    m = MultiStream((1, 8, 8), 10, streams=["edges"], width=4)
    assert list(m.streams) == ["edges"] and m.head.in_features == 4
    assert MultiStream((1, 8, 8), 10, width=4, fuse="concat").head.in_features == 12
    assert "edges.0.kernel" not in m.state_dict()  # the Sobel kernel is fixed, not a weight
    with pytest.raises(ConfigError, match="^streams=.pixels,fourier. is wrong: .* among pixels, edges, rows"):
        MultiStream((1, 8, 8), 10, streams=["pixels", "fourier"])


def test_learns_digits():
    torch.manual_seed(0)
    x, y, xt, yt = digits()
    m = MultiStream((1, 8, 8), 10, width=32)
    first, last = fit(m, x, y, steps=150)
    assert last < 0.3 * first
    assert accuracy(m, xt, yt) > 0.85
