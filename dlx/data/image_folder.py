"""Your own images: ``path/<class name>/*.png|jpg|jpeg``, one sub-folder per class (ids in sorted order of
the folder names), every image resized to ``size`` = [height, width] and scaled to [0, 1].

Files are opened by content as PNG or JPEG only (FORMATS); anything else is refused with one line.
``channels`` is 1 (greyscale) or 3 (RGB); ``test_path`` is a second folder laid out the same way, else a
test split is carved off with ``test_frac``. Images are decoded once, on the CPU, with Pillow; an image larger
than Pillow's decompression-bomb limit (Image.MAX_IMAGE_PIXELS, ~89 M pixels) is refused, not decoded.
Class ids follow the sorted folder names of both folders (Data.meta["classes"]); a test class that training
lacks is a warning.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from dlx import checks
from dlx.data import Data, DataError, check_path, check_split, finish, is_list

EXTENSIONS = (".png", ".jpg", ".jpeg")
# The formats Pillow may decode, by content whatever the name says: a file named .png that holds EPS would
# otherwise reach Pillow's EPS plugin, which runs Ghostscript where it is installed.
FORMATS = ("PNG", "JPEG")


def _class_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        raise DataError(f"{root}: no such folder (expected one sub-folder of images per class)")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DataError(f"{root} has no class sub-folders (expected {root}/<class name>/<image>.png)")
    return folders


def check(*, path, size, channels, test_path, val_frac, test_frac, split_seed, subset, subset_mode) -> None:
    check_path("path", path)
    if not (is_list(size) and len(size) == 2 and all(checks.is_int(s) and s >= 1 for s in size)):
        checks.fail("size", list(size) if is_list(size) else size, "[height, width], integers >= 1")
    if not (checks.is_int(channels) and channels in (1, 3)):
        checks.fail("channels", channels, "1 (greyscale) or 3 (RGB)")
    check_path("test_path", test_path, optional=True)
    check_split(val_frac, split_seed, subset, subset_mode, test_frac)


def _read_images(root: Path, classes: list[str], size: tuple[int, int], channels: int):
    """Images of root/<class>/ for the classes whose folder root has, labelled by their index in ``classes``."""
    xs, ys = [], []
    for label, name in enumerate(classes):
        folder = root / name
        if not folder.is_dir():
            continue
        found = images_in(folder)
        if not found:
            raise DataError(f"{folder} has no .png/.jpg/.jpeg images (every class needs at least one)")
        xs.append(read_files(found, size, channels))  # class by class: the first bad file in order is named
        ys += [label] * len(found)
    return torch.cat(xs), torch.tensor(ys, dtype=torch.int64)


def images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS and p.is_file())


def read_files(files: list[Path], size: tuple[int, int], channels: int) -> torch.Tensor:
    """The image files as (N, C, H, W) float32 in [0, 1], each resized to ``size`` = (H, W)."""
    from PIL import Image, UnidentifiedImageError  # imported here: only this dataset needs Pillow

    mode = {1: "L", 3: "RGB"}[channels]
    h, w = size
    xs = []
    for f in files:
        try:
            # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that: both are refused, so a
            # small file that decodes to gigabytes never does
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(f, formats=FORMATS) as im:
                    im = im.convert(mode).resize((w, h), Image.Resampling.BILINEAR)  # PIL sizes are (W, H)
                    xs.append(np.asarray(im, dtype=np.uint8).reshape(h, w, channels))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise DataError(f"{f} is too large to decode safely ({str(e).splitlines()[0]}); resize it or "
                            f"remove it") from None
        except UnidentifiedImageError:
            raise DataError(f"{f} is not a readable image: by its content not PNG or JPEG (allowed are PNG and "
                            "JPEG), or damaged") from None
        except (OSError, ValueError) as e:
            raise DataError(f"{f} is not a readable image ({type(e).__name__}: {e})") from None
    x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float().div_(255.0)  # (N, C, H, W)
    return x.contiguous()


def read_inputs(paths: list[Path], classes: list[str], size: tuple[int, int], channels: int
                ) -> tuple[torch.Tensor, torch.Tensor | None, list[Path]]:
    """New images for a trained run (`dlx predict`), decoded and resized as :func:`load` does: image files, or
    one folder of images (unlabelled), or one folder laid out as training's, root/<class name>/*.png (labelled
    by the run's ``classes``). Returns (x, y or None, the files in the order of x)."""
    if len(paths) == 1 and paths[0].is_dir():
        root = paths[0]
        sub = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if sub:
            unknown = [p.name for p in sub if p.name not in classes]
            if unknown:
                raise DataError(f"{root}: sub-folder {', '.join(unknown)} is not a class of the run (classes: "
                                f"{', '.join(classes)}); give a folder of images, or one sub-folder per class")
            files = [f for p in sub for f in images_in(p)]
            ys = [classes.index(p.name) for p in sub for _ in images_in(p)]
            y = torch.tensor(ys, dtype=torch.int64)
        else:
            files, y = images_in(root), None
        if not files:
            raise DataError(f"{root} has no .png/.jpg/.jpeg images")
        return read_files(files, size, channels), y, files
    for f in paths:
        if f.suffix.lower() not in EXTENSIONS or not f.is_file():
            raise DataError(f"{f} is not a .png/.jpg/.jpeg file; give image files or one folder of images")
    return read_files(paths, size, channels), None, list(paths)


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
    check(**locals())  # every argument, before any image is read
    size = tuple(size)
    root = Path(path).expanduser()
    train = [p.name for p in _class_folders(root)]
    test_root = Path(test_path).expanduser() if test_path else None
    tested = [p.name for p in _class_folders(test_root)] if test_root else []
    classes = sorted(set(train) | set(tested))  # a test-only class gets an id; finish warns about it
    x, y = _read_images(root, classes, size, channels)
    x_test = y_test = None
    if test_root:
        x_test, y_test = _read_images(test_root, classes, size, channels)
    return finish(x, y, x_test, y_test, val_frac=val_frac, split_seed=split_seed, subset=subset,
                  subset_mode=subset_mode, test_frac=test_frac, n_out=len(classes), where=str(root),
                  meta={"classes": classes})
