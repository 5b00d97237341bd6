"""Your own arrays: an .npz (numpy.savez) or .pt (torch.save of a dict of tensors) file with ``x`` and
``y``, and optionally ``x_test`` and ``y_test`` (else a test split is carved off with ``test_frac``).

``x`` is (N, ...) features or images (a 1-D x becomes (N, 1)); ``y`` is (N,) integer class ids
(classification) or (N,) / (N, D) floats (regression). ``task: auto`` picks classification for integer
``y`` and regression for float ``y``.
"""

from __future__ import annotations

import math
import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from dlx import checks
from dlx.data import MAX_CLASSES, Data, DataError, check_finite, check_path, check_split, finish

TASKS = ("auto", "classification", "regression")


def check(*, path, task, val_frac, test_frac, split_seed, subset, subset_mode) -> None:
    check_path("path", path)
    checks.one_of("task", task, TASKS)
    check_split(val_frac, split_seed, subset, subset_mode, test_frac)


def check_class_id(where: str, top: int) -> None:
    """The largest class id: n_out = top + 1 outputs, so 1e9 would ask for a 512 GB output layer."""
    if top >= MAX_CLASSES:
        raise DataError(f"{where}: class id {top} is too large: class ids must be 0..K-1 with K <= "
                        f"{MAX_CLASSES} classes (renumber them, or use task=regression for a numeric target)")


def as_targets(
    where: str, y: Tensor, y_test: Tensor | None, task: str
) -> tuple[Tensor, Tensor | None, str, int]:
    """Turn raw label tensors into (y, y_test, task, n_out) for :class:`Data`.

    Classification: (N,) int64 ids in 0..K-1, n_out = K (the largest id + 1 over both splits, at most
    MAX_CLASSES). Regression: (N, D) float32, n_out = D. ``task`` was checked by the loader.
    """
    both = [t for t in (y, y_test) if t is not None]
    if task == "auto":
        floating = any(t.is_floating_point() for t in both)
        task = "regression" if floating else "classification"
    if task == "classification":
        for t in both:
            if t.ndim != 1:
                raise DataError(f"{where}: labels have shape {tuple(t.shape)}; classification needs (N,) "
                                f"class ids (use task=regression for vector targets)")
            if t.is_floating_point() and not bool(torch.all(t == t.round())):
                raise DataError(f"{where}: labels are not whole numbers; classification needs integer class "
                                f"ids (use task=regression)")
        y, y_test = (None if t is None else t.long() for t in (y, y_test))
        lo = min(int(t.min()) for t in both if t.numel())
        if lo < 0:
            raise DataError(f"{where}: class ids must be >= 0, found {lo}")
        top = max(int(t.max()) for t in both if t.numel())
        check_class_id(where, top)
        return y, y_test, task, top + 1
    column = lambda t: t.float().unsqueeze(1) if t.ndim == 1 else t.float()  # (N,) -> (N, 1)
    y, y_test = (None if t is None else column(t) for t in (y, y_test))
    for t in (y, y_test):
        if t is not None and t.ndim != 2:
            raise DataError(f"{where}: regression targets have shape {tuple(t.shape)}; expected (N,) or "
                            f"(N, D)")
    if y_test is not None and y_test.shape[1] != y.shape[1]:
        raise DataError(f"{where}: y_test has {y_test.shape[1]} target columns but y has {y.shape[1]}")
    return y, y_test, task, y.shape[1]


def _npz_arrays(path: Path) -> dict[str, Tensor]:
    """An .npz file's arrays, each .npy header checked before its data is read: a header that claims more bytes
    than its member holds (466 TiB in a 1 KB file), or arrays larger than this machine's memory, are refused
    instead of allocated (NumPy allocates what the header says, then reads)."""
    with np.load(path, allow_pickle=False) as f:
        total = 0
        for name in f.zip.namelist():
            with f.zip.open(name) as member:
                version = np.lib.format.read_magic(member)
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape, _, dtype = read_header(member)
            claimed = math.prod(shape) * dtype.itemsize
            if claimed > f.zip.getinfo(name).file_size:
                raise DataError(f"{path}: {name} claims {shape} {dtype} ({claimed} bytes) but holds "
                                f"{f.zip.getinfo(name).file_size} bytes; the file is corrupt or crafted")
            total += claimed
        check_memory(path, total)
        return {k: torch.from_numpy(np.ascontiguousarray(f[k])) for k in f.files}


def check_memory(path: Path, nbytes: int) -> None:
    """Refuse arrays that could not be held in memory as float32 next to their original (twice their size)."""
    if 2 * nbytes > checks.memory_bytes():
        raise DataError(f"{path} holds {nbytes / 1e9:.1f} GB of arrays, more than half of this machine's "
                        f"{checks.memory_bytes() / 1e9:.1f} GB memory; allowed are arrays that fit in memory")


