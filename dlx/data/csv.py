"""Your own table: a CSV file with a header row, numeric feature columns and one label column.

``label`` names the label column; ``features`` lists the feature columns (null: every other column).
Labels that are all integers are class ids as they are; other text labels become class ids in sorted
order of their names; non-integer numbers are regression targets (``task`` overrides the guess).
``test_path`` names a second CSV with the same columns; without it a test split is carved off.
"""

from __future__ import annotations

import csv
from pathlib import Path

import torch

from dlx.data import Data, DataError, finish
from dlx.data.tensors import TASKS, as_targets


def _read(path: Path, delimiter: str, key: str) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise DataError(f"dataset.{key}={path} is wrong: no such file")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: tolerate Excel's byte-order mark
            rows = list(csv.reader(f, delimiter=delimiter))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{path} cannot be read as CSV ({e})") from None
    rows = [r for r in rows if r]  # blank lines
    if len(rows) < 2:
        raise DataError(f"{path} needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(f"{path} line {i} has {len(row)} fields but the header has {len(header)}")
    return header, rows[1:]


def _columns(path: Path, header: list[str], label: str, features: list[str] | None) -> tuple[list[int], int]:
    names = ", ".join(header)
    if label not in header:
        raise DataError(f"{path} has no label column '{label}' (columns: {names}); set dataset.label")
    features = [h for h in header if h != label] if features is None else list(features)
    missing = [c for c in features if c not in header]
    if missing:
        raise DataError(f"{path} has no feature column {', '.join(map(repr, missing))} (columns: {names})")
    if not features:
        raise DataError(f"{path} has no feature columns besides the label '{label}'")
    return [header.index(c) for c in features], header.index(label)


def _features(path: Path, header: list[str], rows: list[list[str]], cols: list[int]) -> torch.Tensor:
    try:
        return torch.tensor([[float(r[c]) for c in cols] for r in rows], dtype=torch.float32)  # (N, F)
    except ValueError:
        pass
    for i, row in enumerate(rows):  # slow path, only to name the bad cell
        for c in cols:
            if not _is_float(row[c]):
                raise DataError(f"{path} line {i + 2}, column '{header[c]}': {row[c]!r} is not a number")
    raise AssertionError("unreachable")


def _is_int(s: str) -> bool:
    try:
        int(s)
        return True
    except ValueError:
        return False


def _is_float(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def load(
    path: str,
    label: str,
    features: list[str] | None = None,
    test_path: str | None = None,
    task: str = "auto",
    delimiter: str = ",",
    val_frac: float = 0.1,
    test_frac: float = 0.2,
    split_seed: int = 0,
    subset: int | None = None,
    subset_mode: str = "first",
) -> Data:
    if task not in TASKS:
        raise DataError(f"dataset.task={task} is wrong: allowed {', '.join(TASKS)}")
    files = [Path(path).expanduser()] + ([Path(test_path).expanduser()] if test_path else [])
    tables = [_read(f, delimiter, key) for f, key in zip(files, ("path", "test_path"))]
    xs, labels = [], []
    for f, (header, rows) in zip(files, tables):
        cols, lab = _columns(f, header, label, features)
        xs.append(_features(f, header, rows, cols))
        labels.append([r[lab].strip() for r in rows])
    if len(xs) == 2 and xs[1].shape[1] != xs[0].shape[1]:
        raise DataError(f"{files[1]} has {xs[1].shape[1]} feature columns but {files[0]} has "
                        f"{xs[0].shape[1]}")
    every = [s for ls in labels for s in ls]
    numbers, integers = all(map(_is_float, every)), all(map(_is_int, every))
    if task == "regression" or (task == "auto" and numbers and not integers):
        bad = next((s for s in every if not _is_float(s)), None)
        if bad is not None:
            raise DataError(f"{files[0]}: label {bad!r} in column '{label}' is not a number; regression "
                            f"needs numbers")
        ys = [torch.tensor([float(s) for s in ls]) for ls in labels]
    elif integers:
        ys = [torch.tensor([int(s) for s in ls]) for ls in labels]
    else:
        # Text class names -> ids in sorted order; the test file may not bring classes training never saw.
        names = sorted(set(labels[0]))
        ids = {n: i for i, n in enumerate(names)}
        unseen = sorted(set(every) - set(names))
        if unseen:
            raise DataError(f"{files[-1]}: labels {', '.join(unseen)} do not occur in {files[0]}")
        ys = [torch.tensor([ids[s] for s in ls]) for ls in labels]
    y, y_test, task, n_out = as_targets(str(files[0]), ys[0], ys[1] if len(ys) == 2 else None, task)
    return finish(xs[0], y, xs[1] if len(xs) == 2 else None, y_test, val_frac=val_frac, split_seed=split_seed,
                  subset=subset, subset_mode=subset_mode, test_frac=test_frac, task=task, n_out=n_out)
