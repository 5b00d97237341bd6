"""MNIST-1D (Greydanus & Kobak 2020): 4000 train / 1000 test sequences of length 40, 10 classes.

Generated offline with the ``mnist1d`` package's ``make_dataset(get_dataset_args())`` (never its
``get_dataset``, which downloads); the result is cached as .npz because generation takes ~6 s.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
import torch

from dlx import checks
from dlx.data import Data, cache_dir, check_path, check_split, split_val, take_subset
from dlx.data import tasks as derived
from dlx.data.tasks import add_tasks


def _generate(seed: int) -> dict[str, np.ndarray]:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.seed = seed
    d = make_dataset(args)
    return {k: np.asarray(d[k]) for k in ("x", "y", "x_test", "y_test")}


def check(*, val_frac, split_seed, data_seed, root, subset, subset_mode, tasks, download=True) -> None:
    check_split(val_frac, split_seed, subset, subset_mode)
    checks.boolean("download", download)
    checks.integer("data_seed", data_seed, 0)  # a numpy seed
    check_path("root", root, optional=True)
    derived.check(tasks)


def load(val_frac: float = 0.1, split_seed: int = 0, data_seed: int = 42, root: str | None = None,
         subset: int | None = None, subset_mode: str = "first", tasks: list[str] = (),
         download: bool = True) -> Data:
    """``download``: write the generated data to the cache (and make its folder) when it is not there yet;
    false (`dlx eval`/`predict` of a stored config): generate it in memory, write nothing."""
    check(**locals())  # every argument, before anything is read or generated
    folder = cache_dir() if root is None else os.path.expanduser(root)
    path = os.path.join(folder, f"mnist1d_seed{data_seed}.npz")
    if os.path.exists(path):
        with np.load(path, allow_pickle=False) as z:
            z = {k: z[k] for k in ("x", "y", "x_test", "y_test")}
    else:
        z = _generate(data_seed)
        if download:
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".npz.tmp")
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **z)
            os.replace(tmp, path)  # atomic: a concurrent run never reads a half-written cache
    x = torch.tensor(z["x"], dtype=torch.float32).unsqueeze(1)  # (N, 1, 40)
    y = torch.tensor(z["y"], dtype=torch.int64)
    x_test = torch.tensor(z["x_test"], dtype=torch.float32).unsqueeze(1)
    y_test = torch.tensor(z["y_test"], dtype=torch.int64)
    x_tr, y_tr, x_val, y_val = split_val(x, y, val_frac, split_seed)
    x_tr, y_tr, x_all = take_subset(x_tr, y_tr, subset, subset_mode)  # dataset.subset: training only
    data = Data(x_tr, y_tr, x_val, y_val, x_test, y_test, task="classification", n_out=10, x_unlabeled=x_all)
    return add_tasks(data, tasks)  # extra named targets for model=multitask (dlx/data/tasks.py)
