"""Run-folder I/O. A folder dlx writes into may hold what someone else put there (a copied run, a shared drive, a
tarball), so every write here opens its file without following a symbolic link, temporary files get
unpredictable names beside their destination, and ``os.replace`` puts a finished file in place (readers see the
old file or the new one, never half of one; a link at the destination is replaced, not written through). The
readers of result.json and provenance.json check the types of what they read; CSV cells are written so that
spreadsheets do not evaluate them.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from dlx.checks import ConfigError

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
# What dlx and Hydra write into a run folder: none of them may be a symbolic link when dlx starts writing there.
WRITTEN = (".hydra", ".lock", "train.log", "result.json", "provenance.json", "data.json", "checkpoints", "error.log")
WRITTEN_INSIDE = (".hydra", "checkpoints")  # folders whose every entry dlx or Hydra (re)writes


class RunFolderError(ConfigError):
    """A run folder (or a file in one) dlx will not read or write; one line naming the file and why."""


def _link_error(path: Path) -> RunFolderError:
    return RunFolderError(f"{path} is a symbolic link (to {os.readlink(path)}); dlx never writes through a link in "
                          "a folder it did not make; allowed is a plain file or folder there (remove the link)")


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], Any]) -> None:
    """``write(f)`` into a new temporary file beside ``path``, then put it at ``path`` in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # An unpredictable name, created exclusively (O_EXCL refuses a planted file or link of the same name).
    # os.open with 0o666 lets the umask decide (0644 under the usual 022), as open() would; tempfile.mkstemp
    # makes 0600 files, which left result.json and checkpoints unreadable to the group while the rest was 0644.
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # a link at path is replaced itself, never the file it points to
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | Path, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))


def write_text(path: str | Path, text: str) -> None:
    """A text file written atomically, e.g. predictions.csv, summary.md, report.html."""
    write_bytes(path, text.encode())


def write_json(path: str | Path, obj: Any) -> None:
    """JSON written atomically (result.json is read by sweepers and `dlx compare` while runs go on)."""
    write_bytes(path, (json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n").encode())


def append_text(path: str | Path, text: str) -> None:
    """Append to a log (train.log), never through a symbolic link."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | NOFOLLOW, 0o666)
    except OSError as e:
        if Path(path).is_symlink():
            raise _link_error(Path(path)) from None
        raise e
    with os.fdopen(fd, "a") as f:
        f.write(text)


def open_lock(path: str | Path) -> IO[str]:
    """The run's lock file, opened for reading and writing without following a link (a planted ``.lock`` link
    would otherwise let the pid written into it overwrite any file the user can write)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | NOFOLLOW, 0o666)
    except OSError as e:
        if Path(path).is_symlink():
            raise _link_error(Path(path)) from None
        raise e
    return os.fdopen(fd, "r+")


def refuse_links(run_dir: str | Path) -> None:
    """RunFolderError when a name dlx or Hydra writes in ``run_dir`` (WRITTEN, and every entry of .hydra/ and
    checkpoints/) is a symbolic link: Hydra writes .hydra/*.yaml and train.log with open(), which follows
    links, so a folder to be written into is checked before Hydra starts. The folder itself may be a link
    (outputs/ on a scratch disk)."""
    run_dir = Path(run_dir)
    for name in WRITTEN:
        if (run_dir / name).is_symlink():
            raise _link_error(run_dir / name)
    for name in WRITTEN_INSIDE:
        if (run_dir / name).is_dir():
            for p in (run_dir / name).iterdir():
                if p.is_symlink():
                    raise _link_error(p)


# ---- spreadsheet-safe CSV ----------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may evaluate (OWASP, CSV injection)
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)")


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: a string that starts with = + - @ tab or CR gets a leading single
    quote (OWASP's CSV-injection guidance), unless it is a plain number (-0.5 stays a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_row(cells: Iterable[Any]) -> list[Any]:
    return [csv_cell(c) for c in cells]


# ---- what dlx reads back from a run folder -------------------------------------------------------------------

NUMBER, TEXT, COUNT = (int, float), (str,), (int,)
KINDS = {NUMBER: "a number", TEXT: "a string", COUNT: "an integer", (dict,): "an object", (list,): "a list"}
RESULT_TYPES = {"status": TEXT, "final": (dict,), "best": (dict,), "epochs": COUNT, "steps": COUNT,
                "wall_s": NUMBER, "samples_per_s": NUMBER, "seed": COUNT, "overrides": (list,), "error": TEXT,
                "metric": TEXT}
PROVENANCE_TYPES = {"command": (list,), "cwd": TEXT, "dlx_version": TEXT, "git": (dict,), "python": TEXT,
                    "torch": TEXT, "cuda": TEXT, "platform": TEXT, "hostname": TEXT, "packages": (dict,)}


def _wrong(path: Path, what: str, value: Any, allowed: str) -> RunFolderError:
    shown = json.dumps(value)[:60]
    return RunFolderError(f"{path} is wrong: {what} is {shown} ({type(value).__name__}); allowed is {allowed} (as "
                          "dlx writes it)")


def check_types(obj: Any, types: dict[str, tuple[type, ...]], path: Path) -> dict:
    """``obj`` (parsed JSON) when it is an object whose keys in ``types`` hold those types or null."""
    if not isinstance(obj, dict):
        raise _wrong(path, "the file", obj, "a JSON object")
    for key, allowed in types.items():
        v = obj.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, allowed)):
            raise _wrong(path, key, v, f"{KINDS[allowed]} or null")
    return obj


def check_result(obj: Any, path: Path) -> dict:
    """A result.json's content with the types dlx writes: metric name -> number (or null) in final and best,
    strings in overrides."""
    check_types(obj, RESULT_TYPES, path)
    for key in ("final", "best"):
        for name, v in (obj.get(key) or {}).items():
            if v is not None and (isinstance(v, bool) or not isinstance(v, NUMBER)):
                raise _wrong(path, f"{key}[{name!r}]", v, "a number or null")
    if not all(isinstance(o, str) for o in obj.get("overrides") or []):
        raise _wrong(path, "overrides", obj["overrides"], "a list of strings")
    return obj


def check_provenance(obj: Any, path: Path) -> dict:
    """A provenance.json's content with the types dlx writes (command: strings, packages: name -> version)."""
    check_types(obj, PROVENANCE_TYPES, path)
    if not all(isinstance(a, str) for a in obj.get("command") or []):
        raise _wrong(path, "command", obj["command"], "a list of strings")
    if not all(isinstance(v, str) for v in (obj.get("packages") or {}).values()):
        raise _wrong(path, "packages", obj["packages"], "package name -> version string")
    git = obj.get("git") or {}
    if not isinstance(git.get("commit", ""), str) or not isinstance(git.get("dirty", False), bool):
        raise _wrong(path, "git", git, "{commit: string, dirty: true|false}")
    return obj
