"""hydra/sweeper=seeds: rounds of seeds added only to the pairs still undecided (dlx/sweep/seeds.py). The rounds,
folders and resume run in-process with a launcher that writes each job's result.json from a known value per arm
and seed (no training); one real sweep through the CLI (slow) shows a large difference stopping after round 1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import dlx_cli

from dlx import preflight
from dlx.checks import ConfigError
from dlx.sweep import seeds


class FakeLauncher:
    """Writes each job's result.json into its folder: ``value(arm, seed)`` as val/acc."""

    def __init__(self, sweep_dir: Path, value):
        self.sweep_dir, self.value, self.launched, self.jobs = sweep_dir, value, [], []

    def launch(self, jobs, initial_job_idx):
        for job in jobs:
            self.jobs.append(job)
            task = [o for o in job if not o.startswith(("hydra.", "resume_sweep"))]
            sub = next(o.split("=", 1)[1] for o in job if o.startswith("hydra.sweep.subdir="))
            seed = int(next(o.split("=", 1)[1] for o in job if o.startswith("seed=")))
            arm = next(o for o in task if o.startswith("arm="))
            self.launched.append((arm, seed))
            v = self.value(arm, seed)
            folder = self.sweep_dir / sub
            folder.mkdir(parents=True, exist_ok=True)
            status = "diverged" if v is None else "completed"
            folder.joinpath("result.json").write_text(json.dumps(dict(
                status=status, best={"val/acc": v} if v is not None else {}, final={}, metric="val/acc",
                seed=seed, overrides=task, epochs=1, steps=1, wall_s=1.0)))
        return jobs


class Sweeper:
    """The attributes dlx.sweep.seeds.sweep reads from hydra_plugins' SeedsSweeper."""

    def __init__(self, sweep_dir: Path, value, resume: bool = False, **design):
        self.params = None
        self.first, self.step, self.most, self.alpha = 3, 2, 20, 0.05
        self.spending, self.margin, self.futility = "pocock", None, 0.1
        self.metric, self.by, self.mode, self.vs = None, "best", None, None
        self.__dict__.update(design)
        self.config = {"resume_sweep": resume}
        self.sweep_dir, self.job_idx = sweep_dir, 0
        self.launcher = FakeLauncher(sweep_dir, value)


def noisy(effects: dict[str, float], sd: float = 0.01, seed: int = 0):
    """val/acc of arm a on seed s: 0.9 + a shared per-seed noise + the arm's effect + its own noise."""
    rng = np.random.default_rng(seed)
    shared, own = rng.normal(0, 0.02, 100), {a: rng.normal(0, sd, 100) for a in effects}
    return lambda arm, s: 0.9 + shared[s] + effects[arm.split("=")[1]] + own[arm.split("=")[1]][s]


def run(tmp_path, value, arms="a,b", **kw) -> tuple[Sweeper, dict]:
    s = Sweeper(tmp_path, value, **kw)
    seeds.sweep(s, [f"arm={arms}"])
    return s, json.loads((tmp_path / seeds.RESULTS).read_text())


def test_a_large_difference_stops_after_the_first_round(tmp_path, capsys):
    s, out = run(tmp_path, noisy({"a": 0.0, "b": 0.3}))
    (c,) = out["comparisons"]
    assert (c["state"], c["seeds"]) == ("differs", 3) and c["outcome"] == "differs: arm=b better"
    assert len(s.launcher.launched) == 6 and [r["seeds"] for r in out["rounds"]] == [3]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["0", "1", "2", "20", "21", "22"]
    assert "differs: arm=b better" in capsys.readouterr().out


def test_seeds_go_only_to_the_arms_of_undecided_pairs(tmp_path):
    """a vs b differ at once; c is close to a: the rounds after the first add seeds to a and c only."""
    s, out = run(tmp_path, noisy({"a": 0.0, "b": 0.3, "c": 0.004}), arms="a,b,c")
    states = {(c["a"], c["b"]): c for c in out["comparisons"]}
    assert states[("arm=a", "arm=b")]["seeds"] == 3 and states[("arm=a", "arm=b")]["state"] == "differs"
    assert states[("arm=b", "arm=c")]["state"] == "differs"
    ac = states[("arm=a", "arm=c")]
    assert ac["state"] in ("futile", "most", "differs") and ac["seeds"] > 3
    b_seeds = [seed for arm, seed in s.launcher.launched if arm == "arm=b"]
    assert b_seeds == [0, 1, 2]  # b's pairs were decided in round 1
    for r in out["rounds"][1:]:
        assert r["arms"] == [0, 2]
    assert out["rounds"][-1]["seeds"] == ac["seeds"]


def test_identical_arms_are_the_same_after_the_first_round(tmp_path):
    _, out = run(tmp_path, lambda arm, s: 0.9 + 0.01 * s)  # the same value for both arms on every seed
    (c,) = out["comparisons"]
    assert (c["state"], c["seeds"], c["mde"]) == ("same", 3, 0.0)
    assert c["outcome"] == "no difference (the same value on every seed)"


def test_no_difference_ends_futile_or_at_most_with_an_mde(tmp_path):
    _, out = run(tmp_path, noisy({"a": 0.0, "b": 0.0}, seed=3))
    (c,) = out["comparisons"]
    assert c["state"] in ("futile", "most") and c["p"] > c["level"] and 0 < c["mde"] < 0.1


