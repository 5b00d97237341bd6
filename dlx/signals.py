"""SIGTERM as Ctrl-C: one handler for every process dlx starts (the CLI, ``python -m dlx.job``, a pool's parent).

Light on purpose (the standard library only): the CLI installs it before its own imports."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


def term_as_interrupt(signum, frame) -> None:
    """SIGTERM (kill, timeout, a scheduler's preemption, scancel) as Ctrl-C wherever no handler of dlx's own is in
    place (imports, the preflight, a run's set-up; the loop's handler saves a checkpoint instead): a
    KeyboardInterrupt unwinds, and the command exits 130 rather than being cut off."""
    raise KeyboardInterrupt



def exit_at_once(signum, frame) -> None:
    """Ctrl-C or SIGTERM during the start-up (the imports, the preflight), when dlx has written nothing: the
    process ends here, as a SIGKILL would leave it but with one line and 130. A KeyboardInterrupt raised then
    would unwind through torch's, OmegaConf's and Hydra's import-time code, which does not all survive it: OmegaConf
    turns it into an AttributeError, pybind11 into std::terminate (exit -6), the interpreter's own start into
    "Fatal Python error"."""
    import os

    os.write(2, b"dlx: interrupted\n")  # not print: the signal may have stopped a write to sys.stderr halfway
    os._exit(130)


def unwinding() -> dict:
    """From here Ctrl-C and SIGTERM raise KeyboardInterrupt; the handlers in place before, for :func:`restore`.
    Called by a command other than train once imported, and by a sweep's parent while it waits for its workers or
    tasks (:func:`interrupts`), which it then asks to stop with checkpoints. A job's StopRequest takes the signals
    over while the job runs."""
    import signal

    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, term_as_interrupt)
    return old


def restore(old: dict) -> None:
    import signal

    for s, handler in old.items():
        signal.signal(s, handler)


@contextlib.contextmanager
def interrupts() -> Iterator[None]:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt inside the block (:func:`unwinding`), the handlers before come back
    after it. Around the code of a sweep's parent that only waits, so that the signal never lands in OmegaConf or
    Hydra code, which do not survive a KeyboardInterrupt (a job's config half made, an AttributeError instead)."""
    old = unwinding()
    try:
        yield
    finally:
        restore(old)


def _ignore() -> None:
    import signal

    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)


def ignore_at_finalisation() -> None:
    """Call first thing: registers the atexit handler that runs last (atexit runs the last-registered first). It
    ignores Ctrl-C and SIGTERM for CPython's finalisation, which puts back the default action of a signal with a
    Python handler: a signal then kills the process (exit -2, nothing printed) after a command that completed."""
    import atexit

    atexit.unregister(_ignore)  # once, however often an entry point runs in one process (the tests)
    atexit.register(_ignore)


def quiet_teardown(code: int) -> None:
    """The command's work is done and written, with exit code ``code``; what is left is the interpreter's teardown
    (atexit handlers, then finalisation). A Ctrl-C or SIGTERM now has nothing to stop: it ends the process at once
    with ``code``, instead of a KeyboardInterrupt traceback from an atexit handler."""
    import os
    import signal
    import sys

    def now(signum, frame) -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # a write the signal interrupted, or a closed pipe: what was printed is printed
                pass
        os._exit(code)

    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, now)
