"""Datasets as tensors.

Every dataset source is a function (a Hydra ``_target_``) that returns a :class:`Data`: the whole dataset as
CPU tensors, already split into train / val / test. The loop moves them to the device once; batches are
index slices (no DataLoader, no per-sample Python).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor


@dataclass
class Data:
    x: Tensor  # (N, *in_shape) float32, train split
    y: Tensor  # (N,) int64 class ids for classification, (N, n_out) float32 for regression
    x_val: Tensor
    y_val: Tensor
    x_test: Tensor
    y_test: Tensor
    task: str = "classification"  # classification | regression
    n_out: int = 10  # classes (classification) or target dimensions (regression)
    # Extra named targets for multi-task models: name -> (train, val, test) tensors and their kind/width.
    targets: dict[str, tuple[Tensor, Tensor, Tensor]] = field(default_factory=dict)
    target_info: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> (task, n_out)

    @property
    def in_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    def to(self, device: torch.device) -> Data:
        mv = lambda t: t.to(device, non_blocking=True)
        return Data(
            mv(self.x),
            mv(self.y),
            mv(self.x_val),
            mv(self.y_val),
            mv(self.x_test),
            mv(self.y_test),
            self.task,
            self.n_out,
            {k: tuple(mv(t) for t in v) for k, v in self.targets.items()},
            dict(self.target_info),
        )


def split_val(x: Tensor, y: Tensor, val_frac: float, seed: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Carve a validation split off the training set, stratified by nothing, with a fixed seed.

    The seed is the dataset's own ``split_seed`` (not the run's seed) so every run of a sweep sees the
    same validation examples.
    """
    n = x.shape[0]
    n_val = int(round(n * val_frac))
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    val, train = perm[:n_val], perm[n_val:]
    return x[train], y[train], x[val], y[val]


def cache_dir() -> Path:
    """Where generated or downloaded data is kept: $DLX_CACHE, else $XDG_CACHE_HOME/dlx, else ~/.cache/dlx."""
    if os.environ.get("DLX_CACHE"):
        return Path(os.environ["DLX_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "dlx"
