"""CIFAR-10 (Krizhevsky 2009): 50,000 train + 10,000 test colour images, 32x32, 10 classes.

Read from the "python version" archive cifar-10-python.tar.gz (170,498,071 bytes), which holds
``cifar-10-batches-py/data_batch_1..5`` and ``test_batch``: pickled dicts with ``data`` (10000, 3072) uint8,
each row the 1024 red, then green, then blue values of a row-major 32x32 image, and ``labels`` (10000 ints).
The batches are read straight out of the archive (nothing is extracted to disk).
"""

from __future__ import annotations

import io
import pickle
import tarfile
import zlib
from pathlib import Path

import numpy as np
import torch

from dlx.data import Data, DataError, check_split, finish
from dlx.data import download as downloads
from dlx.data.download import dataset_root, fetch

ARCHIVE = "cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
TRAIN = [f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)]
TEST = ["cifar-10-batches-py/test_batch"]
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class _BatchUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays, dicts, lists and bytes only: a batch file can run no other code."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 spell a bytes object
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _read_batch(archive: Path, member: str, raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    try:
        batch = _BatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
        data, labels = batch[b"data"], batch[b"labels"]
    except Exception as e:  # any malformed pickle: report the member, not a traceback
        raise DataError(f"{archive}: {member} is not a CIFAR-10 batch ({type(e).__name__}: {e})") from None
    data, labels = np.asarray(data), np.asarray(labels)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072 or labels.shape != data.shape[:1]:
        raise DataError(f"{archive}: {member} holds data {data.shape} {data.dtype} and labels "
                        f"{labels.shape}; expected (N, 3072) uint8 and (N,)")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DataError(f"{archive}: {member} has labels outside 0..9")
    return data, labels


def read_archive(archive: Path) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x, y, x_test, y_test): images (N, 3, 32, 32) float32 in [0, 1], labels (N,) int64."""
    batches = {}
    try:
        # Iterate members in archive order: one sequential pass over the gzip stream.
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.name in TRAIN or member.name in TEST:
                    batches[member.name] = _read_batch(archive, member.name, tar.extractfile(member).read())
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        raise DataError(f"{archive} is not a readable tar.gz ({e}); delete it to download it again") from None
    missing = [m for m in TRAIN + TEST if m not in batches]
    if missing:
        raise DataError(f"{archive} lacks {', '.join(missing)}; it is not the CIFAR-10 python archive")

    def stack(names):
        x = np.concatenate([batches[n][0] for n in names]).reshape(-1, 3, 32, 32)  # (N, C, H, W)
        y = np.concatenate([batches[n][1] for n in names]).astype(np.int64)
        return torch.from_numpy(x).float().div_(255.0), torch.from_numpy(y)

    return (*stack(TRAIN), *stack(TEST))


def check(*, root, mirrors, val_frac, split_seed, subset, subset_mode, download=True) -> None:
    downloads.check(root, mirrors, download)
    check_split(val_frac, split_seed, subset, subset_mode)


def load(
    root: str | None = None,
    mirrors: tuple[str, ...] = ("https://www.cs.toronto.edu/~kriz",),
    val_frac: float = 0.1,
    split_seed: int = 0,
    subset: int | None = None,
    subset_mode: str = "first",
    download: bool = True,
) -> Data:
    check(**locals())  # every argument, before the archive is fetched
    archive = fetch("cifar10", ARCHIVE, SHA256, dataset_root("cifar10", root), list(mirrors), download)
    x, y, x_test, y_test = read_archive(archive)
    return finish(x, y, x_test, y_test, val_frac=val_frac, split_seed=split_seed, subset=subset,
                  subset_mode=subset_mode, n_out=10, where=str(archive), meta={"classes": list(CLASSES)})
