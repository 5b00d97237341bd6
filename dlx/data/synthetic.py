"""A small regression task so MSE has a use: y = sin(x W1) W2 + noise, with a fixed random teacher."""

from __future__ import annotations

import torch

from dlx.data import Data, split_val, subset_index


def load(n: int = 2000, dim: int = 8, out_dim: int = 1, noise: float = 0.05, val_frac: float = 0.1,
         test_frac: float = 0.2, split_seed: int = 0, data_seed: int = 0, subset: int | None = None,
         subset_mode: str = "first") -> Data:
    g = torch.Generator().manual_seed(data_seed)
    x = torch.randn(n, dim, generator=g)  # (N, dim)
    w1 = torch.randn(dim, 32, generator=g) / dim**0.5
    w2 = torch.randn(32, out_dim, generator=g) / 32**0.5
    y = torch.sin(2 * x @ w1) @ w2 + noise * torch.randn(n, out_dim, generator=g)  # (N, out_dim)
    x_rest, y_rest, x_test, y_test = split_val(x, y, test_frac, split_seed + 1)
    x_tr, y_tr, x_val, y_val = split_val(x_rest, y_rest, val_frac, split_seed)
    keep = subset_index(y_tr, subset, subset_mode, task="regression")  # dataset.subset: training examples only
    x_tr, y_tr = x_tr[keep], y_tr[keep]
    return Data(x_tr, y_tr, x_val, y_val, x_test, y_test, task="regression", n_out=out_dim)
