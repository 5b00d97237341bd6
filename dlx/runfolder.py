"""The run-folder contract: what a run folder says and how it is read and written, in one place.

The contract (other tools rely on it; README's "Run folders and the contract" shows it and a test holds the two
together): the status words, result.json (:func:`result` builds it, :func:`write_result` is its one writer,
:func:`read_result` its one reader), the overrides a run was made with (:func:`override_key`), the lock that keeps
one process per folder, and the command that continues an interrupted run.

Its I/O: a folder dlx writes into may hold what someone else put there (a copied run, a shared drive, a tarball),
so every write here opens its file without following a symbolic link, temporary files get unpredictable names
beside their destination, and ``os.replace`` puts a finished file in place (readers see the old file or the new
one, never half of one; a link at the destination is replaced, not written through). The readers of result.json
and provenance.json check the types of what they read; CSV cells are written so that spreadsheets do not evaluate
them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import re
import secrets
import shlex
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from dlx.checks import ConfigError

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
# What dlx and Hydra write into a run folder: none of them may be a symbolic link when dlx starts writing there.
WRITTEN = (".hydra", ".lock", "train.log", "result.json", "provenance.json", "data.json", "checkpoints", "error.log")
WRITTEN_INSIDE = (".hydra", "checkpoints")  # folders whose every entry dlx or Hydra (re)writes


class RunFolderError(ConfigError):
    """A run folder (or a file in one) dlx will not read or write; one line naming the file and why."""


# ---- the contract: status words, result.json, overrides ------------------------------------------------------

# result.json's status: how a run ended
COMPLETED = "completed"  # every step it was given
STOPPED_EARLY = "stopped_early"  # early stopping's patience ran out
DIVERGED = "diverged"  # a NaN/Inf loss, metric or weight ended it (never the sweep)
PRUNED = "pruned"  # a search's pruner stopped it: a result, like diverged
FAILED = "failed"  # an error (result.json's error says which)
INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM: checkpoints/last.pt continues it
STATUSES = (COMPLETED, STOPPED_EARLY, DIVERGED, PRUNED, FAILED, INTERRUPTED)
RUNNING = "running"  # no result.json yet: a job in progress, or one that was killed
TESTED = (COMPLETED, STOPPED_EARLY)  # ran to its end: test/* measured, a sweeper's trial complete
FINISHED = (*TESTED, DIVERGED, PRUNED)  # a result: running it again gives the same numbers
NOT_COMPARED = (FAILED, DIVERGED, PRUNED)  # counted in a comparison, not averaged
BROKEN = (FAILED, DIVERGED)  # no number to show: listed with their errors
UNFINISHED = (INTERRUPTED, RUNNING)  # may continue from checkpoints/last.pt
RESULT = "result.json"
# every result.json holds these keys (a run that ended in training also final_weights, best_checkpoint and, with
# early stopping, best_epoch)
RESULT_KEYS = ("status", "final", "best", "epochs", "steps", "wall_s", "samples_per_s", "steady_samples_per_s",
               "threads", "seed", "overrides", "metric", "error")
RESULT_EXTRA = ("best_epoch", "final_weights", "best_checkpoint")
# Overrides that say how a job runs, not what it trains: the same job with or without them
RUN_KEYS = ("resume", "resume_sweep", "trial", "overwrite")
RESUME_SWEEP = "resume_sweep"


def result(status: str, seed: Any, overrides: list[str], metric: str | None, final: dict | None = None,
           best: dict | None = None, epochs: int = 0, steps: int = 0, wall_s: float = 0.0, samples_per_s: float = 0.0,
           steady_samples_per_s: float | None = None, threads: int | None = None, error: str | None = None,
           **extra: Any) -> dict:
    """result.json's content: every key of RESULT_KEYS, in its order, then ``extra`` (RESULT_EXTRA's)."""
    if status not in STATUSES or not set(extra) <= set(RESULT_EXTRA):
        raise ValueError(f"result.json takes a status of {STATUSES} and the extra keys {RESULT_EXTRA}")
    return {"status": status, "final": final or {}, "best": best or {}, "epochs": epochs, "steps": steps,
            "wall_s": wall_s, "samples_per_s": samples_per_s, "steady_samples_per_s": steady_samples_per_s,
            "threads": threads, "seed": seed, "overrides": list(overrides), "metric": metric, "error": error, **extra}


def write_result(run_dir: str | Path, content: dict) -> None:
    """The one writer of result.json (atomic: sweepers and dlx compare read it while runs go on)."""
    write_json(Path(run_dir) / RESULT, content)


class UnreadableResult(RunFolderError):
    """A result.json that does not parse (a write cut short, a file that is not JSON)."""


def read_result(run_dir: str | Path) -> dict | None:
    """The one reader of result.json: its content, None when the folder has none (RUNNING). A file anyone could
    have edited: UnreadableResult when it does not parse, RunFolderError when it holds other types than dlx
    writes."""
    path = Path(run_dir) / RESULT
    if not path.is_file():
        return None
    try:
        content = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise UnreadableResult(f"{path} cannot be read: {e}") from None
    return check_result(content, path)


def status_of(run_dir: str | Path) -> str:
    """result.json's status; RUNNING without one, or with one that cannot be read."""
    try:
        found = read_result(run_dir)
    except RunFolderError:
        return RUNNING
    return (found or {}).get("status") or RUNNING


