"""Every optimizer and schedule key refuses a wrong value with one line that starts with the key
(``lr=0 is wrong: ...``), checked by its owner: dlx's optimizers in their constructors, torch.optim's classes by
dlx.optim.check_torch (which the setup calls before building them), schedules by dlx.optim.schedule.check."""

from __future__ import annotations

import hydra
import pytest
import torch
from omegaconf import OmegaConf

import dlx
from dlx.checks import ConfigError
from dlx.optim import check_torch, schedule

OPTIM_DIR = dlx.CONFIG_DIR / "optim"
OPTIONS = sorted(p.stem for p in OPTIM_DIR.glob("*.yaml"))


def build(name, **over):
    """configs/optim/<name>.yaml with ``over`` set, built as the setup builds it: check_torch, then the class."""
    cfg = OmegaConf.load(OPTIM_DIR / f"{name}.yaml")
    cfg = cfg.optim if "optim" in cfg else cfg
    for k, v in over.items():
        cfg[k] = v
    kwargs = {k: v for k, v in OmegaConf.to_container(cfg).items() if not k.startswith("_")}
    check_torch(cfg._target_, kwargs)
    return hydra.utils.instantiate(cfg)([torch.nn.Parameter(torch.zeros(3))])


def refused(key, call):
    with pytest.raises(ConfigError) as e:
        call()
    text = str(e.value)
    assert text.startswith(f"{key}=") and " is wrong: allowed is " in text and "\n" not in text, text
    return text


@pytest.mark.parametrize("name", OPTIONS)
def test_every_option_builds_as_configured(name):
    assert isinstance(build(name), torch.optim.Optimizer)


@pytest.mark.parametrize("name", OPTIONS)
@pytest.mark.parametrize("lr", [0, 0.0, -0.1, float("nan"), "0.1", None])
def test_lr_zero_or_worse_is_refused_everywhere(name, lr):
    refused("lr", lambda: build(name, lr=lr))  # a rate of 0 trains nothing


BAD = [
    ("sgd", "momentum", 1.0), ("sgd", "momentum", -0.1), ("sgd", "dampening", 1.5), ("sgd", "weight_decay", -1e-4),
    ("sgd", "nesterov", "yes"), ("sgd", "nesterov", True), ("sgd", "maximize", 1), ("sgd", "betas", [0.9, 0.99]),
    ("adam", "betas", [0.9, 1.0]), ("adam", "betas", [0.9]), ("adam", "betas", 0.9), ("adam", "eps", 0),
    ("adam", "weight_decay", -0.1), ("adam", "amsgrad", 1),
    ("adagrad", "lr_decay", -1), ("adagrad", "initial_accumulator_value", -0.5), ("adagrad", "eps", 0),
    ("lbfgs", "max_iter", 0), ("lbfgs", "max_eval", 0), ("lbfgs", "history_size", 2.5),
    ("lbfgs", "line_search_fn", "armijo"), ("lbfgs", "tolerance_grad", -1), ("lbfgs", "tolerance_change", -1),
    ("momentum", "momentum", 1.0), ("momentum", "momentum", -0.5), ("momentum", "form", "book"),
    ("nesterov", "momentum", 1), ("nesterov", "form", None),
    ("rmsprop", "rho", 1.0), ("rmsprop", "delta", 0), ("rmsprop", "form", "keras"),
    ("rmsprop_nesterov", "rho", -0.1), ("rmsprop_nesterov", "momentum", 1.0), ("rmsprop_nesterov", "delta", -1e-6),
    ("newton", "damping", -1), ("newton", "line_search", "yes"), ("newton", "max_params", 0),
    ("cg", "beta", "hestenes_stiefel"), ("cg", "c2", 1.0), ("cg", "c2", -0.1),
    ("bfgs", "c2", 0), ("bfgs", "max_params", 1.5),
]


@pytest.mark.parametrize("name, key, value", BAD)
def test_wrong_value_names_its_key(name, key, value):
    refused(key, lambda: build(name, **{key: value}))


def test_messages_say_what_is_allowed():
    assert refused("betas", lambda: build("adam", betas=[0.9, 1.0])) == \
        "betas=[0.9,1.0] is wrong: allowed is a pair [rho1, rho2] of numbers in [0, 1)"
    assert refused("lr", lambda: build("momentum", lr=0)) == "lr=0 is wrong: allowed is a number > 0"
    assert "a key of torch.optim.SGD: lr, momentum" in refused("betas", lambda: build("sgd", betas=[0.9, 0.99]))
    assert "momentum > 0 and dampening=0" in refused("nesterov", lambda: check_torch(
        "torch.optim.SGD", {"lr": 0.1, "nesterov": True, "momentum": 0.9, "dampening": 0.1}))


def test_nesterov_sgd_with_momentum_is_fine_and_unknown_targets_pass():
    check_torch("torch.optim.SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True})
    check_torch("mypackage.MyOptimizer", {"lr": 0, "anything": "goes"})  # a user's own optimizer checks itself


# ---- schedules ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.stem for p in (dlx.CONFIG_DIR / "schedule").glob("*.yaml")))
def test_every_schedule_config_passes_its_check(name):
    schedule.check(**OmegaConf.to_container(OmegaConf.load(dlx.CONFIG_DIR / "schedule" / f"{name}.yaml")))


@pytest.mark.parametrize("key, value", [("name", "step"), ("name", None), ("tau", 0), ("tau", 1.5), ("tau", -3),
                                        ("final_frac", 1.5), ("final_frac", -0.1), ("final_frac", float("inf")),
                                        ("warmup", -1), ("warmup", 2.5), ("warmup", True)])
def test_schedule_wrong_value_names_its_key(key, value):
    args = {"name": "linear", "tau": None, "final_frac": 0.01, "warmup": 0, key: value}
    refused(key, lambda: schedule.check(**args))
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    refused(key, lambda: schedule.build(opt, total_steps=10, **args))  # build checks first


def test_schedule_tau_one_and_null_are_fine():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    schedule.build(opt, "linear", total_steps=10, tau=1, final_frac=0.0, warmup=0)
    schedule.build(opt, "cosine", total_steps=10, tau=None, final_frac=1.0, warmup=3)


@pytest.mark.parametrize("optim, fused", [("adam", True), ("adagrad", True), ("sgd", True), ("momentum", None),
                                          ("lbfgs", None)])
def test_cpu_runs_step_with_torchs_fused_kernel_where_there_is_one(optim, fused):
    """torch.optim's fused CPU kernel (one call for every tensor, not ~10 small ops per tensor from Python);
    dlx's course optimizers and torch classes without one keep their own step."""
    from conftest import make_cfg

    from dlx import setup

    run = setup.build(make_cfg(["device=cpu", f"optim={optim}"]))
    assert run.optimizer.defaults.get("fused") is fused


def test_an_optim_config_that_names_foreach_or_fused_keeps_its_choice():
    from conftest import make_cfg

    from dlx import setup

    run = setup.build(make_cfg(["device=cpu", "optim=adam", "+optim.foreach=true"]))
    assert run.optimizer.defaults["foreach"] is True and not run.optimizer.defaults["fused"]
    run = setup.build(make_cfg(["device=cpu", "optim=adam", "+optim.fused=false"]))
    assert run.optimizer.defaults["fused"] is False
