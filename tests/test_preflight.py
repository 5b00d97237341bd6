"""Every entry point of `dlx train` checks its input before anything starts: sweeps, --config-dir, own models."""

from __future__ import annotations

import json

import pytest
from conftest import cli_refusal, dlx_cli, user_model

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


@pytest.mark.parametrize("flags", [["-m", "--cfg", "job"], ["--multirun", "-c", "hydra"], ["--info", "-m"],
                                   ["--cfg=job", "--info"]])
def test_two_of_hydras_modes_are_one_line(flags, tmp_path, capsys):
    """Hydra runs one of --multirun, --cfg, --info, --shell-completion; two were a ValueError's traceback."""
    line = cli_refusal(capsys, "train", *flags, "optim=sgd,adam", cwd=tmp_path)
    assert line.startswith("dlx: error: ") and " together are wrong: allowed is one of --multirun (-m)" in line
    assert not any(tmp_path.iterdir())


def test_an_unresolvable_interpolation_is_one_line(tmp_path, capsys):
    assert "nonexistent.key" in cli_refusal(capsys, "train", "optim.lr=${nonexistent.key}", cwd=tmp_path)


@pytest.mark.slow  # a whole CLI run or search (over 9 s); CI's slow suite runs it
def test_own_model_without_in_shape_and_n_out(tmp_path, capsys):
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
    line = cli_refusal(capsys, "train", *args, "regularization=dropout", *TINY, cwd=tmp_path)
    assert "regularization=dropout is wrong with model plain.Net" in line


def test_the_preflights_plan_resolves_n_jobs_for_one_thread_cpu_grids():
    """hydra/launcher=parallel's n_jobs=auto runs one job per core only for grids of one-thread CPU jobs; the plan
    hands that on to Hydra as overrides (multirun.yaml records them), with "every job was checked"."""
    from dlx.preflight import preflight

    plan = preflight(["-m", "device=cpu", "optim=sgd,adam", "seed=0,1"])
    assert plan.one_thread_cpu is True and plan.launcher.endswith("dlx_pool.launcher.PoolLauncher")
    assert plan.hydra_args(4)[-2:] == ["hydra.launcher.n_jobs=4", "hydra.sweeper.checked=true"]
    plan = preflight(["-m", "device=cpu", "model.hidden=[64],[4096,4096]"])  # the second job needs every core
    assert plan.one_thread_cpu is False and "hydra.launcher.n_jobs=1" in plan.hydra_args(4)
    assert preflight(["-m", "device=cpu", "trainer.threads=2", "seed=0,1"]).one_thread_cpu is False
    plan = preflight(["-m", "device=cpu", "seed=0,1", "hydra.launcher.n_jobs=3"])  # the user's number stays
    assert [a for a in plan.hydra_args(4) if a.startswith("hydra.launcher.n_jobs=")] == ["hydra.launcher.n_jobs=3"]
    assert preflight(["device=cpu"]).hydra_args(4) == ["device=cpu"]  # a single run: nothing to add


def test_the_grid_sweeper_composes_the_jobs_only_when_they_were_not_checked(monkeypatch):
    """Hydra's BasicSweeper composes every job before the launcher composes it again; dlx's default sweeper
    (hydra/sweeper=grid) leaves out that first pass when the preflight says it checked every job."""
    from hydra._internal.core_plugins import basic_sweeper

    from hydra_plugins.dlx_sweeper.grid import BasicSweeper

    validated = []
    monkeypatch.setattr(basic_sweeper.BasicSweeper, "validate_batch_is_legal",
                        lambda self, batch: validated.append(batch))
    batch = [["device=cpu", "optim=sgd", "seed=1"], ["device=cpu", "optim=adam", "seed=0"]]
    BasicSweeper(max_batch_size=None, checked=True).validate_batch_is_legal(batch)
    assert validated == []
    BasicSweeper(max_batch_size=None).validate_batch_is_legal(batch)
    assert validated == [batch]


@pytest.mark.slow  # a whole CLI run or search (over 9 s); CI's slow suite runs it
def test_a_sweep_under_the_grid_sweeper_is_hydras_basic_sweep(tmp_path):
    out = dlx_cli("train", "-m", "device=cpu", "trainer.max_epochs=1", "seed=0,1", "hydra/launcher=basic",
                  f"hydra.sweep.dir={tmp_path}", "hydra.callbacks.summary.enabled=false")
    assert out.returncode == 0, out.stderr
    assert "_target_: hydra_plugins.dlx_sweeper.grid.BasicSweeper" in (tmp_path / "multirun.yaml").read_text()
    assert [json.loads((tmp_path / str(i) / "result.json").read_text())["overrides"] for i in (0, 1)] == \
        [["device=cpu", "trainer.max_epochs=1", "seed=0"], ["device=cpu", "trainer.max_epochs=1", "seed=1"]]
