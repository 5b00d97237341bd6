"""The GPU path's switches, exercised on CPU: bf16 autocast, torch.compile, no host sync per step."""

from __future__ import annotations

import math
import sys

import pytest
import torch
from conftest import TINY, cli_refusal, dlx_cli, make_cfg, options, run_cfg


def test_bf16_runs_on_cpu_and_says_so(tmp_path, capsys):
    result = run_cfg([*TINY, "trainer.precision=bf16", "model=cnn"], tmp_path)
    assert result["status"] == "completed"
    assert "precision=bf16 on CPU" in capsys.readouterr().out


def test_unknown_precision_is_refused(tmp_path, capsys):
    line = cli_refusal(capsys, "train", "trainer.precision=fp16", *TINY, cwd=tmp_path)
    assert "trainer.precision=fp16 is wrong: allowed is one of fp32, bf16" in line


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



def test_compile_refuses_newton_with_one_line(tmp_path):
    """Newton differentiates the gradient again; torch.compile cannot (it would crash mid-run)."""
    from dlx.config import ConfigError

    with pytest.raises(ConfigError, match="^trainer.compile=true is wrong with optim .*Newton: .*double backward"):
        run_cfg([*TINY, "optim=newton", "trainer.compile=true", "model.hidden=[8]"], tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("extra", [["optim=lbfgs", "trainer.max_steps=3"],
                                   ["model=dbn", "model.pretrain.steps=20", "trainer.max_epochs=1"]])
def test_compile_with_line_searches_and_pretraining_completes(tmp_path, extra):
    """L-BFGS calls the compiled model several times per step; a DBN's pretraining runs eagerly first."""
    result = run_cfg(["device=cpu", "trainer.compile=true", "model.hidden=[16]", *extra], tmp_path)
    assert result["status"] == "completed" and result["steps"] > 0

def test_steady_samples_per_s_leaves_out_the_first_epoch(tmp_path):
    one = run_cfg([*TINY, "trainer.max_steps=null", "trainer.max_epochs=1", "model.hidden=[16]"], tmp_path / "a")
    two = run_cfg([*TINY, "trainer.max_steps=null", "trainer.max_epochs=2", "model.hidden=[16]"], tmp_path / "b")
    assert one["steady_samples_per_s"] is None  # nothing but the warm-up epoch ran
    assert two["steady_samples_per_s"] > 0 and two["samples_per_s"] > 0


# ---- trainer.cuda_graphs: what cannot be captured is refused before anything trains --------------------------

GRAPHS = ["trainer.cuda_graphs=true", "trainer.drop_last=true"]


@pytest.mark.parametrize("extra, says", [
    (["trainer.drop_last=false", "trainer.batch_size=100"],
     "a graph replays one batch shape; allowed is trainer.drop_last=true"),
    (["schedule=linear"], "schedule=linear: the captured step keeps the learning rate"),
    (["optim=lbfgs"], "its step is not device work only; allowed are sgd, momentum"),
    (["optim=adagrad"], "its step is not device work only"),
    (["trainer.compile=true", "trainer.compile_mode=reduce-overhead"],
     "allowed with it are compile_mode default and max-autotune-no-cudagraphs"),
])
def test_cuda_graphs_refuses_what_a_replay_cannot_do(extra, says):
    """The check a CUDA run makes before training (run here without a GPU, with a CUDA device name)."""
    from hydra.utils import instantiate

    from dlx import graphs
    from dlx.config import ConfigError

    def check(cfg):
        tc, sc = cfg.trainer, cfg.schedule
        optimizer = instantiate(cfg.optim)([torch.nn.Parameter(torch.zeros(3))])
        graphs.check(torch.device("cuda"), optimizer, cfg.optim._target_, 1294, tc.batch_size, tc.drop_last,
                     sc.name, sc.get("warmup", 0), tc.compile, tc.compile_mode)

    cfg = make_cfg([*GRAPHS, *extra])
    with pytest.raises(ConfigError, match="^trainer.cuda_graphs=true is wrong") as err:
        check(cfg)
    assert says in str(err.value) and "\n" not in str(err.value)
    ok = make_cfg([*GRAPHS, "optim=sgd"])  # sgd, constant rate, fixed batches: accepted
    check(ok)


@pytest.mark.slow  # through a real process; the same cases run in-process in the default suite: tests/test_fuzz.py
def test_cuda_graphs_on_a_cpu_machine_exits_2_with_one_line(tmp_path):
    out = dlx_cli("train", "trainer.cuda_graphs=true", "device=cpu", *TINY, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "dlx: error: trainer.cuda_graphs=true is wrong on device cpu: CUDA graphs need a CUDA GPU; allowed on "
        "CPU is trainer.cuda_graphs=false"]


# ---- on a CUDA GPU (skipped elsewhere): run with `python -m pytest tests/test_gpu_path.py` on a GPU machine ---

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
GPU = ["device=cuda", "trainer.drop_last=true", "trainer.max_epochs=4", "trainer.batch_size=64"]


def _weights(run_dir):
    return torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)["model"]


