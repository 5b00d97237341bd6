"""``provenance.json``: what produced a run (command, code version, software, machine), written beside result.json.

A sweep writes one per job, so this is cheap after the first call: the installed-package list (~10 ms to
read) is cached per process; git (two subprocesses, a few ms) is asked each time, because the working tree
can change between jobs.
"""

from __future__ import annotations

import functools
import os
import platform
import socket
import subprocess
import sys
from pathlib import Path

GIT_TIMEOUT_S = 2.0  # a hung git (network filesystem, lock) must not hold up a run


def _git(*args: str, cwd: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):  # git not installed, or too slow
        return None
    return out.stdout if out.returncode == 0 else None


def git_state(cwd: str) -> dict | None:
    """{"commit", "dirty"} of the git repository holding cwd; None outside one (or without git). Dirty means
    tracked files differ from the commit (untracked files are left out: listing them can be slow)."""
    commit = _git("rev-parse", "HEAD", cwd=cwd)
    if not commit:
        return None
    status = _git("status", "--porcelain", "--untracked-files=no", cwd=cwd)
    return {"commit": commit.strip(), "dirty": None if status is None else bool(status.strip())}


@functools.cache
def packages() -> dict[str, str]:
    """Installed distribution -> version, sorted by name (cached: it does not change during a run)."""
    from importlib.metadata import distributions

    found = {}
    for d in distributions():
        name = d.metadata["Name"]
        if name:
            found.setdefault(name, d.version)  # the first on sys.path wins, as for import
    return dict(sorted(found.items(), key=lambda kv: kv[0].lower()))


def collect(argv: list[str] | None = None) -> dict:
    """The provenance of the current process: argv (default sys.argv), where, which code, which software."""
    import torch

    from dlx import __version__

    cwd = os.getcwd()
    # cuda only when this process has used a GPU (is_initialized does not start CUDA itself)
    cuda = torch.version.cuda if torch.cuda.is_available() and torch.cuda.is_initialized() else None
    return {
        "command": list(sys.argv if argv is None else argv),
        "cwd": cwd,
        "dlx_version": __version__,
        "git": git_state(cwd),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": cuda,
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "packages": packages(),
    }


def write(run_dir: str | Path, argv: list[str] | None = None) -> Path:
    """Write run_dir/provenance.json atomically; returns its path."""
    from dlx.checkpoint import write_json

    path = Path(run_dir) / "provenance.json"
    write_json(path, collect(argv))
    return path


def read(run_dir: str | Path) -> dict | None:
    """A run's provenance.json, or None when it has none (older runs) or it is not JSON; RunFolderError (one line)
    when it holds other types than dlx writes (a file in a run folder anyone could have edited)."""
    import json

    from dlx import runfolder

    path = Path(run_dir) / "provenance.json"
    try:
        obj = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return runfolder.check_provenance(obj, path)
