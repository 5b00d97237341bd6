"""Sweeps: resume bookkeeping, the end-of-multirun summary, the launcher and sweeper configs."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from conftest import user_model
from omegaconf import OmegaConf

from dlx.sweep import optuna, resume
from dlx.sweep.summary import SweepSummary


def job(folder: Path, overrides: list[str], status: str | None, checkpoint: bool = False) -> Path:
    (folder / "checkpoints").mkdir(parents=True)
    (folder / ".hydra").mkdir()
    (folder / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    (folder / "events.out.tfevents.1.host.1.0").write_bytes(b"")
    if checkpoint:
        (folder / "checkpoints" / "last.pt").write_bytes(b"x")
    if status:
        result = {"status": status, "overrides": overrides, "best": {"val/acc": 0.5}, "metric": "val/acc"}
        (folder / "result.json").write_text(json.dumps(result))
    return folder


@pytest.mark.parametrize("status", ["completed", "stopped_early", "diverged"])
def test_resume_keeps_finished_jobs(tmp_path, status):
    d = job(tmp_path / "0", ["optim=sgd", "seed=0"], status)
    # the re-run's overrides carry resume_sweep=true; that does not make it another job
    kept = resume.resume_job(d, ["optim=sgd", "seed=0", "resume_sweep=true"])
    assert kept is not None and kept["status"] == status
    assert (d / "result.json").exists() and (d / "events.out.tfevents.1.host.1.0").exists()


def test_resume_clears_failed_and_unfinished_jobs(tmp_path):
    failed = job(tmp_path / "0", ["optim=sgd"], "failed", checkpoint=True)
    assert resume.resume_job(failed, ["optim=sgd"]) is None
    # old events, result, checkpoints and .hydra/ gone (the job writes its .hydra/ files again, under its lock)
    assert {p.name for p in failed.iterdir()} == set()

    killed = job(tmp_path / "1", ["optim=adam"], None, checkpoint=True)  # no result.json: killed mid-run
    assert resume.resumable(killed, None)
    assert resume.resume_job(killed, ["optim=adam"], continue_interrupted=True) is None
    assert (killed / "checkpoints" / "last.pt").exists()  # kept for a loop that continues from it
    assert resume.resume_job(killed, ["optim=adam"]) is None
    assert {p.name for p in killed.iterdir()} == set()

    interrupted = job(tmp_path / "2", ["optim=adam"], "interrupted", checkpoint=True)
    assert resume.resumable(interrupted, {"status": "interrupted"})
    assert resume.resume_job(interrupted, ["optim=adam"]) is None and not (interrupted / "result.json").exists()

    fresh = tmp_path / "3"
    fresh.mkdir()
    assert resume.resume_job(fresh, ["optim=adam"]) is None


def test_resume_refuses_a_folder_of_another_sweep(tmp_path):
    d = job(tmp_path / "0", ["optim=sgd", "seed=0"], "completed")
    with pytest.raises(resume.SweepMismatch, match="job folder 0 holds a run with overrides"):
        resume.resume_job(d, ["optim=adam", "seed=0"])


def test_direction_follows_the_metric():
    assert optuna.direction("auto", "auto") == "maximize"
    assert optuna.direction("val/acc", "auto") == "maximize"
    assert optuna.direction("val/loss", "auto") == "minimize"
    assert optuna.direction("val/acc", "min") == "minimize"
    import hydra_plugins.dlx_sweeper.optuna_sweeper  # noqa: F401  (optuna.yaml's resolver, registered by the face)

    cfg = OmegaConf.create(
        {
            "trainer": {"metric": "val/loss", "mode": "auto"},
            "d": "${dlx.direction:${trainer.metric},${trainer.mode}}",
        }
    )
    assert cfg.d == "minimize"


def test_planned_jobs_follow_hydras_order_and_a_foreign_folder_is_refused(tmp_path):
    cfg = OmegaConf.create(
        {
            "resume_sweep": True,
            "hydra": {
                "sweep": {"dir": str(tmp_path)},
                "sweeper": {
                    "_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper",
                    "params": {"model.activation": "relu,tanh"},
                },
                "overrides": {"task": ["seed=0,1", "trainer.max_epochs=1", "resume_sweep=true"]},
            },
        }
    )
    jobs = resume.planned_jobs(cfg)
    assert [j[:2] for j in jobs] == [
        ["model.activation=relu", "seed=0"],
        ["model.activation=relu", "seed=1"],
        ["model.activation=tanh", "seed=0"],
        ["model.activation=tanh", "seed=1"],
    ]
    job(tmp_path / "1", ["model.activation=relu", "seed=1", "trainer.max_epochs=1"], "completed")
    resume.check_sweep_dir(cfg)  # the same job in folder 1: fine
    job(tmp_path / "2", ["model.activation=relu", "seed=0", "trainer.max_epochs=1"], "completed")
    with pytest.raises(resume.SweepMismatch, match="job folder 2 holds"):
        resume.check_sweep_dir(cfg)
    with pytest.raises(SystemExit):  # the callback stops the multirun before any job rewrites a folder
        SweepSummary().on_multirun_start(cfg)


EXPERIMENTS = ["activations", "depth", "losses", "optimizers", "pretraining", "regularizers"]


def experiment_jobs(name: str) -> list[list[str]]:
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from dlx import CONFIG_DIR

    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="train", overrides=[f"experiment={name}"], return_hydra_config=True)
    assert str(cfg.hydra.sweep.dir).startswith(f"outputs/experiments/{name}/")
    cfg.hydra.overrides.task = [f"experiment={name}"]
    return resume.planned_jobs(cfg)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_experiment_is_a_grid_of_existing_options(name):
    """Each course comparison is a grid in hydra.sweeper.params whose group options all exist."""
    from conftest import options

    jobs = experiment_jobs(name)
    assert jobs and len(jobs) >= 6 and len({tuple(j) for j in jobs}) == len(jobs)
    for override in {o for j in jobs for o in j}:
        key, value = override.split("=", 1)
        if key in ("optim", "model", "dataset", "schedule", "regularization"):
            assert value in options(key), f"{override}: no such option"


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_value_of_every_experiment_composes_and_validates(name):
    from conftest import make_cfg

    from dlx.config import validate

    jobs, seen = experiment_jobs(name), set()
    for overrides in jobs:  # the fewest jobs that use every value of the grid once
        if not set(overrides) <= seen:
            seen |= set(overrides)
            validate(make_cfg(overrides))


# ------------------------------------------------------------------------------------ real multiruns (slow)

# A sweep of tiny runs: digits, a one-layer MLP, 2 epochs of 6 steps.
SMALL = [
    "dataset=digits",
    "model.hidden=[16]",
    "trainer.max_epochs=2",
    "trainer.batch_size=256",
    "device=cpu",
]


def multirun(sweep_dir: Path, *args: str, timeout: int = 300, cwd: Path | None = None):
    from conftest import dlx_cli

    return dlx_cli("train", "-m", *SMALL, *args, f"hydra.sweep.dir={sweep_dir}", timeout=timeout, cwd=cwd)


def boom_model(folder: Path) -> list[str]:
    """A user's model that fails while training when fail=true: a failure no check before the start can see
    (the preflight refuses wrong config values before any job starts)."""
    return user_model(folder, "boom", (
        "import math, torch\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self, in_shape, n_out, hidden=(), fail=False):\n"
        "        super().__init__()\n"
        "        self.fail, self.f = fail, torch.nn.Linear(math.prod(in_shape), n_out)\n"
        "    def forward(self, x):\n"
        "        if self.fail:\n"
        "            raise RuntimeError('boom: this job fails while training')\n"
        "        return self.f(x.flatten(1))\n"), "_target_: boom.Net\nhidden: []\nfail: false\n")


def results(sweep_dir: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(sweep_dir.glob("*/result.json"))}


@pytest.mark.slow
def test_2x2_multirun_end_to_end_with_compare(tmp_path):
    from conftest import dlx_cli

    sweep_dir = tmp_path / "sweep"
    out = multirun(sweep_dir, "optim=sgd,adam", "seed=0,1")
    assert out.returncode == 0, out.stderr[-3000:]
    res = results(sweep_dir)
    assert sorted(res) == ["0", "1", "2", "3"] and {r["status"] for r in res.values()} == {"completed"}
    # the summary ran by itself at the end of the multirun
    assert "dlx compare: 4 runs in 2 groups" in out.stdout
    rows = list(csv.DictReader((sweep_dir / "summary.csv").open()))
    assert sorted(r["group"] for r in rows) == ["optim=adam", "optim=sgd"]
    assert all(r["runs"] == "2" and r["val/acc best n"] == "2" for r in rows)
    assert (sweep_dir / "curves.png").read_bytes()[:4] == b"\x89PNG"
    # and dlx compare gives the same table on demand, mean of the two seeds as result.json says
    cmp = dlx_cli("compare", str(sweep_dir), "--out", str(tmp_path / "cmp"), "--no-plot")
    assert cmp.returncode == 0, cmp.stderr
    adam = [r for r in res.values() if "optim=adam" in r["overrides"]]
    mean = sum(r["best"]["val/acc"] for r in adam) / 2
    row = next(r for r in csv.DictReader((tmp_path / "cmp" / "summary.csv").open()) if r["group"] == "optim=adam")
    assert float(row["val/acc best mean"]) == pytest.approx(mean)


@pytest.mark.slow
def test_a_failed_job_does_not_stop_the_sweep_and_sets_the_exit_code(tmp_path):
    sweep_dir = tmp_path / "sweep"
    # job 1's model raises while training: it fails, jobs 0 and 2 still run
    out = multirun(sweep_dir, *boom_model(tmp_path), "model.fail=false,true,false", cwd=tmp_path)
    assert out.returncode == 1, out.stderr[-2000:]
    res = results(sweep_dir)
    assert [res[k]["status"] for k in ("0", "1", "2")] == ["completed", "failed", "completed"]
    assert "boom: this job fails while training" in res["1"]["error"]
    assert "1 of 3 jobs failed" in out.stdout and "resume_sweep=true" in out.stdout


@pytest.mark.slow
def test_resume_a_half_finished_sweep_runs_only_missing_and_failed_jobs(tmp_path):
    sweep_dir = tmp_path / "sweep"
    args = ("optim=sgd,adam", "seed=0,1")
    assert multirun(sweep_dir, *args).returncode == 0
    before = {k: v for k, v in results(sweep_dir).items()}
    # half finished: job 1 failed, job 3 never ran
    failed = dict(before["1"], status="failed", error="RuntimeError: out of memory", final={}, best={})
    (sweep_dir / "1" / "result.json").write_text(json.dumps(failed))
    shutil.rmtree(sweep_dir / "3")
    kept = {k: (sweep_dir / k / "result.json").read_bytes() for k in ("0", "2")}
    events = {k: sorted(p.name for p in (sweep_dir / k).glob("events.out.tfevents*")) for k in ("0", "1", "2")}

    out = multirun(sweep_dir, *args, "resume_sweep=true")
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count("kept from the earlier sweep") == 2
    res = results(sweep_dir)
    assert {k: r["status"] for k, r in res.items()} == dict.fromkeys("0123", "completed")
    for k in ("0", "2"):  # untouched: same result.json bytes, no second event file
        assert (sweep_dir / k / "result.json").read_bytes() == kept[k]
        assert sorted(p.name for p in (sweep_dir / k).glob("events.out.tfevents*")) == events[k]
    # job numbers kept: job 3 is still optim=adam seed=1, and the re-run jobs give the first sweep's numbers
    assert _comparable_job(res["3"]) == ["optim=adam", "seed=1"]
    assert res["1"]["best"] == before["1"]["best"] and res["3"]["best"] == before["3"]["best"]
    # the failed run's curves are gone, the new run's are there
    new_events = sorted(p.name for p in (sweep_dir / "1").glob("events.out.tfevents*"))
    assert new_events and not set(new_events) & set(events["1"])

    # an interrupted job (Ctrl-C, time limit) continues from its last.pt in its own folder
    interrupted = dict(res["0"], status="interrupted", error="interrupted at step 6")
    (sweep_dir / "0" / "result.json").write_text(json.dumps(interrupted))
    out = multirun(sweep_dir, *args, "resume_sweep=true")
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count("kept from the earlier sweep") == 3
    again = json.loads((sweep_dir / "0" / "result.json").read_text())
    assert again["status"] == "completed" and again["steps"] == res["0"]["steps"]
    assert again["best"]["val/acc"] == res["0"]["best"]["val/acc"]

    # a different grid into the same folder is refused before any job runs
    bad = multirun(sweep_dir, "optim=adam,sgd", "seed=0,1", "resume_sweep=true")
    assert bad.returncode != 0 and "is wrong for resume_sweep=true" in bad.stderr + bad.stdout
    assert {k: r["status"] for k, r in results(sweep_dir).items()} == dict.fromkeys("0123", "completed")


def _comparable_job(result: dict) -> list[str]:
    return sorted(o for o in result["overrides"] if o.split("=")[0] in ("optim", "seed"))


@pytest.mark.slow
def test_joblib_launcher_runs_jobs_in_parallel_processes(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher", reason="needs the `sweep` extra (joblib launcher)")
    sweep_dir = tmp_path / "sweep"  # the plugin's own config: hydra/launcher=parallel is dlx's (test_pool.py)
    out = multirun(sweep_dir, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "optim=sgd,adam", "seed=0,1")
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Joblib.Parallel(n_jobs=2" in out.stdout + out.stderr
    assert {r["status"] for r in results(sweep_dir).values()} == {"completed"} and len(results(sweep_dir)) == 4
    assert (sweep_dir / "summary.csv").exists()


@pytest.mark.slow
def test_submitit_local_launcher(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="needs the `slurm` extra (submitit)")
    sweep_dir = tmp_path / "sweep"
    out = multirun(sweep_dir, "hydra/launcher=local", "optim=sgd,adam", *boom_model(tmp_path), "model.fail=false,true",
                   cwd=tmp_path)
    assert out.returncode == 1, out.stderr[-2000:]  # the fail=true jobs fail; the others complete
    res = results(sweep_dir)
    assert sorted(r["status"] for r in res.values()) == ["completed", "completed", "failed", "failed"]
    assert (sweep_dir / ".submitit").is_dir()  # submitit's own job logs
    assert "2 of 4 jobs failed" in out.stdout


@pytest.mark.slow
def test_optuna_tpe_sweeper_maximises_val_acc(tmp_path):
    pytest.importorskip("optuna", minversion="4", reason="needs the `sweep` extra (optuna >= 4)")
    sweep_dir = tmp_path / "sweep"
    out = multirun(sweep_dir, "hydra/sweeper=tpe", "hydra.sweeper.n_trials=3", "optim.lr=interval(0.001,0.1)")
    assert out.returncode == 0, out.stderr[-3000:]
    res = results(sweep_dir)
    assert len(res) == 3
    best = OmegaConf.load(sweep_dir / "optimization_results.yaml")
    assert best.best_value == pytest.approx(max(r["best"]["val/acc"] for r in res.values()))
    assert "dlx compare: 3 runs in 3 groups" in out.stdout
