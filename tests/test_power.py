"""Power, minimum detectable effects and sequential seeds, checked by simulation: thousands of synthetic sweeps
drawn from known distributions (no training). Seeded and vectorised; the slow tests repeat them with 10x more.

(a) the minimum detectable effect dlx compare prints (from the sweep's own spread) is found 80% +- a few points of
    the time by sweeps of that size with that difference;
(b) the sequential rule lets through at most 5% false "differs" on sweeps with no difference;
(c) it reaches >= 80% power with <= 0.6x the seeds of the fixed design that has the same power.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import t as t_dist
from scipy.stats import ttest_ind

from dlx.results import sequential as sq
from dlx.results.runs import Run
from dlx.results.stats import Spread, detectable, holm, min_detectable, power_at, seeds_for
from dlx.results.summary import power_level, summarize


def paired_p(diffs: np.ndarray) -> np.ndarray:
    """Two-sided paired t-test p-values of each row of (sims, n) differences."""
    n = diffs.shape[1]
    tstat = diffs.mean(1) / (diffs.std(1, ddof=1) / math.sqrt(n))
    return 2 * t_dist.sf(np.abs(tstat), n - 1)


def fixed_seeds(d_z: float, power: float, alpha: float) -> float:
    """The seeds a fixed paired design needs for this power at d_z (true sd 1), interpolated between integers."""
    sp = lambda n: Spread("paired", (1.0,), (n,))  # noqa: E731
    n = 2
    while power_at(d_z, sp(n), alpha, known=True) < power:
        n += 1
    lo = power_at(d_z, sp(n - 1), alpha, known=True) if n > 2 else 0.0
    return n - 1 + (power - lo) / (power_at(d_z, sp(n), alpha, known=True) - lo)


# ---------------------------------------------------------------------------------- (a) the printed MDE


def printed_mde_power(n: int, sims: int, seed: int) -> float:
    """Sweeps of two arms and n seeds: each pilot sweep prints its MDE (from its own sd of differences); a sweep of
    the same size whose true difference is that MDE is significant this often."""
    rng = np.random.default_rng(seed)
    k = detectable(Spread("paired", (1.0,), (n,)), 0.05)  # the MDE per unit of measured sd (it scales with it)
    sd = rng.normal(0.0, 1.0, (sims, n)).std(1, ddof=1)
    fresh = rng.normal((k * sd)[:, None], 1.0, (sims, n))
    return float(np.mean(paired_p(fresh) < 0.05))


@pytest.mark.parametrize("n", [3, 5, 10])
def test_the_printed_mde_is_found_80_percent_of_the_time(n):
    assert printed_mde_power(n, 4000, n) == pytest.approx(0.80, abs=0.03)


def test_the_textbook_mde_at_the_measured_sd_would_overstate_the_power():
    """Why the MDE allows for the sd being measured: at 5 seeds, the textbook formula with the measured sd as the
    true one quotes a difference that sweeps find only ~68% of the time."""
    rng = np.random.default_rng(1)
    sd = rng.normal(0.0, 1.0, (4000, 5)).std(1, ddof=1)
    fresh = rng.normal((min_detectable(1.0, 5, 0.05) * sd)[:, None], 1.0, (4000, 5))
    assert np.mean(paired_p(fresh) < 0.05) == pytest.approx(0.68, abs=0.03)


def fake_runs(arms: dict[str, np.ndarray]) -> list[Run]:
    """Runs of a sweep in memory: arm label -> (seeds,) test/acc values."""
    runs = []
    for label, values in arms.items():
        for seed, v in enumerate(values):
            runs.append(Run(path=f"/{label}/{seed}", status="completed", overrides=[f"arm={label}", f"seed={seed}"],
                            seed=seed, final={"test/acc": float(v)}, metric="test/acc", mode="max", _curves={}))
    return runs


def test_compare_prints_that_mde_at_holms_first_step():
    """A 4-arm sweep tested against a baseline: every group's MDE is stats.detectable of its own paired spread at
    alpha / 3; not significant, the seeds it would need; and such a sweep whose one real difference is the MDE
    printed finds it (after Holm over the 3 tests) 80% +- 3 points of the time."""
    rng = np.random.default_rng(2)
    seed_noise = rng.normal(0, 0.02, 5)  # shared by every arm of a seed: what pairing cancels
    arms = {a: 0.9 + seed_noise + rng.normal(0, 0.01, 5) for a in ("base", "b", "c", "d")}
    s = summarize(fake_runs(arms), ["test/acc"], vs="arm=base")
    assert s.level == pytest.approx(0.05 / 3) and power_level(3) == s.level
    for g in s.groups:
        if g.label == "arm=base":
            assert math.isnan(g.mde)
            continue
        diffs = np.array(arms[g.label.split("=")[1]]) - arms["base"]
        spread = Spread("paired", (float(diffs.std(ddof=1)),), (5,))
        assert g.test == "paired" and g.mde == pytest.approx(detectable(spread, 0.05 / 3))
        assert g.seeds_needed == seeds_for(abs(float(diffs.mean())), spread, 0.05 / 3)

    # the power of that number, Holm as compare does it: one real difference among three comparisons
    sims, n = 4000, 5
    k = detectable(Spread("paired", (1.0,), (n,)), 0.05 / 3)
    sd = rng.normal(0.0, 1.0, (sims, n)).std(1, ddof=1)  # the pilot's measured sd of the effect arm's pairs
    found = 0
    diffs = rng.normal(0.0, 1.0, (3, sims, n))
    diffs[0] += (k * sd)[:, None]
    p = np.stack([paired_p(d) for d in diffs], axis=1)  # (sims, 3)
    for row in p:
        found += holm(list(row))[0] < 0.05
    assert found / sims == pytest.approx(0.80, abs=0.03)


def test_seeds_needed_is_the_size_whose_mde_is_the_difference():
    sp = Spread("paired", (0.02,), (5,))
    mde = detectable(sp, 0.05)
    assert seeds_for(mde * 1.001, sp, 0.05) == 5  # the difference this sweep detects needs this sweep
    assert seeds_for(mde / 2, sp, 0.05) > 5 and seeds_for(0.0, sp, 0.05) == math.inf
    assert math.isnan(detectable(None, 0.05)) and detectable(Spread("paired", (0.0,), (5,)), 0.05) == 0.0
    a, b = np.array([0.90, 0.91, 0.92, 0.905, 0.915]), np.array([0.93, 0.87, 0.95, 0.89])
    welch = Spread("Welch", (a.std(ddof=1), b.std(ddof=1)), (5, 4))
    assert welch.df() == pytest.approx(ttest_ind(a, b, equal_var=False).df)  # Satterthwaite's, as scipy's test
    assert 0 < detectable(welch, 0.05) < 0.2 and seeds_for(detectable(welch, 0.05) * 1.001, welch, 0.05) <= 5


# --------------------------------------------------------------------------- (b, c) the sequential rule


def test_boundaries_are_the_published_lan_demets_values():
    """Pocock-type spending at 5 equally spaced looks, two-sided alpha 0.05: 2.438, 2.427, 2.410, 2.397, 2.386
    (Lan & DeMets 1983; Jennison & Turnbull 2000, table 7.6); O'Brien-Fleming-type: the first look spends
    2 - 2 Phi(1.96 / sqrt(0.2)), i.e. its boundary is 1.96 / sqrt(0.2) = 4.383."""
    assert sq.z_bounds([1, 2, 3, 4, 5], 0.05, "pocock") == pytest.approx([2.438, 2.427, 2.410, 2.397, 2.386],
                                                                        abs=2e-3)
    obf = sq.z_bounds([1, 2, 3, 4, 5], 0.05, "obf")
    assert obf[0] == pytest.approx(1.96 / math.sqrt(0.2), abs=1e-3) and obf[-1] == pytest.approx(2.04, abs=0.03)
    # the spending: crossings of simulated normal sums, look by look, spend what the function says
    looks = np.array([3, 5, 7, 12, 20])
    rng = np.random.default_rng(3)
    z = np.cumsum(rng.standard_normal((200_000, 20)), axis=1)[:, looks - 1] / np.sqrt(looks)
    for kind in ("pocock", "obf"):
        crossed = np.abs(z) >= sq.z_bounds(looks, 0.05, kind)
        first = np.where(crossed.any(1), crossed.argmax(1), len(looks))
        spent = [np.mean(first <= k) for k in range(len(looks))]
        assert spent == pytest.approx(sq.spent(looks / 20, 0.05, kind), abs=1.5e-3)


def null_sweeps(design: sq.Design, arms: int, sims: int, seed: int) -> np.ndarray:
    """Sweeps of ``arms`` identical arms (a shared per-seed noise, as seeds give): did any pair come out differs?"""
    rng = np.random.default_rng(seed)
    values = rng.normal(0.0, 1.0, (arms, sims, design.most)) + 3.0 * rng.normal(0.0, 1.0, (sims, design.most))
    pairs = [(i, j) for i in range(arms) for j in range(i + 1, arms)]
    differs = np.zeros(sims, dtype=bool)
    for i, j in pairs:
        r = sq.looks_rule(values[i] - values[j], design, len(pairs))
        differs |= r["state"] == sq.STATES.index("differs")
    return differs


@pytest.mark.parametrize("spending", sq.SPENDING)
def test_sequential_rule_keeps_false_positives_at_5_percent(spending):
    design = sq.Design(spending=spending)
    one = null_sweeps(design, 2, 20_000, 4).mean()
    assert one <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / 20_000)  # 5% within two standard errors of 20000 sweeps
    assert null_sweeps(design, 3, 4000, 5).mean() <= 0.05  # 3 pairs, alpha split over them: well below


def efficiency(design: sq.Design, d_z: float, sims: int, seed: int) -> tuple[float, float, float]:
    """(power, mean seeds, seeds of the fixed design with that power) of one comparison at a true d_z."""
    diffs = np.random.default_rng(seed).normal(d_z, 1.0, (sims, design.most))
    r = sq.looks_rule(diffs, design)
    power = float(np.mean(r["state"] == sq.STATES.index("differs")))
    seeds = float(np.mean(np.array(design.looks)[r["look"]]))
    return power, seeds, fixed_seeds(d_z, min(power, 0.9999), design.alpha)


def test_sequential_rule_reaches_80_percent_power_with_at_most_0_6_of_the_fixed_seeds():
    """The default design (3 seeds, then 2 a round up to 20; Pocock-type spending; futility at 10%) at a paired
    difference of 1.25 sd: found in 99.6% of sweeps with 8.9 seeds on average, where a fixed design needs 16."""
    power, seeds, fixed = efficiency(sq.Design(), 1.25, 20_000, 6)
    assert power >= 0.8 and seeds <= 0.6 * fixed


def test_futility_stops_null_comparisons_early_and_keeps_power():
    with_stop, without = sq.Design(), sq.Design(futility=None)
    diffs = np.random.default_rng(7).normal(0.0, 1.0, (20_000, 20))
    seeds = lambda d: np.mean(np.array(d.looks)[sq.looks_rule(diffs, d)["look"]])  # noqa: E731
    assert seeds(with_stop) < 0.75 * seeds(without)  # 13.1 against 19.5 seeds
    assert efficiency(with_stop, 0.75, 20_000, 8)[0] >= efficiency(without, 0.75, 20_000, 8)[0] - 0.01


# --------------------------------------------------------------------------------------- decide(): the API


def test_decide_a_large_difference_after_the_first_round():
    rng = np.random.default_rng(9)
    values = {"lr=0.1 - lr=0.001": 0.6 + rng.normal(0, 0.02, 3), "a - a": rng.normal(0, 0.02, 3)}
    decisions, upto = sq.decide(values, sq.Design())
    big, same = decisions["lr=0.1 - lr=0.001"], decisions["a - a"]
    assert (big.state, big.n, big.look) == ("differs", 3, 0) and big.p <= big.level < 0.025
    assert big.ci[0] > 0.3 and same.state == "undecided" and upto == 5  # the next round brings a - a to 5 seeds


def test_decide_identical_arms_are_the_same_and_a_margin_decides_equivalence():
    decisions, upto = sq.decide({"a - a": np.zeros(3)}, sq.Design())
    assert decisions["a - a"].state == "same" and upto == 0
    rng = np.random.default_rng(10)
    close = {"x": rng.normal(0, 0.001, 20)}
    assert sq.decide(close, sq.Design(margin=0.01))[0]["x"].state == "same"
    assert sq.decide(close, sq.Design(futility=None))[0]["x"].state == "most"  # no margin: only the maximum


def test_decide_is_the_same_when_resumed_and_when_seeds_go_on_for_other_pairs():
    """A decision is its first deciding look: seeds added later (an arm's other pairs) do not change it, and
    deciding again from the run folders after a restart gives the same answer."""
    rng = np.random.default_rng(11)
    diffs = 0.6 + rng.normal(0, 0.05, 3)
    first = sq.decide({"p": diffs, "q": rng.normal(0, 1, 3)}, sq.Design())[0]["p"]
    later = sq.decide({"p": np.r_[diffs, -5 * np.ones(6)], "q": rng.normal(0, 1, 9)}, sq.Design())[0]["p"]
    assert first == later


def test_decide_missing_pairs_count_as_fewer_seeds():
    values = {"p": [0.1, np.nan, 0.12, 0.11, 0.09]}
    d = sq.decide(values, sq.Design())[0]["p"]
    assert d.look == 1 and d.n == 4 and d.state in ("differs", "undecided", "futile")


def test_design_problems_are_one_line():
    assert sq.Design().problem() is None
    for bad, word in [(dict(first=1), "first=1"), (dict(step=0), "step=0"), (dict(most=2), "most=2"),
                      (dict(alpha=1.5), "alpha=1.5"), (dict(spending="x"), "spending=x"),
                      (dict(margin=-1.0), "margin=-1.0"), (dict(futility=1.0), "futility=1.0")]:
        assert sq.Design(**bad).problem().startswith(f"{word} is wrong: allowed")


# ------------------------------------------------------------------------------------------------ slow


@pytest.mark.slow
@pytest.mark.parametrize("n", [3, 5, 10, 20])
def test_slow_the_printed_mde_is_found_80_percent_of_the_time(n):
    assert printed_mde_power(n, 100_000, 100 + n) == pytest.approx(0.80, abs=0.01)


@pytest.mark.slow
@pytest.mark.parametrize("design", [sq.Design(), sq.Design(spending="obf"), sq.Design(first=5, step=5, most=30),
                                    sq.Design(first=3, step=1, most=10)])
def test_slow_sequential_rule_error_rates(design):
    assert null_sweeps(design, 2, 200_000, 12).mean() <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / 200_000)
    assert null_sweeps(design, 4, 50_000, 13).mean() <= 0.05


# ------------------------------------------------------------------------------------------------- dlx plan


def pilot(root, arms: dict[str, np.ndarray]):
    """A pilot sweep on disk as dlx compare reads it (result.json with overrides), from arm -> per-seed values."""
    import json

    for label, values in arms.items():
        for seed, v in enumerate(values):
            folder = root / f"{label}-{seed}"
            folder.mkdir(parents=True)
            folder.joinpath("result.json").write_text(json.dumps(dict(
                status="completed", final={"test/acc": float(v)}, best={}, seed=seed, metric="test/acc",
                overrides=[f"arm={label}", f"seed={seed}"], epochs=1, steps=1, wall_s=1.0)))
    return root


def test_plan_gives_the_seeds_each_comparison_needs(tmp_path, capsys):
    from dlx import plan

    rng = np.random.default_rng(14)
    noise = rng.normal(0, 0.02, 5)
    arms = {"a": 0.90 + noise + rng.normal(0, 0.004, 5), "b": 0.91 + noise + rng.normal(0, 0.004, 5),
            "c": 0.95 + noise + rng.normal(0, 0.004, 5)}
    root = pilot(tmp_path / "pilot", arms)
    before = sorted(p.name for p in root.rglob("*"))
    assert plan.main([str(root), "--effect", "0.01"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    rows, level, _ = plan.plan([root], 0.01)
    assert level == 0.025 and [r["group"] for r in rows] == ["arm=b", "arm=a"]  # each against #1, arm=c
    for r in rows:
        diffs = arms[r["group"][-1]] - arms["c"]
        spread = Spread("paired", (float(diffs.std(ddof=1)),), (5,))
        assert r["needed"] == seeds_for(0.01, spread, 0.025) and r["test"] == "paired"
    most = max(r["needed"] for r in rows)
    assert f"at {most:.0f} seeds a group (the pilot has 5): seed=range(0,{most:.0f})" in out
    assert "Holm's first-step level 0.05/2 = 0.025" in out
    # a stricter alpha and more power need more seeds
    stricter, _, _ = plan.plan([root], 0.01, alpha=0.01, power=0.9)
    assert all(s["needed"] > r["needed"] for s, r in zip(stricter, rows))
    assert sorted(p.name for p in root.rglob("*")) == before  # a plan writes nothing


@pytest.mark.parametrize("args, says", [
    (["--effect", "0"], "--effect: 0 is wrong: allowed is a difference > 0"),
    (["--effect", "abc"], "--effect: abc is wrong"),
    (["--effect", "0.01", "--alpha", "1.5"], "--alpha: 1.5 is wrong: allowed is a number between 0 and 1"),
    (["--effect", "0.01", "--power", "0.01"], "--power 0.01 is wrong with --alpha 0.05"),
    ([], "required: --effect"),
    (["--effect", "0.01", "--vs", "arm=z"], "--vs arm=z is wrong"),
])
def test_plan_bad_input_is_one_line(tmp_path, capsys, args, says):
    from dlx import plan

    root = pilot(tmp_path / "pilot", {"a": [0.9, 0.91, 0.92], "b": [0.8, 0.85, 0.83]})
    assert plan.main([str(root), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dlx: error: ") and says in err and err.count("\n") == 1


def test_plan_of_a_pilot_without_a_spread_says_so(tmp_path, capsys):
    from dlx import plan

    root = pilot(tmp_path / "pilot", {"a": [0.9], "b": [0.8]})
    assert plan.main([str(root), "--effect", "0.01"]) == 2
    assert "no two groups have 2 or more finished seeds each" in capsys.readouterr().err
