"""What a run tells its user: the thinned epoch lines say so, and an interrupted sweep job names the command
that continues the sweep."""

from __future__ import annotations

from conftest import run_cfg
from datafiles import prepare
from omegaconf import OmegaConf

from dlx.runfolder import continue_command


def test_thinned_epoch_lines_are_announced_once(tmp_path, monkeypatch):
    data = prepare("csv", tmp_path / "data", monkeypatch)  # 60 rows: one step per epoch
    run_cfg(["device=cpu", "dataset=csv", *data, "model.hidden=[4]", "trainer.max_epochs=40"], tmp_path / "run")
    log = (tmp_path / "run" / "train.log").read_text().splitlines()
    assert sum("an epoch line every 2 epochs" in line for line in log) == 1
    assert sum(line.startswith("epoch ") for line in log) == 20


def test_interrupted_sweep_job_is_continued_by_the_sweep_command(tmp_path):
    sweep_dir = tmp_path / "sweep"
    (sweep_dir / "3").mkdir(parents=True)
    OmegaConf.save(OmegaConf.create({"hydra": {
        "overrides": {"hydra": [f"hydra.sweep.dir={sweep_dir}", "hydra/launcher=parallel", "hydra.mode=MULTIRUN"],
                      "task": ["optim=sgd,adam", "seed=0,1", "resume_sweep=true"]},
        "runtime": {"config_sources": [{"path": "/my/conf", "schema": "file", "provider": "command-line"},
                                       {"path": "pkg://dlx", "schema": "pkg", "provider": "main"}]}}}),
        sweep_dir / "multirun.yaml")
    assert continue_command(sweep_dir / "3") == (
        f"dlx train -m --config-dir /my/conf hydra/launcher=parallel optim=sgd,adam seed=0,1 "
        f"hydra.sweep.dir={sweep_dir} resume_sweep=true")
    # a single run: resume= where it has a checkpoint to continue from, no command without one
    assert continue_command(tmp_path / "run") is None
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "checkpoints" / "last.pt").write_bytes(b"")
    assert continue_command(tmp_path / "run") == f"dlx train resume={tmp_path / 'run'}"
