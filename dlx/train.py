"""The one loop: Run -> steps -> eval -> checkpoint -> result.

dlx/setup.py turns the config into a :class:`dlx.setup.Run` of plain objects; :func:`train` runs it, top to
bottom. The dataset lives on the device as tensors and batches are index slices of a per-epoch permutation;
step losses stay on the device and are read (one host sync) only every ``log_every`` steps and at the end of
an epoch.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import fcntl
import math
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import hydra
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from dlx import CONFIG_DIR, checkpoint, graphs, metrics, provenance, runfolder, setup, sweep
from dlx import regularize as R
from dlx.checks import ConfigError
from dlx.objective import evaluate
from dlx.setup import USER_ERRORS, Run
from dlx.track import Tracker, error_line, log_images, write_result


class LossSum:
    """An epoch's sum of step losses, on the device. Eager steps' loss tensors wait in a list and are summed when
    read, in one kernel per log interval rather than one per step (small models on a GPU are bound by kernel
    launches); a CUDA-graph step rewrites one loss tensor at every replay, so it is added at once."""

    def __init__(self, device: torch.device, add_now: bool = False, total: torch.Tensor | None = None,
                 count: int = 0):
        self.total = torch.zeros((), device=device) if total is None else total
        self.count, self.add_now, self.pending = count, add_now, []

    def add(self, loss: torch.Tensor) -> None:
        if self.add_now:
            self.total += loss
        else:
            self.pending.append(loss)
        self.count += 1

    def sum(self) -> torch.Tensor:
        if self.pending:
            self.total = self.total + torch.stack(self.pending).sum()
            self.pending.clear()
        return self.total

    def mean(self) -> float:
        """The mean loss so far: one host sync."""
        return (self.sum() / max(self.count, 1)).item()


class _StopOnSigint:
    """First Ctrl-C (or SIGTERM, e.g. a cluster's preemption notice): finish the current step, save a checkpoint
    and stop with status interrupted. A second Ctrl-C stops at once (last.pt then holds the last epoch)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.requested = False
        self._old = {}
        for sig in self.SIGNALS:
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread (a joblib worker): signals keep their default action
                pass

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("dlx: stopping after this step and saving a checkpoint (Ctrl-C again: stop at once)",
              file=sys.stderr, flush=True)

    def restore(self):
        for sig, old in self._old.items():
            signal.signal(sig, old)


def all_finite(model: torch.nn.Module) -> bool:
    """True when no parameter holds NaN/Inf; one host sync for the whole model."""
    flags = [torch.isfinite(p).all() for p in model.parameters()]
    return bool(torch.stack(flags).all()) if flags else True


@dataclass
class Progress:
    """Where a run is: everything the loop counts, saved in every checkpoint and restored on resume."""

    losses: LossSum
    step: int = 0
    epoch: int = 0
    batch: int = 0  # steps done in the current epoch (> 0 only when resuming inside an epoch)
    perm: torch.Tensor | None = None  # the current epoch's order of examples
    best: dict[str, float] = field(default_factory=dict)
    final: dict[str, float] = field(default_factory=dict)
    best_at: dict[str, float] = field(default_factory=dict)  # trainer.metric and val/loss of best.pt's epoch
    train_time: float = 0.0  # seconds spent in training steps (not evaluation)
    samples_seen: int = 0
    wall_before: float = 0.0  # wall seconds of the processes before a resume


def make_step(run: Run):
    """``step(idx) -> loss``: one optimizer step on the examples ``idx``, the loss as a device tensor. With
    trainer.cuda_graphs this whole function is captured once and replayed (dlx/graphs.py)."""
    data, model, optimizer, obj = run.data, run.model, run.optimizer, run.objective

    def train_step(idx: torch.Tensor) -> torch.Tensor:
        xb, yb = data.x[idx], ({k: v[idx] for k, v in run.y.items()} if isinstance(run.y, dict) else run.y[idx])
        for transform in obj.parts.transforms:  # augmentation, input noise
            xb = transform(xb)

        def closure():  # every optimizer calls it; line searches call it repeatedly
            optimizer.zero_grad(set_to_none=True)
            loss = obj.backward(run.step_model, xb, yb)
            if run.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), run.grad_clip)
            return loss

        loss = optimizer.step(closure)
        for constraint in obj.parts.constraints:  # decoupled weight decay, max-norm
            constraint(optimizer)
        return loss.detach()

    return train_step


