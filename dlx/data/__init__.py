"""Datasets as tensors.

Every dataset source is a function (a Hydra ``_target_``) that returns a :class:`Data`: the whole dataset as
CPU tensors, already split into train / val / test. The loop moves them to the device once; batches are
index slices (no DataLoader, no per-sample Python).

Argument checks: each loader module has a ``check(**kwargs)`` taking the same keys as its ``load`` (the keys of
its YAML), which ``load`` calls first, before it reads a file, and which raises a one-line ConfigError named by
the relative key (``val_frac=1 is wrong: allowed is ...``). :func:`check_args` runs it from a config's
``_target_`` and keys without loading anything (dlx.setup's preflight checks a sweep's every job with it); keys
the target does not take are refused there too. What only the data can tell (a missing file, ``subset`` larger
than the training split, NaN in a column) is a :class:`DataError` from ``load``, one line naming the file or key.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from dlx import checks
from dlx.checks import ConfigError

MAX_CLASSES = 100_000  # class ids are 0..K-1; a larger K is a label column that holds no class ids (1e9 -> 512 GB)


@dataclass
class Data:
    x: Tensor  # (N, *in_shape) float32, train split
    y: Tensor  # (N,) int64 class ids for classification, (N, n_out) float32 for regression
    x_val: Tensor
    y_val: Tensor
    x_test: Tensor
    y_test: Tensor
    task: str = "classification"  # classification | regression
    n_out: int = 10  # classes (classification) or target dimensions (regression)
    # Extra named targets for multi-task models: name -> (train, val, test) tensors and their kind/width.
    targets: dict[str, tuple[Tensor, Tensor, Tensor]] = field(default_factory=dict)
    target_info: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> (task, n_out)
    # What a later prediction needs to read new data as this data was read, JSON-serialisable (the loop writes
    # it to the run folder as data.json): e.g. {"classes": [names by id], "features": [csv columns],
    # "standardize": {"mean": [...], "std": [...]}}. Empty where there is nothing to record (digits, MNIST).
    meta: dict[str, Any] = field(default_factory=dict)
    # The whole training split's inputs before ``dataset.subset`` (None: no subset, the same as x): what
    # pretraining reads with model.pretrain.inputs=all (semi-supervised: the inputs without their labels).
    # Never val or test. The tensor x was cut from, so keeping it costs no copy on the host.
    x_unlabeled: Tensor | None = None

    @property
    def in_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    def to(self, device: torch.device) -> Data:
        # Pinned host memory makes the one host->GPU copy asynchronous; on CPU this is a no-op.
        pin = torch.device(device).type == "cuda"
        mv = lambda t: (t.pin_memory() if pin else t).to(device, non_blocking=True)
        return Data(
            mv(self.x),
            mv(self.y),
            mv(self.x_val),
            mv(self.y_val),
            mv(self.x_test),
            mv(self.y_test),
            self.task,
            self.n_out,
            {k: tuple(mv(t) for t in v) for k, v in self.targets.items()},
            dict(self.target_info),
            dict(self.meta),
            None if self.x_unlabeled is None else mv(self.x_unlabeled),
        )


def split_val(x: Tensor, y: Tensor, val_frac: float, seed: int, name: str = "val_frac"
              ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Carve a validation split off the training set, stratified by nothing, with a fixed seed.

    The seed is the dataset's own ``split_seed`` (not the run's seed) so every run of a sweep sees the
    same validation examples. ``name`` is the key of ``val_frac`` in messages (``test_frac`` for a test split):
    a split that would leave either side empty is refused.
    """
    n = x.shape[0]
    n_val = int(round(n * val_frac))
    if not 0 < n_val < n:
        raise DataError(f"{name}={checks.show(val_frac)} is wrong for {n} examples: it leaves {n_val} for the "
                        f"split and {n - n_val} for the rest; allowed is a share that leaves at least one on each "
                        f"side (or more data)")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    val, train = perm[:n_val], perm[n_val:]
    return x[train], y[train], x[val], y[val]


