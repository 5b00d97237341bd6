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
