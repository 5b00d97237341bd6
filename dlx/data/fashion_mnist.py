"""Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, MIT licence): Zalando article images in MNIST's exact format.

60,000 train + 10,000 test, 28x28 grey, 10 classes (0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat,
5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle boot). Same four IDX file names as MNIST, so the MNIST reader
parses them.
"""

from __future__ import annotations

from dlx.data import Data
from dlx.data.mnist import check, load_idx_dataset

# SHA-256 of the files as published (sizes in bytes: 26,421,880 / 29,515 / 4,422,102 / 5,148).
FILES = {
    "train-images-idx3-ubyte.gz": "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
    "train-labels-idx1-ubyte.gz": "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
    "t10k-images-idx3-ubyte.gz": "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
    "t10k-labels-idx1-ubyte.gz": "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
}


def load(
    root: str | None = None,
    mirrors: tuple[str, ...] = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com",),
    val_frac: float = 0.1,
    split_seed: int = 0,
    subset: int | None = None,
    subset_mode: str = "first",
    download: bool = True,
) -> Data:
    check(**locals())  # the same keys as MNIST's, checked by its check(), before any file is fetched
    return load_idx_dataset("fashion_mnist", FILES, root, mirrors, val_frac, split_seed, subset, subset_mode,
                            download)
