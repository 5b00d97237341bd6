"""What a user sees in a terminal: a closed pipe and a Ctrl-C end quietly, not as a traceback or an error."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT

from dlx import cli


def test_a_closed_pipe_ends_quietly():
    """`dlx -h | head -1`: the reader is gone before dlx writes; no BrokenPipeError, the shell's 141."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "dlx", "-h"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # as head does after its line
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_ctrl_c_before_the_run_starts_is_not_an_error(monkeypatch, capsys):
    """A Ctrl-C during the imports or the preflight (before the loop's own handler) exits 130 with one line."""
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr("dlx.preflight.preflight", interrupted)
    monkeypatch.setattr(sys, "argv", ["dlx", "train", "trainer.max_epochs=1"])
    with pytest.raises(SystemExit) as e:
        cli.entry()
    assert e.value.code == 130
    assert capsys.readouterr().err == "dlx: interrupted\n"
