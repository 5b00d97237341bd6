"""Building blocks shared by the model families: activations and weight initialisation."""

from __future__ import annotations

import math

import torch
from torch import nn

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "abs", "maxout")
INITS = ("default", "glorot_uniform", "he", "orthogonal")


class Abs(nn.Module):
    """Absolute value rectification g(z) = |z| (Goodfellow et al. 6.3.2)."""

    def forward(self, x):
        return x.abs()


class Maxout(nn.Module):
    """Maxout over groups of ``k`` consecutive features (dim 1): (B, k*C, ...) -> (B, C, ...)."""

    def __init__(self, k: int = 2):
        super().__init__()
        self.k = k

    def forward(self, x):
        b, c = x.shape[:2]
        return x.view(b, c // self.k, self.k, *x.shape[2:]).amax(dim=2)


def activation(name: str, maxout_k: int = 2) -> nn.Module:
    """A fresh activation module. For ``maxout`` the layer before must emit ``maxout_k`` times the width
    (see :func:`width_factor`)."""
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "tanh":
        return nn.Tanh()
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(0.01)
    if name == "prelu":
        return nn.PReLU()
    if name == "abs":
        return Abs()
    if name == "maxout":
        return Maxout(maxout_k)
    raise ValueError(f"activation={name!r} is not one of {', '.join(ACTIVATIONS)}")


def width_factor(name: str, maxout_k: int = 2) -> int:
    """How many pre-activation features one output feature needs (k for maxout, else 1)."""
    return maxout_k if name == "maxout" else 1


def dense_layers(width: int, hidden, n_out: int, activation_name: str, maxout_k: int = 2, dropout: float = 0.0,
                 batchnorm: bool = False) -> list[nn.Module]:
    """[Linear -> (BatchNorm) -> activation -> (Dropout)] per hidden width, then Linear to n_out: the MLP's body
    and the CNN's classifier head."""
    k = width_factor(activation_name, maxout_k)
    layers: list[nn.Module] = []
    for h in hidden:
        layers.append(nn.Linear(width, h * k))  # maxout needs k pre-activations per unit
        if batchnorm:
            layers.append(nn.BatchNorm1d(h * k))
        layers.append(activation(activation_name, maxout_k))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, n_out))
    return layers


def init_weights(module: nn.Module, scheme: str = "default") -> None:
    """Initialise every Linear/Conv weight in ``module`` in place; biases to zero (except ``default``).

    glorot_uniform: W ~ U(-sqrt(6/(m+n)), +sqrt(6/(m+n))), m = fan_in, n = fan_out (Glorot & Bengio 2010).
    he: N(0, 2/fan_in) for ReLU nets. orthogonal: Saxe et al. 2014. default: PyTorch's own.
    """
    if scheme not in INITS:
        raise ValueError(f"init={scheme!r} is not one of {', '.join(INITS)}")
    if scheme == "default":
        return
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            if scheme == "glorot_uniform":
                fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(m.weight)
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                with torch.no_grad():
                    m.weight.uniform_(-bound, bound)
            elif scheme == "he":
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            elif scheme == "orthogonal":
                nn.init.orthogonal_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
