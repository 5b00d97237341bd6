"""Building blocks shared by the model families: activations, weight initialisation, dense layers, and the
checks of the keys most families share (each family's constructor calls them before it builds a layer)."""

from __future__ import annotations

import math

import torch
from torch import nn

from dlx import checks

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "abs", "maxout")
INITS = ("default", "glorot_uniform", "he", "orthogonal", "zeros", "small", "normal")


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
    checks.one_of("activation", name, ACTIVATIONS)
    return Maxout(maxout_k)


ACTIVATION_TYPES = (nn.Sigmoid, nn.Tanh, nn.ReLU, nn.LeakyReLU, nn.PReLU, Abs, Maxout)  # what activation() makes


@torch.no_grad()
def dead_units(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> float | None:
    """The fraction of the model's hidden units that pass no gradient for any input in ``x``: the derivative
    of the unit's activation with respect to its pre-activation(s) is exactly 0 for every example (and, in a
    conv layer, every position). For ReLU these are the units that never activate (pre-activation <= 0 on
    every input) and so can never learn again (notes l. 965); a sigmoid or tanh unit counts only when it
    saturates so far that its float32 derivative is 0 for every input; leaky ReLU, PReLU, abs and maxout
    units cannot die this way. A unit is one feature of dim 1 (a conv channel). None: no activation module."""
    acts = [m for m in model.modules() if isinstance(m, ACTIVATION_TYPES)]
    if not acts:
        return None
    alive: dict[nn.Module, torch.Tensor] = {}

    def hook(module, inputs, out):  # (B, C*k?, ...) pre-activations -> (B, C, ...) outputs
        z = inputs[0].detach().float().requires_grad_()
        with torch.enable_grad():  # module.forward, not module(): calling the module would re-enter this hook
            grad = torch.autograd.grad(module.forward(z).sum(), z)[0]
        passes = grad.view(len(z), out.shape[1], -1).ne(0).any(-1).any(0)  # (C,): maxout's k pieces grouped
        alive[module] = passes if module not in alive else alive[module] | passes

    handles = [m.register_forward_hook(hook) for m in acts]
    was_training = model.training
    model.eval()
    try:
        for i in range(0, len(x), batch_size):
            model(x[i:i + batch_size])
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    units = sum(a.numel() for a in alive.values())
    return (units - int(sum(a.sum() for a in alive.values()))) / units if units else None


def width_factor(name: str, maxout_k: int = 2) -> int:
    """How many pre-activation features one output feature needs (k for maxout, else 1)."""
    return maxout_k if name == "maxout" else 1


def hidden_layers(width: int, hidden, activation_name: str, maxout_k: int = 2, dropout: float = 0.0,
                  batchnorm: bool = False) -> list[nn.Module]:
    """[Linear -> (BatchNorm) -> activation -> (Dropout)] per hidden width: (B, width) -> (B, hidden[-1]).
    BatchNorm and Dropout modules exist only when asked for, so the default layers keep their state_dict names."""
    k = width_factor(activation_name, maxout_k)
    layers: list[nn.Module] = []
    for h in hidden:
        layers.append(nn.Linear(width, h * k))  # maxout needs k pre-activations per unit
        if batchnorm:
            layers.append(nn.BatchNorm1d(h * k))  # normalises the pre-activations (Ioffe & Szegedy 2015)
        layers.append(activation(activation_name, maxout_k))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    return layers


def dense_layers(width: int, hidden, n_out: int, activation_name: str, maxout_k: int = 2, dropout: float = 0.0,
                 batchnorm: bool = False) -> list[nn.Module]:
    """:func:`hidden_layers`, then Linear to n_out: the MLP's body and the CNN's classifier head."""
    layers = hidden_layers(width, hidden, activation_name, maxout_k, dropout, batchnorm)
    return [*layers, nn.Linear(hidden[-1] if hidden else width, n_out)]


def plain(value):
    """A list/dict argument as plain Python: Hydra's instantiate passes ListConfig/DictConfig, which the checks
    (and ``nn.Module`` code) should not have to know."""
    from omegaconf import OmegaConf

    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value


_NONE = object()


def check_regularization(dropout: float = 0.0, input_dropout: float = 0.0, batchnorm=_NONE) -> None:
    """The keys regularization=dropout / regularization=batchnorm pass to the families that take them
    (``batchnorm`` left out: the family has none)."""
    checks.probability("dropout", dropout)
    checks.probability("input_dropout", input_dropout)
    if batchnorm is not _NONE:
        checks.boolean("batchnorm", batchnorm)


def check_activation(name: str, maxout_k: int = 2, maxout: bool = True) -> None:
    """``activation`` (and ``maxout_k``); ``maxout=False`` for families whose layer widths cannot follow
    maxout's k-fold pre-activations (shortcuts, tied decoders, recurrent encoders)."""
    checks.one_of("activation", name, ACTIVATIONS if maxout else tuple(a for a in ACTIVATIONS if a != "maxout"))
    checks.integer("maxout_k", maxout_k, 2)


# the DBN's: RBMs by CD, tied autoencoders, or no training: none keeps the RBMs' own init N(0, 0.01^2), random draws
# the stack again at Glorot's scale (the control for frozen random features)
PRETRAIN_METHODS = ("cd", "autoencoder", "none", "random")
UNTRAINED = ("none", "random")  # methods that read no inputs
PRETRAIN_CHECKS = {"steps": lambda n, v: checks.integer(n, v, 0), "lr": checks.positive, "batch_size": checks.count,
                   "k": checks.count, "persistent": checks.boolean, "sample_up": checks.boolean,
                   "method": lambda n, v: checks.one_of(n, v, PRETRAIN_METHODS),
                   "probe": lambda n, v: checks.integer(n, v, 0)}


def check_pretrain(pre: dict, keys: tuple[str, ...], required: tuple[str, ...] = ("steps", "lr", "batch_size")):
    """The ``pretrain`` keys of a family with a greedy phase: each of ``keys`` checked by its rule (names
    ``pretrain.<key>``); a key the family does not take, or a missing required one, is wrong."""
    pre = plain(pre)
    for key, value in pre.items():
        if key not in keys:
            checks.fail(f"pretrain.{key}", value, f"only the keys {', '.join(keys)} under pretrain")
    for key in keys:
        if key in pre or key in required:
            PRETRAIN_CHECKS[key](f"pretrain.{key}", pre.get(key))
    return pre


def pretrain_on(pre: dict | None) -> bool:
    """Whether the ``pretrain`` keys ask for a phase at all: steps > 0 and a method other than none, or a linear
    probe (``probe`` > 0; with method none it fits the head on the random init's features, the control for a
    pretrained net's probe)."""
    return bool(pre) and (pre.get("steps", 0) > 0 and pre.get("method", "cd") != "none" or pre.get("probe", 0) > 0)


def init_weights(module: nn.Module, scheme: str = "default") -> None:
    """Initialise every Linear/Conv weight in ``module`` in place; biases to zero (except ``default``).

    glorot_uniform: W ~ U(-sqrt(6/(m+n)), +sqrt(6/(m+n))), m = fan_in, n = fan_out (Glorot & Bengio 2010).
    he: N(0, 2/fan_in) for ReLU nets. orthogonal: Saxe et al. 2014. default: PyTorch's own.
    Three that ignore the layer's size, for the course's "the initial values can decide whether it converges"
    (notes l. 1256): zeros (every unit of a layer the same, and stays so: nothing breaks the symmetry), small
    N(0, 0.01^2) (the signal shrinks by about 0.01 sqrt(fan_in) per layer) and normal N(0, 1) (it grows by
    sqrt(fan_in) per layer: saturated sigmoids and tanh, exploding ReLUs).
    """
    checks.one_of("init", scheme, INITS)
    if scheme == "default":
        return
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            if scheme == "glorot_uniform":
                # (out, in, *kernel): each input unit feeds out * kernel weights (torch.nn.init's private
                # _calculate_fan_in_and_fan_out, written out: it has no public name)
                receptive = math.prod(m.weight.shape[2:])
                fan_in, fan_out = m.weight.shape[1] * receptive, m.weight.shape[0] * receptive
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                with torch.no_grad():
                    m.weight.uniform_(-bound, bound)
            elif scheme == "he":
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            elif scheme == "orthogonal":
                nn.init.orthogonal_(m.weight)
            elif scheme in ("zeros", "small", "normal"):
                nn.init.normal_(m.weight, std={"zeros": 0.0, "small": 0.01, "normal": 1.0}[scheme])
            if m.bias is not None:
                nn.init.zeros_(m.bias)
