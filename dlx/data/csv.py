"""Your own table: a CSV file with a header row, numeric feature columns and one label column.

``label`` names the label column; ``features`` lists the feature columns (null: every other column).
Labels that are all integers are class ids as they are; other text labels become class ids in sorted
order of their names (over both files); non-integer numbers are regression targets (``task`` overrides the
guess). ``test_path`` names a second CSV with the same columns; without it a test split is carved off.
``standardize`` (default true) rescales each feature to mean 0, std 1 over the training split. Data.meta
records the feature columns, the label column, the class names by id (text labels) and the statistics.
Every feature and numeric label must be finite: NaN / inf cells are refused with their line and column.
"""

from __future__ import annotations

import csv
from pathlib import Path

import torch

from dlx import checks
from dlx.data import Data, DataError, check_path, check_split, finish, is_list
from dlx.data.tensors import TASKS, as_targets, check_class_id

FLOAT32_MAX = float(torch.finfo(torch.float32).max)


def check(*, path, label, features, test_path, task, delimiter, val_frac, test_frac, split_seed, subset,
          subset_mode, standardize) -> None:
    check_path("path", path)
    if not (isinstance(label, str) and label != ""):
        checks.fail("label", label, "a column name")
    if features is not None and not (is_list(features) and len(features) > 0 and
                                     all(isinstance(c, str) and c != "" for c in features)):
        checks.fail("features", list(features) if is_list(features) else features,
                    "null (every column but the label) or a non-empty list of column names")
    check_path("test_path", test_path, optional=True)
    checks.one_of("task", task, TASKS)
    if not (isinstance(delimiter, str) and len(delimiter) == 1 and delimiter not in '"\r\n'):
        checks.fail("delimiter", delimiter, "one character, e.g. , or ; or a tab")
    check_split(val_frac, split_seed, subset, subset_mode, test_frac)
    checks.boolean("standardize", standardize)


def _read(path: Path, delimiter: str, key: str) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise DataError(f"{key}={path} is wrong: no such file")
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
        raise DataError(f"{path} has no label column '{label}' (columns: {names}); set label to one of them")
    features = [h for h in header if h != label] if features is None else list(features)
    missing = [c for c in features if c not in header]
    if missing:
        raise DataError(f"{path} has no feature column {', '.join(map(repr, missing))} (columns: {names})")
    if not features:
        raise DataError(f"{path} has no feature columns besides the label '{label}'")
    return [header.index(c) for c in features], header.index(label)


