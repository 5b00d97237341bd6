"""Every model family composes with every regularizer (and every optimizer), or refuses with one line.

One epoch on 64 digits each: what is refused is refused at the preflight, by the same checks a run makes
(dlx/setup.py), never with a traceback from deep inside a constructor.
"""

from __future__ import annotations

import math

import pytest
from conftest import cli_refusal, options, run_cfg

from dlx.checks import ConfigError

FAMILIES = options("model")
REGULARIZERS = [o for o in options("regularization") if o != "distill"]  # distill: tests/test_regularize_loop.py
SMALL = {"dbn": ["model.pretrain.steps=2"], "resnet": ["model.width=4", "model.blocks=[1]"],
         "multistream": ["model.width=8"]}
BASE = ["dataset=digits", "dataset.subset=64", "trainer.max_epochs=1", "trainer.batch_size=32", "device=cpu",
        "trainer.log_every=1"]

# What a family refuses, and why (each family's docstring says the same).
REFUSED = {
    ("lstm", "batchnorm"), ("gru", "batchnorm"), ("rnn", "batchnorm"),  # batch norm across time: not the course
    ("resnet", "batchnorm"),  # every residual block is normalised already
    ("dbn", "batchnorm"),  # its layers are RBMs; normalising between them breaks what pretraining learnt
    ("linear", "batchnorm"),  # no hidden layer to normalise
    ("multitask", "adversarial"), ("multitask", "label_smoothing"), ("multitask", "curriculum"),  # one output
    ("autoencoder", "label_smoothing"),  # a reconstruction is a regression
    *((f, "sparsity") for f in FAMILIES if f != "autoencoder"),  # a penalty on an autoencoder's code
}


def _outcome(model: str, reg: str, tmp_path) -> str:
    try:
        result = run_cfg([f"model={model}", f"regularization={reg}", *SMALL.get(model, []), *BASE], tmp_path)
    except ConfigError as e:
        assert "\n" not in str(e) and "is wrong" in str(e), str(e)
        return "refused"
    assert result["status"] == "completed", result
    assert result["steps"] == 2 and math.isfinite(result["final"]["train/loss"])
    return "trained"


@pytest.mark.slow
@pytest.mark.parametrize("model", FAMILIES)
@pytest.mark.parametrize("reg", REGULARIZERS)
def test_every_family_with_every_regularizer(model, reg, tmp_path):
    expected = "refused" if (model, reg) in REFUSED else "trained"
    assert _outcome(model, reg, tmp_path) == expected


@pytest.mark.parametrize("model", FAMILIES)
def test_every_family_takes_dropout_and_batchnorm_or_says_why_not(model, tmp_path):
    for reg in ("dropout", "batchnorm"):
        expected = "refused" if (model, reg) in REFUSED else "trained"
        assert _outcome(model, reg, tmp_path / reg) == expected, (model, reg)


OPTIM_SMALL = {"newton": ["model.hidden=[4]"], "bfgs": ["model.hidden=[8]"]}


@pytest.mark.slow
@pytest.mark.parametrize("model", ["mlp", "lstm", "autoencoder", "multitask"])
@pytest.mark.parametrize("optim", options("optim"))
def test_every_optimizer_once_per_family_kind(model, optim, tmp_path):
    extra = OPTIM_SMALL.get(optim, []) if model == "mlp" else []
    if optim in ("newton", "bfgs") and model != "mlp":
        extra = {"lstm": ["model.hidden=2"], "autoencoder": ["model.hidden=[4,2]"],
                 "multitask": ["model.hidden=[4]"]}[model]
    try:
        result = run_cfg([f"model={model}", f"optim={optim}", *extra, *BASE], tmp_path)
    except ConfigError as e:  # Newton/BFGS refuse models over optim.max_params, with the reason
        assert optim in ("newton", "bfgs") and "max_params" in str(e), str(e)
        return
    assert result["status"] in ("completed", "diverged"), result


def test_a_refused_combination_is_one_line_at_the_cli(tmp_path, capsys):
    line = cli_refusal(capsys, "train", "model=lstm", "regularization=batchnorm", *BASE, cwd=tmp_path)
    assert line.startswith("dlx: error: regularization=batchnorm is wrong with model") and "LSTM" in line
    assert not (tmp_path / "outputs").exists()


def test_l2_and_weight_decay_both_apply(tmp_path):
    from conftest import make_cfg

    from dlx.setup import build

    run = build(make_cfg(["regularization=[l2,weight_decay]", *BASE]), dry=True)
    assert len(run.objective.parts.terms) == 1 and len(run.objective.parts.constraints) == 1


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("teacher")
    assert run_cfg(["model=mlp", "model.hidden=[32]", *BASE], run_dir)["status"] == "completed"
    return run_dir


@pytest.mark.parametrize("regs", ["curriculum", "[curriculum,distill]"])
def test_curriculum_with_a_teacher_passes_the_real_preflight_and_trains(regs, teacher, tmp_path):
    """What `dlx train` runs before Hydra starts (dlx/preflight.py, which builds the model on the meta device),
    then the run itself; the teacher as a run folder for one and as its .pt for the other."""
    from dlx.preflight import preflight

    overrides = [f"regularization={regs}", f"regularization.curriculum.teacher={teacher}",
                 f"regularization.distill.teacher={teacher / 'checkpoints' / 'last.pt'}" if "distill" in regs
                 else "regularization.curriculum.start=0.5", *BASE]
    assert preflight(overrides).args == overrides
    result = run_cfg(overrides, tmp_path)
    assert result["status"] == "completed" and math.isfinite(result["final"]["train/loss"])


def test_a_teacher_of_other_data_is_one_line(teacher, tmp_path):
    from dlx.preflight import preflight

    for reg in ("curriculum", "distill"):
        with pytest.raises(ConfigError, match=r"teacher=\S+ is wrong: its model does not fit this run's data"):
            preflight([f"regularization={reg}", f"regularization.{reg}.teacher={teacher}", "dataset=mnist1d",
                       *BASE[2:]])
