"""Multilayer perceptron: flatten -> [Linear -> (BatchNorm) -> activation -> Dropout] * depth -> Linear."""

from __future__ import annotations

import math

from torch import nn

from dlx.models.common import activation as make_activation
from dlx.models.common import init_weights, width_factor


class MLP(nn.Module):
    def __init__(self, in_shape: tuple[int, ...], n_out: int, hidden: list[int] = (128, 64),
                 activation: str = "relu", dropout: float = 0.0, input_dropout: float = 0.0,
                 batchnorm: bool = False, init: str = "default", maxout_k: int = 2):
        super().__init__()
        k = width_factor(activation, maxout_k)
        layers: list[nn.Module] = [nn.Flatten()]
        if input_dropout > 0:
            layers.append(nn.Dropout(input_dropout))
        width = math.prod(in_shape)
        for h in hidden:
            layers.append(nn.Linear(width, h * k))  # maxout needs k pre-activations per unit
            if batchnorm:
                layers.append(nn.BatchNorm1d(h * k))
            layers.append(make_activation(activation, maxout_k))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, n_out))
        self.net = nn.Sequential(*layers)
        init_weights(self, init)

    def forward(self, x):  # (B, *in_shape) -> (B, n_out)
        return self.net(x)
