"""A function with compositional structure (notes l. 178, "ciertas funciones que no pueden ser representadas de
manera eficiente por arquitecturas poco profundas"): the label of x in [-1, 1]^dim is the sign of the product
of T^k(x_i), where T(z) = 1 - 2|z| is the tent map and T^k applies it ``folds`` = k times.

T^k has 2^k + 1 sign intervals along each axis, so in 2-D the classes form a checkerboard of (2^k + 1)^2 cells.
A deep net represents it exactly with k + 1 hidden layers of ``dim`` absolute-value units: each layer folds the
input once (T(z) = 1 - 2|z|), and the last computes the sign of a product of two numbers as
sign(|a + b| - |a - b|) (:func:`exact_weights` gives those weights; tests/test_data.py checks them). A net with
one hidden layer needs a unit per boundary crossing it carves out, a number that doubles with every fold
(Telgarsky 2016, Montufar et al. 2014).
"""

from __future__ import annotations

import torch

from dlx import checks
from dlx.data import Data, check_split, split_val, take_subset

FUNCTIONS = ("checkerboard", "ball")


def check(*, n, function, dim, folds, val_frac, test_frac, split_seed, data_seed, subset, subset_mode) -> None:
    checks.count("n", n)
    checks.one_of("function", function, FUNCTIONS)
    checks.integer("dim", dim, 2)
    checks.integer("folds", folds, 0)
    checks.integer("data_seed", data_seed, 0)
    check_split(val_frac, split_seed, subset, subset_mode, test_frac)


def label(x: torch.Tensor, folds: int) -> torch.Tensor:
    """(N, dim) in [-1, 1] -> (N,) class ids: 1 where prod_i T^folds(x_i) > 0, else 0."""
    z = x
    for _ in range(folds):
        z = 1 - 2 * z.abs()
    return (z.prod(-1) > 0).long()


def ball(x: torch.Tensor) -> torch.Tensor:
    """(N, dim) -> (N,) class ids: 1 inside the ball ||x||^2 < the median of a chi-square with dim degrees of
    freedom (Wilson-Hilferty), so that half of N(0, I) inputs fall inside."""
    d = x.shape[1]
    return (x.pow(2).sum(-1) < d * (1 - 2 / (9 * d)) ** 3).long()


def load(n: int = 6000, function: str = "checkerboard", dim: int = 2, folds: int = 3, val_frac: float = 0.1,
         test_frac: float = 0.2, split_seed: int = 0, data_seed: int = 0, subset: int | None = None,
         subset_mode: str = "first") -> Data:
    check(**locals())  # every argument, before anything is generated
    g = torch.Generator().manual_seed(data_seed)
    if function == "checkerboard":
        x = torch.rand(n, dim, generator=g) * 2 - 1  # (N, dim) uniform on [-1, 1]^dim
        y = label(x, folds)
    else:
        x = torch.randn(n, dim, generator=g)  # (N, dim) standard normal
        y = ball(x)
    x_rest, y_rest, x_test, y_test = split_val(x, y, test_frac, split_seed + 1, "test_frac")
    x_tr, y_tr, x_val, y_val = split_val(x_rest, y_rest, val_frac, split_seed)
    x_tr, y_tr, x_all = take_subset(x_tr, y_tr, subset, subset_mode)  # dataset.subset: training only
    return Data(x_tr, y_tr, x_val, y_val, x_test, y_test, task="classification", n_out=2, x_unlabeled=x_all)


def exact_weights(dim: int, folds: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(weight, bias) of each Linear of an MLP with hidden=[2] * (folds + 1) and activation=abs, output 2
    logits, that computes :func:`label` exactly (for dim=2): a proof by construction that such a small, deep
    net can represent the function. Layer 1 is the identity (then |x|); each next one maps |z| to 1 - 2|z|,
    which the next abs folds again; the last hidden layer takes a + b and a - b of the two folded
    coordinates; the output is (0, |a + b| - |a - b|), whose sign is that of a * b."""
    if dim != 2:
        raise ValueError("exact_weights is written for dim=2")
    eye = torch.eye(2)
    layers = [(eye.clone(), torch.zeros(2))] if folds else []  # |x|
    for _ in range(folds - 1):
        layers.append((-2 * eye, torch.ones(2)))  # 1 - 2|z|, folded again by the next abs
    # T^k = 1 - 2|T^(k-1)|: the last fold's affine part goes into a +- b
    w = torch.tensor([[1.0, 1.0], [1.0, -1.0]])  # (a + b, a - b)
    layers.append((w @ (-2 * eye) if folds else w, w @ torch.ones(2) if folds else torch.zeros(2)))
    layers.append((torch.tensor([[0.0, 0.0], [1.0, -1.0]]), torch.zeros(2)))  # logits (0, |a+b| - |a-b|)
    return layers
