"""Shared bits for the model-family tests: digits as tensors and a tiny plain PyTorch loop."""

from __future__ import annotations

import torch
from sklearn.datasets import load_digits
from torch import nn


def digits(n_train: int = 1200, seed: int = 0):
    """sklearn's 8x8 digits (no download) as (N, 1, 8, 8) floats in [0, 1]; fixed train/test split."""
    d = load_digits()
    x = torch.tensor(d.data, dtype=torch.float32).view(-1, 1, 8, 8) / 16.0
    y = torch.tensor(d.target, dtype=torch.int64)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    tr, te = perm[:n_train], perm[n_train:]
    return x[tr], y[tr], x[te], y[te]


def fit(model: nn.Module, x, y, steps: int = 300, lr: float = 1e-2, batch_size: int = 64, loss_fn=None):
    """Adam on minibatches; returns (first loss, last loss) averaged over 20 steps each."""
    loss_fn = loss_fn or nn.functional.cross_entropy
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: a second thread only adds sync overhead on a shared CPU
    try:
        for _ in range(steps):
            idx = torch.randint(0, len(x), (batch_size,))
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    finally:
        torch.set_num_threads(threads)
    return sum(losses[:20]) / 20, sum(losses[-20:]) / 20


@torch.no_grad()
def accuracy(model: nn.Module, x, y) -> float:
    model.eval()
    return (model(x).argmax(1) == y).float().mean().item()
