"""provenance.json: what produced a run, fast enough to write once per sweep job."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

from dlx import __version__, provenance

KEYS = {"command", "cwd", "dlx_version", "git", "python", "torch", "cuda", "platform", "hostname", "packages"}


def test_collect_names_the_command_code_and_software(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = provenance.collect(["dlx", "train", "optim=adam"])
    assert set(p) == KEYS
    assert p["command"] == ["dlx", "train", "optim=adam"] and p["cwd"] == str(tmp_path)
    assert p["dlx_version"] == __version__
    assert p["python"] == ".".join(map(str, sys.version_info[:3]))
    import torch

    assert p["torch"] == torch.__version__
    if not torch.cuda.is_initialized():
        assert p["cuda"] is None  # set only when this process used a GPU
    assert p["packages"]["torch"] == torch.__version__
    assert "numpy" in {k.lower() for k in p["packages"]}
    assert provenance.collect()["command"] == sys.argv
    json.dumps(p)  # plain JSON types only


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_commit_and_dirty_state(tmp_path, monkeypatch):
    git = lambda *a: subprocess.run(["git", *a], cwd=tmp_path, check=True, capture_output=True, text=True)
    git("init", "-q")
    (tmp_path / "a.txt").write_text("one\n")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "first")
    head = git("rev-parse", "HEAD").stdout.strip()
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # a folder inside the repository
    assert provenance.collect([])["git"] == {"commit": head, "dirty": False}
    (tmp_path / "a.txt").write_text("two\n")
    assert provenance.collect([])["git"] == {"commit": head, "dirty": True}


def test_no_git_repository_or_no_git_is_null_not_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # don't find a repository above tmp
    assert provenance.collect([])["git"] is None
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no git binary at all
    assert provenance.collect([])["git"] is None


def test_write_is_atomic_json_and_fast_after_the_first_call(tmp_path):
    provenance.write(tmp_path)  # first call reads the package list
    times = []
    for _ in range(5):
        t = time.perf_counter()
        path = provenance.write(tmp_path, ["dlx", "train"])
        times.append(time.perf_counter() - t)
    assert path == tmp_path / "provenance.json" and not list(tmp_path.glob(".*tmp*"))
    assert json.loads(path.read_text())["command"] == ["dlx", "train"]
    assert provenance.read(tmp_path)["dlx_version"] == __version__
    assert provenance.read(tmp_path / "nope") is None
    assert min(times) < 0.05, times  # a sweep writes one per job