def primary(content: dict) -> float:
    """The number a sweeper optimises: the best value of the run's metric (so far, when pruned); NaN for a run
    that did not end with a result."""
    if content.get("status") not in (*TESTED, PRUNED):
        return math.nan
    return float((content.get("best") or {}).get(content.get("metric"), math.nan))


def checkpoint_file(run_dir: str | Path, which: str = "last") -> Path:
    """``checkpoints/last.pt`` (the state to continue from) or ``checkpoints/best.pt`` (the best epoch's)."""
    return Path(run_dir) / "checkpoints" / f"{which}.pt"


def override_key(override: str) -> str:
    """``+a.b=1`` -> ``a.b`` (Hydra's ``+`` adds a key, ``~`` deletes one)."""
    return override.split("=", 1)[0].lstrip("+~")


def override_value(override: str) -> str | None:
    """``a.b=1`` -> ``1``; None for an override without a value (``~a.b``)."""
    return override.split("=", 1)[1] if "=" in override else None


def setting(overrides: Iterable[str]) -> list[str]:
    """The overrides that say what a job trains (without RUN_KEYS), sorted: equal for the same job."""
    return sorted(o for o in overrides if override_key(o) not in RUN_KEYS)


@contextlib.contextmanager
def lock(run_dir: Path, check: Callable[[], None] | None = None) -> Iterator[None]:
    """One process per run folder: an exclusive lock on ``run_dir/.lock`` (released when the process ends, even
    by SIGKILL), holding the pid for the message a second process gets. Opened without following a link (a
    planted ``.lock`` link would have the pid overwrite a file elsewhere). ``check()``: run once the lock is
    held and before the pid is written, so that a run it refuses (it raises) leaves the folder as it was."""
    f = open_lock(run_dir / ".lock")
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            pid = f.read().strip() or "?"
            raise FolderInUse(f"run folder {run_dir} is in use by process {pid} (another dlx train); allowed is one "
                              "process per run folder: wait for it to end or stop it") from None
        if check is not None:
            check()
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        yield
    finally:
        f.close()


def interrupted_line(run_dir: Path, step: int) -> str:
    """What result.json and the console say of a run stopped by Ctrl-C or SIGTERM: the command that continues it,
    or, where none can (a single run stopped before its first checkpoint), how to start it again."""
    command = continue_command(run_dir)
    if command is not None:
        return f"interrupted at step {step}; continue with: {command}"
    return (f"interrupted at step {step}, before its first checkpoint: nothing to resume; run the same command "
            f"again (into this folder: hydra.run.dir={run_dir} {OVERWRITE}=true)")


def continue_command(run_dir: Path) -> str | None:
    """The command that continues an interrupted run: for a job of a grid sweep (its folder's parent holds the
    basic sweeper's multirun.yaml) the sweep's own command with hydra.sweep.dir=<sweep> resume_sweep=true, which
    keeps the finished jobs and continues this one from its last.pt (or runs it again from the start); else
    ``dlx train resume=<run folder>``, or None without a checkpoints/last.pt to continue from.
    The preflight's decisions recorded there are left out: the command decides again."""
    from omegaconf import OmegaConf

    sweep_dir = run_dir.parent
    try:
        cfg = OmegaConf.load(sweep_dir / "multirun.yaml")
        ov = cfg.hydra.overrides
        dirs = [s.path for s in cfg.hydra.runtime.config_sources if s.provider == "command-line"]
    except Exception:  # not a grid sweep's job (or an unreadable file): the run's own folder
        return f"dlx train resume={run_dir}" if checkpoint_file(run_dir).is_file() else None
    args = [*(a for d in dirs for a in ("--config-dir", d)),
            *(o for o in ov.hydra if override_key(o) not in ("hydra.mode", "hydra.sweep.dir", "hydra.sweeper.checked")),
            *(o for o in ov.task if override_key(o) != RESUME_SWEEP), f"hydra.sweep.dir={sweep_dir}",
            f"{RESUME_SWEEP}=true"]
    return "dlx train -m " + " ".join(map(shlex.quote, args))


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


