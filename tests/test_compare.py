"""dlx compare on synthetic run folders: real result.json, real TensorBoard events, real .hydra files."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import ttest_ind, ttest_rel

from dlx import compare
from dlx.results.runs import Group, find_runs
from dlx.results.stats import holm
from dlx.results.summary import Summary, summarize
from dlx.results.tables import table_rows

SPE = 10  # steps per epoch of the synthetic runs


def make_run(
    folder: Path,
    overrides: list[str],
    seed: int,
    val_acc: list[float] | None,
    status: str | None = "completed",
    error: str | None = None,
    extra: dict[str, list[float]] | None = None,
    wall_s: float = 1.0,
) -> Path:
    """A run folder as dlx train leaves it: .hydra/{overrides,config}.yaml, events (one val point per epoch)
    and, unless status is None (still running), result.json."""
    from torch.utils.tensorboard import SummaryWriter

    (folder / ".hydra").mkdir(parents=True)
    ov = [*overrides, f"seed={seed}"]
    (folder / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in ov))
    (folder / ".hydra" / "config.yaml").write_text(
        f"seed: {seed}\ntrainer:\n  metric: val/acc\n  mode: max\n"
    )
    curves = {"val/acc": val_acc or [], **(extra or {})}
    curves["val/loss"] = [1.0 - a for a in val_acc or []]
    w = SummaryWriter(log_dir=str(folder))
    for name, values in curves.items():
        for epoch, v in enumerate(values, 1):
            w.add_scalar(name, v, epoch * SPE)
    w.close()
    (folder / "checkpoints").mkdir()
    if status is not None:
        n = len(val_acc or [])
        best = {k: (max(v) if k == "val/acc" else min(v)) for k, v in curves.items() if v}
        final = {k: v[-1] for k, v in curves.items() if v}
        if status == "diverged":
            final["train/loss"] = math.nan
        result = dict(
            status=status,
            final=final,
            best=best,
            epochs=n,
            steps=n * SPE,
            wall_s=wall_s,
            samples_per_s=100.0,
            seed=seed,
            overrides=ov,
            error=error,
            metric="val/acc",
        )
        # json.dumps writes NaN, as Python's json does for the loop's diverged runs
        (folder / "result.json").write_text(json.dumps(result))
    return folder


ADAM = [[0.70, 0.85, 0.90], [0.72, 0.88, 0.92], [0.75, 0.86, 0.94]]  # finals 0.90, 0.92, 0.94
SGD = [[0.50, 0.70, 0.80], [0.55, 0.75, 0.83]]  # finals 0.80, 0.83


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """A 4-group sweep as Hydra lays it out (job folders 0..N-1), with every kind of run in it."""
    root = tmp_path_factory.mktemp("sweep")
    (root / "multirun.yaml").write_text("hydra: {}\n")
    (root / ".submitit").mkdir()  # launcher bookkeeping: must not be taken for runs
    common = ["trainer.max_epochs=3"]
    job = iter(range(100))
    for seed, acc in enumerate(ADAM):
        make_run(root / str(next(job)), [*common, "optim=adam"], seed, acc, wall_s=2.0 + seed)
    for seed, acc in enumerate(SGD):
        make_run(root / str(next(job)), [*common, "optim=sgd"], seed, acc, wall_s=1.0)
    make_run(
        root / str(next(job)),
        [*common, "optim=sgd"],
        2,
        [0.3],
        status="diverged",
        error="loss is nan at step 12",
    )
    make_run(
        root / str(next(job)),
        [*common, "optim=rmsprop"],
        0,
        [0.6, 0.8, 0.85],
        extra={"val/recon_mse": [0.5, 0.4, 0.3]},
    )
    make_run(
        root / str(next(job)),
        [*common, "optim=rmsprop"],
        1,
        None,
        status="failed",
        error="Traceback (most recent call last):\n  ...\nRuntimeError: boom",
    )
    make_run(root / str(next(job)), [*common, "optim=lbfgs"], 0, [0.4, 0.6], status=None)  # running
    return root


def by_label(summary: Summary) -> dict[str, Group]:
    return {g.label: g for g in summary.groups}


def test_finds_runs_and_groups_them_without_the_seed(sweep):
    runs = find_runs([sweep])
    assert len(runs) == 9
    assert {r.status for r in runs} == {"completed", "diverged", "failed", "running"}
    groups = by_label(summarize(runs))
    # the override shared by every run (trainer.max_epochs=3) is left out of the labels
    assert set(groups) == {"optim=adam", "optim=sgd", "optim=rmsprop", "optim=lbfgs"}
    assert [r.seed for r in groups["optim=adam"].runs] == [0, 1, 2]
    assert groups["optim=sgd"].count("diverged") == 1
    assert groups["optim=rmsprop"].count("failed") == 1
    assert groups["optim=lbfgs"].count("running") == 1


def test_numbers_ranking_and_paired_test(sweep):
    s = summarize(find_runs([sweep]), thresholds=[(None, 0.85)])
    assert s.primary == "val/acc" and s.mode == "max"
    assert [g.label for g in s.groups] == ["optim=adam", "optim=rmsprop", "optim=sgd", "optim=lbfgs"]
    adam, rms, sgd, lbfgs = s.groups
    mean, std, n = adam.stats["val/acc final"]
    assert (mean, std, n) == (pytest.approx(0.92), pytest.approx(0.02), 3)
    # diverged run left out of the mean; failed run too
    assert sgd.stats["val/acc final"] == (pytest.approx(0.815), pytest.approx(math.sqrt(0.00045)), 2)
    assert rms.stats["val/acc best"][::2] == (pytest.approx(0.85), 1)
    # the running run's numbers come from its events (float32 in TensorBoard)
    assert lbfgs.stats["val/acc final"][0] == pytest.approx(0.6, abs=1e-6)
    assert math.isnan(lbfgs.stats["wall_s"][0]) is False
    # val/loss is minimised: best is the smallest
    assert adam.stats["val/loss best"][0] == pytest.approx(1 - 0.92)
    # thresholds: adam reaches 0.85 at epoch 2 in all seeds; sgd never; rmsprop at epoch 3
    assert adam.stats["steps to val/acc >= 0.85"][:2] == (pytest.approx(20.0), pytest.approx(0.0))
    assert adam.stats["epochs to val/acc >= 0.85"][0] == pytest.approx(2.0)
    assert sgd.stats["epochs to val/acc >= 0.85"][2] == 0
    assert rms.stats["epochs to val/acc >= 0.85"][0] == pytest.approx(3.0)
    assert adam.stats["wall_s"][0] == pytest.approx(3.0)
    # sgd ran seeds 0 and 1 (seed 2 diverged), adam 0, 1, 2: paired on seeds 0 and 1
    assert sgd.test == "paired" and sgd.seeds == [0, 1]
    assert sgd.p_value == pytest.approx(ttest_rel([0.80, 0.83], [0.90, 0.92]).pvalue)
    assert sgd.p_value < 0.05
    diff = np.array([0.80 - 0.90, 0.83 - 0.92])
    assert sgd.effect == pytest.approx(diff.mean() / diff.std(ddof=1))  # d_z, negative: below #1
    assert sgd.p_holm == pytest.approx(sgd.p_value)  # the only group tested (the others have one run)
    for g in (adam, rms, lbfgs):  # best group itself; one rmsprop run; one lbfgs run
        assert math.isnan(g.p_value) and math.isnan(g.p_holm) and g.test == ""
    assert s.test_name == "paired t-test, Holm-adjusted"
    # bootstrap interval of the mean: inside the range of the seeds, the same on every call
    lo, hi = adam.ci["val/acc final"]
    assert 0.90 <= lo < 0.92 < hi <= 0.94
    assert summarize(find_runs([sweep])).groups[0].ci["val/acc final"] == (lo, hi)
    assert all(math.isnan(x) for x in rms.ci["val/acc final"])  # one seed: no interval


def test_rank_by_a_loss_and_metric_sets_that_differ(sweep):
    s = summarize(find_runs([sweep]), metrics=["val/loss", "val/recon_mse"], by="final")
    assert s.mode == "min"  # inferred from the name
    assert s.groups[0].label == "optim=adam"
    groups = by_label(s)
    assert groups["optim=rmsprop"].stats["val/recon_mse final"][0] == pytest.approx(0.3)
    assert groups["optim=rmsprop"].stats["val/recon_mse best"][0] == pytest.approx(0.3)
    assert groups["optim=adam"].stats["val/recon_mse final"][2] == 0  # adam runs never logged it


def test_cli_writes_table_csv_markdown_and_png(sweep, tmp_path, capsys):
    out = tmp_path / "out"
    rc = compare.main([str(sweep), "--out", str(out), "--threshold", "val/acc=0.85"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "optim=adam" in printed and "0.92 ± 0.02" in printed
    assert "RuntimeError: boom" in printed  # failed runs are listed with their error
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["group"] for r in rows] == ["optim=adam", "optim=rmsprop", "optim=sgd", "optim=lbfgs"]
    assert float(rows[0]["val/acc final mean"]) == pytest.approx(0.92)
    assert rows[2]["diverged"] == "1" and rows[1]["failed"] == "1" and rows[3]["running"] == "1"
    assert float(rows[2]["p_value"]) < 0.05
    # the statistics columns come after the old ones
    assert list(rows[0])[-8:] == ["p vs #1", "p vs #1 (Holm)", "effect size vs #1", "test", "diff vs #1", "mde80",
                                  "mde_level", "seeds_needed"]
    # sgd against adam: significant, so no seeds needed
    assert float(rows[2]["mde80"]) > 0 and float(rows[2]["diff vs #1"]) < 0 and rows[2]["seeds_needed"] == ""
    assert float(rows[2]["mde_level"]) == 0.05  # the one test: rmsprop and lbfgs have one value each
    assert rows[0]["mde80"] == rows[0]["mde_level"] == ""  # #1 is not tested against itself
    assert rows[2]["p vs #1"] == rows[2]["p_value"] and float(rows[2]["p vs #1 (Holm)"]) < 0.05
    assert rows[2]["test"] == "paired" and float(rows[2]["effect size vs #1"]) < 0
    assert float(rows[0]["val/acc best ci95 low"]) <= 0.92 <= float(rows[0]["val/acc best ci95 high"])
    assert rows[1]["val/acc best ci95 low"] == "" and rows[1]["p vs #1"] == ""  # one rmsprop seed
    assert rows[0]["pruned"] == "0"
    assert "paired t-test, Holm-adjusted" in printed
    md = (out / "summary.md").read_text()
    assert "| 1 | optim=adam | 3 | 0 | 0 | 0.92 ± 0.02 |" in md
    assert "paired t-test, Holm-adjusted" in md and "| p (Holm) | d | test |" in md
    runs = list(csv.DictReader((out / "runs.csv").open()))
    assert len(runs) == 9 and {r["status"] for r in runs} >= {"failed", "diverged", "running"}

    import matplotlib.image

    png = out / "curves.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = matplotlib.image.imread(png)
    assert img.ndim == 3 and img.shape[0] > 300 and img.shape[1] > 1000  # 3 panels side by side
    assert np.std(img[..., :3]) > 0.05  # not a blank canvas


def test_default_output_goes_into_the_sweep_folder(sweep, capsys):
    assert compare.main([str(sweep / "0"), str(sweep / "1"), "--no-plot", "--out", str(sweep)]) == 0
    assert (sweep / "summary.csv").exists()
    # the summaries written there are not runs
    assert len(find_runs([sweep])) == 9


def test_bad_input_is_one_clear_line(tmp_path, capsys):
    assert compare.main([str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "is wrong: allowed" in err and err.count("\n") == 1
    assert compare.main([str(tmp_path)]) == 2  # exists, holds no runs
    assert "none found" in capsys.readouterr().err
    assert compare.main([str(tmp_path), "--threshold", "x=abc"]) == 2
    assert "--threshold x=abc is wrong" in capsys.readouterr().err


def test_best_per_key_keeps_each_optimizers_best_rate(tmp_path):
    """An optimizer x learning-rate grid: --best-per optim keeps each optimizer at its best rate (on val)."""
    grid = {
        ("sgd", 0.1): [0.80, 0.82],
        ("sgd", 1.0): [0.60, 0.62],
        ("adam", 0.001): [0.90, 0.91],
        ("adam", 0.1): [0.30, 0.35],
    }
    job = 0
    for (opt, lr), accs in grid.items():
        for seed, acc in enumerate(accs):
            make_run(tmp_path / str(job), [f"optim={opt}", f"optim.lr={lr}"], seed, [acc / 2, acc])
            job += 1
    s = summarize(find_runs([tmp_path]), best_per="optim")
    assert [g.label for g in s.groups] == ["optim=adam optim.lr=0.001", "optim=sgd optim.lr=0.1"]
    assert len(s.all_groups) == 4
    assert s.groups[1].p_value == pytest.approx(ttest_rel([0.80, 0.82], [0.90, 0.91]).pvalue)


def test_a_difference_of_metrics_is_a_metric(sweep):
    s = summarize(find_runs([sweep]), metrics=["val/acc", "val/acc-val/loss"])
    adam = by_label(s)["optim=adam"]
    # val/loss = 1 - val/acc in the synthetic runs, so the difference is 2 acc - 1
    assert adam.stats["val/acc-val/loss final"][0] == pytest.approx(2 * 0.92 - 1)
    assert "val/acc-val/loss best" not in s.columns


def test_the_cli_takes_a_difference_of_logged_metrics(sweep, capsys):
    """--metric a-b passes the CLI's check when a and b are logged (the README's val/loss-train/loss)."""
    assert compare.main([str(sweep), "--metric", "val/acc", "--metric", "val/acc-val/loss", "--no-plot"]) == 0
    assert "val/acc-val/loss final" in (sweep / "summary.md").read_text()
    capsys.readouterr()
    assert compare.main([str(sweep), "--metric", "val/acc-val/nope", "--no-plot"]) == 2
    assert "--metric val/acc-val/nope is wrong" in capsys.readouterr().err


def test_welch_test_when_groups_ran_other_seeds(tmp_path):
    """Groups that share fewer than two seeds are compared with Welch's t-test and Cohen's d."""
    a, b = [0.90, 0.93, 0.91], [0.85, 0.80, 0.86, 0.82]
    for i, acc in enumerate(a):
        make_run(tmp_path / f"a{i}", ["optim=adam"], seed=i, val_acc=[acc])
    for i, acc in enumerate(b):
        make_run(tmp_path / f"b{i}", ["optim=sgd"], seed=10 + i, val_acc=[acc])
    s = summarize(find_runs([tmp_path]))
    sgd = s.groups[1]
    assert sgd.test == "Welch" and s.test_name == "Welch's t-test, Holm-adjusted"
    assert sgd.p_value == pytest.approx(ttest_ind(b, a, equal_var=False).pvalue)
    pooled = math.sqrt((2 * np.var(a, ddof=1) + 3 * np.var(b, ddof=1)) / 5)
    assert sgd.effect == pytest.approx((np.mean(b) - np.mean(a)) / pooled)


def test_holm_adjusts_over_every_group_compared_with_the_best():
    assert holm([0.01, 0.04, math.nan, 0.03]) == pytest.approx([0.03, 0.06, math.nan, 0.06], nan_ok=True)
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert holm([]) == []


def test_holm_in_a_sweep_of_three_groups(tmp_path):
    accs = {"adam": [0.90, 0.92, 0.95], "sgd": [0.80, 0.85, 0.83], "rmsprop": [0.88, 0.90, 0.94]}
    for opt, values in accs.items():
        for seed, acc in enumerate(values):
            make_run(tmp_path / f"{opt}{seed}", [f"optim={opt}"], seed, [acc])
    s = summarize(find_runs([tmp_path]))
    assert [g.label for g in s.groups] == ["optim=adam", "optim=rmsprop", "optim=sgd"]
    p = [ttest_rel(accs[o], accs["adam"]).pvalue for o in ("rmsprop", "sgd")]
    expected = holm(p)
    assert [g.p_holm for g in s.groups[1:]] == pytest.approx(expected)
    assert min(p) * 2 == pytest.approx(min(expected))  # the smallest of 2 p-values doubles


def test_pruned_runs_are_counted_not_compared(tmp_path, capsys):
    for seed, acc in enumerate([0.9, 0.92]):
        make_run(tmp_path / f"a{seed}", ["optim=adam"], seed, [acc])
    make_run(tmp_path / "a2", ["optim=adam"], 2, [0.1], status="pruned")
    s = summarize(find_runs([tmp_path]))
    g = s.groups[0]
    assert g.count("pruned") == 1 and g.stats["val/acc final"][2] == 2 and g.seeds == [0, 1]
    assert s.failed == []  # pruned is a sweeper's decision, not an error
    header, rows = table_rows(s)
    assert header[5] == "pruned" and rows[0][5] == "1"
    assert rows[0][2] == "3 (1 pruned)"  # the runs column says it too (a narrow terminal drops the counts)
    assert compare.main([str(tmp_path), "--no-plot"]) == 0
    assert next(csv.DictReader((tmp_path / "summary.csv").open()))["pruned"] == "1"


def test_generalisation_gaps_from_train_metrics(tmp_path):
    """The loop logs train/eval_loss (training split, eval mode) and train/acc: compare shows the gaps; runs
    without them (older runs) leave those cells empty."""
    for seed in range(2):
        make_run(tmp_path / f"new{seed}", ["optim=adam"], seed, [0.8, 0.9],
                 extra={"train/eval_loss": [0.3, 0.05], "train/acc": [0.85, 0.99]})
        make_run(tmp_path / f"old{seed}", ["optim=sgd"], seed, [0.7, 0.8])
    s = summarize(find_runs([tmp_path]))
    assert s.metrics == ["val/acc", "val/loss", "val/loss-train/eval_loss", "train/acc-val/acc"]
    new, old = by_label(s)["optim=adam"], by_label(s)["optim=sgd"]
    assert new.stats["val/loss-train/eval_loss final"][0] == pytest.approx((1 - 0.9) - 0.05)
    assert new.stats["train/acc-val/acc final"][0] == pytest.approx(0.99 - 0.9)
    assert old.stats["val/loss-train/eval_loss final"][2] == 0  # not logged: no number, no error
    # only the running training loss logged: the rougher gap, named as such
    other = tmp_path / "other"
    make_run(other / "0", ["optim=adam"], 0, [0.8], extra={"train/loss": [0.2]})
    assert summarize(find_runs([other])).metrics[-1] == "val/loss-train/loss"


def _final_only(run: Path, metric: str) -> None:
    """Make ``metric`` a measured-once number (as test/acc is): in result.json's final, not in best."""
    result = json.loads((run / "result.json").read_text())
    result["best"].pop(metric)
    (run / "result.json").write_text(json.dumps(result))


