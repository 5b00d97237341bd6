import pytest
import torch

from dlx.checks import ConfigError
from dlx.models.lstm import LSTM, as_sequence
from tests.models_util import accuracy, digits, fit


def test_rows_become_steps():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).view(2, 3, 4, 5)  # (B, C, H, W)
    s = as_sequence(x)
    assert s.shape == (2, 4, 15)  # H steps of C*W
    assert torch.equal(s[1, 2], x[1, :, 2, :].reshape(-1))  # step 2 = row 2 of every channel
    assert as_sequence(torch.zeros(2, 1, 40)).shape == (2, 40, 1)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("readout", ["last", "mean", "all"])
def test_shapes(cell, bidirectional, readout):
    for in_shape in [(1, 8, 8), (1, 40), (3, 32, 32)]:
        m = LSTM(in_shape, 10, cell=cell, layers=2, hidden=4, bidirectional=bidirectional, readout=readout)
        assert m(torch.randn(3, *in_shape)).shape == (3, 10)


def test_bad_cell_names_allowed_values():
    with pytest.raises(ConfigError, match="^cell=transformer is wrong: allowed is one of lstm, gru, rnn"):
        LSTM((1, 8, 8), 10, cell="transformer")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_learns_digits(cell):
    torch.manual_seed(0)
    x, y, xt, yt = digits()
    m = LSTM((1, 8, 8), 10, cell=cell, hidden=32)
    first, last = fit(m, x, y, steps=250)
    assert last < 0.5 * first
    assert accuracy(m, xt, yt) > 0.8  # chance is 0.1
