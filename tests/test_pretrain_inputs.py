"""model.pretrain.inputs: the greedy phase reads every training input (without labels), also those dataset.subset
leaves out, or only the labeled subset; never validation or test inputs."""

from __future__ import annotations

import pytest
import torch
from conftest import TINY, cli_refusal, run_cfg

from dlx.checks import ConfigError
from dlx.data.digits import load as load_digits

SUBSET = ["dataset=digits", "dataset.subset=50", "dataset.subset_mode=stratified"]


def seen_by_pretraining(monkeypatch, cls) -> list[torch.Tensor]:
    """Record the inputs the loop hands to ``cls.pretrain`` (the phase itself is skipped)."""
    seen = []
    monkeypatch.setattr(cls, "pretrain", lambda self, x, **kw: seen.append(x.detach().clone()) or [])
    return seen


def rows(t: torch.Tensor) -> set[bytes]:
    return {r.numpy().tobytes() for r in t.flatten(1)}


@pytest.mark.parametrize("model,extra", [("dbn", ["model.hidden=[8]"]), ("autoencoder", ["model.hidden=[8]"])])
def test_pretraining_reads_the_whole_training_split_and_nothing_else(model, extra, monkeypatch, tmp_path):
    from dlx.models.autoencoder import Autoencoder
    from dlx.models.dbn import DBN

    seen = seen_by_pretraining(monkeypatch, {"dbn": DBN, "autoencoder": Autoencoder}[model])
    result = run_cfg([f"model={model}", *extra, "model.pretrain.steps=1", *SUBSET, *TINY], tmp_path)
    assert result["status"] == "completed" and len(seen) == 1
    full, labeled = load_digits(), load_digits(subset=50, subset_mode="stratified")
    assert torch.equal(seen[0], full.x)  # the 1294 training inputs, in the split's order: no val/test ones
    assert len(full.x) + len(full.x_val) + len(full.x_test) == 1797
    assert len(labeled.x) == 50 and rows(labeled.x) <= rows(seen[0])


def test_labeled_reads_only_the_subset(monkeypatch, tmp_path):
    from dlx.models.dbn import DBN

    seen = seen_by_pretraining(monkeypatch, DBN)
    run_cfg(["model=dbn", "model.hidden=[8]", "model.pretrain.steps=1", "model.pretrain.inputs=labeled", *SUBSET,
             *TINY], tmp_path)
    assert torch.equal(seen[0], load_digits(subset=50, subset_mode="stratified").x)


def test_the_unlabeled_inputs_are_kept_only_when_something_reads_them():
    from conftest import make_cfg

    from dlx import setup

    assert load_digits().x_unlabeled is None  # no subset: x is the whole split
    assert len(load_digits(subset=50).x_unlabeled) == 1294
    # steps=0 or method=none: only the linear probe (probe=100), which reads the labeled inputs; probe=0 too: nothing
    for overrides, n in ((["model.pretrain.steps=1"], 1294), (["model.pretrain.steps=0"], 50),
                         (["model.pretrain.method=none"], 50), (["model.pretrain.method=random"], 50),
                         (["model.pretrain.inputs=labeled"], 50),
                         (["model.pretrain.steps=0", "model.pretrain.probe=0"], None)):
        run = setup.build(make_cfg(["model=dbn", "model.hidden=[8]", *SUBSET, "device=cpu", *overrides]))
        assert (None if run.pretrain_x is None else len(run.pretrain_x)) == n, overrides
        assert (run.data.x_unlabeled is not None) == (n == 1294), overrides


def test_wrong_values_are_one_line_and_exit_2(tmp_path, capsys):
    from dlx.preflight import preflight

    for arg, allowed in (("model.pretrain.inputs=test", "one of all, labeled"),
                         ("model.pretrain.method=pca", "one of cd, autoencoder, none, random")):
        with pytest.raises(ConfigError, match=rf"^model\.pretrain\.\w+=\w+ is wrong: allowed is {allowed}$"):
            preflight(["model=dbn", arg])
    assert cli_refusal(capsys, "train", "model=dbn", "model.pretrain.inputs=val", cwd=tmp_path) == \
        "dlx: error: model.pretrain.inputs=val is wrong: allowed is one of all, labeled"
    assert not (tmp_path / "outputs").exists()


def test_batched_launcher_stacks_runs_without_a_pretraining_phase():
    from dlx.sweep.stack import refusal

    c = {"trainer": {}, "optim": {"_target_": "torch.optim.Adam"}, "model": {"pretrain": {"steps": 10}}}
    assert "greedy layer-wise phase" in refusal(c)
    for pre in ({"steps": 0}, {"steps": 10, "method": "none"}):
        assert refusal({**c, "model": {"pretrain": pre}}) is None


def test_the_preset_composes_and_every_job_passes_the_preflight():
    from dlx.preflight import jobs, preflight

    assert preflight(["-m", "experiment=pretraining"]).checked
    planned, _ = jobs(["experiment=pretraining"], [])
    values = lambda key: {o.split("=", 1)[1] for j in planned for o in j if o.startswith(key + "=")}
    assert values("model.pretrain.method") == {"none", "cd", "autoencoder"}
    assert values("dataset.subset") == {"50", "null"} and len(values("seed")) == 5
