"""Checkpoints: atomic writes (temp file + os.replace), safe loads (``weights_only=True``, a checksum of the
content) and the one gate for configs taken from a checkpoint: only known ``_target_``s are built from them.
"""

from __future__ import annotations

import hashlib
import random
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dlx import runfolder


class CheckpointError(ValueError):
    """A checkpoint that cannot be read; the message names the file and what is wrong."""


def _atomic(path: Path, write) -> None:
    runfolder.atomic_write(path, write)  # the one safe writer (dlx/runfolder.py)


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


UNCHECKED_FLAG = "--allow-unchecked"  # dlx eval/predict: take a checkpoint that has no checksum


def load(path: str | Path, map_location: str | torch.device = "cpu", unchecked: bool = False) -> dict[str, Any]:
    """A dlx checkpoint, its checksum verified. ``unchecked``: also one without a checksum (the user's explicit
    choice for an old checkpoint; every checkpoint dlx writes has one, so a missing one is an edited file)."""
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
    if "checksum" not in state and not unchecked:
        raise CheckpointError(f"checkpoint {path} has no checksum, so its content cannot be verified (an edited "
                              f"file, or one from a dlx before checksums); allowed is a checkpoint dlx wrote, or "
                              f"{UNCHECKED_FLAG} (dlx eval/predict) for an old one you trust")
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
    """Refuse a config from a checkpoint or run folder (``source``, e.g. "checkpoint runs/x/last.pt") that names
    anything to call other than ``allowed`` (dlx's own targets and those of the current config search path): a
    checkpoint holds no code, and its config must not be able to make dlx call e.g. ``builtins.open``."""
    allowed = config_targets(search_dirs()) if allowed is None else allowed
    for key, target in targets_in(node):
        if target not in allowed:
            raise CheckpointError(
                f"{source} names _target_ {target} at {key}, which dlx will not build from a checkpoint or run "
                "folder; allowed are dlx's own targets and those of the current config search path (add your "
                "config folder with --config-dir)")


# ---- the one gate for a config read from a checkpoint or a run folder ---------------------------------------

MAX_CONFIG_CHARS = 1_000_000  # a stored config is a few KB
MAX_INTERPOLATIONS = 1_000  # dlx's own configs hold a dozen
MAX_DEPTH = 8  # interpolations that lead to interpolations: dlx's configs go two deep (${strengths.${strength}})
MAX_VALUE_CHARS = 100_000  # one resolved value (a 40-level ${a}${a} chain would be 2**40 characters)
PLAIN = (str, int, float, bool, type(None))


def _interpolations(text: str) -> list[tuple[str, bool]]:
    """(key, dynamic) of every ``${...}`` in ``text``, nested ones included; a key is cut at the first nested
    ``${`` (dynamic: the part known before resolving, ``strengths.${strength}.input`` -> ``strengths.``)."""
    found, i = [], text.find("${")
    while i >= 0:
        depth, j = 1, i + 2
        while j < len(text) and depth:
            nested = text.startswith("${", j)
            depth += 1 if nested else -(text[j] == "}")
            j += 2 if nested else 1
        body = text[i + 2:j - 1]
        found.append((body.split("${", 1)[0], "${" in body))
        i = text.find("${", i + 2)
    return found


def _path(key: str, dynamic: bool, where: tuple[str, ...], source: str, full: str) -> tuple[str, ...]:
    """An interpolation's key as a path from the root (``.x`` is a sibling, ``..x`` one level up); for a dynamic
    key, the container its known part names (everything below it may be read)."""
    if not re.fullmatch(r"[\w.\-]*", key) or "\\${" in full:
        raise CheckpointError(f"{source} holds the interpolation {full[:80]!r}, which dlx does not resolve from a "
                              "checkpoint or run folder (resolvers such as oc.env read the environment or files); "
                              "allowed are plain references to other keys, e.g. ${optim.lr}")
    dots = len(key) - len(key.lstrip("."))
    rest = key[dots:]
    if dynamic:
        rest = rest.rsplit(".", 1)[0] if "." in rest else ""
    return (*(where[:len(where) - dots] if dots else ()), *re.findall(r"[^.\[\]]+", rest))


def _leaves(node: Any, where: tuple = ()) -> list[tuple[tuple, Any]]:
    """(path of keys as stored, value) of every leaf; containers that are not dicts or lists are refused."""
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in _leaves(v, (*where, k))]
    if isinstance(node, list):
        return [leaf for i, v in enumerate(node) for leaf in _leaves(v, (*where, i))]
    return [(where, node)]