def test_a_resumed_sweep_runs_only_what_is_missing_and_decides_the_same(tmp_path):
    value = noisy({"a": 0.0, "b": 0.012, "c": 0.3}, seed=5)
    whole, out = run(tmp_path / "whole", value, arms="a,b,c")
    assert len(out["rounds"]) > 1  # a vs b needs several rounds
    # the same sweep killed after its second round: the folders of later rounds do not exist
    killed = tmp_path / "killed"
    killed.mkdir()
    second = out["rounds"][1]["seeds"]
    for f in (tmp_path / "whole").iterdir():
        if f.is_dir() and int(f.name) % 20 < second:
            (killed / f.name).mkdir()
            (killed / f.name / "result.json").write_text((f / "result.json").read_text())
    with pytest.raises(SystemExit):  # without resume_sweep=true a folder with runs is refused
        seeds.sweep(Sweeper(killed, value), ["arm=a,b,c"])
    again = Sweeper(killed, value, resume=True)
    seeds.sweep(again, ["arm=a,b,c"])
    resumed = json.loads((killed / seeds.RESULTS).read_text())
    assert resumed["comparisons"] == out["comparisons"]
    present = {(f"arm={'abc'[int(p.name) // 20]}", int(p.name) % 20) for p in killed.iterdir() if p.is_dir()
               and int(p.name) % 20 < second}
    assert present and set(again.launcher.launched) == set(whole.launcher.launched) - present  # nothing twice
    # each job of a resumed sweep keeps a finished run and continues an interrupted one (dlx/job.py)
    assert all("resume_sweep=true" in job for job in again.launcher.jobs)
    assert not any("resume_sweep=true" in job for job in whole.launcher.jobs)


def test_diverged_runs_drop_out_of_their_pairs(tmp_path):
    base = noisy({"a": 0.0, "b": 0.3})
    _, out = run(tmp_path, lambda arm, s: None if (arm, s) == ("arm=b", 1) else base(arm, s))
    (c,) = out["comparisons"]
    assert c["seeds"] in (2, 4)  # seed 1's pair is missing: 2 pairs at the first look (or 4 at the second)


def test_vs_compares_each_arm_with_one(tmp_path):
    _, out = run(tmp_path, noisy({"a": 0.0, "b": 0.3, "c": 0.3}), arms="a,b,c", vs="arm=a")
    assert [(c["a"], c["b"]) for c in out["comparisons"]] == [("arm=b", "arm=a"), ("arm=c", "arm=a")]


@pytest.mark.parametrize("args, says", [
    (["arm=a,b", "seed=0,1"], "seed=... is wrong with hydra/sweeper=seeds"),
    (["arm=a"], "single arm"),
])
def test_the_sweeper_refuses_a_swept_seed_and_one_arm(tmp_path, capsys, args, says):
    with pytest.raises(SystemExit) as e:
        seeds.sweep(Sweeper(tmp_path, lambda a, s: 0.9), args)
    assert e.value.code == 2 and says in capsys.readouterr().err


@pytest.mark.parametrize("args, says", [
    (["hydra.sweeper.first=1"], "hydra.sweeper.first=1 is wrong: allowed is an integer >= 2"),
    (["hydra.sweeper.spending=linear"], "hydra.sweeper.spending=linear is wrong: allowed are pocock, obf"),
    (["hydra.sweeper.by=last"], "hydra.sweeper.by=last is wrong"),
    (["seed=0,1"], "seed=... is wrong with hydra/sweeper=seeds"),
    ([], "single arm"),
])
def test_the_preflight_refuses_a_wrong_design_in_one_line(args, says):
    with pytest.raises(ConfigError) as e:
        preflight.preflight(["-m", "hydra/sweeper=seeds", "device=cpu", *args,
                             *([] if args == [] else ["optim.lr=0.01,0.1"])])
    assert says in str(e.value) and "\n" not in str(e.value)


def test_the_preflight_checks_every_arm(tmp_path):
    plan = preflight.preflight(["-m", "hydra/sweeper=seeds", "optim.lr=0.01,0.1", "device=cpu",
                                f"hydra.sweep.dir={tmp_path / 's'}"])
    assert plan.checked and "hydra.sweeper.checked=true" in plan.hydra_args(2)
    with pytest.raises(ConfigError) as e:
        preflight.preflight(["-m", "hydra/sweeper=seeds", "optim.lr=0.01,-1", "device=cpu"])
    assert "optim.lr" in str(e.value)


@pytest.mark.slow
def test_a_real_sweep_with_a_large_difference_stops_after_the_first_round(tmp_path):
    """SGD at lr 0.001 against 0.1 on digits: decided on the first 3 seeds; every run an ordinary run folder."""
    out = dlx_cli("train", "-m", "hydra/sweeper=seeds", "optim=sgd", "optim.lr=0.001,0.1", "trainer.max_epochs=5",
                  "device=cpu", f"hydra.sweep.dir={tmp_path / 'lr'}", timeout=600)
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "lr" / seeds.RESULTS).read_text())
    (c,) = result["comparisons"]
    assert (c["state"], c["seeds"], c["outcome"]) == ("differs", 3, "differs: optim.lr=0.1 better")
    assert len(list((tmp_path / "lr").glob("*/result.json"))) == 6
    assert (tmp_path / "lr" / "summary.md").is_file()  # the usual end-of-sweep summary
