"""SIGTERM as Ctrl-C: one handler for every process dlx starts (the CLI, ``python -m dlx.job``, a pool's parent).

Light on purpose (the standard library only): the CLI installs it before its own imports."""

from __future__ import annotations


def term_as_interrupt(signum, frame) -> None:
    """SIGTERM (kill, timeout, a scheduler's preemption, scancel) as Ctrl-C wherever no handler of dlx's own is in
    place (imports, the preflight, a run's set-up; the loop's handler saves a checkpoint instead): a
    KeyboardInterrupt unwinds, and the command exits 130 rather than being cut off."""
    raise KeyboardInterrupt
