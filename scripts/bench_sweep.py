"""Whole sweeps, timed as commands: dlx against a plain loop, and dlx's launchers against each other.

    python scripts/bench_sweep.py                     # parts a, b, c, 3 repeats each
    OMP_NUM_THREADS=1 python scripts/bench_sweep.py --parts c --repeats 3

(a) `dlx train -m optim=sgd,adam seed=0,1,2,3,4` on digits with dlx's defaults (MLP 64-256-128-10, batch 64,
    30 epochs; checkpoints, TensorBoard, the end-of-sweep summary and report included; the default launcher
    runs these small CPU jobs one per core) against the same 10 trainings as a plain PyTorch loop in one process
    (data in memory, randperm batches, val accuracy every epoch, test at the end): ratio = plain wall / dlx wall
    (1.0: dlx costs nothing over the hand loop). Also Hydra's basic launcher (one job after another), for scale.
(b) hydra/launcher=basic against hydra/launcher=parallel with n_jobs=2 on 8 MNIST-1D MLP jobs (seed=0..7);
    their results compared job by job.
(c) hydra/launcher=basic against hydra/launcher=batched on 10 seeds of the digits MLP: speed ratio
    basic / batched, and the mean test accuracy of each. With dlx's defaults the batched launcher trains one
    stack per core on a CPU (two stacks of 5 here).

Every figure is a subprocess timed with time.perf_counter (Python start-up included, as a user waits for
it). Each pair runs --repeats times, taking turns to go first; median and range (min-max) are printed.
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


def dlx(args: list[str], sweep_dir: Path) -> float:
    """Wall seconds of one `dlx train -m ...` command (its output discarded; a failure stops the bench)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "dlx", "train", "-m", "device=cpu", *args,
                          f"hydra.sweep.dir={sweep_dir}"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"bench_sweep: dlx failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return wall


def results(sweep_dir: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(sweep_dir.glob("*/result.json"))}


def plain(epochs: int) -> float:
    """Wall seconds of the plain loop's 10 trainings, in a subprocess of this script."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    t = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--plain-loop", "--epochs", str(epochs)], env=env,
                         capture_output=True, text=True)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"bench_sweep: the plain loop failed:\n{out.stderr[-3000:]}")
    return wall


def plain_loop(epochs: int) -> None:
    """What a careful user writes by hand for the sweep of (a): the same data, model, optimizers and batches."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    from dlx.data.digits import load

    d = load()
    x, y, xv, yv, xt, yt = (t.flatten(1) if t.is_floating_point() else t
                            for t in (d.x, d.y, d.x_val, d.y_val, d.x_test, d.y_test))
    accs = []
    for opt_name, lr in (("sgd", 0.1), ("adam", 0.003)):
        for seed in range(5):
            torch.manual_seed(seed)
            model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
            opt = (torch.optim.SGD if opt_name == "sgd" else torch.optim.Adam)(model.parameters(), lr=lr)
            gen = torch.Generator().manual_seed(seed)
            for _ in range(epochs):
                model.train()
                perm = torch.randperm(len(x), generator=gen)
                for i in range(0, len(x), 64):
                    idx = perm[i:i + 64]
                    loss = F.cross_entropy(model(x[idx]), y[idx])
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                model.eval()
                with torch.no_grad():
                    (model(xv).argmax(-1) == yv).float().mean().item()
            with torch.no_grad():
                accs.append((model(xt).argmax(-1) == yt).float().mean().item())
    print(json.dumps({"test_acc": accs}))


def pair(name_a: str, run_a, name_b: str, run_b, repeats: int) -> tuple[list[float], list[float]]:
    a, b = [], []
    for r in range(repeats):
        order = [(a, run_a), (b, run_b)] if r % 2 == 0 else [(b, run_b), (a, run_a)]
        for out, fn in order:
            out.append(fn(r))
        print(f"  repeat {r}: {name_a} {a[-1]:.1f} s  {name_b} {b[-1]:.1f} s  ratio {a[-1] / b[-1]:.3f}", flush=True)
    return a, b


def summary(name: str, xs: list[float]) -> str:
    return f"{name} median {statistics.median(xs):.1f} s (range {min(xs):.1f}-{max(xs):.1f})"


