"""A preset's claim block: checked as data, refused with one line when wrong, and judged on a sweep (synthetic run
folders with known effects) into supported / not shown / contradicted."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import cli_refusal, dlx_cli, make_cfg

from dlx import preflight
from dlx.checks import ConfigError
from dlx.results import claims
from dlx.results.runs import find_runs
from dlx.results.stats import min_detectable

BLOCK = dict(id="C7", part=1, line=959, es="la entropía cruzada tiende a aprender más rápido que usando MSE",
             en="cross-entropy tends to learn faster than MSE", metric="test/acc", arms="loss", best_on="val/acc",
             expect=["cross_entropy > mse"])
PARAMS = {"loss": "cross_entropy,mse", "optim.lr": "0.1,1.0", "seed": "0,1,2,3,4"}
SWEPT = claims.swept_values(PARAMS)
LOGGED = {"test/acc", "test/loss", "val/acc", "val/loss", "train/loss", "train/acc"}
SEED_NOISE = [0.004, -0.006, 0.001, 0.007, -0.003]  # shared by both arms of a seed: what pairing cancels


def fake_sweep(root: Path, effect: float, claim: dict | list = BLOCK, jitter=(0.002, -0.002, 0.001, -0.001, 0.0),
               params: dict = PARAMS) -> Path:
    """A loss x lr x 5-seed sweep as dlx train -m leaves it (result.json, .hydra/{overrides,config,hydra}.yaml),
    without event files. Both arms do best on validation at lr 1.0; at lr 0.1 mse has the better TEST accuracy,
    which a verdict must not pick (it chooses on validation). cross_entropy's test accuracy is mse's + effect,
    plus a per-seed jitter."""
    job = 0
    for loss in ("cross_entropy", "mse"):
        for lr in ("0.1", "1.0"):
            for seed in range(5):
                test = 0.90 + SEED_NOISE[seed] + (effect + jitter[seed] if loss == "cross_entropy" else 0.0)
                if lr == "0.1":
                    test += 0.05 if loss == "mse" else -0.05
                val = 0.93 + SEED_NOISE[seed] - (0.04 if lr == "0.1" else 0.0)
                overrides = [f"loss={loss}", f"optim.lr={lr}", f"seed={seed}"]
                folder = root / str(job)
                (folder / ".hydra").mkdir(parents=True)
                (folder / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
                (folder / ".hydra" / "config.yaml").write_text(yaml.safe_dump(
                    {"seed": seed, "trainer": {"metric": "val/acc", "mode": "max"}, "claim": claim},
                    allow_unicode=True))
                hydra = {"hydra": {"sweeper": {"params": params}}}
                (folder / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(hydra))
                result = dict(status="completed", final={"val/acc": val, "test/acc": test, "val/loss": 1 - val},
                              best={"val/acc": val, "val/loss": 1 - val}, epochs=10, steps=100, wall_s=1.0,
                              seed=seed, overrides=overrides, metric="val/acc", error=None)
                (folder / "result.json").write_text(json.dumps(result))
                job += 1
    return root


def verdicts(root: Path) -> list[dict]:
    return claims.judge(find_runs([root]))


# ---------------------------------------------------------------------------------------------- the block as data


@pytest.mark.parametrize("change, message", [
    ({"metric": "test/accuracy"}, "claim.metric=test/accuracy is wrong for C7: allowed are the metrics these runs log"),
    ({"metric": "accuracy"}, "claim.metric=accuracy is wrong: allowed is a metric the runs log"),
    ({"metric": "epochs to val/acc <= 0.9"}, "allowed is 'epochs to val/acc >= <number>'"),
    ({"arms": "optimizer"}, "claim.arms=optimizer is wrong for C7: allowed is a key the preset sweeps "
                            "(hydra.sweeper.params): loss, optim.lr"),
    ({"expect": "cross_entropy > mae"}, "claim.expect=cross_entropy > mae is wrong for C7: mae is not a value of "
                                        "loss; allowed are cross_entropy, mse"),
    ({"expect": "cross_entropy >> mse"}, "claim.expect=cross_entropy >> mse is wrong: allowed is 'A > B'"),
    ({"expect": "cross_entropy ~ mse"}, "claim.margin=null is wrong with an expected pair 'A ~ B'"),
    ({"margin": 0.01}, "claim.margin=0.01 is wrong: allowed is null when no expected pair is 'A ~ B'"),
    ({"best_on": "test/acc"}, "claim.best_on=test/acc is wrong: allowed is a validation metric"),
    ({"metric": "val/acc-"}, "claim.metric=val/acc- is wrong: allowed is a metric the runs log"),
    ({"best_on": "val/accc"}, "claim.best_on=val/accc is wrong for C7: allowed are the metrics these runs log"),
    ({"id": "7"}, "claim.id=7 is wrong: allowed is a claim ID C<n>"),
    ({"id": "I0"}, "claim.id=I0 is wrong: allowed is a claim ID C<n> (e.g. C7), an item ID I<n> (e.g. I86"),
    ({"id": "X86"}, "claim.id=X86 is wrong"),
    ({"note": ""}, "claim.note= is wrong: allowed is a non-empty string"),
    ({"note": 3}, "claim.note=3 is wrong: allowed is a non-empty string"),
    ({"part": 6}, "claim.part=6 is wrong: allowed is the part of the notes, one of 1, 2, 3, 4, 5"),
    ({"where": {"optim.lr": "0.3"}}, "claim.where.optim.lr=0.3 is wrong for C7: allowed are 0.1, 1.0"),
    ({"where": {"loss": "mse"}}, "claim.where.loss=mse is wrong for C7: allowed keys are the swept keys other than"),
    ({"colour": "red"}, "claim.colour is wrong: it is not a key of a claim block"),
    ({"es": None}, "claim.es=null is wrong: a claim block needs"),
])
def test_a_wrong_block_is_one_line_naming_the_key(change, message):
    with pytest.raises(ConfigError) as e:
        claims.check(claims.parse({**BLOCK, **change}), SWEPT, LOGGED)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_values_are_matched_as_the_sweeper_writes_them():
    """A job's override is Hydra's rendering (true -> True, 1e-3 -> 0.001): expected values are read the same way."""
    swept = claims.swept_values({"trainer.shuffle": "true,by_class", "optim.lr": "1e-3,0.1"})
    assert swept == {"trainer.shuffle": ["True", "by_class"], "optim.lr": ["0.001", "0.1"]}
    block = {**BLOCK, "arms": "trainer.shuffle", "expect": "true > by_class", "where": {"optim.lr": "1e-3"}}
    claims.check(claims.parse(block), swept, None)
    null = claims.parse({**block, "where": {"dataset.subset": None}})  # YAML's null, as a block writes it
    claims.check(null, {**swept, "dataset.subset": claims.swept_values({"d": "50,null"})["d"]}, None)


def test_best_on_is_needed_only_where_something_besides_the_arms_is_swept():
    block = {k: v for k, v in BLOCK.items() if k != "best_on"}
    with pytest.raises(ConfigError, match="claim.best_on=null is wrong for C7: the preset sweeps optim.lr besides"):
        claims.check(claims.parse(block), SWEPT, LOGGED)
    claims.check(claims.parse(block), {"loss": SWEPT["loss"]}, LOGGED)
    claims.check(claims.parse({**block, "where": {"optim.lr": "0.1"}}), SWEPT, LOGGED)


def test_the_preflight_knows_the_metrics_every_run_logs_but_not_those_a_flag_adds():
    for metric in ("weights/norm", "test/attack_0.05/acc", "train/dead_units"):
        claims.check(claims.parse({**BLOCK, "metric": metric}), SWEPT, LOGGED, loose=True)
    with pytest.raises(ConfigError, match="claim.metric=test/accc is wrong for C7: allowed are the metrics"):
        claims.check(claims.parse({**BLOCK, "metric": "test/accc"}), SWEPT, LOGGED, loose=True)
    with pytest.raises(ConfigError, match="claim.metric=weights/norm is wrong for C7"):  # dlx compare: exact
        claims.check(claims.parse({**BLOCK, "metric": "weights/norm"}), SWEPT, LOGGED)


def test_a_list_of_blocks_and_an_id_twice():
    two = [BLOCK, {**BLOCK, "id": ["C2", "C10"], "expect": "mse > cross_entropy"}]
    assert [c.ids for c in claims.parse(two)] == [("C7",), ("C2", "C10")]
    with pytest.raises(ConfigError, match="claim.id=C7 is wrong: it names two blocks of one preset"):
        claims.parse([BLOCK, BLOCK])
    assert claims.parse(None) == []


def test_a_claim_is_described_by_the_description_keys():
    assert tuple(claims.describe(claims.parse(BLOCK)[0])) == claims.DESCRIPTION


def test_an_item_id_and_a_note():
    """I<n> names an item of the notes' items table where the notes claim nothing (the closing section's LSTM,
    multi-task, multi-stream and residual nets); a note says what the design controls for."""
    (c,) = claims.parse({**BLOCK, "id": ["I86", "I87"], "note": "each arm at its own rate"})
    assert c.ids == ("I86", "I87") and claims.describe(c)["note"] == "each arm at its own rate"
    claims.check([c], SWEPT, LOGGED)


def test_metric_forms_and_their_direction():
    m = claims.parse_metric
    assert (m("test/acc").kind, m("test/acc").mode) == ("plain", "max")
    assert (m("test/loss").mode, m("wall_s").mode, m("train/acc-test/acc").mode) == ("min", "min", "min")
    t = m("epochs to  val/loss <= 0.3")
    assert (t.kind, t.base, t.threshold, t.mode, t.text) == ("epochs", ("val/loss",), 0.3, "min",
                                                            "epochs to val/loss <= 0.3")


def test_swept_values_are_written_as_the_sweeper_writes_them():
    values = claims.swept_values({"model.hidden": "[64],[64, 64]", "optim": "sgd", "seed": "0,1"})
    assert values == {"model.hidden": ["[64]", "[64,64]"], "optim": ["sgd"]}


PRESET = """# @package _global_
defaults:
  - override /dataset: digits
