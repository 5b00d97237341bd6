"""Regularizers, second-order optimizers and training techniques inside the real loop (composed configs,
shrunk), with mlp, cnn and lstm."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from conftest import make_cfg, options, run_cfg
from omegaconf import OmegaConf
from torch import nn

from dlx import checkpoint
from dlx.config import ConfigError
from dlx.objective import family_loss as make_loss
from dlx.setup import instantiate_model

SMALL = {
    "mlp": ["model=mlp", "model.hidden=[16]"],
    "cnn": ["model=cnn", "model.channels=[4]", "model.hidden=[8]"],
    "lstm": ["model=lstm", "model.hidden=8"],
}
TINY = ["trainer.max_steps=2", "trainer.log_every=1", "device=cpu", "trainer.batch_size=32"]
NEEDS_TEACHER = {"distill"}
ONLY = {"batchnorm": ("mlp", "cnn"), "sparsity": ()}  # the lstm has no batchnorm key; sparsity: autoencoders only


def cases():
    # mlp runs every option in test_configs.py already; cnn and lstm here (slow: ~1 s each)
    out = []
    for opt in options("regularization"):
        for model in ONLY.get(opt, ("cnn", "lstm")):
            if opt not in NEEDS_TEACHER and opt != "none" and model != "mlp":
                out.append(pytest.param(opt, model, marks=pytest.mark.slow))
    return out


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("teacher")
    overrides = ["model=mlp", "model.hidden=[32]", "trainer.max_steps=5", "device=cpu"]
    assert run_cfg(overrides, run_dir)["status"] == "completed"
    return run_dir


@pytest.mark.parametrize("option,model", cases())
def test_regularizer_runs_with_each_model(option, model, tmp_path):
    result = run_cfg([f"regularization={option}", *SMALL[model], *TINY], tmp_path)
    assert result["status"] == "completed" and math.isfinite(result["final"]["train/loss"])


@pytest.mark.parametrize("model", ["mlp", pytest.param("cnn", marks=pytest.mark.slow),
                                   pytest.param("lstm", marks=pytest.mark.slow)])
def test_distill_and_curriculum_with_a_teacher_run(model, teacher, tmp_path):
    overrides = ["regularization=[distill,curriculum]", f"regularization.distill.teacher={teacher}",
                 f"regularization.curriculum.teacher={teacher}", *SMALL[model], *TINY]
    result = run_cfg(overrides, tmp_path)
    assert result["status"] == "completed" and math.isfinite(result["final"]["train/loss"])


def test_distill_needs_a_teacher(tmp_path):
    with pytest.raises(ConfigError, match="distill.teacher=null is wrong: allowed is a trained run"):
        run_cfg(["regularization=distill", *TINY], tmp_path)


def test_dropout_uses_the_course_rates():
    # keep 0.8 of the inputs, 0.5 of the hidden units (Srivastava et al. 2014), for every model family
    torch.manual_seed(0)
    for model in ("mlp", "cnn", "lstm"):
        cfg = make_cfg(["regularization=dropout", *SMALL[model]])
        reg = OmegaConf.to_container(cfg.regularization)
        net = instantiate_model(cfg.model, in_shape=(1, 8, 8), n_out=10, reg=reg)
        drops = [m for m in net.modules() if isinstance(m, nn.Dropout)]
        assert [d.p for d in drops][:1] == [0.2] and all(d.p == 0.5 for d in drops[1:]) and len(drops) >= 2
        x = torch.ones(200_000)
        for d in drops:
            d.train()
            kept = d(x)
            assert (kept == 0).float().mean().item() == pytest.approx(d.p, abs=0.005)
            assert kept.max().item() == pytest.approx(1 / (1 - d.p))  # inverted dropout keeps E[x]


def test_early_stopping_stops_and_restores_the_best_weights(tmp_path):
    # min_delta so large that nothing after epoch 1 counts as better: stop after `patience` more epochs
    common = ["regularization=early_stopping", "regularization.early_stopping.patience=2",
              "regularization.early_stopping.min_delta=100", "device=cpu", "model.hidden=[8]",
              "trainer.batch_size=512"]
    es = run_cfg([*common, "trainer.max_epochs=10"], tmp_path / "es")
    assert es["status"] == "stopped_early" and es["epochs"] == 3 and es["best_epoch"] == 1
    one = run_cfg(["trainer.max_epochs=1", *common[3:]], tmp_path / "one")
    # same seed, same first epoch: the restored weights are epoch 1's, so val and test match exactly
    for k in ("val/loss", "val/acc", "test/loss", "test/acc"):
        assert es["final"][k] == one["final"][k]


def test_max_norm_bounds_every_unit(tmp_path):
    run_cfg(["regularization=max_norm", "regularization.max_norm.c=0.3", "optim=sgd", "optim.lr=0.5",
             "trainer.max_steps=5", "model.hidden=[16]", "device=cpu"], tmp_path)
    state = checkpoint.load(tmp_path / "checkpoints" / "last.pt")["model"]
    kernels = [v for v in state.values() if v.ndim >= 2]
    assert kernels and all(w.flatten(1).norm(dim=1).max() <= 0.3 + 1e-5 for w in kernels)


def test_label_smoothing_targets():
    out, y = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 0, 1])
    target = F.one_hot(y, 4).float() * 0.9 + 0.1 / 4  # (1 - eps) one-hot + eps / k
    ce = make_loss("cross_entropy", "classification", 4, 0.1)(out, y)
    assert torch.allclose(ce, -(target * F.log_softmax(out, -1)).sum(1).mean())
    mse = make_loss("mse", "classification", 4, 0.1)(out, y)
    assert torch.allclose(mse, ((out.softmax(-1) - target) ** 2).mean())


def test_grad_norms_reach_tensorboard(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_cfg(["trainer.grad_norms=true", "model.hidden=[8,8]", "model.activation=sigmoid", *TINY], tmp_path)
    tags = EventAccumulator(str(tmp_path)).Reload().Tags()["scalars"]
    assert {"grad/net.1", "grad/net.3", "grad/net.5"} <= set(tags)


SLOW_LINE_SEARCH = [pytest.param(o, marks=pytest.mark.slow) for o in ("newton", "cg", "bfgs")]


@pytest.mark.parametrize("optim", [*SLOW_LINE_SEARCH, "lbfgs"])
def test_second_order_train_full_batch_in_the_loop(optim, tmp_path):
    # (line searches take several forward/backward passes per step)
    overrides = [f"optim={optim}", "model.hidden=[4]", "trainer.max_steps=6", "trainer.log_every=1"]
    cfg = make_cfg(overrides)
    assert cfg.trainer.batch_size >= 10**6  # full batch by default
    result = run_cfg(overrides, tmp_path)
    assert result["status"] == "completed" and result["epochs"] == 6  # one step per epoch
    assert result["final"]["val/loss"] < 2.25  # below chance, ln 10 = 2.30, after 6 full-batch steps


def test_newton_refuses_a_large_model_with_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"optim=newton refuses this model: it has \d+ parameters, the "
                       r"limit is max_params=3000 because each step builds the n x n Hessian"):
        run_cfg(["optim=newton", *TINY], tmp_path)


TINY_MODELS = {"cnn": ["model=cnn", "model.channels=[2]", "model.hidden=[4]"], "lstm": ["model=lstm", "model.hidden=4"]}


@pytest.mark.slow
@pytest.mark.parametrize("model", ["cnn", "lstm"])
@pytest.mark.parametrize("optim", options("optim"))
def test_optimizer_runs_with_each_model(optim, model, tmp_path):
    # small enough for Newton's exact Hessian (a few hundred parameters); mlp runs in test_configs.py
    result = run_cfg([f"optim={optim}", *TINY_MODELS[model], "trainer.max_steps=2", "trainer.log_every=1"], tmp_path)
    assert result["status"] == "completed" and math.isfinite(result["final"]["train/loss"])
