"""Kill anywhere, resume as documented, lose nothing: the harness of tests/test_kill_anywhere.py.

A mode is a command (a single run, a grid sweep on the parallel or the batched launcher, an Optuna search with
pruning). A chain launches the command, sends SIGKILL, SIGINT or SIGTERM, to the process or its whole group
(what a terminal's Ctrl-C, SLURM's preemption and scancel send), at a random moment (during start-up, or while it
trains), waits until every process of the group has ended (one that does not within the timeout is a hang), and
then runs the documented resume, which is killed again, until the given number of kills is spent and the last
resume runs to its end. What it leaves must equal an uninterrupted run of the same command: every final and best
metric (a stacked member that continues on its own: to float rounding), the trials of a search, exactly the
planned run folders.

Run more kills than the slow suite does: ``python tests/killharness.py MODE KILLS [SEED]``.
"""

from __future__ import annotations

import json
import math
import os
import random
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Tiny but real: 11 steps an epoch on the digits, a checkpoint at every epoch's end (so SIGKILL finds one).
BASE = ["dataset=digits", "model.hidden=[16]", "trainer.batch_size=128", "trainer.log_every=4", "device=cpu",
        "trainer.checkpoint_every_s=0"]
GRID = ["seed=0,1,2,3", "hydra.launcher.n_jobs=2"]
MODES = {
    # a checkpoint at most every 0.5 s: some epoch ends save and some do not, as with the default 30 s on real runs
    "single": [*BASE[:-1], "trainer.checkpoint_every_s=0.5", "trainer.max_epochs=40"],
    "parallel": ["-m", *BASE, "trainer.max_epochs=25", *GRID, "hydra/launcher=parallel"],
    "batched": ["-m", *BASE, "trainer.max_epochs=25", *GRID, "hydra/launcher=batched"],
    # one trial at a time (n_jobs=1): the pruner's decisions depend on the trials before, not on timing
    "optuna": ["-m", *BASE, "trainer.max_epochs=8", "hydra/sweeper=optuna", "hydra.sweeper.n_trials=6",
               "hydra.sweeper.sampler=random", "optim.lr=tag(log, interval(0.0003, 0.3))",
               "hydra.sweeper.pruner=halving", "hydra.sweeper.pruner_args={min_resource:1,reduction_factor:2}"],
}
PLANNED = {"parallel": 4, "batched": 4, "optuna": 6}
SIGNALS = (signal.SIGKILL, signal.SIGINT, signal.SIGTERM)
HANG_S = float(os.environ.get("DLX_HANG_S", "180"))  # a command that outlives its kill by this much hangs


class Lost(AssertionError):
    """A hang, a resume that failed, or a result that differs from the uninterrupted run's."""


@dataclass
class Chain:
    mode: str
    folder: Path
    rng: random.Random
    window: float = 2.5  # seconds the uninterrupted command trains (its first epoch line to its end)
    kills: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.log.append(line)


def env() -> dict:
    e = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    e["OMP_NUM_THREADS"] = "1"
    e.setdefault("DLX_CACHE", str(Path.home() / ".cache" / "dlx"))
    return e


def where(mode: str, folder: Path) -> str:
    return f"hydra.sweep.dir={folder}" if mode in PLANNED else f"hydra.run.dir={folder}"


def command(mode: str, folder: Path) -> list[str]:
    return ["train", *MODES[mode], where(mode, folder)]


