"""Your own images: ``path/<class name>/*.png|jpg|jpeg``, one sub-folder per class (ids in sorted order of
the folder names), every image resized to ``size`` = [height, width] and scaled to [0, 1].

``channels`` is 1 (greyscale) or 3 (RGB); ``test_path`` is a second folder laid out the same way, else a
test split is carved off with ``test_frac``. Images are decoded once, on the CPU, with Pillow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from dlx.data import Data, DataError, finish

EXTENSIONS = (".png", ".jpg", ".jpeg")


def _class_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        raise DataError(f"{root}: no such folder (expected one sub-folder of images per class)")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DataError(f"{root} has no class sub-folders (expected {root}/<class name>/<image>.png)")
    return folders


def _read_images(root: Path, classes: list[str], size: tuple[int, int], channels: int):
    from PIL import Image, UnidentifiedImageError  # imported here: only this dataset needs Pillow

    mode = {1: "L", 3: "RGB"}[channels]
    h, w = size
    xs, ys = [], []
    for label, name in enumerate(classes):
        folder = root / name
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS)
        if not files:
            raise DataError(f"{folder} has no .png/.jpg/.jpeg images (every class needs at least one)")
        for f in files:
            try:
                with Image.open(f) as im:
                    im = im.convert(mode).resize((w, h), Image.Resampling.BILINEAR)  # PIL sizes are (W, H)
                    xs.append(np.asarray(im, dtype=np.uint8).reshape(h, w, channels))
            except (UnidentifiedImageError, OSError, ValueError) as e:
                raise DataError(f"{f} is not a readable image ({type(e).__name__}: {e})") from None
            ys.append(label)
    x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float().div_(255.0)  # (N, C, H, W)
    return x.contiguous(), torch.tensor(ys, dtype=torch.int64)


def load(
    path: str,
    size: tuple[int, int] | list[int] = (32, 32),
    channels: int = 3,
    test_path: str | None = None,
    val_frac: float = 0.1,
    test_frac: float = 0.2,
    split_seed: int = 0,
    subset: int | None = None,
    subset_mode: str = "first",
) -> Data:
    size = tuple(size)
    if len(size) != 2 or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in size):
        raise DataError(f"dataset.size={list(size)} is wrong: allowed [height, width], integers >= 1")
    if channels not in (1, 3):
        raise DataError(f"dataset.channels={channels} is wrong: allowed 1 (greyscale), 3 (RGB)")
    root = Path(path).expanduser()
    classes = [p.name for p in _class_folders(root)]
    x, y = _read_images(root, classes, size, channels)
    x_test = y_test = None
    if test_path:
        test_root = Path(test_path).expanduser()
        extra = sorted({p.name for p in _class_folders(test_root)} - set(classes))
        if extra:
            raise DataError(f"{test_root} has class folders {', '.join(extra)} that {root} lacks")
        present = [c for c in classes if (test_root / c).is_dir()]
        x_test, y_test = _read_images(test_root, present, size, channels)
        y_test = torch.tensor([classes.index(present[i]) for i in y_test.tolist()], dtype=torch.int64)
    return finish(x, y, x_test, y_test, val_frac=val_frac, split_seed=split_seed, subset=subset,
                  subset_mode=subset_mode, test_frac=test_frac, n_out=len(classes))
