"""scikit-learn's 8x8 handwritten digits (1797 images, shipped inside scikit-learn: no download)."""

from __future__ import annotations

import torch

from dlx import checks
from dlx.data import Data, check_split, is_list, split_val, take_subset
from dlx.data import tasks as derived
from dlx.data.tasks import add_tasks


def _read():
    """(1797, 64) pixel counts 0..16 and (1797,) labels: the file sklearn.datasets.load_digits reads, read the
    same way without importing scikit-learn (its import takes ~2 s, more than a digits run's training), with
    load_digits itself as the fallback should the file move."""
    import importlib.util
    from pathlib import Path

    import numpy as np

    spec = importlib.util.find_spec("sklearn")
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz" if spec and spec.origin else None
    if path is not None and path.is_file():
        table = np.loadtxt(path, delimiter=",")  # 64 pixel columns, then the label
        return table[:, :-1], table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.data, bunch.target


def check(*, val_frac, test_frac, split_seed, subset, subset_mode, tasks, classes) -> None:
    check_split(val_frac, split_seed, subset, subset_mode, test_frac)
    derived.check(tasks)
    if classes is None:
        return
    if not (is_list(classes) and len(classes) >= 2 and all(checks.is_int(c) and 0 <= c <= 9 for c in classes)
            and len(set(classes)) == len(classes)):
        checks.fail("classes", list(classes) if is_list(classes) else classes, "null or a list of two or more "
                    "distinct digits 0-9, e.g. [5,6,7,8,9]")
    if len(tasks):
        checks.fail("classes", list(classes), "null with tasks (the derived targets read the digit itself)")


def load(val_frac: float = 0.1, test_frac: float = 0.2, split_seed: int = 0, subset: int | None = None,
         subset_mode: str = "first", tasks: list[str] = (), classes: list[int] | None = None) -> Data:
    """``classes``: only these digits, relabelled 0..k-1 in the order given (e.g. a source task on 0-4 and a
    transfer target on 5-9); the splits are then drawn from their images alone."""
    check(**locals())  # every argument, before anything is read
    pixels, labels = _read()
    x = torch.tensor(pixels, dtype=torch.float32).view(-1, 1, 8, 8) / 16.0  # (N, 1, 8, 8) in [0, 1]
    y = torch.tensor(labels, dtype=torch.int64)
    n_out = 10
    if classes is not None:
        keep = torch.isin(y, torch.tensor(list(classes)))
        relabel = torch.full((10,), -1, dtype=torch.int64)
        relabel[torch.tensor(list(classes))] = torch.arange(len(classes))
        x, y, n_out = x[keep], relabel[y[keep]], len(classes)
    # A fixed test split (scikit-learn ships no official one), then val carved from the rest.
    x_rest, y_rest, x_test, y_test = split_val(x, y, test_frac, split_seed + 1, "test_frac")
    x_tr, y_tr, x_val, y_val = split_val(x_rest, y_rest, val_frac, split_seed)
    x_tr, y_tr, x_all = take_subset(x_tr, y_tr, subset, subset_mode)  # dataset.subset: training only
    data = Data(x_tr, y_tr, x_val, y_val, x_test, y_test, task="classification", n_out=n_out, x_unlabeled=x_all)
    return add_tasks(data, tasks)  # extra named targets for model=multitask (dlx/data/tasks.py)