def launch(args: list[str], out: Path) -> subprocess.Popen:
    with open(out, "ab") as f:  # the child holds its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "dlx", *args], env=env(), stdout=f, stderr=subprocess.STDOUT,
                                start_new_session=True)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def wait_all(proc: subprocess.Popen, out: Path) -> int:
    """The command's exit code once every process of its group has ended (workers save their jobs after a parent
    is killed); Lost when that takes longer than HANG_S."""
    deadline = time.time() + HANG_S
    try:
        rc = proc.wait(timeout=HANG_S)
    except subprocess.TimeoutExpired:
        rc = None
    while rc is not None and group_alive(proc.pid) and time.time() < deadline:
        time.sleep(0.05)
    if rc is None or group_alive(proc.pid):
        with open(out, "ab") as f:
            f.write(b"\n--- harness: hang, SIGABRT for stacks, then SIGKILL ---\n")
        for sig in (signal.SIGABRT, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            time.sleep(2)
        proc.wait()
        raise Lost(f"hang: {out} (still running {HANG_S:.0f} s after its signal)")
    return rc


def training(mode: str, folder: Path) -> bool:
    """Whether the command trains already (a run's first epoch line in a train.log)."""
    logs = [folder / "train.log"] if mode not in PLANNED else list(folder.glob("*/train.log"))
    for log in logs:
        try:
            if "\nepoch " in log.read_text():
                return True
        except OSError:
            pass
    return False


def run_killed(c: Chain, args: list[str], out: Path) -> bool:
    """Launch ``args``; at a random moment send a random signal to it or its group. False when the command ended on
    its own first (nothing killed)."""
    proc = launch(args, out)
    t0 = time.time()
    if c.rng.random() < 0.3:  # during start-up: imports, the preflight, Hydra, the set-up of a run
        time.sleep(c.rng.uniform(0, 4))
    else:  # while it trains (an epoch, an evaluation, a checkpoint, the end of a job, the next job's start)
        while not training(c.mode, c.folder) and proc.poll() is None and time.time() - t0 < HANG_S:
            time.sleep(0.02)
        time.sleep(c.rng.uniform(0, c.window))
    sig, group = c.rng.choice(SIGNALS), c.rng.random() < 0.5
    if proc.poll() is not None:
        wait_all(proc, out)
        c.say(f"{' '.join(args[-2:])}: ended before its {sig.name}")
        return False
    (os.killpg if group else os.kill)(proc.pid, sig)
    what = f"{sig.name} to the {'group' if group else 'process'} at {time.time() - t0:.1f} s"
    rc = wait_all(proc, out)
    c.kills.append(what)
    c.say(f"kill {len(c.kills)}: {what} -> exit {rc}")
    if sig != signal.SIGKILL and rc not in (0, 130) and not interpreter_quirk(out.read_text(errors="replace"), rc, sig):
        raise Lost(f"{what}: exit {rc}, not 130 (see {out})")
    return True


def interpreter_quirk(text: str, rc: int, sig: signal.Signals) -> bool:
    """An exit other than 130 that CPython, not dlx, decides (the harness then checks, as always, that nothing was
    lost). In the interpreter's first moments the signal itself ends it (-sig, nothing printed). A
    KeyboardInterrupt while the interpreter imports site or runpy, before any of dlx runs, ends in "Fatal Python
    error: init_import_site" or "Could not import runpy module" and exit 1. A KeyboardInterrupt inside a C
    extension's PyRun_String (an import of torch's or Optuna's, at start-up or a lazy one later) marks the
    interrupt "unhandled" for good: dlx's handler still runs and says "dlx: interrupted" as its last line, then
    CPython exits by SIGINT."""
    lines = text.strip().splitlines()
    if rc in (-sig, -signal.SIGINT) and not lines:
        return True
    if rc == 1 and ("Could not import runpy module" in text or "Fatal Python error: init_import_site" in text) \
            and "/dlx/" not in text:
        return True
    return rc == -signal.SIGINT and bool(lines) and lines[-1] == "dlx: interrupted"


def result(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "result.json").read_text())
    except (OSError, ValueError):
        return None


def next_command(c: Chain) -> list[str]:
    """The documented way on after a kill. A sweep: the same command with resume_sweep=true. A run: the command its
    result.json names (continue with: ...); dlx train resume=<folder> after a SIGKILL, where last.pt exists;
    else the same command again with overwrite=true (it stopped before its first checkpoint)."""
    if c.mode in PLANNED:
        return [*command(c.mode, c.folder), "resume_sweep=true"]
    r = result(c.folder)
    hint = (r or {}).get("error") or ""
    if "continue with: " in hint:
        args = shlex.split(hint.split("continue with: ", 1)[1])
        assert args[:2] == ["dlx", "train"], hint
        if not (c.folder / "checkpoints" / "last.pt").is_file():
            raise Lost(f"{c.folder}: result.json hints '{hint}' without a checkpoints/last.pt")
        return args[1:]
    if r is not None and r["status"] == "interrupted":
        assert "nothing to resume" in hint and not (c.folder / "checkpoints" / "last.pt").is_file(), hint
    if (c.folder / "checkpoints" / "last.pt").is_file():
        return ["train", f"resume={c.folder}"]
    return [*command(c.mode, c.folder), "overwrite=true"]


def finished(c: Chain, rc: int | None) -> bool:
    if c.mode in PLANNED:
        return rc == 0
    r = result(c.folder)
    return r is not None and r["status"] == "completed"


