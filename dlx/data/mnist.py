"""MNIST (LeCun, Cortes & Burges): 60,000 train + 10,000 test handwritten digits, 28x28 grey, 10 classes.

Read from the four gzip'd IDX files as published. IDX format (http://yann.lecun.com/exdb/mnist/): a 4-byte
magic ``0x00 0x00 <dtype> <ndim>``, then ``ndim`` big-endian uint32 sizes, then the values row-major.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np
import torch

from dlx.data import Data, DataError, check_split, finish
from dlx.data import download as downloads
from dlx.data.download import dataset_root, fetch

# SHA-256 of the files as published (sizes in bytes: 9,912,422 / 28,881 / 1,648,877 / 4,542).
FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

# IDX type byte -> big-endian numpy dtype.
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path) -> np.ndarray:
    """Parse one gzip'd IDX file into an array of its declared shape; bad files raise DataError."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path} is not a readable gzip file ({e}); delete it to download it again") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()})")
    dtype, ndim = np.dtype(IDX_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path} is truncated: the header declares {ndim} dimensions")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(f"{path} has {len(raw)} bytes but its header {shape} needs {expected}; "
                        f"the file is truncated or corrupt")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape)


def read_split(root: Path, images: str, labels: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 1, H, W) float32 in [0, 1] and (N,) int64 labels from an images/labels IDX pair."""
    x, y = read_idx(root / images), read_idx(root / labels)
    if x.ndim != 3:
        raise DataError(f"{root / images} holds shape {x.shape}; expected (N, rows, cols) images")
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise DataError(f"{root / labels} holds shape {y.shape}; expected ({x.shape[0]},) labels to match "
                        f"{images}")
    if y.size and (y.min() < 0 or y.max() > 9):
        raise DataError(f"{root / labels} has labels outside 0..9 ({int(y.min())}..{int(y.max())})")
    x = torch.from_numpy(x.astype(np.float32)).div_(255.0).unsqueeze(1)  # (N, 1, 28, 28)
    return x, torch.from_numpy(y.astype(np.int64))


def load_idx_dataset(name: str, files: dict[str, str], root, mirrors, val_frac: float, split_seed: int,
                     subset: int | None, subset_mode: str, download: bool = True) -> Data:
    """Shared by MNIST and Fashion-MNIST, which use the same four file names and format."""
    where = dataset_root(name, root)
    for filename, sha in files.items():
        fetch(name, filename, sha, where, list(mirrors), download)
    x, y = read_split(where, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
    x_test, y_test = read_split(where, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    if x_test.shape[1:] != x.shape[1:]:
        raise DataError(f"{where}: test images are {tuple(x_test.shape[2:])} but train images are "
                        f"{tuple(x.shape[2:])}")
    return finish(x, y, x_test, y_test, val_frac=val_frac, split_seed=split_seed, subset=subset,
                  subset_mode=subset_mode, n_out=10, where=str(where))


def check(*, root, mirrors, val_frac, split_seed, subset, subset_mode, download=True) -> None:
    """MNIST's keys; Fashion-MNIST's (the same) too."""
    downloads.check(root, mirrors, download)
    check_split(val_frac, split_seed, subset, subset_mode)


def load(
    root: str | None = None,
    mirrors: tuple[str, ...] = ("https://ossci-datasets.s3.amazonaws.com/mnist",
                                "https://storage.googleapis.com/cvdf-datasets/mnist"),
    val_frac: float = 0.1,
    split_seed: int = 0,
    subset: int | None = None,
    subset_mode: str = "first",
    download: bool = True,
) -> Data:
    check(**locals())  # every argument, before any file is fetched
    return load_idx_dataset("mnist", FILES, root, mirrors, val_frac, split_seed, subset, subset_mode, download)
