"""The real CLI in a subprocess, as a user runs it."""

from __future__ import annotations

import json

import pytest
from conftest import dlx_cli, user_model

TINY = ["trainer.max_steps=2", "device=cpu"]


def test_help_lists_subcommands():
    out = dlx_cli("--help")
    assert out.returncode == 0
    for cmd in ("train", "compare", "eval"):
        assert cmd in out.stdout
    assert "plan     seeds a sweep needs, from a pilot sweep: dlx plan <sweep> --effect 0.01" in out.stdout


def test_train_cfg_job_prints_config_and_trains_nothing(tmp_path):
    out = dlx_cli("train", "model=cnn", "optim=adam", "--cfg", "job", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "dlx.models.cnn.CNN" in out.stdout and "torch.optim.Adam" in out.stdout
    assert not (tmp_path / "outputs").exists()


def test_train_from_any_folder_writes_result_json(tmp_path):
    out = dlx_cli("train", "model=cnn", "optim=adam", *TINY, "hydra.run.dir=run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["status"] == "completed"
    assert result["overrides"] == ["model=cnn", "optim=adam", *TINY, "hydra.run.dir=run"][:4]
    assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()


def test_multirun_two_jobs_two_folders_the_same_through_hydras_own_entry_point(tmp_path):
    """`dlx train -m` (the preflight, then Hydra) and `python -m dlx.job -m` (Hydra alone) run a grid the same
    way: the same processes, the same numbers. The first records its decisions as overrides in multirun.yaml."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    args = ["-m", "optim=sgd,adam", *TINY, "hydra.callbacks.summary.enabled=false"]
    out = dlx_cli("train", *args, "hydra.sweep.dir=sweep", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    results = sorted((tmp_path / "sweep").glob("*/result.json"))
    assert [p.parent.name for p in results] == ["0", "1"]
    assert {json.loads(p.read_text())["overrides"][0] for p in results} == {"optim=sgd", "optim=adam"}
    assert "- hydra.launcher.n_jobs=" in (tmp_path / "sweep" / "multirun.yaml").read_text()  # auto, resolved
    hydra = subprocess.run([sys.executable, "-m", "dlx.job", *args, "hydra.sweep.dir=plain"], cwd=tmp_path,
                           env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=120)
    assert hydra.returncode == 0, hydra.stderr
    launch = lambda o: [line.split("]")[-1] for line in (o.stdout + o.stderr).splitlines() if "Launching" in line]
    assert launch(out) == launch(hydra) and len(launch(out)) == 1  # e.g. "Launching 2 jobs in 2 processes"
    finals = lambda d: [json.loads((tmp_path / d / j / "result.json").read_text())["final"] for j in "01"]
    assert finals("sweep") == finals("plain")


@pytest.mark.slow  # through a real process; the same cases run in-process in the default suite: tests/test_fuzz.py
def test_bad_inputs_give_one_clear_line_and_nonzero_exit(tmp_path):
    cases = {
        "optim.lr=-0.1": "optim.lr=-0.1 is wrong: allowed is a number > 0",
        "regularization.dropout.hidden=1.5":
            "regularization.dropout.hidden=1.5 is wrong: allowed is a number in [0, 1)",
        "trainer.batch_size=0": "trainer.batch_size=0 is wrong: allowed is an integer >= 1",
        "model.activation=swish": "model.activation=swish is wrong: allowed is one of sigmoid",
    }
    for override, message in cases.items():
        out = dlx_cli("train", *(["regularization=dropout"] if "dropout" in override else []), override, *TINY,
                      cwd=tmp_path)
        assert out.returncode == 2, (override, out.stderr)
        lines = [line for line in out.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and message in lines[0], (override, out.stderr)
    assert not (tmp_path / "outputs").exists() or not list((tmp_path / "outputs").rglob("result.json"))


def test_unknown_group_option_names_the_allowed_ones(tmp_path):
    for override, allowed in (("model=transformer", "mlp"), ("dataset=imagenet", "digits")):
        out = dlx_cli("train", override, cwd=tmp_path)
        assert out.returncode != 0
        assert override.split("=")[1] in out.stderr and allowed in out.stderr


def test_user_config_dir_adds_a_model(tmp_path):
    args = user_model(tmp_path, "mynets", (
        "import math, torch\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self, in_shape, n_out, width=8):\n"
        "        super().__init__()\n"
        "        self.f = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(math.prod(in_shape), width),\n"
        "                                     torch.nn.ReLU(), torch.nn.Linear(width, n_out))\n"
        "    def forward(self, x):\n"
        "        return self.f(x)\n"), "_target_: mynets.Net\nwidth: 12\n")
    out = dlx_cli("train", *args, *TINY, "hydra.run.dir=run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "run" / "result.json").read_text())["status"] == "completed"
