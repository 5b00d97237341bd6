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

from dlx.models.common import activation as make_activation
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
    def __init__(self, in_shape, width: int):
        super().__init__()
        self.gru = nn.GRU(sequence_shape(in_shape)[1], width, batch_first=True)

    def forward(self, x):
        return self.gru(as_sequence(x))[1][-1]  # final hidden state (B, width)


class MultiStream(nn.Module):
    def __init__(self, in_shape: tuple[int, ...], n_out: int, streams: list[str] = STREAMS, width: int = 64,
                 fuse: str = "concat", hidden: list[int] = (), activation: str = "relu"):
        super().__init__()
        in_shape = tuple(in_shape)
        bad = [s for s in streams if s not in STREAMS]
        if bad or not streams:
            raise ValueError(f"model.streams={list(streams)} is wrong: allowed are {', '.join(STREAMS)}")
        if fuse not in FUSE:
            raise ValueError(f"model.fuse={fuse!r} is not one of {', '.join(FUSE)}")
        if activation == "maxout":
            raise ValueError("model.activation=maxout is not supported by multistream: use relu, tanh, ...")
        if len(in_shape) not in (2, 3):
            raise ValueError(f"multistream needs (C, H, W) or (C, L) inputs, got in_shape={in_shape}")
        d = math.prod(in_shape)
        enc = {}
        for s in streams:
            if s == "pixels":
                enc[s] = nn.Sequential(nn.Flatten(), nn.Linear(d, width), make_activation(activation))
            elif s == "edges":
                enc[s] = nn.Sequential(Sobel(in_shape[0], len(in_shape) - 1), nn.Flatten(),
                                       nn.Linear(d, width), make_activation(activation))
            else:
                enc[s] = RowEncoder(in_shape, width)
        self.streams = nn.ModuleDict(enc)
        self.fuse = fuse
        fused = width * (len(enc) if fuse == "concat" else 1)
        self.mix = mlp_trunk(fused, hidden, activation, 0.0) if hidden else nn.Identity()
        self.head = nn.Linear(hidden[-1] if hidden else fused, n_out)

    def forward(self, x):
        feats = [enc(x) for enc in self.streams.values()]  # each (B, width)
        z = torch.cat(feats, 1) if self.fuse == "concat" else torch.stack(feats).sum(0)
        return self.head(self.mix(z))
