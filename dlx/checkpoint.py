"""Checkpoints: atomic writes (temp file + os.replace) and safe loads (``weights_only=True``)."""

from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch


class CheckpointError(ValueError):
    """A checkpoint that cannot be read; the message names the file and what is wrong."""


def _atomic(path: Path, write) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save(path: str | Path, state: dict[str, Any]) -> None:
    _atomic(Path(path), lambda f: torch.save(state, f))


def load(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # truncated zip, pickle of foreign classes, not a torch file at all
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"checkpoint {path} cannot be read ({first[:200]}); "
                              "it is truncated or not a dlx checkpoint") from None
    if not isinstance(state, dict) or "model" not in state:
        raise CheckpointError(f"checkpoint {path} is not a dlx checkpoint (no 'model' entry)")
    return state


def write_json(path: str | Path, obj: Any) -> None:
    """Write JSON atomically (result.json is read by sweepers and `dlx compare` while runs go on)."""
    data = (json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n").encode()
    _atomic(Path(path), lambda f: f.write(data))


def rng_state(batch_gen: torch.Generator) -> dict[str, Any]:
    """Every random stream a run draws from, in a form ``weights_only`` loading accepts (tensors, ints, tuples):
    Python's ``random``, NumPy's global generator, torch's CPU generator (init, dropout, noise), each CUDA
    device's generator, and the loop's own batch-permutation generator."""
    np_kind, np_keys, np_pos, np_gauss, np_cached = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": (np_kind, torch.from_numpy(np_keys.astype(np.int64)), np_pos, np_gauss, np_cached),
        "torch": torch.get_rng_state(),
        "batches": batch_gen.get_state(),
        "batches_device": str(batch_gen.device),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any], batch_gen: torch.Generator) -> None:
    """Put every stream back exactly where :func:`rng_state` found it."""
    random.setstate(state["python"])
    kind, keys, pos, gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, gauss, cached))
    torch.set_rng_state(state["torch"])
    batch_gen.set_state(state["batches"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