class FolderInUse(RunFolderError):
    """Another process holds the run folder's lock: nothing in the folder may be touched."""


class FolderHoldsRun(RunFolderError):
    """A job's folder holds a run that the job would overwrite without being asked to."""


OVERWRITE = "overwrite"  # the config key that lets a run replace the run its folder holds


# What a run leaves in its folder (dlx's files and Hydra's .hydra/): what overwrite=true removes before a new run.
RUN_FILES = ("result.json", "error.log", "provenance.json", "data.json", "train.log")
RUN_FOLDERS = (".hydra", "checkpoints")


def run_status(run_dir: str | Path) -> str | None:
    """What run a folder holds: result.json's status, ``unfinished`` for a run that has not written one (killed,
    or still starting), None for a folder that holds no run (missing, empty, or other files only)."""
    run_dir = Path(run_dir)
    try:
        status = json.loads((run_dir / "result.json").read_text()).get("status")
        return status if isinstance(status, str) else "unfinished"
    except (OSError, ValueError, AttributeError):
        pass
    if (run_dir / "result.json").exists() or (run_dir / ".hydra" / "overrides.yaml").is_file() or \
            (run_dir / "checkpoints").is_dir():
        return "unfinished"
    return None


def clear_run(run_dir: str | Path) -> None:
    """Remove a run from its folder (overwrite=true): its files, checkpoints, TensorBoard events and .hydra/, so the
    new run's curves and results do not mix with the old one's. The lock and anything else stay."""
    import shutil

    run_dir = Path(run_dir)
    for p in run_dir.iterdir():
        if p.name in RUN_FILES or p.name.startswith("events.out.tfevents"):
            p.unlink()
        elif p.name in RUN_FOLDERS and p.is_symlink():
            p.unlink()
        elif p.name in RUN_FOLDERS:
            shutil.rmtree(p)


def check_folder(run_dir: str | Path, cfg: Any, multirun: bool) -> None:
    """FolderHoldsRun (one line) when ``run_dir`` holds a run that this one would overwrite unasked: it neither
    continues it (resume=) nor replaces it (overwrite=true)."""
    run_dir = Path(run_dir)
    held = run_status(run_dir)
    if held is None or cfg.get("resume") or cfg.get(OVERWRITE):
        return
    if multirun:
        raise FolderHoldsRun(f"hydra.sweep.dir={run_dir.parent} is wrong: its job folder {run_dir.name} holds a run "
                             f"(status {held}); allowed: resume_sweep=true to finish that sweep, {OVERWRITE}=true to "
                             "replace its runs, or a new folder")
    raise FolderHoldsRun(f"hydra.run.dir={run_dir} is wrong: it holds a run (status {held}); allowed: dlx train "
                         f"resume={run_dir} to continue it, {OVERWRITE}=true to replace it, or a new folder")


def start_folder(run_dir: str | Path, cfg: Any, hydra_cfg: Any) -> None:
    """Under the folder's lock, after :func:`check_folder`, before a run writes anything: the run a folder holds is
    cleared when this run replaces it (overwrite=true: the old run's files go first, so results and curves do not
    mix); then the job's .hydra/ files (``hydra_cfg``: Hydra's node of the job)."""
    if run_status(run_dir) is not None and not cfg.get("resume") and cfg.get(OVERWRITE):
        clear_run(run_dir)
    write_hydra_files(run_dir, cfg, hydra_cfg)


def write_hydra_files(run_dir: str | Path, cfg: Any, hydra_cfg: Any) -> None:
    """The job's .hydra/config.yaml, hydra.yaml and overrides.yaml, as Hydra writes them (its output_subdir, which
    dlx's config turns off so that nothing is written into a folder before dlx holds its lock): the config
    without its hydra node, the hydra node, the job's overrides."""
    from omegaconf import OmegaConf

    folder = Path(run_dir) / ".hydra"
    for name, node in (("config.yaml", cfg), ("hydra.yaml", hydra_cfg),
                       ("overrides.yaml", hydra_cfg.hydra.overrides.task)):
        write_text(folder / name, OmegaConf.to_yaml(node))


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
