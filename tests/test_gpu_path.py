"""The GPU path's switches, exercised on CPU: bf16 autocast, torch.compile, no host sync per step."""

from __future__ import annotations

import sys

import pytest
import torch
from conftest import TINY, dlx_cli, run_cfg


def test_bf16_runs_on_cpu_and_says_so(tmp_path, capsys):
    result = run_cfg([*TINY, "trainer.precision=bf16", "model=cnn"], tmp_path)
    assert result["status"] == "completed"
    assert "precision=bf16 on CPU" in capsys.readouterr().out


def test_unknown_precision_is_refused(tmp_path):
    out = dlx_cli("train", "trainer.precision=fp16", *TINY, cwd=tmp_path)
    assert out.returncode == 2
    assert "trainer.precision=fp16 is wrong: allowed is one of fp32, bf16" in out.stderr


def test_no_host_sync_per_step(tmp_path, monkeypatch):
    """dlx calls Tensor.item() (a host sync) a fixed number of times per epoch, not once per step.

    (torch.optim reads its own CPU step counters with .item(); those are not device syncs, so only calls
    made from dlx's code are counted.)"""
    calls = {"n": 0}
    item = torch.Tensor.item

    def counting_item(self):
        if "/dlx/" in sys._getframe(1).f_code.co_filename:
            calls["n"] += 1
        return item(self)

    monkeypatch.setattr(torch.Tensor, "item", counting_item)
    result = run_cfg(["device=cpu", "trainer.max_epochs=2", "trainer.log_every=1000", "model.hidden=[16]",
                      "trainer.batch_size=16"], tmp_path)
    assert result["steps"] == 2 * 81
    assert calls["n"] <= 10  # per epoch: train loss, val loss, val acc; then test loss and acc


@pytest.mark.slow
def test_compile_on_cpu_trains_a_tiny_model(tmp_path):
    result = run_cfg(["device=cpu", "trainer.compile=true", "trainer.drop_last=true", "trainer.max_epochs=2",
                      "model.hidden=[32]"], tmp_path)
    assert result["status"] == "completed"
    assert result["final"]["val/acc"] > 0.6