def cache_dir() -> Path:
    """Where generated or downloaded data is kept: $DLX_CACHE, else $XDG_CACHE_HOME/dlx, else ~/.cache/dlx."""
    if os.environ.get("DLX_CACHE"):
        return Path(os.environ["DLX_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "dlx"


class DataError(ConfigError):
    """A dataset file is missing, corrupt or malformed, or a dataset key does not fit the data.

    The message is one line that names the file (or the relative key: ``subset=500 is wrong ...``) and says what
    to do; the CLI prints it as is. A ConfigError, so one ``except`` (and checks.in_group) serves both.
    """


def warn(message: str) -> None:
    """Something that does not stop the run but may surprise its reader: one line on stderr."""
    print(f"dlx: warning: {message}", file=sys.stderr)


# ---- argument checks shared by the loaders' check() -----------------------------------------------------------

SUBSET_MODES = ("first", "stratified")


def is_list(v: Any) -> bool:
    """A YAML list (a list, tuple or OmegaConf ListConfig), not a string."""
    return isinstance(v, Sequence) and not isinstance(v, (str, bytes))


def check_split(val_frac: Any, split_seed: Any, subset: Any, subset_mode: Any, test_frac: Any = None,
                modes: Sequence[str] = SUBSET_MODES) -> None:
    """The split keys every loader takes. val_frac is in (0, 1), not [0, 1): a run needs a validation split
    (model selection, early stopping and the best checkpoint read it); test_frac (None: the source has its own
    test split) likewise."""
    checks.fraction("val_frac", val_frac)
    if test_frac is not None:
        checks.fraction("test_frac", test_frac)
    checks.integer("split_seed", split_seed)
    checks.optional_count("subset", subset)
    checks.one_of("subset_mode", subset_mode, modes)


def check_path(name: str, v: Any, optional: bool = False) -> None:
    if not (isinstance(v, str) and v != "") and not (optional and v is None):
        checks.fail(name, v, ("null or " if optional else "") + "a file or folder path")


def check_args(target: str, kwargs: dict) -> None:
    """Check a dataset config's keys (``kwargs``, without ``_target_``) for the loader ``target`` without
    loading anything: a key the loader does not take, a required key left out, or a wrong value is a one-line
    ConfigError naming the relative key. Targets outside dlx.data (a user's own loader) pass unchecked."""
    module_name, _, fn = target.rpartition(".")
    if not module_name.startswith("dlx.data.") or fn != "load":
        return
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return  # not a dlx loader after all: instantiating it will say so
    params = inspect.signature(module.load).parameters
    given = {k: v for k, v in kwargs.items() if not k.startswith("_")}
    for key, value in given.items():
        if key not in params:
            checks.fail(key, value, f"a key of {target}: {', '.join(params)}")
    missing = [k for k, p in params.items() if p.default is inspect.Parameter.empty and k not in given]
    if missing:
        raise ConfigError(f"{missing[0]}=??? is wrong: a value is required, e.g. {missing[0]}=...")
    module.check(**{k: given.get(k, p.default) for k, p in params.items()})




def offline(node: dict) -> dict:
    """A dataset config as `dlx eval` and `dlx predict` load a stored one: a dlx loader that can download or write
    a cache (one with a ``download`` argument: mnist, fashion_mnist, cifar10, mnist1d) gets download=False, so
    it reads only what is in place, never reaches the network and creates no folder."""
    module_name, _, fn = str(node.get("_target_")).rpartition(".")
    if module_name.startswith("dlx.data.") and fn == "load":
        try:
            params = inspect.signature(importlib.import_module(module_name).load).parameters
        except ImportError:
            return node
        if "download" in params:
            return {**node, "download": False}
    return node


def subset_index(y: Tensor, n: int | None, mode: str = "first", task: str = "classification") -> Tensor:
    """Indices of the training examples ``dataset.subset`` keeps, in their original order.

    ``first``: the first n (the training split is already shuffled by :func:`split_val`, so this is a
    random sample that stays the same for a given split_seed). ``stratified``: per class the first
    ``k_c`` examples, with ``k_c`` the class's share of n rounded by largest remainder (Hamilton's
    method), so the class proportions of the full set are kept and the counts sum to exactly n.
    A smaller subset is contained in a larger one, which keeps learning-curve sweeps nested.
    """
    total = y.shape[0]
    if n is None:
        return torch.arange(total)
    if n > total:  # n and mode themselves are checked by the loader's check() (check_split)
        raise DataError(f"subset={n} is wrong: allowed is an integer 1..{total} (the training examples left "
                        f"after the validation and test splits) or null for all")
    if mode == "first":
        return torch.arange(n)
    if task != "classification":
        raise DataError(f"subset_mode=stratified is wrong: allowed only for classification "
                        f"(this dataset is {task}); use subset_mode=first")
    classes, counts = torch.unique(y, return_counts=True)  # (K,), (K,)
    quota = counts.double() * n / total  # exact share of each class
    take = quota.floor().long()
    left = n - int(take.sum())
    # Hand the leftover examples to the classes with the largest fractional parts (ties: lower class id).
    order = torch.argsort(-(quota - take), stable=True)
    take[order[:left]] += 1
    keep = [torch.nonzero(y == c).flatten()[:k] for c, k in zip(classes.tolist(), take.tolist())]
    return torch.cat(keep).sort().values


def take_subset(x: Tensor, y: Tensor, n: int | None, mode: str = "first", task: str = "classification"
                ) -> tuple[Tensor, Tensor, Tensor | None]:
    """``dataset.subset`` on a training split: (x, y) of the examples :func:`subset_index` keeps, and the
    whole split's inputs for Data.x_unlabeled (None when nothing is cut)."""
    if n is None:
        return x, y, None
    keep = subset_index(y, n, mode, task)
    return x[keep], y[keep], x


def first_nonfinite(t: Tensor) -> tuple[int, ...] | None:
    """Index of the first NaN or +-Inf in ``t`` (row-major), or None when every value is finite."""
    if not t.is_floating_point():
        return None
    bad = ~torch.isfinite(t)
    if not bool(bad.any()):
        return None
    flat = int(torch.nonzero(bad.reshape(-1))[0])
    return tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), t.shape))


