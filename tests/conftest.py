"""Shared helpers: compose the real configs (shrunk) and run them in a temporary folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from dlx import CONFIG_DIR

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = CONFIG_DIR


def options(group: str) -> list[str]:
    """Every option of a config group, from the YAML files that ship with dlx."""
    return sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))


def make_cfg(overrides: list[str] = ()):
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name="train", overrides=list(overrides))


TINY = ["trainer.max_steps=2", "trainer.log_every=1", "device=cpu"]


def run_cfg(overrides, run_dir: Path) -> dict:
    """Compose, train in run_dir, return result.json."""
    from dlx.train import run

    cfg = make_cfg(overrides)
    run(cfg, run_dir, list(overrides))
    return json.loads((Path(run_dir) / "result.json").read_text())


def dlx_cli(*args: str, cwd: Path | None = None, env_extra: dict | None = None, timeout: int = 120):
    """Run the real CLI in a subprocess with this checkout's dlx first on the path."""
    env = dict(os.environ)
    env.update(env_extra or {})
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("DLX_CACHE", str(Path.home() / ".cache" / "dlx"))
    return subprocess.run([sys.executable, "-m", "dlx", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def cli_refusal(capsys, *args: str, cwd: Path | None = None) -> str:
    """The CLI in this process, for input it refuses before anything runs (a fresh interpreter adds nothing to a
    refusal: tests/test_fuzz.py's cases run this way too): asserts exit 2 and one line on stderr, returns it."""
    from dlx import cli

    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        code = cli.main(list(args))
    except SystemExit as e:
        code = e.code
    finally:
        os.chdir(old)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("dlx: error: "), (code, err)
    return lines[0]


def user_model(folder: Path, name: str, source: str, yaml: str) -> list[str]:
    """A user's own model as a user writes one: ``<name>.py`` (its ``source``) and ``conf/model/<name>.yaml``
    in ``folder``; returns the arguments that select it (run with ``cwd=folder``)."""
    (folder / f"{name}.py").write_text(source)
    (folder / "conf" / "model").mkdir(parents=True, exist_ok=True)
    (folder / "conf" / "model" / f"{name}.yaml").write_text(yaml)
    return ["--config-dir", str(folder / "conf"), f"model={name}"]


@pytest.fixture(autouse=True)
def _clear_hydra():
    yield
    GlobalHydra.instance().clear()
