"""Extra targets for multi-task models, derived from each split's (x, y).

A loader given ``tasks=[digit, parity]`` fills ``Data.targets`` (name -> (train, val, test)) and
``Data.target_info`` (name -> (task, n_out)); ``y`` stays the class id, so every other model trains as
before. Regression targets are standardised with the training split's mean and std, so their MSE reads
against 1.0 (predicting the mean).
"""

from __future__ import annotations

from dlx.data import Data


def _peak(x, y):  # where the sequence is largest, as a fraction of its length: (N, 1)
    flat = x.flatten(1)
    return flat.argmax(1, keepdim=True).float() / (flat.shape[1] - 1)


DERIVED = {
    "digit": ("classification", 10, lambda x, y: y),
    "parity": ("classification", 2, lambda x, y: y % 2),  # even / odd digit
    "ink": ("regression", 1, lambda x, y: x.flatten(1).mean(1, keepdim=True)),  # mean intensity: (N, 1)
    "peak": ("regression", 1, _peak),
}


ALLOWED = f"a list of distinct names from {', '.join(DERIVED)}"


def valid(tasks) -> bool:
    listed = isinstance(tasks, (list, tuple))
    return listed and len(set(tasks)) == len(tasks) and all(t in DERIVED for t in tasks)


def add_tasks(data: Data, tasks) -> Data:
    """Fill ``data.targets``/``data.target_info`` for the named tasks (in the given order)."""
    tasks = list(tasks or [])
    if not valid(tasks):
        raise ValueError(f"dataset.tasks={tasks} is wrong: allowed is {ALLOWED}")
    for name in tasks:
        kind, n_out, f = DERIVED[name]
        splits = ((data.x, data.y), (data.x_val, data.y_val), (data.x_test, data.y_test))
        tr, va, te = (f(x, y) for x, y in splits)
        if kind == "regression":
            mean, std = tr.mean(0), tr.std(0).clamp_min(1e-8)
            tr, va, te = ((t - mean) / std for t in (tr, va, te))
        data.targets[name] = (tr, va, te)
        data.target_info[name] = (kind, n_out)
    return data


def only_target(data: Data) -> Data:
    """A single-task Data seen as multi-task: its ``y`` becomes the one target named ``y``."""
    data.targets = {"y": (data.y, data.y_val, data.y_test)}
    data.target_info = {"y": (data.task, data.n_out)}
    return data

