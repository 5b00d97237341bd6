"""Download-once, verify-always file cache for the built-in datasets.

A file is only ever visible under its final name after its SHA-256 matched: it is streamed to a temporary
name in the same folder, hashed while it streams, and renamed with ``os.replace`` (atomic on POSIX) once
the digest is right. A file already at the final name is re-hashed on every load, so a corrupt or partial
copy someone put there is reported, never silently used or overwritten. Each mirror is tried once, in
order; there is no retry loop.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from dlx import checks
from dlx.data import DataError, cache_dir, check_path, is_list

CHUNK = 1 << 20  # bytes read per step while downloading / hashing
TIMEOUT_S = 30  # per connection attempt; a stalled mirror fails instead of hanging the run


def check(root, mirrors, download=True) -> None:
    """The keys of the downloaded datasets (mnist, fashion_mnist, cifar10) that say where files come from."""
    check_path("root", root, optional=True)
    checks.boolean("download", download)
    if not (is_list(mirrors) and all(isinstance(m, str) and m != "" for m in mirrors)):
        checks.fail("mirrors", list(mirrors) if is_list(mirrors) else mirrors, "a list of URL prefixes, e.g. "
                    "[https://ossci-datasets.s3.amazonaws.com/mnist]")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def dataset_root(name: str, root: str | os.PathLike | None) -> Path:
    """``dataset.root`` if set, else ``cache_dir()/<name>``."""
    return Path(root).expanduser() if root else cache_dir() / name


def fetch(name: str, filename: str, sha256: str, root: Path, mirrors: list[str] | tuple[str, ...],
          download: bool = True) -> Path:
    """Return ``root/filename``, downloading it from the first mirror that serves it if it is missing (only with
    ``download``: without it nothing is fetched and no folder is made, as `dlx eval` and `dlx predict` load a
    stored config's dataset unless the user passes --download).

    ``mirrors`` are URL prefixes; the file's URL is ``mirror.rstrip('/') + '/' + filename``.
    Raises :class:`DataError` (one line: which file, where, how to get it) when the file is corrupt,
    or no mirror could deliver a file with the right digest.
    """
    dest = root / filename
    urls = [m.rstrip("/") + "/" + filename for m in mirrors]
    how = (f"download {urls[0] if urls else filename} (SHA-256 {sha256}) to {dest}, or set dataset.root to "
           f"a folder that has it")
    if dest.exists():
        got = sha256_of(dest)
        if got != sha256:
            raise DataError(f"{name}: {dest} is corrupt or partial (SHA-256 {got[:12]}..., expected "
                            f"{sha256[:12]}...): delete it to download it again, or {how}")
        return dest
    if not download:
        raise DataError(f"{name}: {dest} does not exist and download=false (dlx eval and dlx predict download only "
                        f"with --download, from the mirrors the run's config names); put {filename} (SHA-256 "
                        f"{sha256[:12]}...) there, or set dataset.root to a folder that has it")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"{name}: cannot create dataset.root {root} ({e.strerror}); set dataset.root to a "
                        f"writable folder") from None
    failures = []
    for url in urls:
        fd, tmp = tempfile.mkstemp(dir=root, prefix=f".{filename}.", suffix=".part")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:
                while chunk := resp.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            got = digest.hexdigest()
            if got != sha256:
                failures.append(f"{url} sent a file with SHA-256 {got[:12]}...")
                continue
            os.replace(tmp, dest)
            return dest
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", None) or getattr(e, "strerror", None) or str(e)
            failures.append(f"{url}: {reason}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    tried = "; ".join(failures) or "no mirrors configured (dataset.mirrors)"
    raise DataError(f"{name}: {filename} is not in {root} and could not be downloaded ({tried}); {how}")