def test_best_on_chooses_on_validation_and_vs_tests_against_the_baseline(tmp_path, capsys):
    """A regularizer x strength grid ranked on test/acc: --best-on val/acc keeps each regularizer's strength
    with the best validation accuracy (not the best test accuracy), and --vs tests every group against none."""
    grid = {  # (regularizer, strength): (val/acc, test/acc) per seed
        ("none", "weak"): ([0.60, 0.61, 0.62], [0.60, 0.62, 0.61]),
        ("none", "mid"): ([0.60, 0.61, 0.62], [0.60, 0.62, 0.61]),  # none ignores the strength
        ("l2", "weak"): ([0.70, 0.71, 0.72], [0.64, 0.67, 0.65]),  # best on validation
        ("l2", "strong"): ([0.65, 0.66, 0.67], [0.80, 0.81, 0.82]),  # best on test: must not be chosen
        ("dropout", "mid"): ([0.66, 0.65, 0.64], [0.70, 0.75, 0.72]),
    }
    job = 0
    for (reg, strength), (val, test) in grid.items():
        for seed, (v, t) in enumerate(zip(val, test)):
            run = make_run(tmp_path / str(job), [f"regularizer={reg}", f"strength={strength}"], seed, [v / 2, v],
                           extra={"test/acc": [t]})
            _final_only(run, "test/acc")
            job += 1
    runs = find_runs([tmp_path])
    s = summarize(runs, ["test/acc"], best_per="regularizer", best_on="val/acc", vs="regularizer=none")
    labels = [g.label for g in s.groups]
    assert labels == ["regularizer=dropout strength=mid", "regularizer=l2 strength=weak",
                      "regularizer=none strength=weak"]  # ranked on test; none's tie keeps the first
    none = s.groups[2]
    assert s.ref == none.label and math.isnan(none.p_value) and none.test == ""
    drop, l2 = s.groups[0], s.groups[1]
    assert drop.p_value == pytest.approx(ttest_rel(grid["dropout", "mid"][1], grid["none", "weak"][1]).pvalue)
    assert l2.p_value == pytest.approx(ttest_rel(grid["l2", "weak"][1], grid["none", "weak"][1]).pvalue)
    assert sorted([drop.p_holm, l2.p_holm]) == pytest.approx(holm(sorted([drop.p_value, l2.p_value])))
    assert drop.effect > 0  # group minus the baseline
    # Without --best-on the choice is made on the ranking metric, test/acc: l2 at its strong strength.
    s = summarize(runs, ["test/acc"], best_per="regularizer")
    assert s.groups[0].label == "regularizer=l2 strength=strong" and s.ref == "#1"
    # The table names the baseline; a --vs that matches no group, or two, is one line.
    assert compare.main([str(tmp_path), "--metric", "test/acc", "--best-per", "regularizer", "--best-on", "val/acc",
                         "--vs", "regularizer=none", "--no-plot"]) == 0
    md = (tmp_path / "summary.md").read_text()
    assert "p vs regularizer=none strength=weak (test/acc final)" in md
    assert "the best of each regularizer (3) on val/acc" in md
    capsys.readouterr()
    assert compare.main([str(tmp_path), "--metric", "test/acc", "--vs", "regularizer=none", "--no-plot"]) == 2
    assert "--vs regularizer=none is wrong: 2 groups match it" in capsys.readouterr().err
    assert compare.main([str(tmp_path), "--vs", "regularizer=l1", "--no-plot"]) == 2
    assert "--vs regularizer=l1 is wrong: no group match" in capsys.readouterr().err
    assert compare.main([str(tmp_path), "--best-on", "val/acc", "--no-plot"]) == 2
    assert "--best-on val/acc is wrong without --best-per" in capsys.readouterr().err