def check_finite(where: str, name: str, t: Tensor | None) -> None:
    """Refuse NaN / Inf in an array (x, y, x_test, y_test of ``where``): a NaN feature trains a NaN model and a
    NaN in the test split alone gives a test accuracy that looks real. Names the first bad row (0-based)."""
    at = None if t is None else first_nonfinite(t)
    if at is None:
        return
    place = f"row {at[0]}" + (f", column {at[1]}" if len(at) == 2 else f", position {list(at[1:])}" if at[1:]
                              else "")
    raise DataError(f"{where}: {name} {place} is {float(t[at])}; dlx needs finite numbers (drop or fill the "
                    f"missing values first)")


def _check_classes(where: str, names: list[str] | None, y: Tensor, splits: dict[str, Tensor]) -> None:
    """A classifier needs two classes to train on; val/test classes the training split lacks only warn."""
    show = lambda ids: ", ".join(names[i] if names else str(i) for i in ids)
    train = set(torch.unique(y).tolist())
    if len(train) < 2:
        raise DataError(f"{where}: every training example has class {show(sorted(train))}; a classifier needs "
                        f"at least two classes (use task=regression for a numeric target)")
    for split, t in splits.items():
        ids, counts = torch.unique(t, return_counts=True)
        unseen = [(i, c) for i, c in zip(ids.tolist(), counts.tolist()) if i not in train]
        if unseen:
            k = sum(c for _, c in unseen)
            warn(f"{where}: the {split} split has class {show(i for i, _ in unseen)} ({k} of {len(t)} examples), "
                 f"which the training split never has: the model cannot predict it")


def standardized(x: Tensor, stats: dict[str, list]) -> Tensor:
    """(x - mean) / std with the training split's statistics as Data.meta["standardize"] records them (the
    float32 values survive the JSON round trip exactly, so new inputs are scaled bit for bit as training's)."""
    mean, std = torch.tensor(stats["mean"], dtype=x.dtype), torch.tensor(stats["std"], dtype=x.dtype)
    return (x - mean) / std


def finish(
    x: Tensor,
    y: Tensor,
    x_test: Tensor | None,
    y_test: Tensor | None,
    *,
    val_frac: float,
    split_seed: int,
    subset: int | None,
    subset_mode: str = "first",
    test_frac: float = 0.2,
    task: str = "classification",
    n_out: int,
    where: str = "the dataset",
    standardize: bool = False,
    meta: dict[str, Any] | None = None,
) -> Data:
    """The common tail of every loader: carve test (if the source has none) and validation splits, then
    apply ``dataset.subset`` to the training split only, so val/test stay the same along a learning curve.

    ``val_frac`` and ``test_frac`` are in (0, 1) (the loader's check() ran check_split): every run has a
    validation split. Classification needs two training classes (val/test classes training lacks warn).
    ``standardize``: features become (x - mean) / std with the whole training split's mean and std (before
    ``subset``, so a learning curve sees the same inputs; std 0 -> 1), recorded in ``meta["standardize"]``.
    ``where`` (a file or folder) starts the messages; ``meta`` goes to Data.meta.
    """
    if x_test is None:
        x, y, x_test, y_test = split_val(x, y, test_frac, split_seed, "test_frac")
    x, y, x_val, y_val = split_val(x, y, val_frac, split_seed)
    meta = dict(meta or {})
    if task == "classification":
        _check_classes(where, meta.get("classes"), y, {"validation": y_val, "test": y_test})
    if standardize:
        mean, std = x.mean(0), x.std(0, correction=0)  # (*in_shape,) each
        std = torch.where(std > 0, std, torch.ones_like(std))  # a constant column stays constant (0)
        meta["standardize"] = {"mean": mean.tolist(), "std": std.tolist()}
        x, x_val, x_test = (standardized(t, meta["standardize"]) for t in (x, x_val, x_test))
    x, y, x_all = take_subset(x, y, subset, subset_mode, task)
    return Data(x, y, x_val, y_val, x_test, y_test, task=task, n_out=n_out, meta=meta, x_unlabeled=x_all)
