"""Argument checks shared by the classes and functions that own the arguments (models, optimizers, datasets,
schedules, regularizers): each check raises :class:`ConfigError` with one line, ``name=value is wrong: allowed
is ...``, and returns the value, so a constructor reads ``self.lr = checks.positive("lr", lr)``.

``name`` is the argument's key inside its own config group (``dropout``, ``pretrain.lr``); dlx.setup, which
knows the group, prefixes it (``model.dropout=1.5 is wrong: ...``). Keep this module free of heavy imports:
every part of dlx imports it.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable
from typing import Any


class ConfigError(ValueError):
    """A wrong config value; ``str(err)`` is one line naming the key, the value and what is allowed."""


def show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(show(v) for v in value) + "]"
    return str(value)


def fail(name: str, value: Any, allowed: str) -> None:
    raise ConfigError(f"{name}={show(value)} is wrong: allowed is {allowed}")


def is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def number(name: str, v: Any, low: float | None = None, high: float | None = None, *, low_open: bool = False,
           high_open: bool = False) -> float:
    """A finite number in the interval given by ``low``/``high`` (closed unless ``*_open``)."""
    ok = is_num(v) and (low is None or (v > low if low_open else v >= low)) and \
        (high is None or (v < high if high_open else v <= high))
    if not ok:
        if low is not None and high is not None:
            allowed = f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        elif low is not None:
            allowed = f"a number {'>' if low_open else '>='} {low:g}"
        elif high is not None:
            allowed = f"a number {'<' if high_open else '<='} {high:g}"
        else:
            allowed = "a finite number"
        fail(name, v, allowed)
    return v


def positive(name: str, v: Any) -> float:
    return number(name, v, 0, low_open=True)


def non_negative(name: str, v: Any) -> float:
    return number(name, v, 0)


def probability(name: str, v: Any) -> float:
    """[0, 1): a drop rate, a momentum coefficient."""
    return number(name, v, 0, 1, high_open=True)


def fraction(name: str, v: Any) -> float:
    """(0, 1): a share of the data that must leave something on both sides."""
    return number(name, v, 0, 1, low_open=True, high_open=True)


def unit(name: str, v: Any) -> float:
    """[0, 1]: a mixing weight."""
    return number(name, v, 0, 1)


def integer(name: str, v: Any, low: int | None = None) -> int:
    if not is_int(v) or (low is not None and v < low):
        fail(name, v, "an integer" if low is None else f"an integer >= {low}")
    return v


def count(name: str, v: Any) -> int:
    return integer(name, v, 1)


def optional_count(name: str, v: Any) -> int | None:
    if v is not None and not (is_int(v) and v >= 1):
        fail(name, v, "null or an integer >= 1")
    return v


def boolean(name: str, v: Any) -> bool:
    if not isinstance(v, bool):
        fail(name, v, "true or false")
    return v


def one_of(name: str, v: Any, options: Iterable[Any]) -> Any:
    options = tuple(options)
    if v not in options:
        fail(name, v, "one of " + ", ".join(show(o) for o in options))
    return v


def widths(name: str, v: Any, allow_empty: bool = True) -> list[int]:
    """A list of layer widths, each an integer >= 1."""
    ok = isinstance(v, (list, tuple)) and all(is_int(w) and w >= 1 for w in v) and (allow_empty or len(v) > 0)
    if not ok:
        fail(name, v, f"a {'' if allow_empty else 'non-empty '}list of integers >= 1, e.g. [128,64]")
    return list(v)


def in_group(group: str, err: ConfigError) -> ConfigError:
    """The same error with its key placed in ``group`` (``dropout=...`` -> ``model.dropout=...``)."""
    text = str(err)
    head = text.split("=", 1)[0]
    # a message that names the group itself (regularization=adversarial is wrong ...) is placed already
    if "=" in text and head.replace(".", "").replace("_", "").isalnum() and head not in (group, group.split(".")[0]) \
            and not head.startswith(f"{group}."):
        return ConfigError(f"{group}.{text}")
    return err


def cannot_write(folder) -> tuple[object, str] | None:
    """(the folder checked, why) when no file can be created in ``folder`` or, if it does not exist yet, in its
    nearest existing parent (a read-only or full disk); None when one can."""
    import tempfile
    from pathlib import Path

    folder = Path(folder)
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
    try:
        with tempfile.TemporaryFile(dir=existing):
            return None
    except OSError as e:
        return existing, e.strerror


def memory_bytes() -> int:
    """This machine's physical memory in bytes (what no allocation can exceed); 2**62 where it is not known."""
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


class ArgumentParser(argparse.ArgumentParser):
    """argparse for dlx's subcommands: a wrong argument is one ``dlx: error:`` line and exit 2 (argparse's own
    usage-plus-error pair is two lines)."""

    def error(self, message: str):
        print(f"dlx: error: {self.prog} {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)