def ratio_line(label: str, num: list[float], den: list[float]) -> str:
    ratios = [a / b for a, b in zip(num, den)]
    return (f"{label} = {statistics.median(num) / statistics.median(den):.3f} (ratio of medians; per repeat "
            f"{min(ratios):.3f}-{max(ratios):.3f})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--parts", default="abc", help="which comparisons to run: any of a, b, c")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--epochs", type=int, default=30, help="trainer.max_epochs of every job")
    p.add_argument("--basic-too", action="store_true", help="(a) also with hydra/launcher=basic")
    p.add_argument("--plain-loop", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.plain_loop:
        plain_loop(args.epochs)
        return
    import torch

    print(f"bench_sweep: torch {torch.__version__}, {torch.get_num_threads()} threads "
          f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}), {os.cpu_count()} cores, "
          f"epochs {args.epochs}, repeats {args.repeats}", flush=True)
    ep = f"trainer.max_epochs={args.epochs}"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if "a" in args.parts:
            print("(a) dlx train -m optim=sgd,adam seed=0,1,2,3,4 (digits MLP) vs a plain loop, 10 trainings")
            grid = ["dataset=digits", "optim=sgd,adam", "seed=0,1,2,3,4", ep]
            d, pl = pair("dlx", lambda r: dlx(grid, tmp / f"a{r}"), "plain", lambda r: plain(args.epochs),
                         args.repeats)
            print(f"  {summary('dlx', d)}; {summary('plain', pl)}")
            print(f"  {ratio_line('ratio plain/dlx', pl, d)}")
            if args.basic_too:
                bs, pl2 = pair("dlx basic launcher", lambda r: dlx([*grid, "hydra/launcher=basic"], tmp / f"ab{r}"),
                               "plain", lambda r: plain(args.epochs), args.repeats)
                print(f"  {summary('dlx basic launcher', bs)}; {summary('plain', pl2)}")
                print(f"  {ratio_line('ratio plain/dlx with hydra/launcher=basic', pl2, bs)}")
        if "b" in args.parts:
            print("(b) basic vs parallel (2 processes): 8 MNIST-1D MLP jobs (seed=0..7)")
            common = ["dataset=mnist1d", "seed=0,1,2,3,4,5,6,7", ep]
            ba, pa = pair("basic", lambda r: dlx([*common, "hydra/launcher=basic"], tmp / f"b-basic{r}"),
                          "parallel", lambda r: dlx([*common, "hydra/launcher=parallel", "hydra.launcher.n_jobs=2"],
                                                    tmp / f"b-par{r}"), args.repeats)
            print(f"  {summary('basic', ba)}; {summary('parallel', pa)}")
            print(f"  {ratio_line('speed-up parallel (basic/parallel)', ba, pa)}")
            rb, rp = results(tmp / "b-basic0"), results(tmp / "b-par0")
            diff = max(abs(rb[k]["final"]["test/acc"] - rp[k]["final"]["test/acc"]) for k in rb)
            same = sum(rb[k]["final"] == rp[k]["final"] for k in rb)
            print(f"  results: {same} of {len(rb)} jobs with identical final metrics; largest test/acc difference "
                  f"{diff:.4f}")
        if "c" in args.parts:
            print("(c) basic vs batched: 10 seeds of the digits MLP (seed=0..9, optim=adam, dlx's defaults)")
            common = ["dataset=digits", "seed=0,1,2,3,4,5,6,7,8,9", ep]
            ba, bt = pair("basic", lambda r: dlx([*common, "hydra/launcher=basic"], tmp / f"c-basic{r}"),
                          "batched", lambda r: dlx([*common, "hydra/launcher=batched"], tmp / f"c-bat{r}"),
                          args.repeats)
            print(f"  {summary('basic', ba)}; {summary('batched', bt)}")
            print(f"  {ratio_line('speed-up batched (basic/batched)', ba, bt)}")
            rb, rt = results(tmp / "c-basic0"), results(tmp / "c-bat0")
            acc_b = statistics.mean(r["final"]["test/acc"] for r in rb.values())
            acc_t = statistics.mean(r["final"]["test/acc"] for r in rt.values())
            diff = max(abs(rb[k]["final"]["val/loss"] - rt[k]["final"]["val/loss"]) for k in rb)
            print(f"  mean test/acc: basic {acc_b:.4f}, batched {acc_t:.4f} (difference {acc_t - acc_b:+.4f}); "
                  f"largest per-seed final val/loss difference {diff:.2e}")


if __name__ == "__main__":
    main()
