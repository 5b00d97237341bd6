"""Multilayer perceptron: flatten -> [Linear -> (BatchNorm) -> activation -> Dropout] * depth -> Linear."""

from __future__ import annotations

import math

from torch import nn

from dlx.models.common import dense_layers, init_weights


class MLP(nn.Module):
    def __init__(self, in_shape: tuple[int, ...], n_out: int, hidden: list[int] = (128, 64),
                 activation: str = "relu", dropout: float = 0.0, input_dropout: float = 0.0,
                 batchnorm: bool = False, init: str = "default", maxout_k: int = 2):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        if input_dropout > 0:
            layers.append(nn.Dropout(input_dropout))
        layers += dense_layers(math.prod(in_shape), hidden, n_out, activation, maxout_k, dropout, batchnorm)
        self.net = nn.Sequential(*layers)
        init_weights(self, init)

    def forward(self, x):  # (B, *in_shape) -> (B, n_out)
        return self.net(x)
