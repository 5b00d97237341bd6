"""Every option of every config group composes and trains two steps."""

from __future__ import annotations

import math

import datafiles
import pytest
from conftest import TINY, make_cfg, options, run_cfg

# Newton and BFGS hold an n x n matrix and refuse the default mlp (17k parameters); distill needs a teacher run
# (tests/test_regularize_loop.py trains one and runs it).
# model=dbn pretrains for 1000 CD steps by default.
EXTRA = {("optim", "newton"): ["model.hidden=[4]"], ("optim", "bfgs"): ["model.hidden=[16]"],
         ("model", "dbn"): ["model.pretrain.steps=2"],
         ("regularization", "sparsity"): ["model=autoencoder"]}  # a penalty on an autoencoder's code
GROUP_CASES = (
    [("model", o, ["dataset=digits", *EXTRA.get(("model", o), [])]) for o in options("model")]
    + [("optim", o, EXTRA.get(("optim", o), [])) for o in options("optim")]
    + [("schedule", o, []) for o in options("schedule")]
    + [("dataset", o, []) for o in options("dataset")]
    + [("regularization", o, EXTRA.get(("regularization", o), [])) for o in options("regularization") if o != "distill"]
)


@pytest.mark.parametrize("group,option,extra", GROUP_CASES, ids=[f"{g}={o}" for g, o, _ in GROUP_CASES])
def test_option_composes_and_runs_two_steps(group, option, extra, tmp_path, monkeypatch):
    if group == "dataset":  # datasets read from files get small ones in their real format (no download)
        extra = [*extra, *datafiles.prepare(option, tmp_path / "data", monkeypatch)]
    result = run_cfg([f"{group}={option}", *extra, *TINY], tmp_path)
    assert result["status"] == "completed"
    assert result["steps"] == 2
    assert math.isfinite(result["final"]["train/loss"])


@pytest.mark.parametrize("experiment", options("experiment"))
def test_experiment_presets_compose_with_valid_loop_keys(experiment):
    """Each preset composes, and what it sets for the loop passes the loop's own checks (dlx/config.py)."""
    from dlx.config import validate

    validate(make_cfg([f"experiment={experiment}"]))


def test_regularization_list_combines(tmp_path):
    cfg = make_cfg(["regularization=[l2,dropout]"])
    assert cfg.regularization.l2.alpha > 0
    assert cfg.regularization.dropout.hidden == 0.5 and cfg.regularization.dropout.input == 0.2
    assert run_cfg(["regularization=[l2,dropout]", *TINY], tmp_path)["status"] == "completed"


def test_optimizer_instantiates_as_partial():
    import torch
    from hydra.utils import instantiate

    for option in options("optim"):
        cfg = make_cfg([f"optim={option}"])
        opt = instantiate(cfg.optim)([torch.nn.Parameter(torch.zeros(3))])
        assert isinstance(opt, torch.optim.Optimizer)
        assert opt.param_groups[0]["lr"] == cfg.optim.lr


@pytest.mark.parametrize("group", ["model", "optim", "dataset"])
def test_every_key_of_every_option_is_an_argument_of_its_owner(group):
    # One source of truth: a YAML key is an argument of the class or function that checks it (dlx/setup.py
    # adds in_shape/n_out and the model's regularizer arguments; LOOP_KEYS are the setup's own).
    import inspect

    from hydra.utils import get_method
    from omegaconf import OmegaConf

    from dlx.setup import LOOP_KEYS

    strays = []
    for option in options(group):
        node = OmegaConf.to_container(make_cfg([f"{group}={option}"])[group], resolve=False)
        params = inspect.signature(get_method(node["_target_"])).parameters
        strays += [f"{group}={option}: {k}" for k in node if not k.startswith("_") and k not in params
                   and not (group == "model" and k in LOOP_KEYS)]
    assert not strays, strays


@pytest.mark.parametrize("regularizer", [o for o in options("regularizer") if o != "none"])
def test_each_strength_of_a_regularizer_reaches_its_own_key(regularizer):
    """configs/regularizer/<name>.yaml is regularization=<name> with strength=weak|mid|strong mapped to its own
    keys: the three levels give three different settings, and only that regularizer is on, with its keys."""
    from omegaconf import OmegaConf

    from dlx import CONFIG_DIR

    keys = set(OmegaConf.load(CONFIG_DIR / "regularization" / f"{regularizer}.yaml")[regularizer])
    settings = []
    for strength in ("weak", "mid", "strong"):
        cfg = make_cfg(["experiment=regularizers", f"regularizer={regularizer}", f"strength={strength}"])
        reg = OmegaConf.to_container(cfg.regularization, resolve=True)
        assert list(reg) == [regularizer] and set(reg[regularizer]) == keys
        settings.append(reg)
    assert len({str(s) for s in settings}) == 3


def test_the_regularizer_group_works_outside_the_preset():
    from omegaconf import OmegaConf

    cfg = make_cfg(["+regularizer=l2", "strength=weak"])
    assert OmegaConf.to_container(cfg.regularization, resolve=True)["l2"]["alpha"] == cfg.strengths.weak


def test_regularizers_preset_composes_every_job_and_a_job_runs(tmp_path):
    """The preset's one command: its grid is 12 regularizers x 3 strengths x 5 seeds (each regularizer's
    strengths compose in the test above); none ignores the strength; one job trains."""
    from dlx import preflight

    jobs, _ = preflight.jobs(["experiment=regularizers"], [])
    assert len(jobs) == 12 * 3 * 5
    assert {o.split("=")[1] for job in jobs for o in job if o.startswith("regularizer=")} == set(options("regularizer"))
    assert make_cfg(["experiment=regularizers", "regularizer=none", "strength=strong"]).regularization == {}
    result = run_cfg(["experiment=regularizers", "regularizer=augment", "strength=strong", *TINY], tmp_path)
    assert result["status"] == "completed" and result["steps"] == 2


@pytest.mark.slow
def test_regularizers_preset_passes_the_preflight(tmp_path):
    """dlx train -m experiment=regularizers: the preflight builds each of the grid's 36 settings (about 0.5 s
    each with MNIST-1D) and accepts them all."""
    from dlx import preflight

    assert preflight.preflight(["-m", "experiment=regularizers", f"hydra.sweep.dir={tmp_path / 'sweep'}"]).checked
