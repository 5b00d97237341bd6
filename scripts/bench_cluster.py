"""A class-sized sweep on a cluster, here: 64 small jobs (digits MLP, 15 epochs: ~1 s of CPU each) through
dlx's launchers side by side, one run each, taking turns in one process tree on this machine.

    python scripts/bench_cluster.py --repeats 3            # parallel, local tasks=4, ray (2 CPUs)
    python scripts/bench_cluster.py --launchers parallel local basic
    python scripts/bench_cluster.py --launchers ray hydra_ray --ray-env /tmp/rayl/bin/python

Each figure is the wall time of one `dlx train -m` command (Python start-up, Hydra, the end-of-sweep summary
included, as a user waits for it); the ratio is to hydra/launcher=parallel (dlx's default launcher: one job per
core, workers forked from one server). Every launcher's results are compared job by job with the first one's:
"same" means every final and best metric of every job is equal. ``hydra_ray`` is hydra-ray-launcher
(hydra/launcher=ray_local), run with the interpreter given by --ray-env (a virtual environment that has it:
it pins cloudpickle<3 and pulls boto3, so it is not installed next to dlx).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JOB = ["dataset=digits", "model.hidden=[16]", "trainer.batch_size=128", "device=cpu", "trainer.checkpoint_every_s=0"]
GRID = ["seed=range(0,16)", "optim.lr=0.01,0.03,0.1,0.3"]  # 64 jobs
LAUNCHERS = {
    "parallel": ["hydra/launcher=parallel"],
    "basic": ["hydra/launcher=basic"],
    "local": ["hydra/launcher=local", "hydra.launcher.tasks=4"],
    "ray": ["hydra/launcher=ray", "hydra.launcher.num_cpus=2"],
    # hydra-ray-launcher's local cluster: one Ray task per job, the jobs of a batch waited for together. It names
    # itself hydra/launcher=ray too, which dlx's own configs/hydra/launcher/ray.yaml shadows: chosen by its target.
    "hydra_ray": ["--config-dir", "{hydra_ray}", "hydra/launcher=hydra_ray"],
}
HYDRA_RAY = """_target_: hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher
ray:
  init: {address: null, num_cpus: 2}
  remote: {num_cpus: 1}
"""


def sweep(launcher: str, folder: Path, epochs: int, python: str = sys.executable,
          timeout: int = 1200) -> float:
    """Wall seconds of the 64-job sweep through ``launcher`` into ``folder`` (a failure stops the bench)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    t = time.perf_counter()
    out = subprocess.run([python, "-m", "dlx", "train", "-m", *JOB, f"trainer.max_epochs={epochs}", *GRID,
                          *(a.format(hydra_ray=folder.parent / "conf") for a in LAUNCHERS[launcher]),
                          f"hydra.sweep.dir={folder}"], env=env, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"bench_cluster: {launcher} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return wall


def results(folder: Path) -> dict[int, tuple]:
    """Job number -> (status, final metrics, best metrics), from each job's result.json."""
    out = {}
    for p in folder.glob("*/result.json"):
        r = json.loads(p.read_text())
        out[int(p.parent.name)] = (r["status"], r.get("final"), r.get("best"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--launchers", nargs="+", default=["parallel", "local", "ray"], choices=list(LAUNCHERS))
    ap.add_argument("--repeats", type=int, default=1, help="rounds; the launchers take turns to go first")
    ap.add_argument("--epochs", type=int, default=15, help="epochs a job trains (11 steps each): 15 is ~1 s")
    ap.add_argument("--ray-env", default=None, help="python of an environment with hydra-ray-launcher")
    a = ap.parse_args()
    base = a.launchers[0]
    walls: dict[str, list[float]] = {name: [] for name in a.launchers}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "conf" / "hydra" / "launcher").mkdir(parents=True)
        (Path(tmp) / "conf" / "hydra" / "launcher" / "hydra_ray.yaml").write_text(HYDRA_RAY)
        first = None
        for r in range(a.repeats):
            order = a.launchers[r % len(a.launchers):] + a.launchers[:r % len(a.launchers)]
            for name in order:
                folder = Path(tmp) / f"{name}{r}"
                python = a.ray_env if name == "hydra_ray" and a.ray_env else sys.executable
                wall = sweep(name, folder, a.epochs, python)
                walls[name].append(wall)
                got = results(folder)
                first = first or got
                same = "same" if got == first else f"DIFFERENT ({sum(got.get(k) != v for k, v in first.items())} jobs)"
                done = sum(s == "completed" for s, _, _ in got.values())
                print(f"round {r}: {name:10s} {wall:7.1f} s  {done}/64 completed  results "
                      f"vs the first sweep: {same}  (load average {os.getloadavg()[0]:.1f})", flush=True)
    for name in a.launchers:
        ratios = [w / b for w, b in zip(walls[name], walls[base])]
        print(f"{name:10s} median {statistics.median(walls[name]):6.1f} s  ({min(walls[name]):.1f}-"
              f"{max(walls[name]):.1f})  vs {base} median {statistics.median(ratios):.2f}x "
              f"({min(ratios):.2f}-{max(ratios):.2f}, each round's pair)")


if __name__ == "__main__":
    main()
