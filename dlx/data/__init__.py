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
        # Pinned host memory makes the one host->GPU copy asynchronous; on CPU this is a no-op.
        pin = torch.device(device).type == "cuda"
        mv = lambda t: (t.pin_memory() if pin else t).to(device, non_blocking=True)
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


class DataError(ValueError):
    """A dataset file is missing, corrupt or malformed, or a dataset key does not fit the data.

    The message is one line that names the file (or key) and says what to do; the CLI prints it as is.
    """


def subset_index(y: Tensor, n: int | None, mode: str = "first", task: str = "classification") -> Tensor:
    """Indices of the training examples ``dataset.subset`` keeps, in their original order.

    ``first``: the first n (the training split is already shuffled by :func:`split_val`, so this is a
    random sample that stays the same for a given split_seed). ``stratified``: per class the first
    ``k_c`` examples, with ``k_c`` the class's share of n rounded by largest remainder (Hamilton's
    method), so the class proportions of the full set are kept and the counts sum to exactly n.
    A smaller subset is contained in a larger one, which keeps learning-curve sweeps nested.
    """
    total = y.shape[0]
    if n is None:
        return torch.arange(total)
    if mode not in ("first", "stratified"):
        raise DataError(f"dataset.subset_mode={mode} is wrong: allowed first, stratified")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= total:
        raise DataError(f"dataset.subset={n} is wrong: allowed an integer 1..{total} "
                        f"(the training examples left after the validation split) or null for all")
    if mode == "first":
        return torch.arange(n)
    if task != "classification":
        raise DataError(f"dataset.subset_mode=stratified is wrong: allowed only for classification "
                        f"(this dataset is {task}); use subset_mode=first")
    classes, counts = torch.unique(y, return_counts=True)  # (K,), (K,)
    quota = counts.double() * n / total  # exact share of each class
    take = quota.floor().long()
    left = n - int(take.sum())
    # Hand the leftover examples to the classes with the largest fractional parts (ties: lower class id).
    order = torch.argsort(-(quota - take), stable=True)
    take[order[:left]] += 1
    keep = [torch.nonzero(y == c).flatten()[:k] for c, k in zip(classes.tolist(), take.tolist())]
    return torch.cat(keep).sort().values


def finish(
    x: Tensor,
    y: Tensor,
    x_test: Tensor | None,
    y_test: Tensor | None,
    *,
    val_frac: float,
    split_seed: int,
    subset: int | None,
    subset_mode: str = "first",
    test_frac: float = 0.2,
    task: str = "classification",
    n_out: int,
) -> Data:
    """The common tail of every loader: carve test (if the source has none) and validation splits, then
    apply ``dataset.subset`` to the training split only, so val/test stay the same along a learning curve."""
    if not 0.0 <= val_frac < 1.0:
        raise DataError(f"dataset.val_frac={val_frac} is wrong: allowed 0 <= val_frac < 1")
    if x_test is None:
        if not 0.0 < test_frac < 1.0:
            raise DataError(f"dataset.test_frac={test_frac} is wrong: allowed 0 < test_frac < 1 "
                            f"(the data has no test split of its own)")
        x, y, x_test, y_test = split_val(x, y, test_frac, split_seed)
    x, y, x_val, y_val = split_val(x, y, val_frac, split_seed)
    keep = subset_index(y, subset, subset_mode, task)
    return Data(x[keep], y[keep], x_val, y_val, x_test, y_test, task=task, n_out=n_out)