def eval_split(run: Run, split: str) -> dict[str, float]:
    """One split's metrics in eval mode, named as logged (``train/...`` uses the first EVAL_TRAIN examples)."""
    d = run.data
    x, y = {"train": (d.x[:EVAL_TRAIN], _head(run.y, EVAL_TRAIN)), "val": (d.x_val, run.y_val),
            "test": (d.x_test, run.y_test)}[split]
    m = evaluate(run.model, x, y, run.objective.loss, d.task, run.eval_batch_size, run.autocast)
    if run.model.task == "reconstruction":
        m["recon_mse"] = m["loss"]  # mean squared error per input value
    return metrics.split_metrics(split, m)


def snapshot(run: Run, p: Progress, gen: torch.Generator, wall_s: float, batch_in_epoch: int) -> dict:
    """The whole state of the run after ``p.step`` steps, ``batch_in_epoch`` of them in the current epoch."""
    mid, es = batch_in_epoch > 0, run.early_stopping
    return {"model": run.model.state_dict(), "optimizer": run.optimizer.state_dict(),
            "scheduler": run.scheduler.state_dict(), "epoch": p.epoch, "step": p.step, "batch": batch_in_epoch,
            "perm": p.perm.cpu() if mid else None, "loss_sum": p.losses.sum().cpu() if mid else None,
            "loss_count": p.losses.count if mid else 0, "best": dict(p.best), "final": dict(p.final),
            "best_at": dict(p.best_at),
            "train_time": p.train_time, "samples_seen": p.samples_seen, "wall_s": wall_s,
            "rng": checkpoint.rng_state(gen),
            "early_stopping": {k: getattr(es, k) for k in ("best", "best_epoch", "best_step", "bad", "state")}
            if es else None,
            **{name: m.state_dict() for name, m in run.objective.parts.modules.items()},  # FitNets' regressor
            "config": run.config_yaml, "cwd": os.getcwd()}  # cwd: what resolves the config's relative paths


def restore(run: Run, state: dict, gen: torch.Generator, path: Path) -> Progress:
    """Exact resume: everything the rest of the run depends on comes back from last.pt, including every RNG
    stream and, after a Ctrl-C, the position inside the epoch and that epoch's permutation."""
    load_into(state, run, path)
    checkpoint.restore_rng(state["rng"], gen)
    p = Progress(LossSum(run.device, run.cuda_graphs), step=state["step"], epoch=state["epoch"],
                 best=state["best"], final=state["final"], train_time=state["train_time"],
                 best_at=state.get("best_at", {k: v for k, v in state["best"].items() if k == run.metric}),
                 samples_seen=state["samples_seen"], wall_before=state["wall_s"])
    if run.early_stopping and state.get("early_stopping"):  # alg. 7.1's best value, patience count, weights
        vars(run.early_stopping).update(state["early_stopping"])
    if state["batch"]:  # stopped inside an epoch
        p.batch, p.perm = state["batch"], state["perm"].to(run.device)
        p.losses = LossSum(run.device, run.cuda_graphs, state["loss_sum"].to(run.device), state["loss_count"])
    return p


