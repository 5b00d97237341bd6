"""Regularizers that the loop applies: penalties added to the loss and decoupled weight decay.

Penalties act on weights (tensors with ndim >= 2: Linear/Conv kernels), not on biases or norm parameters
(Goodfellow et al. 7.1: "we typically penalize only the weights of the affine transformation").
"""

from __future__ import annotations

import torch
from torch import nn


def weight_params(model: nn.Module) -> list[torch.Tensor]:
    return [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]


def l2_penalty(weights: list[torch.Tensor], alpha: float) -> torch.Tensor:
    """alpha/2 * w^T w (Goodfellow et al. eq. 7.1 with Omega = 1/2 ||w||^2)."""
    return 0.5 * alpha * sum(w.pow(2).sum() for w in weights)


@torch.no_grad()
def decoupled_decay(weights: list[torch.Tensor], alpha: float, lr: float) -> None:
    """w <- w - lr * alpha * w after the optimizer step (Loshchilov & Hutter 2019, decoupled weight decay)."""
    torch._foreach_mul_(weights, 1.0 - lr * alpha)
