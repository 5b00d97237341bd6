"""Sweeps: resume bookkeeping, the end-of-multirun summary, the launcher and sweeper configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from dlx import sweep


def job(folder: Path, overrides: list[str], status: str | None, checkpoint: bool = False) -> Path:
    (folder / "checkpoints").mkdir(parents=True)
    (folder / ".hydra").mkdir()
    (folder / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    (folder / "events.out.tfevents.1.host.1.0").write_bytes(b"")
    if checkpoint:
        (folder / "checkpoints" / "last.pt").write_bytes(b"x")
    if status:
        result = {"status": status, "overrides": overrides, "best": {"val/acc": 0.5}, "metric": "val/acc"}
        (folder / "result.json").write_text(json.dumps(result))
    return folder


@pytest.mark.parametrize("status", ["completed", "stopped_early", "diverged"])
def test_resume_keeps_finished_jobs(tmp_path, status):
    d = job(tmp_path / "0", ["optim=sgd", "seed=0"], status)
    # the re-run's overrides carry resume_sweep=true; that does not make it another job
    kept = sweep.resume_job(d, ["optim=sgd", "seed=0", "resume_sweep=true"])
    assert kept is not None and kept["status"] == status
    assert (d / "result.json").exists() and (d / "events.out.tfevents.1.host.1.0").exists()


def test_resume_clears_a_failed_job_and_keeps_an_interrupted_one(tmp_path):
    failed = job(tmp_path / "0", ["optim=sgd"], "failed", checkpoint=True)
    assert sweep.resume_job(failed, ["optim=sgd"]) is None
    assert {p.name for p in failed.iterdir()} == {".hydra"}  # old events, result and checkpoints gone

    killed = job(tmp_path / "1", ["optim=adam"], None, checkpoint=True)  # no result.json: killed mid-run
    assert sweep.resume_job(killed, ["optim=adam"]) is None
    assert sweep.resumable(killed, None)
    assert (killed / "checkpoints" / "last.pt").exists()

    interrupted = job(tmp_path / "2", ["optim=adam"], "interrupted", checkpoint=True)
    assert sweep.resume_job(interrupted, ["optim=adam"]) is None and sweep.resumable(
        interrupted, {"status": "interrupted"}
    )

    fresh = tmp_path / "3"
    fresh.mkdir()
    assert sweep.resume_job(fresh, ["optim=adam"]) is None


def test_resume_refuses_a_folder_of_another_sweep(tmp_path):
    d = job(tmp_path / "0", ["optim=sgd", "seed=0"], "completed")
    with pytest.raises(sweep.SweepMismatch, match="job folder 0 holds a run with overrides"):
        sweep.resume_job(d, ["optim=adam", "seed=0"])


def test_direction_follows_the_metric():
    assert sweep.direction("auto", "auto") == "maximize"
    assert sweep.direction("val/acc", "auto") == "maximize"
    assert sweep.direction("val/loss", "auto") == "minimize"
    assert sweep.direction("val/acc", "min") == "minimize"
    cfg = OmegaConf.create(
        {
            "trainer": {"metric": "val/loss", "mode": "auto"},
            "d": "${dlx.direction:${trainer.metric},${trainer.mode}}",
        }
    )
    assert cfg.d == "minimize"
