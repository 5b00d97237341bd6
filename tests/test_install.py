"""dlx is a tool people install: a plain (non-editable) install ships its configs and runs from anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT


@pytest.mark.slow
def test_non_editable_install_runs_from_another_folder(tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(ROOT)], check=True, capture_output=True, timeout=300)
    assert (site / "dlx" / "configs" / "model" / "cnn.yaml").is_file()
    assert (site / "hydra_plugins" / "dlx_batched" / "launcher.py").is_file()  # hydra/launcher=batched
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run([sys.executable, "-m", "dlx", "train", "model=cnn", "trainer.max_steps=2", "device=cpu",
                          "hydra.run.dir=run"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads((work / "run" / "result.json").read_text())
    assert result["status"] == "completed"
    course = subprocess.run([sys.executable, "-m", "dlx", "course", "C7"], cwd=work, env=env, capture_output=True,
                            text=True, timeout=120)
    assert course.returncode == 0 and "published verdict" in course.stdout, course.stderr  # dlx/published ships
    assert (site / "dlx" / "published" / "verdicts.json").is_file() and (site / "dlx" / "results").is_dir()
    import_check = subprocess.run([sys.executable, "-c", "import dlx; print(dlx.__file__)"], cwd=work, env=env,
                                  capture_output=True, text=True)
    assert str(site) in import_check.stdout  # the installed copy ran, not the checkout


def test_train_help_shows_groups():
    from conftest import dlx_cli

    out = dlx_cli("train", "--help")
    assert out.returncode == 0
    assert "dlx train: train one run" in out.stdout
    for group in ("model:", "optim:", "dataset:", "regularization:", "schedule:"):
        assert group in out.stdout


def test_every_package_of_the_tree_is_installed():
    """A non-editable install ships the packages pyproject.toml lists, not the tree: a new subpackage missing there
    imports in every checkout and fails only for users (dlx.sweep once did)."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for top in ("dlx", "hydra_plugins")
             for p in (ROOT / top).rglob("__init__.py")}
    assert found - listed == set(), f"add to [tool.setuptools] packages in pyproject.toml: {sorted(found - listed)}"
