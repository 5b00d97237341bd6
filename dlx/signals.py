"""What Ctrl-C and SIGTERM do in dlx's processes outside a job (a job's own StopRequest is in dlx/train.py): in the
CLI's start-up and a sweep parent's own work they end the process at once (:func:`exit_at_once`); where a sweep's
parent waits for its workers they raise KeyboardInterrupt (:func:`interrupts`, SIGTERM as Ctrl-C:
:func:`term_as_interrupt`, also for ``python -m dlx.job`` and a pool's workers); once the command's work is done they
keep its exit code (:func:`quiet_teardown`).

Light on purpose (the standard library only): the CLI installs it before its own imports."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


def term_as_interrupt(signum, frame) -> None:
    """SIGTERM (kill, timeout, a scheduler's preemption, scancel) as Ctrl-C where dlx catches KeyboardInterrupt to
    stop its jobs (a sweep parent's wait, a cluster task between its jobs; a job's loop saves a checkpoint instead):
    the command exits 130 rather than being cut off."""
    raise KeyboardInterrupt


def exit_at_once(signum, frame) -> None:
    """Ctrl-C or SIGTERM during the start-up (the imports, the preflight, Hydra's composition), when dlx has written
    nothing, or in a sweep's parent outside its waits (composing jobs, between jobs it runs itself, the Optuna
    sweeper's asks), which the run folders survive as they survive a SIGKILL: the process ends here, with one line
    and 130. A KeyboardInterrupt raised there would unwind through torch's, OmegaConf's and Hydra's code, which does
    not all survive it: OmegaConf turns it into an AttributeError, pybind11 into std::terminate (exit -6)."""
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
