"""Every entry point of `dlx train` checks its input before anything starts: sweeps, --config-dir, own models."""

from __future__ import annotations

import json

import pytest
from conftest import dlx_cli, user_model

TINY = ["trainer.max_steps=2", "device=cpu"]


def _lines(out):
    return [line for line in out.stderr.splitlines() if line.strip()]


@pytest.mark.slow  # through a real process; the same cases run in-process in the default suite: tests/test_fuzz.py
@pytest.mark.parametrize("args,wrong", [
    (["trainer.max_epoch=1,2"], "trainer.max_epoch"),
    (["model=mlp,nosuch"], "model=nosuch"),
    (["optim.lr=0.1,-1"], "optim.lr=-1"),
    (["regularization=none,batchnorm", "model=lstm"], "regularization=batchnorm is wrong with model"),
])
def test_a_sweep_with_a_wrong_job_starts_nothing(args, wrong, tmp_path):
    out = dlx_cli("train", "-m", *args, *TINY, cwd=tmp_path)
    lines = _lines(out)
    assert out.returncode == 2, out.stderr
    assert all(line.startswith("dlx: error:") for line in lines) and "Traceback" not in out.stderr
    assert any(wrong in line for line in lines[1:]), out.stderr
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "multirun").exists()


@pytest.mark.slow  # through a real process; the same cases run in-process in the default suite: tests/test_fuzz.py
def test_config_dir_runs_get_the_same_checks(tmp_path):
    (tmp_path / "conf").mkdir()
    for args, wrong in ((["trainer.max_epoch=3"], "trainer.max_epoch"), (["model.widht=32"], "model.widht"),
                        (["optim.lr=-1"], "optim.lr=-1")):
        out = dlx_cli("train", "--config-dir", "conf", *args, cwd=tmp_path)
        assert out.returncode == 2 and len(_lines(out)) == 1 and wrong in out.stderr, out.stderr
    out = dlx_cli("train", "--config-dir", "nowhere", cwd=tmp_path)
    assert out.returncode == 2 and "--config-dir nowhere is wrong" in out.stderr
    assert not (tmp_path / "outputs").exists()


def test_an_unresolvable_interpolation_is_one_line(tmp_path):
    out = dlx_cli("train", "optim.lr=${nonexistent.key}", cwd=tmp_path)
    assert out.returncode == 2 and len(_lines(out)) == 1 and "nonexistent.key" in out.stderr, out.stderr


def test_own_model_without_in_shape_and_n_out(tmp_path):
    args = user_model(tmp_path, "plain", (
        "import torch\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self, in_features=64, num_classes=10):\n"
        "        super().__init__()\n"
        "        self.f = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(in_features, num_classes))\n"
        "    def forward(self, x):\n"
        "        return self.f(x)\n"), "_target_: plain.Net\nin_features: 64\n")
    out = dlx_cli("train", *args, *TINY, "hydra.run.dir=run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "run" / "result.json").read_text())["status"] == "completed"
    out = dlx_cli("train", *args, "regularization=dropout", *TINY, cwd=tmp_path)
    assert out.returncode == 2 and "regularization=dropout is wrong with model plain.Net" in out.stderr


def test_preflight_says_whether_every_job_is_a_one_thread_cpu_job():
    """hydra/launcher=parallel's n_jobs=auto runs one job per core only for such grids."""
    from dlx import preflight as P

    P.preflight(["-m", "device=cpu", "optim=sgd,adam", "seed=0,1"])
    assert P.one_thread_cpu_sweep is True and P.launcher.endswith("dlx_pool.launcher.PoolLauncher")
    P.preflight(["-m", "device=cpu", "model.hidden=[64],[4096,4096]"])  # the second job needs every core
    assert P.one_thread_cpu_sweep is False
    P.preflight(["-m", "device=cpu", "trainer.threads=2", "seed=0,1"])
    assert P.one_thread_cpu_sweep is False


def test_the_grid_sweeper_composes_only_jobs_the_preflight_did_not_check(monkeypatch):
    """Hydra's BasicSweeper composes every job before the launcher composes it again; dlx's default sweeper
    (hydra/sweeper=grid) leaves out that first pass for the jobs dlx.preflight composed and checked."""
    from hydra._internal.core_plugins import basic_sweeper

    from dlx import preflight as P
    from hydra_plugins.dlx_sweeper.grid import BasicSweeper

    P.preflight(["-m", "device=cpu", "optim=sgd,adam", "seed=0,1", "hydra.sweep.dir=/tmp/x", "hydra/launcher=basic"])
    validated = []
    monkeypatch.setattr(basic_sweeper.BasicSweeper, "validate_batch_is_legal",
                        lambda self, batch: validated.append(batch))
    sweeper = BasicSweeper(max_batch_size=None)
    sweeper.validate_batch_is_legal([["device=cpu", "optim=sgd", "seed=1"], ["device=cpu", "optim=adam", "seed=0"]])
    assert validated == []
    batch = [["device=cpu", "optim=sgd", "seed=7"]]  # not a job of that grid
    sweeper.validate_batch_is_legal(batch)
    assert validated == [batch]
    P.preflight(["device=cpu"])  # a single run checks no grid: a later sweep in this process validates
    assert P.checked_jobs is None


def test_a_sweep_under_the_grid_sweeper_is_hydras_basic_sweep(tmp_path):
    out = dlx_cli("train", "-m", "device=cpu", "trainer.max_epochs=1", "seed=0,1", "hydra/launcher=basic",
                  f"hydra.sweep.dir={tmp_path}", "hydra.callbacks.summary.enabled=false")
    assert out.returncode == 0, out.stderr
    assert "_target_: hydra_plugins.dlx_sweeper.grid.BasicSweeper" in (tmp_path / "multirun.yaml").read_text()
    assert [json.loads((tmp_path / str(i) / "result.json").read_text())["overrides"] for i in (0, 1)] == \
        [["device=cpu", "trainer.max_epochs=1", "seed=0"], ["device=cpu", "trainer.max_epochs=1", "seed=1"]]
