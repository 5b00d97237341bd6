"""Nothing gets in: a checkpoint or run folder cannot make dlx call arbitrary code, and corruption is caught."""

from __future__ import annotations

import pytest
import torch
from conftest import TINY, cli_refusal, run_cfg
from omegaconf import OmegaConf

from dlx import checkpoint, cli
from dlx.regularize import load_teacher
from dlx.setup import instantiate_model


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    run_cfg(TINY, run_dir)
    return run_dir


def hostile_copy(trained, tmp_path, key: str, victim):
    """The trained run's checkpoint with builtins.open(victim, 'w') planted in config key ``key``."""
    state = checkpoint.load(trained / "checkpoints" / "last.pt")
    cfg = OmegaConf.create(state["config"])
    OmegaConf.update(cfg, key, {"_target_": "builtins.open", "_args_": [str(victim), "w"]}, merge=False,
                     force_add=True)
    state["config"] = OmegaConf.to_yaml(cfg)
    bad = tmp_path / "hostile.pt"
    checkpoint.save(bad, state)  # a valid checksum: the attacker can compute one too
    return bad


@pytest.mark.parametrize("key", ["dataset", "model", "model.hidden"])
def test_eval_refuses_a_checkpoint_naming_foreign_code(trained, tmp_path, key, capsys):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    bad = hostile_copy(trained, tmp_path, key, victim)
    assert "builtins.open" in cli_refusal(capsys, "eval", str(bad), "--device", "cpu", cwd=tmp_path)
    assert victim.read_text() == "keep me"


def test_teacher_checkpoint_naming_foreign_code_is_refused(trained, tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    bad = hostile_copy(trained, tmp_path, "model", victim)
    with pytest.raises(checkpoint.CheckpointError, match="builtins.open"):
        load_teacher(bad, lambda cfg: instantiate_model(cfg, (1, 8, 8), 10), "cpu")
    assert victim.read_text() == "keep me"


def test_eval_of_a_good_checkpoint_still_works(trained, tmp_path, capsys):
    from dlx import cli

    assert cli.main(["eval", str(trained), "--checkpoint", "last", "--device", "cpu"]) == 0
    assert "test" in capsys.readouterr().out


def test_a_flipped_bit_is_caught_on_load(trained, tmp_path, capsys):
    state = checkpoint.load(trained / "checkpoints" / "last.pt")
    name = next(iter(state["model"]))
    w = state["model"][name].clone()
    w.view(-1)[0] = torch.tensor(1.9e36)  # what a flipped exponent bit looks like
    state["model"][name] = w
    torch.save(state, tmp_path / "flipped.pt")  # the old checksum, new content
    with pytest.raises(checkpoint.CheckpointError, match="corrupt"):
        checkpoint.load(tmp_path / "flipped.pt")
    assert "flipped.pt is corrupt" in cli_refusal(capsys, "eval", str(tmp_path / "flipped.pt"), "--device", "cpu")


def test_resume_refuses_a_run_folder_whose_overrides_name_foreign_code(trained, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained, run)
    (run / "result.json").unlink(missing_ok=True)
    for planted in ("+model.extra._target_=builtins.open", "hydra.callbacks.x._target_=os.system"):
        (run / ".hydra").mkdir(exist_ok=True)
        (run / ".hydra" / "overrides.yaml").write_text(f"- {planted}\n")
        assert cli.main(["train", f"resume={run}"]) == 2
        err = capsys.readouterr().err
        assert "dlx: error:" in err and planted.split("=")[0].lstrip("+") in err, err
    (run / ".hydra" / "overrides.yaml").write_text("{not: [a list\n")
    assert cli.main(["train", f"resume={run}"]) == 2
    assert "cannot be read" in capsys.readouterr().err
