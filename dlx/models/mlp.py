"""Multilayer perceptron: flatten -> (Dropout) -> [Linear -> (BatchNorm) -> activation -> (Dropout)] * depth
-> Linear. With ``hidden=[]`` it is the linear model (model=linear: logistic regression for classification)."""

from __future__ import annotations

import math

from torch import nn

from dlx import checks
from dlx.models.common import INITS, check_activation, check_regularization, dense_layers, init_weights, plain


class MLP(nn.Module):
    """Takes ``dropout`` (after each hidden layer), ``input_dropout`` and ``batchnorm`` (after each hidden
    Linear, before the activation). With ``hidden=[]`` there is no hidden layer: ``batchnorm=true`` is refused
    (nothing to normalise) and ``dropout`` has nothing to act on (``input_dropout`` still does)."""

    def __init__(self, in_shape: tuple[int, ...], n_out: int, hidden: list[int] = (128, 64),
                 activation: str = "relu", dropout: float = 0.0, input_dropout: float = 0.0,
                 batchnorm: bool = False, init: str = "default", maxout_k: int = 2):
        hidden = checks.widths("hidden", plain(hidden))
        check_activation(activation, maxout_k)
        check_regularization(dropout, input_dropout, batchnorm)
        checks.one_of("init", init, INITS)
        if batchnorm and not hidden:
            raise checks.ConfigError("batchnorm=true is wrong with hidden=[]: allowed is false (a linear model "
                                     "has no hidden layer to normalise)")
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        if input_dropout > 0:
            layers.append(nn.Dropout(input_dropout))
        layers += dense_layers(math.prod(in_shape), hidden, n_out, activation, maxout_k, dropout, batchnorm)
        self.net = nn.Sequential(*layers)
        init_weights(self, init)

    def forward(self, x):  # (B, *in_shape) -> (B, n_out)
        return self.net(x)