@cuda
@pytest.mark.parametrize("optim", [["optim=sgd"], ["optim=adam", "+optim.capturable=true"], ["optim=momentum"]])
def test_cuda_graphs_take_the_same_steps_as_eager(tmp_path, optim):
    """The replayed graph runs the eager step's kernels: same seed, same batches, (nearly) the same weights.
    (Adam is compared with its eager capturable form, the update graphs use; the default form rounds differently
    and ends 0.4% apart in val/loss after these 80 steps on an H200.)"""
    eager = run_cfg([*GPU, *optim], tmp_path / "eager")
    graph = run_cfg([*GPU, *optim, "trainer.cuda_graphs=true"], tmp_path / "graph")
    assert graph["status"] == "completed" and graph["steps"] == eager["steps"]
    assert graph["final"]["val/loss"] == pytest.approx(eager["final"]["val/loss"], rel=1e-3)
    for name, w in _weights(tmp_path / "eager").items():
        torch.testing.assert_close(_weights(tmp_path / "graph")[name], w, rtol=1e-3, atol=1e-4)


@cuda
def test_cuda_graphs_train_a_bf16_cnn_with_dropout_and_resume(tmp_path):
    args = [*GPU, "model=cnn", "trainer.precision=bf16", "trainer.cuda_graphs=true",
            "regularization=[dropout,max_norm]"]
    result = run_cfg([*args, "trainer.max_epochs=8"], tmp_path)
    assert result["status"] == "completed" and result["final"]["test/acc"] > 0.8  # eager on CPU: 0.87
    assert result["steady_samples_per_s"] > 0
    resumed = run_cfg([*args, "trainer.max_epochs=12", f"resume={tmp_path}"], tmp_path)
    assert resumed["status"] == "completed" and resumed["epochs"] == 12
    assert resumed["final"]["test/acc"] > 0.85


@cuda
@pytest.mark.parametrize("mode, graphs", [("default", False), ("reduce-overhead", False), ("default", True)])
def test_compile_on_cuda_learns(tmp_path, mode, graphs):
    result = run_cfg([*GPU, "trainer.compile=true", f"trainer.compile_mode={mode}", f"trainer.cuda_graphs={graphs}",
                      "trainer.max_epochs=6"], tmp_path)
    assert result["status"] == "completed" and result["final"]["test/acc"] > 0.9


def _graph_cases():
    cases = [[f"model={m}"] for m in options("model")]
    cases += [[f"regularization={r}", *(["model=autoencoder"] if r == "sparsity" else [])]
              for r in options("regularization") if r not in ("none", "distill")]
    cases += [["trainer.grad_clip=1.0", "trainer.grad_norms=true"], ["optim=nesterov"], ["optim=rmsprop"],
              ["regularization=l2", "regularization.l2.decoupled=true"], ["optim=rmsprop_nesterov"], ["loss=mse"]]
    return [pytest.param(c, id=" ".join(c)) for c in cases]


@cuda
@pytest.mark.parametrize("extra", _graph_cases())
def test_cuda_graphs_run_every_model_regularizer_and_optimizer(tmp_path, extra):
    """Everything the capture check lets through must capture and train: no host sync or shape change hides
    in a model family, a regularizer or a course optimizer."""
    result = run_cfg([*GPU, "trainer.cuda_graphs=true", "trainer.max_epochs=2", *extra], tmp_path)
    assert result["status"] in ("completed", "stopped_early"), result["error"]
    assert math.isfinite(result["final"]["train/loss"]) and result["steps"] > 3


@cuda
def test_cuda_graphs_with_distillation(tmp_path):
    teacher = tmp_path / "teacher"
    run_cfg(["model.hidden=[32]", "trainer.max_steps=5", "device=cpu"], teacher)
    result = run_cfg([*GPU, "trainer.cuda_graphs=true", "trainer.max_epochs=2", "regularization=[distill,curriculum]",
                      f"regularization.distill.teacher={teacher}", f"regularization.curriculum.teacher={teacher}"],
                     tmp_path / "student")
    assert result["status"] == "completed" and math.isfinite(result["final"]["train/loss"])
