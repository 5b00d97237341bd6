"""Recurrent classifier (LSTM, GRU or plain RNN) over a sequence read from the input.

How an example becomes a sequence (batch first, (B, T, F)):
  (C, H, W) image  -> H steps of C*W features (read row by row; digits: 8 steps of 8)
  (C, L) sequence  -> L steps of C features   (MNIST-1D: 40 steps of 1)
  (L,) vector      -> L steps of 1 feature
"""

from __future__ import annotations

import torch
from torch import nn

from dlx import checks
from dlx.models.common import check_regularization, plain

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
READOUTS = ("last", "mean", "all")


def as_sequence(x: torch.Tensor) -> torch.Tensor:
    """(B, *in_shape) -> (B, T, F) following the table in the module docstring."""
    if x.dim() == 4:  # (B, C, H, W) -> (B, H, C*W)
        b, c, h, w = x.shape
        return x.permute(0, 2, 1, 3).reshape(b, h, c * w)
    if x.dim() == 3:  # (B, C, L) -> (B, L, C)
        return x.transpose(1, 2)
    if x.dim() == 2:  # (B, L) -> (B, L, 1)
        return x.unsqueeze(-1)
    raise ValueError(f"input of shape {tuple(x.shape[1:])} is not (C, H, W), (C, L) or (L,)")


def sequence_shape(in_shape: tuple[int, ...]) -> tuple[int, int]:
    """(steps, features) that :func:`as_sequence` makes of one example of ``in_shape``."""
    t, f = as_sequence(torch.zeros(1, *in_shape)).shape[1:]
    return t, f


class LSTM(nn.Module):
    """``cell`` lstm|gru|rnn; ``layers`` stacked; ``hidden`` units per direction.

    readout: what the linear head sees. ``last`` = the final hidden state of the top layer (both directions'
    final states when bidirectional), ``mean`` = the top layer's outputs averaged over time, ``all`` = every
    time step's output concatenated (Greydanus 2020's MNIST-1D GRU, which reads all 40 outputs).

    Takes ``input_dropout`` (on the input sequence) and ``dropout`` (between stacked layers and on the top
    layer's output before the head: the non-recurrent connections, Zaremba et al. 2014). No ``batchnorm``:
    normalising across time steps is not the batch norm the course teaches (that is for feed-forward layers).
    """

    def __init__(self, in_shape: tuple[int, ...], n_out: int, cell: str = "lstm", layers: int = 1,
                 hidden: int = 64, bidirectional: bool = False, dropout: float = 0.0, readout: str = "last",
                 input_dropout: float = 0.0):
        checks.one_of("cell", cell, CELLS)
        checks.count("layers", layers)
        if not (checks.is_int(hidden) and hidden >= 1):
            checks.fail("hidden", plain(hidden), "an integer >= 1 (units per direction)")
        checks.boolean("bidirectional", bidirectional)
        check_regularization(dropout, input_dropout)
        checks.one_of("readout", readout, READOUTS)
        in_shape = tuple(plain(in_shape))
        if len(in_shape) not in (1, 2, 3):
            checks.fail("in_shape", list(in_shape), "(C, H, W) images, (C, L) or (L,) sequences for a recurrent net")
        super().__init__()
        steps, features = sequence_shape(in_shape)
        self.cell, self.readout = cell, readout
        # torch applies this dropout between stacked layers only, so it is meaningless with one layer.
        self.rnn = CELLS[cell](features, hidden, num_layers=layers, batch_first=True,
                               bidirectional=bidirectional, dropout=dropout if layers > 1 else 0.0)
        dirs = 2 if bidirectional else 1
        width = hidden * dirs * (steps if readout == "all" else 1)
        # dropout on the non-recurrent connections (Zaremba et al. 2014): inputs, and the top layer's output
        # before the head, so regularization=dropout (keep 0.8 input / 0.5 hidden) acts with one layer too
        self.input_drop = nn.Dropout(input_dropout) if input_dropout > 0 else nn.Identity()
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.head = nn.Linear(width, n_out)

    def forward(self, x):
        out, state = self.rnn(self.input_drop(as_sequence(x)))  # out: (B, T, dirs*hidden)
        if self.readout == "all":
            z = out.flatten(1)
        elif self.readout == "mean":
            z = out.mean(dim=1)
        else:
            h_n = state[0] if self.cell == "lstm" else state  # (layers*dirs, B, hidden)
            dirs = 2 if self.rnn.bidirectional else 1
            # top layer's final state per direction (the backward direction ends at t=0)
            z = h_n[-dirs:].transpose(0, 1).flatten(1)  # (B, dirs*hidden)
        return self.head(self.drop(z))
