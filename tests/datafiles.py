"""Small files in the exact formats of the datasets dlx reads (gzip'd IDX, pickled CIFAR-10 batches in a
tar.gz, npz, CSV, PNG/JPEG), so tests run the real parsing code offline, and ``prepare`` which points a
dataset option at such files (for the tests that run every config option)."""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import tarfile
import zlib
from pathlib import Path

import numpy as np

from dlx.data import cifar10, fashion_mnist, mnist


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_idx_gz(path: Path, array: np.ndarray) -> None:
    """IDX: 0x00 0x00 0x08 (ubyte) ndim, big-endian uint32 sizes, then the bytes; gzip'd."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def make_idx_set(folder: Path, n_train=40, n_test=20, seed=0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte.gz": np.arange(n_train) % 10,
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": np.arange(n_test)[::-1] % 10,
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, a in arrays.items():
        write_idx_gz(folder / name, a)
    return arrays


def make_cifar_archive(path: Path, per_batch=6, members=None, seed=0):
    rng = np.random.default_rng(seed)
    members = members or cifar10.TRAIN + cifar10.TEST
    batches = {}
    with tarfile.open(path, "w:gz") as tar:
        for i, name in enumerate(members):
            batch = {
                b"batch_label": name.encode(),
                b"labels": [(i + j) % 10 for j in range(per_batch)],
                b"data": rng.integers(0, 256, (per_batch, 3072)).astype(np.uint8),
            }
            batches[name] = batch
            raw = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return batches


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n")
    return path


def write_images(root: Path, counts: dict[str, int], size=(20, 12), fmt="PNG", seed=0):
    from PIL import Image

    rng = np.random.default_rng(seed)
    for name, n in counts.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            pixels = rng.integers(0, 256, (size[1], size[0], 3)).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.{fmt.lower()}", fmt)


def write_png_claiming(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims width x height 8-bit grey pixels but holds no pixel rows: a few dozen bytes
    that a decoder would expand to width * height bytes (a decompression bomb, without the memory to make one)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # bit depth 8, colour type 0 (grey)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) +
                     chunk(b"IEND", b""))
    return path


def prepare(option: str, folder: Path, monkeypatch) -> list[str]:
    """Overrides that make `dataset=<option>` load small local files (no download; checksums swapped)."""
    folder.mkdir(parents=True, exist_ok=True)
    if option in ("mnist", "fashion_mnist"):
        arrays = make_idx_set(folder)
        module = mnist if option == "mnist" else fashion_mnist
        monkeypatch.setattr(module, "FILES", {name: sha(folder / name) for name in arrays})
        return [f"dataset.root={folder}"]
    if option == "cifar10":
        make_cifar_archive(folder / cifar10.ARCHIVE)
        monkeypatch.setattr(cifar10, "SHA256", sha(folder / cifar10.ARCHIVE))
        return [f"dataset.root={folder}"]
    if option == "tensors":
        rng = np.random.default_rng(0)
        np.savez(folder / "d.npz", x=rng.normal(size=(60, 1, 8, 8)).astype(np.float32), y=np.arange(60) % 3)
        return [f"dataset.path={folder / 'd.npz'}"]
    if option == "csv":
        write_csv(folder / "t.csv", ["a,b,c,label"] + [f"{i},{i % 7},{-i},{'xyz'[i % 3]}" for i in range(60)])
        return [f"dataset.path={folder / 't.csv'}", "dataset.label=label"]
    if option == "image_folder":
        write_images(folder, {"a": 8, "b": 8}, size=(12, 10))
        return [f"dataset.path={folder}", "dataset.size=[8,8]"]
    return []