def _dense(path: Path, obj: dict[str, Tensor]) -> dict[str, Tensor]:
    """A .pt file's tensors when each is an ordinary dense tensor whose elements each have their own memory: a
    sparse tensor, or a view with stride 0 (a few bytes on disk that expand to terabytes when copied), are
    refused."""
    for k, t in obj.items():
        if t.layout != torch.strided:
            raise DataError(f"{path}: {k} is a {t.layout} tensor; allowed are dense tensors (x.to_dense())")
        if t.numel() * t.element_size() > t.untyped_storage().nbytes():
            raise DataError(f"{path}: {k} has shape {tuple(t.shape)} with strides {t.stride()} over "
                            f"{t.untyped_storage().nbytes()} bytes (elements share memory); allowed are tensors "
                            "saved with their own memory (x.contiguous())")
    check_memory(path, sum(t.numel() * t.element_size() for t in obj.values()))
    return obj


def _read(path: Path) -> dict[str, Tensor]:
    if not path.is_file():
        raise DataError(f"path={path} is wrong: no such file")
    try:
        if path.suffix == ".npz":
            return _npz_arrays(path)
        if path.suffix == ".pt":
            obj = torch.load(path, map_location="cpu", weights_only=True)
            if not isinstance(obj, dict) or not all(isinstance(v, Tensor) for v in obj.values()):
                raise DataError(f"{path} holds a {type(obj).__name__}; expected a dict of tensors "
                                f"(torch.save({{'x': x, 'y': y}}, path))")
            return _dense(path, obj)
    except DataError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, RuntimeError, EOFError, TypeError, KeyError,
            pickle.UnpicklingError) as e:
        raise DataError(f"{path} cannot be read ({type(e).__name__}: {(str(e).splitlines() or [''])[0]})") from None
    raise DataError(f"path={path} is wrong: allowed is a .npz or .pt file")


def load(
    path: str,
    task: str = "auto",
    val_frac: float = 0.1,
    test_frac: float = 0.2,
    split_seed: int = 0,
    subset: int | None = None,
    subset_mode: str = "first",
) -> Data:
    check(**locals())  # every argument, before the file is read
    path = Path(path).expanduser()
    arrays = _read(path)
    missing = [k for k in ("x", "y") if k not in arrays]
    if missing:
        held = ", ".join(sorted(arrays)) or "nothing"
        raise DataError(f"{path} has no {' or '.join(missing)} (it holds {held}); expected x, y and "
                        f"optionally x_test, y_test")
    if ("x_test" in arrays) != ("y_test" in arrays):
        raise DataError(f"{path} has only one of x_test, y_test; give both or neither")
    x, y = arrays["x"], arrays["y"]
    x_test, y_test = arrays.get("x_test"), arrays.get("y_test")
    for xs, ys, name in ((x, y, "x"), (x_test, y_test, "x_test")):
        if xs is None:
            continue
        if xs.ndim == 0 or ys.ndim == 0 or xs.shape[0] != ys.shape[0]:
            raise DataError(f"{path}: {name} has shape {tuple(xs.shape)} but its labels have shape "
                            f"{tuple(ys.shape)}; both need the same first dimension N")
        if xs.is_complex() or ys.is_complex():
            raise DataError(f"{path}: {name} or its labels have a complex dtype; expected real numbers")
        if xs.shape[0] == 0:
            raise DataError(f"{path}: {name} has 0 rows; expected at least one example per split")
    x = x.float().reshape(-1, 1) if x.ndim == 1 else x.float()
    if x_test is not None:
        x_test = x_test.float().reshape(-1, 1) if x_test.ndim == 1 else x_test.float()
        if x_test.shape[1:] != x.shape[1:]:
            raise DataError(f"{path}: x_test examples have shape {tuple(x_test.shape[1:])} but x examples "
                            f"have {tuple(x.shape[1:])}")
    # after .float(): a float64 beyond float32's range (3.4e38) has become inf, and is refused as such
    for name, t in (("x", x), ("y", y), ("x_test", x_test), ("y_test", y_test)):
        check_finite(str(path), name, t)
    y, y_test, task, n_out = as_targets(str(path), y, y_test, task)
    return finish(x, y, x_test, y_test, val_frac=val_frac, split_seed=split_seed, subset=subset,
                  subset_mode=subset_mode, test_frac=test_frac, task=task, n_out=n_out, where=str(path))


def read_inputs(path: str | Path) -> tuple[Tensor, Tensor | None]:
    """New examples for a trained run (`dlx predict`): ``x`` (and optionally ``y``) of an .npz/.pt file, read
    and checked as :func:`load` reads them (a 1-D x becomes (N, 1); NaN/Inf refused). The caller checks the
    shapes against the run's model and the labels against its classes."""
    path = Path(path).expanduser()
    arrays = _read(path)
    if "x" not in arrays:
        raise DataError(f"{path} has no x (it holds {', '.join(sorted(arrays)) or 'nothing'}); expected x and "
                        f"optionally y")
    x, y = arrays["x"], arrays.get("y")
    if x.ndim == 0 or x.shape[0] == 0 or x.is_complex():
        raise DataError(f"{path}: x has shape {tuple(x.shape)} and dtype {x.dtype}; expected (N, ...) real numbers")
    if y is not None and (y.ndim == 0 or y.shape[0] != x.shape[0] or y.is_complex()):
        raise DataError(f"{path}: x has shape {tuple(x.shape)} but y has shape {tuple(y.shape)}; both need the "
                        f"same first dimension N")
    x = x.float().reshape(-1, 1) if x.ndim == 1 else x.float()
    check_finite(str(path), "x", x)
    check_finite(str(path), "y", y)
    return x, y