def _order(refs: dict[tuple, list[tuple]], source: str) -> list[tuple]:
    """The interpolated leaves, each after those it reads (a leaf reads a leaf its path leads to or through),
    refused when they read each other in a circle or nest deeper than MAX_DEPTH."""
    reads = {a: [b for p in ps for b in refs if b[:len(p)] == p or p[:len(b)] == b] for a, ps in refs.items()}
    order, height, active = [], {}, set()

    def visit(a: tuple, level: int) -> int:
        if a not in height:
            if a in active:
                raise CheckpointError(f"{source} holds interpolations that refer to each other in a circle (at "
                                      f"{'.'.join(a)}); allowed are references to other keys")
            active.add(a)
            height[a] = 1 + max((visit(b, level + 1) for b in reads[a]), default=0)
            active.discard(a)
            order.append(a)
        if level + height[a] - 1 > MAX_DEPTH:  # checked on the way down too: no deep recursion
            raise CheckpointError(f"{source} holds interpolations more than {MAX_DEPTH} levels deep (at "
                                  f"{'.'.join(a)}); allowed are at most {MAX_DEPTH} (dlx's own configs use 2)")
        return height[a]

    for a in refs:
        visit(a, 1)
    return order


def stored_config(text: Any, source: str, allowed: set[str] | None = None) -> dict:
    """A config stored in a checkpoint or run folder (YAML text), resolved, as plain dicts and lists, after the
    one gate such a config passes: no YAML tags (``!!python/...``), a mapping, interpolations only of other keys
    (no resolvers) and bounded in number, depth and resolved size, and every ``_target_`` anywhere in it one of
    ``allowed`` (see :func:`check_targets`). CheckpointError (one line) otherwise."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if not isinstance(text, str) or len(text) > MAX_CONFIG_CHARS:
        what = f"{len(text)} characters" if isinstance(text, str) else f"a {type(text).__name__}"
        raise CheckpointError(f"{source} holds a config that is {what}; allowed is YAML text of at most "
                              f"{MAX_CONFIG_CHARS} characters")
    try:
        cfg = OmegaConf.create(text)  # OmegaConf's YAML loader is PyYAML's safe one: a !!python tag is refused
        plain = OmegaConf.to_container(cfg, resolve=False)
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{source} holds a config that cannot be read as plain YAML ({first[:160]}); "
                              "allowed is the YAML dlx writes, without tags such as !!python") from None
    if not isinstance(plain, dict):
        raise CheckpointError(f"{source} holds a config that is a {type(plain).__name__}; allowed is a mapping "
                              "of keys (the run's config)")
    leaves = _leaves(plain)
    odd = next(((p, v) for p, v in leaves if not isinstance(v, PLAIN)), None)
    if odd:
        raise CheckpointError(f"{source} holds a {type(odd[1]).__name__} at {'.'.join(map(str, odd[0]))}; allowed "
                              "are strings, numbers, booleans and null (YAML without tags)")
    refs = {}
    for where, v in leaves:
        if isinstance(v, str) and "${" in v:
            key = tuple(map(str, where))
            refs[key] = [_path(k, dynamic, key, source, v) for k, dynamic in _interpolations(v)]
            if len(refs) > MAX_INTERPOLATIONS:
                raise CheckpointError(f"{source} holds more than {MAX_INTERPOLATIONS} interpolations; allowed is a "
                                      "config as dlx writes it")
    stored = {tuple(map(str, p)): p for p, _ in leaves}
    try:
        for key in _order(refs, source):  # each leaf once, after what it reads: linear work, not exponential
            *up, last = stored[key]
            parent = cfg
            for k in up:
                parent = parent[k]
            value = parent[last]
            value = OmegaConf.to_container(value) if OmegaConf.is_config(value) else value
            if len(str(value)) > MAX_VALUE_CHARS or "${" in str(value):
                raise CheckpointError(f"{source} holds an interpolation at {'.'.join(key)} that resolves to "
                                      f"{len(str(value))} characters; allowed are values up to {MAX_VALUE_CHARS}")
            parent[last] = value
        resolved = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as e:
        raise CheckpointError(f"{source} holds an interpolation that does not resolve "
                              f"({str(e).strip().splitlines()[0][:160]})") from None
    check_targets(resolved, source, allowed)
    return resolved


write_text = runfolder.write_text  # kept here for the callers that write through this module
write_json = runfolder.write_json


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