def train(run: Run, run_dir: Path) -> dict:
    """Train ``run``, writing everything into ``run_dir``; returns result.json's dict."""
    t_start = time.time()
    model, optimizer, es, device, batch = run.model, run.optimizer, run.early_stopping, run.device, run.batch_size
    n_train, ckpt_dir = len(run.data.x), run_dir / "checkpoints"
    gen = torch.Generator(device=device).manual_seed(run.seed)  # batch order, separate from init/dropout
    p = restore(run, run.resume, gen, ckpt_dir / "last.pt") if run.resume else \
        Progress(LossSum(device, run.cuda_graphs))
    if run.resume:
        print(f"dlx: resuming {run_dir} at epoch {p.epoch + 1}, step {p.step}")
    wall = lambda: p.wall_before + time.time() - t_start
    if run.cuda_graphs:  # after a resume's optimizer state is loaded
        graphs.make_capturable(optimizer, device)
    step_fn = graphs.GraphedStep(make_step(run), batch, device) if run.cuda_graphs else make_step(run)
    tracker = start(run, run_dir, p.step)
    status = "completed"
    saver = Checkpoints(ckpt_dir, run.checkpoint_every_s, run.save_checkpoints,
                        f"{ckpt_dir / 'last.pt'} (step {p.step})" if run.resume else None)
    print_every = max(1, run.max_epochs // 20)  # at most ~20 epoch lines per run
    picture_every = print_every * math.ceil(math.ceil(run.max_epochs / print_every) / PICTURES)  # <= PICTURES a run
    if print_every > 1:  # said once, so a missing epoch line does not look like a skipped epoch
        tracker.print(f"dlx: an epoch line every {print_every} epochs (and the last); TensorBoard has every epoch")
    epochs_here, steady_time, steady_samples = 0, 0.0, 0
    stop = _StopOnSigint()
    try:
        # --- loop -----------------------------------------------------------------------------------------
        while p.epoch < run.max_epochs and p.step < run.total_steps:
            t_epoch, seen_before = time.perf_counter(), p.samples_seen
            model.train()
            if p.batch == 0:
                if run.curriculum:  # easiest examples first; the pool widens each epoch (epoch = epochs done)
                    order, start_frac, ramp = run.curriculum
                    p.perm = R.curriculum_perm(order, R.pool_fraction(p.epoch, start_frac, ramp), n_train, gen)
                else:
                    p.perm = torch.randperm(n_train, device=device, generator=gen)
                p.losses = LossSum(device, run.cuda_graphs)
            for i in range(p.batch, run.steps_per_epoch):
                idx = p.perm[i * batch:(i + 1) * batch]
                p.losses.add(step_fn(idx))
                if run.scheduled:
                    run.scheduler.step()
                p.samples_seen += len(idx)
                p.step += 1
                if p.step % run.log_every == 0:  # the only host sync inside an epoch
                    train_loss = p.losses.mean()
                    if not math.isfinite(train_loss):
                        status = "diverged"
                        break
                    tracker.scalars({"train/loss": train_loss, "lr": optimizer.param_groups[0]["lr"]}, p.step)
                    if run.grad_norms:  # per-layer gradient norms of this step: vanishing gradients
                        tracker.scalars({f"grad/{k}": v for k, v in R.grad_norms(model).items()}, p.step)
                    tracker.tick(p.step, f"epoch {p.epoch + 1}/{run.max_epochs} loss {train_loss:.4f}")
                else:
                    tracker.tick(p.step)
                if stop.requested and i + 1 < run.steps_per_epoch and p.step < run.total_steps:
                    # Ctrl-C between two steps: save the state mid-epoch (consistent: no step half done).
                    p.train_time += time.perf_counter() - t_epoch
                    saver.save(lambda i=i: snapshot(run, p, gen, wall(), i + 1), improved=False, now=True)
                    raise KeyboardInterrupt
                if p.step >= run.total_steps:
                    break
            p.batch = 0
            if device.type == "cuda":
                torch.cuda.synchronize()
            epoch_s = time.perf_counter() - t_epoch
            p.train_time += epoch_s
            if epochs_here:  # this process's first epoch pays for warm-up (compile, autotune, graph capture)
                steady_time, steady_samples = steady_time + epoch_s, steady_samples + p.samples_seen - seen_before
            epochs_here += 1
            if status == "diverged":
                break

            # --- end of epoch: evaluate (eval mode), track the best, checkpoint ------------------------------
            p.epoch += 1
            p.final = {"train/loss": p.losses.mean(), **eval_split(run, "train"), **eval_split(run, "val")}
            # NaN/Inf anywhere (loss, metrics or weights) ends the run before it can overwrite a good checkpoint.
            if not all(math.isfinite(v) for v in p.final.values()) or not all_finite(model):
                status = "diverged"
                break
            tracker.scalars({**p.final, "lr": optimizer.param_groups[0]["lr"]}, p.step)
            improved = metrics.better_checkpoint(p.final, p.best_at, run.metric, run.mode)  # ties: val/loss
            if improved:
                p.best_at = {run.metric: p.final[run.metric], "val/loss": p.final["val/loss"]}
            p.best.update({k: v for k, v in p.final.items() if metrics.better(v, p.best.get(k), metrics.direction(k))})
            if es and es.update(p.final, model, p.epoch, p.step):  # before the checkpoint, which carries its state
                status = "stopped_early"  # alg. 7.1: patience ran out; the best weights come back below
            if run.pruner and run.pruner(p.epoch, p.final[run.metric]) and status == "completed":
                status = "pruned"  # by a search's pruner; last.pt is written now, so a promoted trial continues
            saver.save(lambda: snapshot(run, p, gen, wall(), 0), improved,
                       now=status != "completed" or p.step >= run.total_steps or stop.requested,
                       where=f"epoch {p.epoch}, step {p.step}")
            if p.epoch % print_every == 0 or p.step >= run.total_steps or status == "stopped_early":
                shown = "  ".join(f"{k} {v:.4f}" for k, v in p.final.items())
                tracker.print(f"epoch {p.epoch:>4}/{run.max_epochs}  step {p.step:>6}  {shown}")
                ending = p.step >= run.total_steps or status != "completed"
                if run.pictures and (p.epoch % picture_every == 0 or ending):
                    log_images(tracker.writer, model, run.data.x_val, p.step)
            if stop.requested:
                raise KeyboardInterrupt
            if status in ("stopped_early", "pruned"):
                break
    except KeyboardInterrupt:
        status = "interrupted"  # last.pt holds the state after the last whole step (first Ctrl-C) or epoch
    finally:
        stop.restore()
        tracker.stop_progress()
    steady = round(steady_samples / steady_time, 1) if steady_time else None
    return finish(run, run_dir, p, status, tracker, round(wall(), 3), steady, saver.last_good)


class Checkpoints:
    """checkpoints/last.pt and best.pt, written at most every ``every_s`` seconds (0: every epoch) and always when
    ``now`` (the end of the run, early stopping, pruning, Ctrl-C): for tiny epochs two checkpoint writes per
    epoch cost more than the training. A better epoch between two writes is kept in memory until the next."""

    def __init__(self, folder: Path, every_s: float, enabled: bool, last_good: str | None):
        self.folder, self.every_s, self.enabled, self.last_good = folder, every_s, enabled, last_good
        self.written = time.monotonic()
        self.best: dict | None = None  # best.pt's state, waiting for the next write

    def save(self, state_fn, improved: bool, now: bool, where: str = "") -> None:
        if not self.enabled:
            return
        due = now or time.monotonic() - self.written >= self.every_s
        if not (due or improved):
            return
        state = state_fn()
        if improved:
            self.best = state if due else copy.deepcopy(state)  # the live tensors change at the next step
        if due:
            checkpoint.save(self.folder / "last.pt", state)
            if self.best is not None:
                checkpoint.save(self.folder / "best.pt", self.best)
                self.best = None
            self.written = time.monotonic()
            self.last_good = f"{self.folder / 'last.pt'} ({where or 'mid-epoch'})"


def start(run: Run, run_dir: Path, step: int, progress: bool | None = None) -> Tracker:
    """The run's reporting: TensorBoard (a resumed run appends; purge_step drops the events a killed process
    wrote after its last checkpoint, so no step appears twice), data.json, the start-of-run line, and the
    greedy pretraining phase (logged as pretrain/...). ``progress``: the live progress bar (None: on a
    terminal); runs trained together (hydra/launcher=batched) show one, as a terminal holds one live display."""
    tracker = Tracker(run_dir, run.total_steps, progress=progress, resume_step=step,
                      purge_step=step + 1 if step else None)
    d, model = run.data, run.model
    provenance.write(run_dir)  # which code, packages and machine made this result
    # what dlx predict needs to read new inputs as this data was read, without the training data: the model's
    # input shape and outputs, and the loader's class names, feature columns and standardisation (Data.meta)
    checkpoint.write_json(run_dir / "data.json", {"task": model.task, "in_shape": list(d.in_shape),
                                                  "n_out": d.n_out, **d.meta})
    n_params = sum(t.numel() for t in model.parameters())
    tracker.print(f"dlx: run {run_dir}: device {run.device.type}, {run.threads} thread{'s' * (run.threads > 1)}, "
                  f"{type(model).__name__} with {n_params:,} parameters; train/val/test examples "
                  f"{len(d.x)}/{len(d.x_val)}/{len(d.x_test)}")
    if run.pretrain:
        pre = dict(run.pretrain)
        probe = pre.pop("probe", 0)
        kept = pre.get("method", "cd") == "none" or not pre.get("steps")
        tracker.print("dlx: no pretraining (the random init is kept)" if kept else
                      f"dlx: pretraining on {len(run.pretrain_x)} training inputs, without labels")
        t0 = time.perf_counter()
        model.pretrain(run.pretrain_x, **pre, log=lambda name, value, at: tracker.scalars({name: value}, at))
        run.pretrain_s = time.perf_counter() - t0
        if run.pictures:
            log_images(tracker.writer, model, d.x_val, 0, prefix="pretrain/")
        for i, off in enumerate(model.units_off(run.pretrain_x) if hasattr(model, "units_off") else []):
            if off > 0.5:
                tracker.print(f"dlx: warning: pretraining switched off {off:.0%} of layer {i}'s units for every "
                              "training input; fine-tuning starts from a net that ignores its input "
                              "(lower model.pretrain.lr)")
        if probe:
            tracker.scalars({"pretrain/probe_loss": model.probe(d.x, run.y, run.objective.loss, probe)}, probe)
            tracker.print(f"dlx: linear probe: the head fit to the {len(d.x)} labeled training examples")
    return tracker


def finish(run: Run, run_dir: Path, p: Progress, status: str, tracker: Tracker, wall_s: float,
           steady: float | None, last_good: str | None) -> dict:
    """The end of a run: test, result.json, hparams, the summary table."""
    if run.cost:
        p.final.update(cost_metrics(run, p))
    result = {"status": status, "final": p.final, "best": p.best, "epochs": p.epoch, "steps": p.step,
              "wall_s": wall_s, "samples_per_s": round(p.samples_seen / max(p.train_time, 1e-9), 1),
              "steady_samples_per_s": steady, "threads": run.threads,
              "seed": run.seed, "overrides": run.overrides, "metric": run.metric,
              "error": None}
    es = run.early_stopping
    restored = bool(es and es.state is not None and status in ("completed", "stopped_early"))
    if restored:
        es.restore(run.model)  # alg. 7.1 returns the best parameters; final val/* then describe them
        p.final.update(eval_split(run, "val"))
        result["best_epoch"] = es.best_epoch
    if status in ("completed", "stopped_early"):
        test = {**eval_split(run, "test"), **shifted(run)}
        p.final.update(test)
        tracker.scalars(test, p.step)
        # which weights final's test/* (the headline) describe, and best.pt's own test numbers beside them
        result["final_weights"] = ({"epoch": es.best_epoch, "step": es.best_step, "early_stopping": True}
                                   if restored else {"epoch": p.epoch, "step": p.step, "early_stopping": False})
        result["best_checkpoint"] = best_checkpoint(run, run_dir / "checkpoints" / "best.pt")
    if status == "diverged":
        result["error"] = (f"non-finite loss or weights at step {p.step}; the last good checkpoint is "
                           f"{last_good or 'none (no epoch finished)'}")
    elif status == "interrupted":
        result["error"] = f"interrupted at step {p.step}; continue with: {sweep.continue_command(run_dir)}"
    if status != "interrupted":  # the resumed run writes the hparams entry once, at its end
        tracker.hparams(run.hparams, p.final)
    tracker.close()
    write_result(run_dir, result)
    if status == "diverged":
        error_line(f"run diverged: {result['error']}")
    tracker.summary(result)
    if status == "interrupted":
        error_line(result["error"])
        raise KeyboardInterrupt
    return result


def cost_metrics(run: Run, p: Progress) -> dict[str, float]:
    """trainer.cost: ``cost/epoch_s``, the training steps' seconds per epoch (evaluation and checkpoints left
    out); ``cost/flops``, the model's forward FLOPs per example (torch's FlopCounterMode on one validation input,
    eval mode); ``cost/pretrain_s``, the pretraining phase's seconds, when the run had one."""
    from torch.utils.flop_counter import FlopCounterMode

    was = run.model.training
    run.model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        run.model(run.data.x_val[:1])
    run.model.train(was)
    out = {"cost/epoch_s": p.train_time / max(p.epoch, 1), "cost/flops": float(counter.get_total_flops())}
    return out | ({"cost/pretrain_s": run.pretrain_s} if run.pretrain_s is not None else {})


def shifted(run: Run) -> dict[str, float]:
    """trainer.shifted_test: ``test/shifted_<k>/acc``, the test accuracy with each input moved k pixels in a
    direction drawn per input (a fixed draw: every run sees the same shifted test set), zeros shifted in."""
    out = {}
    for k in run.shifted_test:
        x = R.shift_inputs(run.data.x_test, k, torch.Generator().manual_seed(k))
        m = evaluate(run.model, x, run.y_test, run.objective.loss, run.data.task, run.eval_batch_size, run.autocast)
        if "acc" in m:
            out[metrics.shifted_metric(k)] = m["acc"]
    return out


def best_checkpoint(run: Run, path: Path) -> dict | None:
    """best.pt's epoch, step, the val/* that chose it and its test/* (the model's weights are put back after);
    None without a readable best.pt (trainer.checkpoint=false)."""
    try:
        state = checkpoint.load(path, map_location=run.device)
    except checkpoint.CheckpointError:
        return None
    final = {k: v.clone() for k, v in run.model.state_dict().items()}
    run.model.load_state_dict(state["model"])
    test = eval_split(run, "test")
    run.model.load_state_dict(final)
    val = {k: v for k, v in state["final"].items() if k.startswith("val/")}
    return {"epoch": state["epoch"], "step": state["step"], **val, **test}


PICTURES = 5  # epoch lines a run logs its pictures at, the last one included: ~20 ms each on a loaded 2-core CPU
EVAL_TRAIN = 10_000  # train/acc and train/eval_loss use the first examples of the (shuffled) training split


def _head(y, n: int):
    return {k: v[:n] for k, v in y.items()} if isinstance(y, dict) else y[:n]


def load_into(state: dict, run: Run, path: Path) -> None:
    try:
        run.model.load_state_dict(state["model"])
        run.optimizer.load_state_dict(state["optimizer"])
        run.scheduler.load_state_dict(state["scheduler"])
        for name, m in run.objective.parts.modules.items():
            if state.get(name):
                m.load_state_dict(state[name])
    except (RuntimeError, ValueError, KeyError) as e:
        first = str(e).strip().splitlines()[0]
        raise checkpoint.CheckpointError(f"checkpoint {path} does not fit this run's model/optimizer ({first[:200]}); "
                                         "was the config changed?") from None


def primary(result: dict) -> float:
    """The number a sweeper optimises: the best value of trainer.metric (so far, when pruned), NaN when the run
    did not finish."""
    if result["status"] not in ("completed", "stopped_early", "pruned"):
        return float("nan")
    return float(result["best"].get(result["metric"], float("nan")))


def failed_result(cfg: DictConfig, overrides: list[str], error: str, wall_s: float) -> dict:
    return {"status": "failed", "final": {}, "best": {}, "epochs": 0, "steps": 0, "wall_s": round(wall_s, 3),
            "samples_per_s": 0.0, "steady_samples_per_s": None, "seed": cfg.get("seed"), "overrides": overrides,
            "metric": cfg.trainer.get("metric"), "error": error}


def run(cfg: DictConfig, run_dir: str | Path, overrides: list[str] | None = None,
        resume: str | Path | None = None) -> float:
    """Build (dlx/setup.py) and train; always leave a result.json. Errors other than the user's (one line)
    are re-raised after it is written."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    with lock(run_dir):
        try:
            r = setup.build(cfg, overrides, resume, run_dir)
            return primary(train(r, run_dir))
        except USER_ERRORS:
            raise
        except Exception as e:
            write_result(run_dir, failed_result(cfg, overrides or [], f"{type(e).__name__}: {e}", time.time() - t0))
            raise


@contextlib.contextmanager
def lock(run_dir: Path):
    """One process per run folder: an exclusive lock on ``run_dir/.lock`` (released when the process ends, even
    by SIGKILL), holding the pid for the message a second process gets. Opened without following a link (a
    planted ``.lock`` link would have the pid overwrite a file elsewhere)."""
    f = runfolder.open_lock(run_dir / ".lock")
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            pid = f.read().strip() or "?"
            raise ConfigError(f"run folder {run_dir} is in use by process {pid} (another dlx train); allowed is one "
                              "process per run folder: wait for it to end or stop it") from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        yield
    finally:
        f.close()


WRITE_ERRORS = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT)


def _drop_run_dir(run_dir: Path) -> None:
    """After a config error in a new single run, remove the folder Hydra made (only .hydra/, a log and the lock)."""
    if run_dir.is_dir() and {p.name for p in run_dir.iterdir()} <= {".hydra", "train.log", ".lock"}:
        shutil.rmtree(run_dir, ignore_errors=True)


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="train")
def main(cfg: DictConfig) -> float:
    hc = HydraConfig.get()
    run_dir = Path(hc.runtime.output_dir)
    overrides = list(hc.overrides.task)
    multirun = hc.mode == RunMode.MULTIRUN
    try:
        resume = None
        if multirun and cfg.resume_sweep:  # a re-run sweep: keep the jobs that finished (dlx/sweep.py)
            kept = sweep.resume_job(run_dir, overrides, continue_interrupted=True)
            if kept is not None:
                print(f"dlx: job {hc.job.num} kept from the earlier sweep ({kept['status']})")
                return primary(kept)
            if (run_dir / "checkpoints" / "last.pt").is_file():  # interrupted: continue where it stopped
                resume = run_dir
        return run(cfg, run_dir, overrides, resume)
    except sweep.SweepMismatch as e:
        error_line(str(e))
        return float("nan")
    except KeyboardInterrupt:  # result.json says interrupted and how to resume; stop a sweep too
        raise SystemExit(130) from None
    except USER_ERRORS as e:
        error_line(str(e))
        if not multirun:
            if not cfg.get("resume"):  # never delete a folder this command did not create
                _drop_run_dir(run_dir)
            raise SystemExit(2) from None
        write_result(run_dir, failed_result(cfg, overrides, str(e), 0.0))
        return float("nan")
    except OSError as e:  # a read-only or full disk: what was written before stays (atomic writes)
        if e.errno not in WRITE_ERRORS:
            raise
        error_line(f"cannot write to the run folder {run_dir}: {e.strerror} ({e.filename}); allowed is a folder "
                   "on a writable disk with free space (hydra.run.dir=...)")
        if not multirun:
            raise SystemExit(2) from None
        return float("nan")
    except Exception as e:
        if not multirun:
            raise
        # A failed job never stops the sweep: result.json already says why.
        error_line(f"job {hc.job.num} failed: {type(e).__name__}: {e} (see {run_dir / 'result.json'})")
        return float("nan")


if __name__ == "__main__":
    os.environ.setdefault("HYDRA_FULL_ERROR", "0")
    main()
