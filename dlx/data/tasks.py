"""Extra targets for multi-task models, derived from each split's (x, y).

A loader given ``tasks=[digit, parity]`` fills ``Data.targets`` (name -> (train, val, test)) and
``Data.target_info`` (name -> (task, n_out)); ``y`` stays the class id, so every other model trains as
before. Regression targets are standardised with the training split's mean and std, so their MSE reads
against 1.0 (predicting the mean).
"""

from __future__ import annotations

from dlx import checks
from dlx.data import Data, is_list


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
    return is_list(tasks) and all(isinstance(t, str) and t in DERIVED for t in tasks) and \
        len(set(tasks)) == len(tasks)


def check(tasks) -> None:
    """The ``tasks`` key of the loaders that take it (digits, mnist1d)."""
    if not valid(tasks):
        checks.fail("tasks", list(tasks) if is_list(tasks) else tasks, ALLOWED)


def add_tasks(data: Data, tasks) -> Data:
    """Fill ``data.targets``/``data.target_info`` for the named tasks (in the given order; checked by
    :func:`check`)."""
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

