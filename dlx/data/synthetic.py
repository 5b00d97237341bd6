"""A small regression task so MSE has a use: y = sin(x W1) W2 + noise, with a fixed random teacher."""

from __future__ import annotations

import torch

from dlx import checks
from dlx.data import Data, check_split, split_val, take_subset


def check(*, n, dim, out_dim, noise, val_frac, test_frac, split_seed, data_seed, subset, subset_mode) -> None:
    checks.count("n", n)
    checks.count("dim", dim)
    checks.count("out_dim", out_dim)
    checks.non_negative("noise", noise)
    checks.integer("data_seed", data_seed, 0)
    if subset_mode == "stratified":  # keeps class proportions: a regression target has no classes
        checks.fail("subset_mode", subset_mode, "first (synthetic is a regression dataset)")
    check_split(val_frac, split_seed, subset, subset_mode, test_frac)


def load(n: int = 2000, dim: int = 8, out_dim: int = 1, noise: float = 0.05, val_frac: float = 0.1,
         test_frac: float = 0.2, split_seed: int = 0, data_seed: int = 0, subset: int | None = None,
         subset_mode: str = "first") -> Data:
    check(**locals())  # every argument, before anything is generated
    g = torch.Generator().manual_seed(data_seed)
    x = torch.randn(n, dim, generator=g)  # (N, dim)
    w1 = torch.randn(dim, 32, generator=g) / dim**0.5
    w2 = torch.randn(32, out_dim, generator=g) / 32**0.5
    y = torch.sin(2 * x @ w1) @ w2 + noise * torch.randn(n, out_dim, generator=g)  # (N, out_dim)
    x_rest, y_rest, x_test, y_test = split_val(x, y, test_frac, split_seed + 1, "test_frac")
    x_tr, y_tr, x_val, y_val = split_val(x_rest, y_rest, val_frac, split_seed)
    x_tr, y_tr, x_all = take_subset(x_tr, y_tr, subset, subset_mode, task="regression")  # dataset.subset: training only
    return Data(x_tr, y_tr, x_val, y_val, x_test, y_test, task="regression", n_out=out_dim, x_unlabeled=x_all)
