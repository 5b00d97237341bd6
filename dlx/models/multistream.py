"""Multi-stream network: several views of the same input, each with its own encoder, fused before one head.

Streams (each encoder ends in ``width`` features):
  pixels  the raw input, flattened -> Linear -> act
  edges   Sobel gradient magnitude per channel, computed in forward on the input's device with a fixed
          3x3 kernel (1-D inputs: central difference [-1, 0, 1]) -> flattened -> Linear -> act
  rows    the input read as a sequence (images row by row, see dlx.models.lstm) -> GRU -> final state
fuse: ``concat`` (B, k*width) or ``sum`` (B, width) of the stream features, then optional hidden layers and
a linear head.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from dlx import checks
from dlx.models.common import check_activation, check_regularization, hidden_layers, plain
from dlx.models.lstm import as_sequence, sequence_shape
from dlx.models.multitask import mlp_trunk

STREAMS = ("pixels", "edges", "rows")
FUSE = ("concat", "sum")


class Sobel(nn.Module):
    """(B, C, H, W) -> (B, C, H, W) gradient magnitude sqrt(Gx^2 + Gy^2), zero padding ('same' size);
    (B, C, L) -> (B, C, L) |central difference|."""

    def __init__(self, channels: int, dims: int):
        super().__init__()
        self.channels, self.dims = channels, dims
        if dims == 2:
            gx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
            k = torch.stack([gx, gx.t()]).unsqueeze(1).repeat(channels, 1, 1, 1)  # (2C, 1, 3, 3)
        else:
            k = torch.tensor([-1.0, 0.0, 1.0]).view(1, 1, 3).repeat(channels, 1, 1)  # (C, 1, 3)
        self.register_buffer("kernel", k, persistent=False)  # fixed, not learnt, not checkpointed

    def forward(self, x):
        if self.dims == 1:
            return F.conv1d(x, self.kernel, padding=1, groups=self.channels).abs()
        g = F.conv2d(x, self.kernel, padding=1, groups=self.channels)  # (B, 2C, H, W): gx, gy per channel
        return torch.hypot(g[:, 0::2], g[:, 1::2])


class RowEncoder(nn.Module):
    def __init__(self, in_shape, width: int, dropout: float = 0.0):
        super().__init__()
        self.gru = nn.GRU(sequence_shape(in_shape)[1], width, batch_first=True)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x):
        return self.drop(self.gru(as_sequence(x))[1][-1])  # final hidden state (B, width)


class MultiStream(nn.Module):
    """Takes ``input_dropout`` (on the input, before every stream), ``dropout`` (on each stream's features and
    after each fused hidden layer) and ``batchnorm`` (after the pixels/edges encoders' Linear and each fused
    hidden Linear, before the activation; not on the rows stream's GRU state, for the reason model=lstm has
    none: batch norm across time steps is not what the course teaches)."""

    def __init__(self, in_shape: tuple[int, ...], n_out: int, streams: list[str] = STREAMS, width: int = 64,
                 fuse: str = "concat", hidden: list[int] = (), activation: str = "relu", dropout: float = 0.0,
                 input_dropout: float = 0.0, batchnorm: bool = False):
        streams = plain(streams)
        if not (isinstance(streams, (list, tuple)) and streams and all(s in STREAMS for s in streams)
                and len(set(streams)) == len(streams)):
            checks.fail("streams", streams, "a non-empty list of distinct streams among " + ", ".join(STREAMS))
        checks.count("width", width)
        checks.one_of("fuse", fuse, FUSE)
        hidden = checks.widths("hidden", plain(hidden))
        check_activation(activation, maxout=False)
        check_regularization(dropout, input_dropout, batchnorm)
        in_shape = tuple(plain(in_shape))
        if len(in_shape) not in (2, 3):
            checks.fail("in_shape", list(in_shape), "(C, H, W) images or (C, L) sequences for model=multistream")
        super().__init__()
        d = math.prod(in_shape)
        encoder = lambda: hidden_layers(d, [width], activation, dropout=dropout, batchnorm=batchnorm)
        enc = {}
        for s in streams:
            if s == "pixels":
                enc[s] = nn.Sequential(nn.Flatten(), *encoder())
            elif s == "edges":
                enc[s] = nn.Sequential(Sobel(in_shape[0], len(in_shape) - 1), nn.Flatten(), *encoder())
            else:
                enc[s] = RowEncoder(in_shape, width, dropout)
        self.input_drop = nn.Dropout(input_dropout) if input_dropout > 0 else nn.Identity()
        self.streams = nn.ModuleDict(enc)
        self.fuse = fuse
        fused = width * (len(enc) if fuse == "concat" else 1)
        self.mix = mlp_trunk(fused, hidden, activation, dropout, batchnorm=batchnorm) if hidden else nn.Identity()
        self.head = nn.Linear(hidden[-1] if hidden else fused, n_out)

    def forward(self, x):
        x = self.input_drop(x)
        feats = [enc(x) for enc in self.streams.values()]  # each (B, width)
        z = torch.cat(feats, 1) if self.fuse == "concat" else torch.stack(feats).sum(0)
        return self.head(self.mix(z))