trainer:
  max_epochs: 1
hydra:
  sweeper:
    params:
      loss: cross_entropy,mse
      optim.lr: 0.1,1.0
      seed: 0,1
"""


def preset(folder: Path, **change) -> list[str]:
    """A preset with BLOCK (changed by ``change``) in folder/experiment/x.yaml; the arguments that sweep it."""
    (folder / "experiment").mkdir(parents=True)
    (folder / "experiment" / "x.yaml").write_text(PRESET + yaml.safe_dump({"claim": {**BLOCK, **change}},
                                                                          allow_unicode=True))
    return ["-m", "--config-dir", str(folder), "experiment=x", "device=cpu"]


def test_the_sweep_refuses_a_preset_with_an_unknown_metric_before_anything_runs(tmp_path, capsys):
    args = preset(tmp_path / "conf", metric="test/accc")
    line = cli_refusal(capsys, "train", *args, f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    assert line.startswith("dlx: error: claim.metric=test/accc is wrong for C7: allowed are the metrics these "
                           "runs log: test/acc, test/loss, train/acc")
    assert not (tmp_path / "sweep").exists() and not (tmp_path / "outputs").exists()


@pytest.mark.parametrize("change, message", [
    ({"arms": "optim"}, "claim.arms=optim is wrong for C7: allowed is a key the preset sweeps"),
    ({"expect": "cross_entropy > nll"}, "nll is not a value of loss"),
    ({"best_on": "val/recon_mse"}, "claim.best_on=val/recon_mse is wrong for C7: allowed are the metrics"),
])
def test_the_preflight_refuses_a_wrong_arm_or_metric(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        preflight.preflight(preset(tmp_path, **change))


def test_a_good_claim_passes_and_training_ignores_it(tmp_path):
    plan = preflight.preflight(preset(tmp_path))
    assert plan.args[-2:] == ["experiment=x", "device=cpu"]
    assert [c.ids for c in plan.claims[0]] == [("C7",)]
    from dlx import setup

    run = setup.check(make_cfg(["claim={id:C7,es:x}", "device=cpu"]))
    assert not any(k.startswith("claim") for k in run.hparams)  # nothing of the claim reaches TensorBoard


# --------------------------------------------------------------------------------------------------- the verdict


def test_a_known_effect_is_supported(tmp_path):
    (e,) = verdicts(fake_sweep(tmp_path, effect=0.02))
    assert e["verdict"] == "supported" and e["id"] == "C7" and e["n_seeds"] == 5 and e["test"] == "paired"
    assert e["effect"] == pytest.approx(0.02, abs=1e-9)  # the jitter sums to 0; the seed noise cancels in pairs
    assert e["ci95"][0] < 0.02 < e["ci95"][1] and e["ci95"][0] > 0 and e["p"] < 0.05
    # each arm at its setting chosen on validation (lr 1.0), not at mse's better test accuracy at lr 0.1
    assert {r["arm"]: r["setting"] for r in e["table"]} == {"cross_entropy": "optim.lr=1.0", "mse": "optim.lr=1.0"}
    assert claims.sentence(e).startswith("supported (cross_entropy > mse): cross_entropy − mse on test/acc")


def test_no_effect_is_not_shown_with_the_difference_the_test_could_have_seen(tmp_path):
    jitter = (0.01, -0.01, 0.005, -0.005, 0.0)
    (e,) = verdicts(fake_sweep(tmp_path, effect=0.0, jitter=jitter))
    assert e["verdict"] == "not shown" and e["p"] == pytest.approx(1.0)
    sd = float(np.std(jitter, ddof=1))
    # d_z 2.09 for 5 pairs at alpha 0.05 and 80% power, allowing for an sd measured on 5 seeds (1.68 if it were
    # the true one): tests/test_power.py checks both by simulation
    assert e["mde"] == pytest.approx(2.092 * sd, rel=0.01) and e["level"] == 0.05
    assert e["seeds_needed"] == math.inf  # the difference seen is 0
    assert f"the test could detect differences of {e['mde']:.3g} or more (80% power at Holm's level 0.05)" \
        in claims.sentence(e)


def test_the_opposite_effect_is_contradicted(tmp_path):
    (e,) = verdicts(fake_sweep(tmp_path, effect=-0.02))
    assert e["verdict"] == "contradicted" and e["effect"] < 0 and e["p"] < 0.05
    assert claims.sentence(e).startswith("contradicted (the notes expect cross_entropy > mse)")


def test_a_smaller_is_better_metric_reads_the_other_way(tmp_path):
    block = {**BLOCK, "metric": "val/loss"}  # cross_entropy's val/loss is lower only if its val/acc is higher
    root = fake_sweep(tmp_path, effect=0.0, claim=block)
    for f in root.glob("*/result.json"):  # cross_entropy: a val/loss 0.05 lower than mse's
        r = json.loads(f.read_text())
        if "loss=cross_entropy" in r["overrides"]:
            r["best"]["val/loss"] -= 0.05 + 0.001 * r["seed"]
            f.write_text(json.dumps(r))
    (e,) = verdicts(root)
    assert (e["verdict"], e["mode"]) == ("supported", "min") and e["effect"] < 0


def test_pairs_of_a_preset_are_holm_adjusted_together(tmp_path):
    blocks = [BLOCK, {**BLOCK, "id": "C8", "expect": "mse ~ cross_entropy", "margin": 0.001}]
    e7, e8 = verdicts(fake_sweep(tmp_path, effect=0.02, claim=blocks))
    assert e7["p"] == pytest.approx(min(1.0, 2 * e7["pairs"][0]["p_raw"]))  # the smaller of two p-values, times 2
    assert e8["verdict"] == "contradicted"  # a 0.02 difference is significant and outside +-0.001


def test_a_difference_the_same_on_every_seed_is_significant(tmp_path):
    """A deterministic metric (an optimizer's state size) differs by the same amount on every seed: p = 0."""
    (e,) = verdicts(fake_sweep(tmp_path, effect=0.02, jitter=(0.0,) * 5))
    assert e["verdict"] == "supported" and e["p"] == 0.0 and e["ci95"][0] == pytest.approx(e["ci95"][1])


def test_equivalence_within_the_margin_is_supported(tmp_path):
    block = {**BLOCK, "expect": "cross_entropy ~ mse", "margin": 0.02}
    (e,) = verdicts(fake_sweep(tmp_path, effect=0.0, claim=block))
    assert e["verdict"] == "supported" and -0.02 <= e["ci95"][0] and e["ci95"][1] <= 0.02


def test_a_sweep_without_an_arm_is_not_evaluated(tmp_path):
    root = fake_sweep(tmp_path, effect=0.02)
    runs = [r for r in find_runs([root]) if "loss=mse" not in r.overrides]
    (e,) = claims.evaluate(claims.stored(runs)[0], runs)
    assert e["verdict"] == "not evaluated" and "no finished run with loss=mse" in e["reason"]


def test_diverged_seeds_drop_out_of_the_pairs(tmp_path):
    root = fake_sweep(tmp_path, effect=0.02)
    for f in root.glob("*/result.json"):
        r = json.loads(f.read_text())
        if r["overrides"] == ["loss=mse", "optim.lr=1.0", "seed=4"]:
            f.write_text(json.dumps(dict(r, status="diverged", error="loss is nan")))
    (e,) = verdicts(root)
    assert e["n_seeds"] == 4 and e["verdict"] == "supported"
    assert {r["arm"]: r["diverged"] for r in e["table"]} == {"cross_entropy": 0, "mse": 1}


def test_min_detectable_effect_has_the_power_it_claims():
    """The quoted difference is found 80% of the time by the paired t-test: 20000 simulated 5-seed sweeps."""
    from scipy.stats import t

    sd, n, alpha = 0.01, 5, 0.05
    mde = min_detectable(sd, n, alpha)
    diffs = np.random.default_rng(0).normal(mde, sd, size=(20000, n))
    tstat = diffs.mean(1) / (diffs.std(1, ddof=1) / math.sqrt(n))
    assert np.mean(np.abs(tstat) > t.ppf(1 - alpha / 2, n - 1)) == pytest.approx(0.80, abs=0.01)
    assert min_detectable(0.0, 5, alpha) == 0.0 and math.isnan(min_detectable(sd, 1, alpha))
    for n in (2, 3, 4):  # few pairs and a strict level: scipy's noncentral t has NaN deep in its tails
        for a in (0.05, 0.0125):
            assert sd < min_detectable(sd, n, a) < 200 * sd


# ------------------------------------------------------------------------------------- dlx compare and dlx report


def test_compare_prints_the_verdict_and_writes_verdict_json(tmp_path, capsys):
    from dlx import compare, report

    root = fake_sweep(tmp_path / "sweep", effect=-0.02)
    assert compare.main([str(root), "--no-plot"]) == 0  # no flag: the stored claim block says what to test
    out = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert "claim C7 (part 1, notes l. 959)" in out and "contradicted (the notes expect cross_entropy > mse)" in out
    assert "mse at optim.lr=1.0: test/acc" in out
    (e,) = json.loads((root / "verdict.json").read_text())["claims"]
    assert {"id", "verdict", "effect", "ci95", "p", "metric", "n_seeds"} <= set(e)
    assert (e["id"], e["verdict"], e["metric"], e["n_seeds"]) == ("C7", "contradicted", "test/acc", 5)
    assert len(e["ci95"]) == 2 and e["ci95"][1] < 0 < 0.05 - e["p"]
    html = report.report([root], tmp_path / "r.html").read_text()  # dlx report shows the verdict too
    assert '<span class="verdict contradicted">contradicted</span>' in html and BLOCK["es"] in html


def test_compare_refuses_a_stored_claim_with_an_unknown_arm_and_writes_nothing(tmp_path, capsys):
    from dlx import compare

    root = fake_sweep(tmp_path / "sweep", effect=0.02, claim={**BLOCK, "arms": "optim"})
    assert compare.main([str(root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dlx: error: claim.arms=optim is wrong for C7: allowed is a key the preset sweeps")
    assert err.count("\n") == 1 and not list(root.glob("summary.*")) and not (root / "verdict.json").exists()


def test_compare_without_a_claim_writes_no_verdict(tmp_path):
    from dlx import compare

    root = fake_sweep(tmp_path / "sweep", effect=0.02, claim=None)
    assert compare.main([str(root), "--no-plot"]) == 0
    assert (root / "summary.md").is_file() and not (root / "verdict.json").exists()


@pytest.mark.slow
def test_a_preset_sweep_ends_with_its_verdict(tmp_path):
    """dlx train -m experiment=<preset with a claim>: the end-of-sweep summary prints the verdict and writes
    verdict.json and report.html with it."""
    args = preset(tmp_path / "conf", metric="test/acc")
    out = dlx_cli("train", *args, "trainer.max_steps=3", f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path,
                  timeout=600)
    assert out.returncode == 0, out.stderr
    assert "claim C7 (part 1, notes l. 959)" in " ".join(out.stdout.split())
    (e,) = json.loads((tmp_path / "sweep" / "verdict.json").read_text())["claims"]
    assert e["verdict"] in claims.VERDICTS and e["n_seeds"] == 2 and len(e["table"]) == 2
    html = (tmp_path / "sweep" / "report.html").read_text()
    assert f'<span class="verdict {e["verdict"].replace(" ", "-")}">' in html
