"""``hydra/sweeper=seeds`` (configs/hydra/sweeper/seeds.yaml): sequential seeds.

The arms are the grid of the swept keys (``hydra.sweeper.params`` and the command line's ``a,b,c`` values); the
seed is the sweeper's. Every arm runs seeds 0 .. first-1; after each round the paired comparisons (every pair of
arms, or each arm against the ``vs`` arm) are decided by dlx/results/sequential.py, and the next round adds seeds
to the arms of the comparisons still undecided, up to ``most``. Arm i's seed s runs in ``<sweep dir>/<i * most +
s>``, an ordinary run folder whose name follows from the arm and the seed: with ``resume_sweep=true`` the same
command keeps the runs that finished, runs the others again (an interrupted one continues from its last.pt) and
decides from the folders, which gives the decisions a sweep that never stopped would have given.

At the end the decisions are printed and written to ``<sweep dir>/sequential.json``; then, as after every sweep,
dlx compare and report.html summarise the folder (their p-values are the fixed design's, one look at the seeds
each pair ran: the sequential decisions are the ones that account for looking after every round).
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dlx.results.sequential import Decision, Design, decide
from dlx.sweep.jobs import grid
from dlx.sweep.resume import FINISHED, RESUME_KEY
from dlx.sweep.summary import stop

log = logging.getLogger(__name__)
RESULTS = "sequential.json"


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def arms(params: dict | None, arguments: Sequence[str]) -> tuple[list[list[str]], list[str]]:
    """The arms (each one's overrides, the command's fixed values included) in grid order, and each arm's label:
    the overrides that differ between arms. One line (SystemExit 2) for a swept seed or fewer than two arms."""
    given = [a for a in arguments if _key(a) != RESUME_KEY]
    if any(_key(k) == "seed" for k in (params or {})) or any(_key(a) == "seed" for a in given):
        stop("seed=... is wrong with hydra/sweeper=seeds: the sweeper runs seeds 0, 1, ... itself; allowed are "
             "hydra.sweeper.first, step and most (how many seeds, and when)")
    found = grid(params, given)
    if len(found) < 2:
        stop("hydra/sweeper=seeds is wrong with a single arm: allowed is a sweep of two or more settings to compare, "
             "e.g. optim.lr=0.001,0.1")
    common = set.intersection(*(set(a) for a in found))
    return found, [" ".join(o for o in a if o not in common) or "(defaults)" for a in found]


def pairs(labels: list[str], vs: str | None) -> list[tuple[int, int]]:
    """The comparisons: every pair of arms, or each arm against the one ``vs`` names (its label, or overrides only
    it has, as dlx compare's --vs)."""
    if vs is None:
        return [(i, j) for i in range(len(labels)) for j in range(i + 1, len(labels))]
    wanted = set(str(vs).split())
    found = [i for i, label in enumerate(labels) if label == vs] or \
        [i for i, label in enumerate(labels) if wanted <= set(label.split())]
    if len(found) != 1:
        stop(f"hydra.sweeper.vs={vs} is wrong: {len(found) or 'no'} arms match it; allowed is one arm's label or "
             f"overrides only it has: {'; '.join(labels)}")
    return [(i, found[0]) for i in range(len(labels)) if i != found[0]]


def folder(sweep_dir: Path, arm: int, seed: int, most: int) -> Path:
    return sweep_dir / str(arm * most + seed)


def values(sweep_dir: Path, n_arms: int, seeds: int, most: int, metric: str | None, by: str,
           mode: str | None) -> tuple[np.ndarray, str, str]:
    """(arms, seeds) of each run's metric (NaN: not run, not finished, or diverged, failed or pruned, which dlx
    compare leaves out of its means too), the metric and its mode."""
    from dlx.metrics import direction
    from dlx.results.runs import NOT_COMPARED, load_run, run_metric

    out = np.full((n_arms, seeds), np.nan)
    for a in range(n_arms):
        for s in range(seeds):
            path = folder(sweep_dir, a, s, most)
            if not (path / "result.json").is_file():
                continue
            run = load_run(path)
            metric = metric or run.metric or "val/acc"
            mode = mode or run.mode or direction(metric)
            if run.status not in NOT_COMPARED:  # completed or stopped early
                out[a, s] = run_metric(run, metric, by, mode)
    return out, metric or "val/acc", mode or direction(metric or "val/acc")


def _finished(path: Path) -> bool:
    try:
        return json.loads((path / "result.json").read_text()).get("status") in FINISHED
    except (OSError, ValueError):
        return False


def sweep(s, arguments: list[str]) -> None:
    """hydra/sweeper=seeds's sweep: ``s`` is the sweeper (its settings, config, launcher and sweep folder)."""
    design = Design(s.first, s.step, s.most, s.alpha, s.spending, s.margin, s.futility)
    if design.problem():
        stop(f"hydra.sweeper.{design.problem()}")
    found, labels = arms(s.params, arguments)
    compared = pairs(labels, s.vs)
    resume = bool(s.config.get(RESUME_KEY))
    if not resume and s.sweep_dir.is_dir() and any(s.sweep_dir.glob("*/result.json")):
        stop(f"hydra.sweep.dir={s.sweep_dir} is wrong: it already holds runs; allowed: the same command with "
             f"{RESUME_KEY}=true to continue it, or a new folder")
    active, upto, rounds = set(range(len(found))), design.first, []
    while True:
        todo = [(a, seed) for a in sorted(active) for seed in range(upto)
                if not _finished(folder(s.sweep_dir, a, seed, design.most))]
        rounds.append(dict(seeds=upto, arms=sorted(active), runs=len(todo)))
        if todo:
            log.info(f"Round {len(rounds)}: seeds up to {upto} for {len(active)} arms, {len(todo)} runs")
            # with resume_sweep=true each job keeps a finished run and continues an interrupted one (dlx/job.py)
            again = [f"{RESUME_KEY}=true"] if resume else []
            jobs = [[*found[a], f"seed={seed}", *again, f"hydra.sweep.subdir={a * design.most + seed}"]
                    for a, seed in todo]
            s.job_idx += len(s.launcher.launch(jobs, initial_job_idx=s.job_idx))
        v, metric, mode = values(s.sweep_dir, len(found), upto, design.most, s.metric, s.by, s.mode)
        diffs = {(i, j): v[i] - v[j] for i, j in compared}
        decisions, upto = decide(diffs, design)
        undecided = [p for p, d in decisions.items() if d.state == "undecided"]
        log.info(f"Round {len(rounds)}: {len(compared) - len(undecided)} of {len(compared)} comparisons decided")
        if not upto:
            break
        active = {a for p in undecided for a in p}
    write(s.sweep_dir, design, labels, decisions, rounds, metric, s.by, mode)
    print_decisions(design, labels, decisions, metric, s.by, mode, len(compared))


def words(d: Decision, a: str, b: str, mode: str) -> str:
    """One comparison's outcome in words."""
    if d.state == "differs":
        better = a if (d.diff > 0) == (mode == "max") else b
        return f"differs: {better} better"
    if d.state == "same" and d.ci == (0.0, 0.0):
        return "no difference (the same value on every seed)"
    return {"same": "no difference (within the margin)", "futile": "no difference found (futile to go on)",
            "most": "no difference found (most seeds reached)", "undecided": "undecided"}[d.state]


def write(sweep_dir: Path, design: Design, labels: list[str], decisions: dict, rounds: list[dict], metric: str,
          by: str, mode: str) -> None:
    """sequential.json: the design, the rounds and each comparison's decision (NaN as null), written atomically."""
    from dlx.results.claims import jsonable
    from dlx.results.files import write_atomic

    rows = [dict(a=labels[i], b=labels[j], state=d.state, outcome=words(d, labels[i], labels[j], mode), seeds=d.n,
                 diff=d.diff, ci=list(d.ci), p=d.p, level=d.level, mde=d.mde) for (i, j), d in decisions.items()]
    out = dict(design=dict(design.__dict__, looks=list(design.looks)), metric=metric, by=by, mode=mode,
               arms=labels, rounds=rounds, comparisons=rows)
    write_atomic(sweep_dir / RESULTS, json.dumps(jsonable(out), indent=1) + "\n")


def print_decisions(design: Design, labels: list[str], decisions: dict, metric: str, by: str, mode: str,
                    m: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"sequential seeds: {metric} {by} ({mode}), each pair decided as the seeds came in")
    for h in ("a", "b", "decision", "seeds", "a - b", "interval", "p", "level", "MDE 80%"):
        table.add_column(h, justify="left" if h in ("a", "b", "decision") else "right")
    g = lambda x: "-" if not math.isfinite(x) else f"{x:.3g}"  # noqa: E731
    for (i, j), d in decisions.items():
        table.add_row(labels[i], labels[j], words(d, labels[i], labels[j], mode), str(d.n), g(d.diff),
                      f"[{g(d.ci[0])}, {g(d.ci[1])}]", g(d.p), g(d.level), g(d.mde))
    table.caption = (f"{design.first} seeds, then {design.step} a round up to {design.most}; {design.spending}-type "
                     f"alpha spending over the rounds, alpha {design.alpha:g} split over {m} comparison"
                     f"{'s' if m > 1 else ''}; interval: the repeated confidence interval at the deciding look")
    Console(width=None if sys.stdout.isatty() else 160).print(table)
