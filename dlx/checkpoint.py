"""Checkpoints: atomic writes (temp file + os.replace), safe loads (``weights_only=True``, a checksum of the
content) and the one gate for configs taken from a checkpoint: only known ``_target_``s are built from them.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import secrets
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch


class CheckpointError(ValueError):
    """A checkpoint that cannot be read; the message names the file and what is wrong."""


def _atomic(path: Path, write) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # os.open with 0o666 lets the umask decide (0644 under the usual 022), as open() would; tempfile.mkstemp
    # makes 0600 files, which left result.json and checkpoints unreadable to the group while the rest was 0644
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
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


def digest(state: Any) -> str:
    """sha256 over a checkpoint's content: every tensor's dtype, shape and bytes and every other leaf's repr,
    in key order. A flipped bit in a weight changes it; the zip container's own CRCs do not cover all of it."""
    h = hashlib.sha256()

    def walk(obj: Any, key: str) -> None:
        h.update(key.encode())
        if torch.is_tensor(obj):
            t = obj.detach().cpu().contiguous().reshape(-1)
            h.update(f"{t.dtype}{tuple(obj.shape)}".encode())
            h.update(t.view(torch.uint8).numpy())  # bytes of any dtype (bf16 has no NumPy twin)
        elif isinstance(obj, dict):
            for k in sorted(obj, key=str):
                walk(obj[k], f"{key}/{k}")
        elif isinstance(obj, (list, tuple)):
            for i, v in enumerate(obj):
                walk(v, f"{key}[{i}]")
        else:
            h.update(repr(obj).encode())

    walk({k: v for k, v in state.items() if k != "checksum"}, "")
    return h.hexdigest()


def save(path: str | Path, state: dict[str, Any]) -> None:
    state = {**state, "checksum": digest(state)}
    _atomic(Path(path), lambda f: torch.save(state, f))


def load(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        with warnings.catch_warnings():  # torch warns before refusing a foreign pickle; the one line below says it
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # truncated zip, pickle of foreign classes, not a torch file at all
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"checkpoint {path} cannot be read ({first[:200]}); "
                              "it is truncated or not a dlx checkpoint") from None
    if not isinstance(state, dict) or "model" not in state:
        raise CheckpointError(f"checkpoint {path} is not a dlx checkpoint (no 'model' entry)")
    # Checkpoints written before checksums existed have none; every checkpoint dlx writes now has one.
    if "checksum" in state and state["checksum"] != digest(state):
        raise CheckpointError(f"checkpoint {path} is corrupt: its content does not match the checksum it was "
                              "saved with (a damaged copy or disk?); use another checkpoint, e.g. last.pt/best.pt")
    return state


# ---- what a config taken from a checkpoint may build -------------------------------------------------------

_TARGET = re.compile(r"^\s*_target_:\s*['\"]?([\w.]+)", re.MULTILINE)


def config_targets(dirs: Iterable[str | Path]) -> set[str]:
    """Every ``_target_`` named in the YAML files under ``dirs`` (a config search path)."""
    found: set[str] = set()
    for d in dirs:
        for f in Path(d).rglob("*.yaml"):
            found.update(_TARGET.findall(f.read_text(errors="replace")))
    return found


def targets_in(node: Any, where: str = "") -> list[tuple[str, str]]:
    """(key, target) for every ``_target_`` in a config tree (plain containers), nested ones included."""
    found = []
    if isinstance(node, dict):
        if "_target_" in node:
            found.append((where or "<root>", str(node["_target_"])))
        for k, v in node.items():
            found += targets_in(v, f"{where}.{k}" if where else str(k))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            found += targets_in(v, f"{where}[{i}]")
    return found


def search_dirs() -> list[Path]:
    """The current config search path's folders: dlx's own configs, plus --config-dir and other file
    sources of the Hydra run in progress (a user's own models live there)."""
    from dlx import CONFIG_DIR

    dirs = [CONFIG_DIR]
    try:
        from hydra.core.hydra_config import HydraConfig

        if HydraConfig.initialized():
            dirs += [Path(s.path) for s in HydraConfig.get().runtime.config_sources if s.schema == "file"]
    except Exception:  # no Hydra run in progress
        pass
    return dirs


def check_targets(node: Any, source: str | Path, allowed: set[str] | None = None) -> None:
    """Refuse a config from a checkpoint or run folder that names anything to call other than ``allowed``
    (dlx's own targets and those of the current config search path): a checkpoint holds no code, and its
    config must not be able to make dlx call e.g. ``builtins.open``."""
    allowed = config_targets(search_dirs()) if allowed is None else allowed
    for key, target in targets_in(node):
        if target not in allowed:
            raise CheckpointError(
                f"checkpoint {source} names _target_ {target} at {key}, which dlx will not build from a "
                "checkpoint; allowed are dlx's own targets and those of the current config search path "
                "(add your config folder with --config-dir)")


def write_text(path: str | Path, text: str) -> None:
    """Write a text file atomically (temp file + os.replace), e.g. dlx predict's predictions.csv."""
    data = text.encode()
    _atomic(Path(path), lambda f: f.write(data))


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