def chain(mode: str, folder: Path, kills: int, seed: int, window: float) -> Chain:
    """Kill the command ``kills`` times at random moments, each time going on as documented, then let it end."""
    c = Chain(mode, folder, random.Random(seed), window=window)
    args, rc, n = command(mode, folder), None, 0
    while True:
        n += 1
        out = folder.parent / f"{folder.name}.{n}.out"
        if len(c.kills) < kills:
            if not run_killed(c, args, out):
                rc = 0 if finished(c, 0) else None
        else:
            rc = wait_all(launch(args, out), out)
            if rc != 0:
                raise Lost(f"the documented resume {shlex.join(args)} failed with exit {rc} (see {out})")
        if (len(c.kills) >= kills or rc == 0) and finished(c, rc):
            return c
        args = next_command(c)
        rc = None


def reference(mode: str, folder: Path) -> float:
    """Run the command without a kill; the seconds from its first epoch line to its end (the kills' window)."""
    out = folder.parent / f"{folder.name}.out"
    proc = launch(command(mode, folder), out)
    while not training(mode, folder) and proc.poll() is None:
        time.sleep(0.02)
    t0 = time.time()
    rc = wait_all(proc, out)
    if rc != 0:
        raise Lost(f"the uninterrupted {mode} command failed (see {out})")
    return time.time() - t0


def job_folders(folder: Path) -> list[str]:
    return sorted((p.name for p in folder.iterdir() if p.is_dir() and p.name.isdigit()), key=int)


def same(a: dict, b: dict, rel: float) -> bool:
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (rel and math.isclose(a[k], b[k], rel_tol=rel, abs_tol=rel)) for k in a)


def compare(mode: str, got: Path, ref: Path) -> None:
    """Lost unless ``got`` holds what the uninterrupted ``ref`` holds."""
    if mode not in PLANNED:
        r, want = result(got), result(ref)
        if r is None or not same(r["final"], want["final"], 0) or r["best"] != want["best"] or \
                (r["steps"], r["epochs"]) != (want["steps"], want["epochs"]):
            raise Lost(f"{got}: {r and r['final']} != {want['final']}")
        return
    if job_folders(got) != [str(i) for i in range(PLANNED[mode])]:
        raise Lost(f"{got}: job folders {job_folders(got)}, planned {PLANNED[mode]}")
    # a stacked member that continued on its own after a kill sums its batches in another order: float rounding
    rel = 1e-4 if mode == "batched" else 0
    for j in job_folders(got):
        r, want = result(got / j), result(ref / j)
        if r is None or r["status"] != want["status"] or not same(r["final"], want["final"], rel) or \
                (r["steps"], r["epochs"]) != (want["steps"], want["epochs"]):
            raise Lost(f"{got / j}: {r and (r['status'], r['final'])} != {(want['status'], want['final'])}")
    if mode == "optuna":
        trials = lambda f: [(t.number, t.state.name, t.params, t.value) for t in study(f).get_trials(deepcopy=False)]
        if trials(got) != trials(ref):
            raise Lost(f"{got}: trials {trials(got)} != {trials(ref)}")


def study(folder: Path):
    import optuna

    from dlx import search

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.load_study(study_name=f"dlx:{folder.resolve()}", storage=search.storage(None, folder))


def run_mode(mode: str, tmp: Path, kills: int, seed: int, per_chain: int = 5) -> list[Chain]:
    """Chains of ``per_chain`` kills each until ``kills`` are spent; each compared with one uninterrupted run."""
    window, chains = reference(mode, tmp / "reference"), []
    while sum(len(c.kills) for c in chains) < kills:
        folder = tmp / f"chain{len(chains)}"
        n = min(per_chain, kills - sum(len(c.kills) for c in chains))
        c = chain(mode, folder, n, seed * 1000 + len(chains), window)
        compare(mode, folder, tmp / "reference")
        chains.append(c)
    return chains


if __name__ == "__main__":
    import tempfile

    mode, kills, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 0
    tmp = Path(tempfile.mkdtemp(prefix=f"kill-{mode}-"))
    t0 = time.time()
    for c in run_mode(mode, tmp, kills, seed):
        print(f"{c.folder.name}: " + "; ".join(c.log))
    print(f"{mode}: {kills} kills, nothing lost, {time.time() - t0:.0f} s ({tmp})")