def _features(path: Path, header: list[str], rows: list[list[str]], cols: list[int]) -> torch.Tensor:
    try:
        x = torch.tensor([[float(r[c]) for c in cols] for r in rows], dtype=torch.float32)  # (N, F)
    except ValueError:
        x = None
    if x is not None and bool(torch.isfinite(x).all()):
        return x
    for i, row in enumerate(rows):  # slow path, only to name the bad cell
        for c in cols:
            if not _is_float(row[c]):
                raise DataError(f"{path} line {i + 2}, column '{header[c]}': {row[c]!r} is not a number")
            if not abs(float(row[c])) <= FLOAT32_MAX:  # nan, inf, or inf once stored as float32
                raise DataError(f"{path} line {i + 2}, column '{header[c]}': {row[c]!r} is not a finite number; "
                                f"dlx needs finite features (drop or fill the missing values first)")
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
    standardize: bool = True,
) -> Data:
    check(**locals())  # every argument, before any file is read
    files = [Path(path).expanduser()] + ([Path(test_path).expanduser()] if test_path else [])
    tables = [_read(f, delimiter, key) for f, key in zip(files, ("path", "test_path"))]
    xs, labels, names = [], [], []
    for f, (header, rows) in zip(files, tables):
        cols, lab = _columns(f, header, label, features)
        names.append([header[c] for c in cols])
        xs.append(_features(f, header, rows, cols))
        labels.append([r[lab].strip() for r in rows])
        empty = next((i for i, s in enumerate(labels[-1]) if s == ""), None)
        if empty is not None:
            raise DataError(f"{f} line {empty + 2}, column '{label}': the label is empty; every row needs one")
    if len(xs) == 2 and xs[1].shape[1] != xs[0].shape[1]:
        raise DataError(f"{files[1]} has {xs[1].shape[1]} feature columns but {files[0]} has "
                        f"{xs[0].shape[1]}")
    meta = {"features": names[0], "label": label}
    every = [s for ls in labels for s in ls]
    numbers, integers = all(map(_is_float, every)), all(map(_is_int, every))
    if task == "regression" or (task == "auto" and numbers and not integers):
        for f, ls in zip(files, labels):
            for i, s in enumerate(ls):
                if not _is_float(s) or not abs(float(s)) <= FLOAT32_MAX:
                    what = "not a number" if not _is_float(s) else "not a finite number"
                    raise DataError(f"{f} line {i + 2}, column '{label}': label {s!r} is {what}; regression "
                                    f"needs finite numbers")
        ys = [torch.tensor([float(s) for s in ls]) for ls in labels]
    elif integers:
        check_class_id(str(files[0]), max(int(s) for s in every))  # before torch.tensor (int64) sees 1e30
        ys = [torch.tensor([int(s) for s in ls]) for ls in labels]
    else:
        # Text class names -> ids in sorted order over both files: a test class the training file lacks gets
        # an id too (finish warns that the model cannot predict it).
        classes = sorted(set(every))
        ids = {n: i for i, n in enumerate(classes)}
        ys = [torch.tensor([ids[s] for s in ls]) for ls in labels]
        meta["classes"] = classes
    y, y_test, task, n_out = as_targets(str(files[0]), ys[0], ys[1] if len(ys) == 2 else None, task)
    return finish(xs[0], y, xs[1] if len(xs) == 2 else None, y_test, val_frac=val_frac, split_seed=split_seed,
                  subset=subset, subset_mode=subset_mode, test_frac=test_frac, task=task, n_out=n_out,
                  where=str(files[0]), standardize=standardize, meta=meta)


def read_inputs(path: str | Path, features: list[str], label: str | None, classes: list[str] | None,
                task: str, n_out: int, delimiter: str = ",") -> tuple[torch.Tensor, torch.Tensor | None]:
    """New rows for a trained run (`dlx predict`), parsed and checked as :func:`load` parses the training file:
    ``features`` are the training file's feature columns (others are ignored); the ``label`` column is optional
    (absent or all empty: no labels) and its text class names become the run's ids (``classes``). Returns
    (x (N, F) unstandardised, y or None)."""
    path = Path(path).expanduser()
    header, rows = _read(path, delimiter, "inputs")
    missing = [c for c in features if c not in header]
    if missing:
        raise DataError(f"{path} has no feature column {', '.join(map(repr, missing))} (columns: "
                        f"{', '.join(header)}); the run was trained on {', '.join(features)}")
    x = _features(path, header, rows, [header.index(c) for c in features])
    if label is None or label not in header:
        return x, None
    labels = [r[header.index(label)].strip() for r in rows]
    if not any(labels):
        return x, None
    for i, s in enumerate(labels):
        if s == "":
            raise DataError(f"{path} line {i + 2}, column '{label}': the label is empty; label every row or none")
        if task == "regression":
            if not _is_float(s) or not abs(float(s)) <= FLOAT32_MAX:
                raise DataError(f"{path} line {i + 2}, column '{label}': label {s!r} is not a finite number")
        elif classes is not None and s not in classes:
            raise DataError(f"{path} line {i + 2}, column '{label}': {s!r} is not a class of the run "
                            f"(classes: {', '.join(classes)})")
        elif classes is None and not (_is_int(s) and 0 <= int(s) < n_out):
            raise DataError(f"{path} line {i + 2}, column '{label}': {s!r} is not a class id of the run "
                            f"(0..{n_out - 1})")
    if task == "regression":
        return x, torch.tensor([float(s) for s in labels]).unsqueeze(1)  # (N, 1), as load's targets
    ids = {n: i for i, n in enumerate(classes)} if classes is not None else None
    return x, torch.tensor([ids[s] if ids else int(s) for s in labels])
