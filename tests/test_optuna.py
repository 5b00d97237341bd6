"""dlx's Optuna sweeper (hydra/sweeper=optuna): the search space syntax, ASHA promotion, real searches with each
sampler, pruning, and a search killed half way and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from omegaconf import OmegaConf

optuna = pytest.importorskip("optuna", minversion="4", reason="needs the `sweep` extra (optuna >= 4)")

from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution  # noqa: E402
from optuna.trial import TrialState  # noqa: E402

from dlx import search  # noqa: E402
from dlx.checks import ConfigError  # noqa: E402


def test_overrides_parse_into_distributions():
    space, fixed = search.search_space([
        "optim.lr=interval(0.001, 0.1)",
        "regularization.l2.alpha=tag(log, interval(1e-6, 1e-2))",
        "trainer.batch_size=int(interval(16, 128))",
        "model.hidden=[16],[32]",
        "optim=choice(sgd,adam)",
        "seed=range(0, 10, 3)",
        "model.dropout=range(0.1, 0.35, 0.1)",
        "trainer.max_epochs=2",
    ])
    assert space["optim.lr"] == FloatDistribution(0.001, 0.1)
    assert space["regularization.l2.alpha"] == FloatDistribution(1e-6, 1e-2, log=True)
    assert space["trainer.batch_size"] == IntDistribution(16, 128)
    assert space["model.hidden"] == CategoricalDistribution(["[16]", "[32]"])  # written back as given
    assert space["optim"] == CategoricalDistribution(["sgd", "adam"])
    assert space["seed"] == IntDistribution(0, 9, step=3)  # range's end is exclusive, as in the basic sweeper
    d = space["model.dropout"]
    assert isinstance(d, FloatDistribution) and d.low == 0.1 and d.step == 0.1 and d.high == pytest.approx(0.3)
    assert fixed == {"trainer.max_epochs": "2"}
    assert search.grid({k: space[k] for k in ("model.hidden", "seed")}) == {"model.hidden": ["[16]", "[32]"],
                                                                          "seed": [0, 3, 6, 9]}


@pytest.mark.parametrize("override, message", [
    ("optim.lr=interval(0.1, 0.01)", "allowed is low < high"),
    ("optim.lr=tag(log, interval(0, 1))", "low > 0 with tag\\(log"),
    ("seed=range(5, 5)", "holds no value"),
])
def test_a_wrong_range_is_one_line(override, message):
    with pytest.raises(ConfigError, match=message):
        search.search_space([override])


def test_grid_refuses_intervals_and_names_are_checked():
    space, _ = search.search_space(["optim.lr=interval(0.001, 0.1)"])
    with pytest.raises(ConfigError, match="sampler=grid is wrong with optim.lr"):
        search.sampler("grid", 0, space)
    with pytest.raises(ConfigError, match="sampler=bayes is wrong"):
        search.sampler("bayes", 0, space)
    with pytest.raises(ConfigError, match="pruner=asha is wrong"):
        search.pruner("asha")
    for name in search.SAMPLERS[:3]:
        assert search.sampler(name, 0, space) is not None
    for name in search.PRUNERS:
        assert search.pruner(name) is not None


def _study_at_rung(values: list[float]):
    """Trials that each reached rung 0 with the given values (as Optuna's successive halving records them)."""
    study = optuna.create_study(direction="maximize")
    trials = []
    for v in values:
        t = study.ask()
        study._storage.set_trial_system_attr(t._trial_id, "completed_rung_0", v)
        trials.append(study._storage.get_trial(t._trial_id))
    return study, trials


def test_a_paused_trial_is_promoted_once_it_is_in_the_top_fraction_of_its_rung():
    halving = search.pruner("halving", {"reduction_factor": 4})
    study, trials = _study_at_rung([0.5, 0.9])  # 2 trials at the rung: floor(2/4) = 0 may go on
    assert search.promotable(study, halving, [trials[0]]) == []
    study, trials = _study_at_rung([0.5, 0.9, 0.1, 0.2, 0.3, 0.4, 0.45, 0.05])  # 8: the top 2 go on
    assert [t.number for t in search.promotable(study, halving, trials)] == [0, 1]


def test_a_job_reports_to_its_trial_through_the_journal(tmp_path):
    st = search.storage(None, tmp_path)
    study = optuna.create_study(study_name="s", storage=st, direction="maximize")
    study.set_user_attr(search.PRUNER_ATTR, {"name": "halving", "args": {"min_resource": 1, "reduction_factor": 2}})
    for v in (0.9, 0.5):  # the first trial to reach a rung goes on; a worse second one is pruned
        trial = study.ask()
        report = search.TrialPruner(str(tmp_path / search.JOURNAL), "s", trial.number)
        assert report(1, v) is (v == 0.5)
    assert (tmp_path / "optuna.journal").is_file()
    assert [t.intermediate_values for t in study.get_trials()] == [{1: 0.9}, {1: 0.5}]


def test_seeds_of_a_trial_report_their_mean_at_the_budget_spent(tmp_path):
    """hydra.sweeper.seeds=2: seed 0 reports its own values at steps 1..3; seed 1 reports the mean of both seeds
    at each epoch, at steps 3 + epoch (the trial's budget in epochs); an earlier seed that stopped early counts
    with its last value. A second trial, worse on the mean at the same budget, is pruned."""
    st = search.storage(None, tmp_path)
    study = optuna.create_study(study_name="s", storage=st, direction="maximize")
    study.set_user_attr(search.PRUNER_ATTR, {"name": "median", "args": {"n_startup_trials": 1,
                                                                          "n_warmup_steps": 0}})
    journal = str(tmp_path / search.JOURNAL)
    first = study.ask()
    seed0 = search.TrialPruner(journal, "s", first.number, index=0)
    for epoch, v in enumerate([0.5, 0.6, 0.7], 1):
        assert seed0(epoch, v) is False
    seed1 = search.TrialPruner(journal, "s", first.number, index=1)
    for epoch, v in enumerate([0.7, 0.8, 0.9, 1.0], 1):
        assert seed1(epoch, v) is False
    values = study.get_trials()[0].intermediate_values
    assert values == pytest.approx({1: 0.5, 2: 0.6, 3: 0.7, 4: 0.6, 5: 0.7, 6: 0.8, 7: 0.85})
    assert study.get_trials()[0].user_attrs["dlx.seed1"] == [0.7, 0.8, 0.9, 1.0]
    study.tell(first.number, 0.85)
    second = study.ask()
    assert search.TrialPruner(journal, "s", second.number, index=0)(1, 0.1)  # below the median at step 1


# ------------------------------------------------------------------------------------ real searches (slow)

SMALL = ["dataset=digits", "model.hidden=[16]", "trainer.batch_size=256", "device=cpu"]


def env() -> dict:
    from conftest import ROOT

    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(ROOT), e.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    e.setdefault("DLX_CACHE", str(Path.home() / ".cache" / "dlx"))
    return e


def search_cli(sweep_dir: Path, *args: str, timeout: int = 300):
    from conftest import dlx_cli

    return dlx_cli("train", "-m", "hydra/sweeper=optuna", *SMALL, *args, f"hydra.sweep.dir={sweep_dir}",
                   timeout=timeout)


def results(sweep_dir: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(sweep_dir.glob("*/result.json"))}


def journal_trials(sweep_dir: Path):
    st = search.storage(None, sweep_dir)
    return optuna.load_study(study_name=f"dlx:{sweep_dir.resolve()}", storage=st).get_trials()


@pytest.mark.slow
@pytest.mark.parametrize("sampler, space", [
    ("tpe", "optim.lr=tag(log, interval(0.001, 0.1))"),
    ("random", "optim.lr=interval(0.001, 0.1)"),
    ("cmaes", "optim.lr=interval(0.001, 0.1)"),
    ("grid", "optim.lr=choice(0.003, 0.03)"),
])
def test_a_small_search_with_each_sampler(tmp_path, sampler, space):
    sweep_dir = tmp_path / "sweep"
    out = search_cli(sweep_dir, f"hydra.sweeper.sampler={sampler}", "hydra.sweeper.n_trials=3",
                     "trainer.max_epochs=2", space)
    assert out.returncode == 0, out.stderr[-3000:]
    res = results(sweep_dir)
    n = 2 if sampler == "grid" else 3  # the grid holds 2 points
    assert sorted(res) == [str(i) for i in range(n)] and {r["status"] for r in res.values()} == {"completed"}
    trials = journal_trials(sweep_dir)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * n
    for t in trials:  # trial N ran in folder N, with the value the study holds
        r = res[str(t.number)]
        assert t.value == r["best"]["val/acc"] and f"optim.lr={t.params['optim.lr']}" in r["overrides"]
        assert len(t.intermediate_values) == 2  # one report per epoch
    best = OmegaConf.load(sweep_dir / "optimization_results.yaml")
    assert best["best_value"] == max(r["best"]["val/acc"] for r in res.values()) and best["n_trials"] == n


@pytest.mark.slow
def test_pruned_jobs_are_results_and_a_promoted_one_continues_from_its_checkpoint(tmp_path):
    sweep_dir = tmp_path / "sweep"
    # seeded TPE on the CPU: the same trials, values and decisions every time (this one pauses and promotes)
    out = search_cli(sweep_dir, "hydra.sweeper.n_trials=6", "trainer.max_epochs=4", "model.hidden=[16],[32]",
                     "optim.lr=tag(log, interval(0.001, 0.1))", "hydra.sweeper.pruner=halving",
                     "hydra.sweeper.pruner_args={min_resource:1,reduction_factor:2}")
    assert out.returncode == 0, out.stderr[-3000:]  # pruned is a result, not a failure
    res = results(sweep_dir)
    assert len(res) == 6 and {r["status"] for r in res.values()} <= {"completed", "pruned"}
    pruned = [k for k, r in res.items() if r["status"] == "pruned"]
    assert pruned and any(res[k]["epochs"] < 4 for k in pruned)  # (the last rung can prune at the last epoch)
    for k in pruned:  # the folder keeps its curves and checkpoint
        assert (sweep_dir / k / "checkpoints" / "last.pt").is_file()
        assert list((sweep_dir / k).glob("events.out.tfevents*"))
    states = {str(t.number): t.state for t in journal_trials(sweep_dir)}
    assert {k for k, s in states.items() if s == TrialState.PRUNED} == set(pruned)
    assert "pruned" in (sweep_dir / "summary.md").read_text()  # dlx compare's own column
    # a trial paused at a rung and promoted later went on from its own last.pt, in its own folder
    assert "promoting paused trials" in out.stdout + out.stderr
    assert any("resume=" in (sweep_dir / k / ".hydra" / "overrides.yaml").read_text() for k in res)


@pytest.mark.slow
def test_a_search_killed_half_way_resumes_to_exactly_n_trials(tmp_path):
    sweep_dir = tmp_path / "sweep"
    args = [sys.executable, "-m", "dlx", "train", "-m", "hydra/sweeper=optuna", *SMALL, "hydra.sweeper.n_trials=5",
            "trainer.max_epochs=30", "optim.lr=tag(log, interval(0.001, 0.1))", f"hydra.sweep.dir={sweep_dir}"]
    proc = subprocess.Popen(args, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:  # SIGKILL while trial 2 is between two epochs' checkpoints: no result.json, no chance to clean up
        deadline = time.time() + 240
        while not (sweep_dir / "2" / "checkpoints" / "last.pt").is_file():
            assert proc.poll() is None and time.time() < deadline, "the search ended before trial 2 started"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert not (sweep_dir / "2" / "result.json").exists()
    kept = {k: (sweep_dir / k / "result.json").read_bytes() for k in ("0", "1")}
    assert [t.state for t in journal_trials(sweep_dir)] == [TrialState.COMPLETE] * 2 + [TrialState.RUNNING]

    # the same command again without resume_sweep is refused: the folder holds a study
    again = search_cli(sweep_dir, "hydra.sweeper.n_trials=5", "trainer.max_epochs=30",
                       "optim.lr=tag(log, interval(0.001, 0.1))")
    assert again.returncode != 0 and "resume_sweep=true" in again.stderr

    out = search_cli(sweep_dir, "hydra.sweeper.n_trials=5", "trainer.max_epochs=30",
                     "optim.lr=tag(log, interval(0.001, 0.1))", "resume_sweep=true")
    assert out.returncode == 0, out.stderr[-3000:]
    trials = journal_trials(sweep_dir)
    assert len(trials) == 5 and all(t.state == TrialState.COMPLETE for t in trials)
    res = results(sweep_dir)
    assert sorted(res) == ["0", "1", "2", "3", "4"] and {r["status"] for r in res.values()} == {"completed"}
    for k in ("0", "1"):  # finished trials kept, not run again
        assert (sweep_dir / k / "result.json").read_bytes() == kept[k]
    # the interrupted trial went on from its last.pt, to the same 30 epochs
    # (the search says which trial continues; the trial's own lines go to its train.log)
    assert "dlx: search: continuing 1 interrupted trials: 2" in out.stdout and res["2"]["epochs"] == 30
    resumed = [k for k in res if "resume=" in (sweep_dir / k / ".hydra" / "overrides.yaml").read_text()]
    assert resumed == ["2"]


@pytest.mark.slow
def test_a_trial_scored_by_the_mean_over_seeds(tmp_path):
    """hydra.sweeper.seeds=2: each trial runs seeds 0 and 1 in <sweep dir>/N/0 and N/1 (ordinary run folders),
    its value is the mean of their best val/acc, and dlx compare groups each trial's seeds."""
    sweep_dir = tmp_path / "sweep"
    out = search_cli(sweep_dir, "hydra.sweeper.n_trials=2", "hydra.sweeper.seeds=2", "trainer.max_epochs=2",
                     "optim.lr=tag(log, interval(0.001, 0.1))")
    assert out.returncode == 0, out.stderr[-3000:]
    trials = journal_trials(sweep_dir)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2
    for t in trials:
        runs = [json.loads((sweep_dir / str(t.number) / str(s) / "result.json").read_text()) for s in (0, 1)]
        assert [r["seed"] for r in runs] == [0, 1] and runs[0]["overrides"][:1] == runs[1]["overrides"][:1]
        assert t.value == pytest.approx(sum(r["best"]["val/acc"] for r in runs) / 2)
        assert sorted(t.intermediate_values) == [1, 2, 3, 4]  # seed 1 reports at the budget 2 + epoch
    assert "2 runs in 2 groups" not in out.stdout and "4 runs in 2 groups" in " ".join(out.stdout.split())


def test_seeds_of_a_search_are_checked_in_one_line():
    from dlx import preflight
    from dlx.checks import ConfigError

    for args, says in [(["hydra.sweeper.seeds=0"], "hydra.sweeper.seeds=0 is wrong: allowed is an integer >= 1"),
                       (["hydra.sweeper.seeds=3", "seed=4"], "seed=... is wrong with hydra.sweeper.seeds=3")]:
        with pytest.raises(ConfigError) as e:
            preflight.preflight(["-m", "hydra/sweeper=optuna", "optim.lr=interval(0.001, 0.1)", "device=cpu", *args])
        assert says in str(e.value)
