"""The one loop: Run -> steps -> eval -> checkpoint -> result.

dlx/setup.py turns the config into a :class:`dlx.setup.Run` of plain objects; :func:`train` runs it, top to
bottom. The dataset lives on the device as tensors and batches are index slices of a per-epoch permutation;
step losses stay on the device and are read (one host sync) only every ``log_every`` steps and at the end of
an epoch.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from omegaconf import DictConfig

from dlx import checkpoint, graphs, metrics, optim, provenance, runfolder, setup
from dlx import regularize as R
from dlx.models.common import dead_units
from dlx.objective import evaluate
from dlx.runfolder import COMPLETED, DIVERGED, FAILED, INTERRUPTED, PRUNED, STOPPED_EARLY, TESTED
from dlx.setup import USER_ERRORS, Run
from dlx.track import Tracker, error_line, log_images


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


class StopRequest:
    """Ctrl-C (SIGINT) or SIGTERM (a cluster's preemption notice, scancel, kill, timeout), held from a job's start to
    its result.json. In the loop a request is answered at the end of the current step: a checkpoint, then status
    interrupted. During the set-up it waits for the set-up to end (a KeyboardInterrupt inside OmegaConf or Hydra
    can leave their objects half made, and the error that follows would read as the run's failure); greedy
    pretraining, which no checkpoint can hold halfway, stops at once. Only a second SIGINT stops at once anywhere
    (Ctrl-C pressed twice: last.pt then holds the last state saved). SIGTERM never does: SIGTERM to a process group
    reaches a sweep's worker twice (the group's copy and its parent's), and a scheduler sends SIGKILL itself when
    its grace period ends. A context manager: the handlers in place before come back at its end."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, at_once: bool = False):
        self.requested, self.sigints, self.at_once = False, 0, at_once
        self.saying = "stopping once the run is set up"
        self._old = {}
        for sig in self.SIGNALS:
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: signals keep their handlers
                pass

    def _handle(self, signum, frame):
        self.sigints += signum == signal.SIGINT
        first, self.requested = not self.requested, True
        if self.at_once or self.sigints >= 2:
            raise KeyboardInterrupt
        if first:
            print(f"dlx: {self.saying} (Ctrl-C again: stop at once)", file=sys.stderr, flush=True)

    def check(self) -> None:
        """A safe point: a request made so far stops the run here."""
        if self.requested:
            raise KeyboardInterrupt

    def pretraining(self) -> None:
        """From now on until :meth:`armed` a request stops at once; one made during the set-up stops here."""
        self.check()
        self.at_once = True

    def armed(self) -> StopRequest:
        """The loop runs: from now on a request is answered at the next step's end, with a checkpoint."""
        self.at_once, self.saying = False, "stopping after this step and saving a checkpoint"
        return self

    def restore(self):
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def __enter__(self) -> StopRequest:
        return self

    def __exit__(self, *exc) -> None:
        self.restore()


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
    stepped: dict[str, float] = field(default_factory=dict)  # trainer.weight_norms: the last measured step's size


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
    if split == "train":
        m.update(diagnostics(run, x, y))
    return metrics.split_metrics(split, m)


def attacked(run: Run) -> dict[str, float]:
    """``test/attack_<eps>/acc`` for each of trainer.attack_eps: the test accuracy after trainer.attack moves
    every input by eps (dlx/regularize.py:attacked_accuracy; notes l. 1078)."""
    kind, eps_list = run.attack
    if not eps_list:
        return {}
    accs = R.attacked_accuracy(run.model, run.objective.loss, run.data.x_test, run.y_test, kind, eps_list,
                               run.eval_batch_size)
    return {metrics.attack_metric(eps): acc for eps, acc in accs.items()}


def diagnostics(run: Run, x, y) -> dict[str, float]:
    """What trainer.dead_units and trainer.grad_norms add to an epoch's train/ metrics (notes l. 193, l. 965):
    ``dead_units``, the fraction of hidden units that pass no gradient for any of these training inputs, and
    ``grad_vanish``, log10 of the output layer's over the first layer's gradient norm on the first
    eval_batch_size of them. A value the model cannot give (no activation module, one layer) is left out."""
    m = {}
    if run.dead_units:
        m["dead_units"] = dead_units(run.model, x, run.eval_batch_size)
    if run.grad_norms:
        n = run.eval_batch_size
        m["grad_vanish"] = R.grad_vanish(run.model, run.objective.loss, x[:n], _head(y, n))
    return {k: v for k, v in m.items() if v is not None}


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


def train(run: Run, run_dir: Path, progress: bool | None = None, prefix: str = "",
          stop: StopRequest | None = None) -> dict:
    """Train ``run``, writing everything into ``run_dir``; returns result.json's dict. ``progress`` and ``prefix``:
    the console's live bar (None: on a terminal) and the start of each line (a job's number, where several
    share the terminal); ``stop``: the job's StopRequest (None: one of its own, from here)."""
    if stop is None:
        with StopRequest() as stop:
            return train(run, run_dir, progress, prefix, stop)
    t_start = time.time()
    model, optimizer, device, batch = run.model, run.optimizer, run.device, run.batch_size
    last = runfolder.checkpoint_file(run_dir, "last")
    gen = torch.Generator(device=device).manual_seed(run.seed)  # batch order, separate from init/dropout
    p = restore(run, run.resume, gen, last) if run.resume else Progress(LossSum(device, run.cuda_graphs))
    if run.resume:
        print(f"dlx: resuming {run_dir} at epoch {p.epoch + 1}, step {p.step}")
    wall = lambda: p.wall_before + time.time() - t_start
    if run.cuda_graphs:  # after a resume's optimizer state is loaded
        graphs.make_capturable(optimizer, device)
    step_fn = graphs.GraphedStep(make_step(run), batch, device) if run.cuda_graphs else make_step(run)
    tracker = start(run, run_dir, p.step, progress, prefix)
    saver = Checkpoints(run_dir, run.checkpoint_every_s, run.save_checkpoints,
                        f"{last} (step {p.step})" if run.resume else None)
    status, speed = COMPLETED, Steady()
    try:
        stop.pretraining()
        pretrain(run, tracker)
        stop.armed()
        # --- loop -----------------------------------------------------------------------------------------
        while p.epoch < run.max_epochs and p.step < run.total_steps:
            t_epoch, seen_before = time.perf_counter(), p.samples_seen
            model.train()
            if p.batch == 0:
                p.perm, p.losses = epoch_order(run, p.epoch, gen), LossSum(device, run.cuda_graphs)
            for i in range(p.batch, run.steps_per_epoch):
                idx = p.perm[i * batch:(i + 1) * batch]
                before = tensors_before(run, p.step)
                p.losses.add(step_fn(idx))
                if run.scheduled:
                    run.scheduler.step()
                p.samples_seen += len(idx)
                p.step += 1
                if p.step % run.log_every == 0:  # the only host sync inside an epoch
                    if not log_losses(run, p, tracker, before):
                        status = DIVERGED
                        break
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
            p.train_time += speed.add(time.perf_counter() - t_epoch, p.samples_seen - seen_before)
            if status == DIVERGED:
                break
            # --- end of epoch: evaluate (eval mode), track the best, checkpoint ------------------------------
            p.epoch += 1
            state, stopping = lambda: snapshot(run, p, gen, wall(), 0), stop.requested
            status = end_epoch(run, p, tracker, saver, state, optimizer.param_groups[0]["lr"],
                               now=p.step >= run.total_steps or stopping)
            if status != COMPLETED:
                break
            if stop.requested:  # read once more: a request during the evaluation finds this epoch's checkpoint
                if not stopping:
                    saver.save(state, improved=False, now=True, where=f"epoch {p.epoch}, step {p.step}")
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        status = INTERRUPTED  # last.pt holds the state after the last whole step (first Ctrl-C) or epoch
    finally:
        tracker.stop_progress()
    # the handler stays until result.json is written: a request meanwhile does not cut it short, and then stops
    # the command (a sweep: no job after this one)
    result = finish(run, run_dir, p, status, tracker, round(wall(), 3), speed.value(), saver.last_good)
    stop.check()
    return result


def tensors_before(run: Run, step: int) -> list[torch.Tensor] | None:
    """trainer.weight_norms: copies of the trainable tensors before the step that weights/step measures (the
    one that ends a log interval); None before every other step."""
    if not (run.weight_norms and (step + 1) % run.log_every == 0):
        return None
    return [t.detach().clone() for t in run.model.parameters() if t.requires_grad]


def epoch_order(run: Run, epoch: int, gen: torch.Generator) -> torch.Tensor:
    """The order of the training examples in the epoch after ``epoch`` epochs: a permutation drawn from the run's
    batch-order generator, or curriculum's easiest examples first, from a pool that widens each epoch."""
    n_train = len(run.data.x)
    if run.curriculum:
        order, start_frac, ramp = run.curriculum
        return R.curriculum_perm(order, R.pool_fraction(epoch, start_frac, ramp), n_train, gen)
    if run.order is not None:  # trainer.shuffle=false or by_class: the same order every epoch
        return run.order
    return torch.randperm(n_train, device=run.device, generator=gen)


def log_losses(run: Run, p: Progress, tracker: Tracker, before: list[torch.Tensor] | None = None) -> bool:
    """Every log_every steps: the epoch's mean step loss so far (one host sync), the rate, per-layer gradient
    norms (trainer.grad_norms: vanishing gradients), the weights' norms and the step's size (trainer.weight_norms,
    ``before``: the trainable tensors before this step), the progress line. False when the loss is not finite."""
    train_loss = p.losses.mean()
    if not math.isfinite(train_loss):
        return False
    tracker.scalars({"train/loss": train_loss, "lr": run.optimizer.param_groups[0]["lr"]}, p.step)
    if run.grad_norms:
        tracker.scalars({f"grad/{k}": v for k, v in R.grad_norms(run.model).items()}, p.step)
    if before is not None:  # L2's shrinking weights, momentum's growing step
        p.stepped = R.update_size(before, run.model, run.optimizer.param_groups[0]["lr"])
        tracker.scalars({**R.weight_norms(run.model), **p.stepped}, p.step)
    tracker.tick(p.step, f"epoch {p.epoch + 1}/{run.max_epochs} loss {train_loss:.4f}")
    return True


def end_epoch(run: Run, p: Progress, tracker: Tracker, saver: Checkpoints, state: Callable[[], dict], lr: float,
              now: bool) -> str:
    """The end of epoch ``p.epoch`` (counted already): evaluate train (eval mode) and val, track the best, early
    stopping and a search's pruner, the checkpoints (``state()`` is the run's whole state; ``now``: write them
    whatever the interval, as at the last step or a Ctrl-C), the epoch line. Returns the run's status: completed
    (train on), diverged, stopped_early or pruned. hydra/launcher=batched ends each member's epoch here too."""
    p.final = {"train/loss": p.losses.mean(), **eval_split(run, "train"), **eval_split(run, "val")}
    # NaN/Inf anywhere (loss, metrics or weights) ends the run before it can overwrite a good checkpoint.
    if not all(math.isfinite(v) for v in p.final.values()) or not all_finite(run.model):
        return DIVERGED
    tracker.scalars({**p.final, "lr": lr}, p.step)
    improved = metrics.better_checkpoint(p.final, p.best_at, run.metric, run.mode)  # ties: val/loss
    if improved:
        p.best_at = {run.metric: p.final[run.metric], "val/loss": p.final["val/loss"]}
    p.best.update({k: v for k, v in p.final.items() if metrics.better(v, p.best.get(k), metrics.direction(k))})
    if run.weight_norms:  # a state, not a score: in final (with the epoch's last measured step), not best
        p.final.update({"weights/norm": R.weight_norms(run.model)["weights/norm"], **p.stepped})
    status, es = COMPLETED, run.early_stopping
    if es and es.update(p.final, run.model, p.epoch, p.step):  # before the checkpoint, which carries its state
        status = STOPPED_EARLY  # alg. 7.1: patience ran out; the best weights come back at the end
    if run.pruner and run.pruner(p.epoch, p.final[run.metric]) and status == COMPLETED:
        status = PRUNED  # by a search's pruner; last.pt is written now, so a promoted trial continues
    saver.save(state, improved, now=now or status != COMPLETED, where=f"epoch {p.epoch}, step {p.step}")
    if p.epoch % line_every(run) == 0 or p.step >= run.total_steps or status == STOPPED_EARLY:
        shown = "  ".join(f"{k} {v:.4f}" for k, v in p.final.items())
        tracker.print(f"epoch {p.epoch:>4}/{run.max_epochs}  step {p.step:>6}  {shown}")
        ending = p.step >= run.total_steps or status != COMPLETED
        if run.pictures and (p.epoch % picture_every(run) == 0 or ending):
            log_images(tracker.writer, run.model, run.data.x_val, p.step)
    return status


def line_every(run: Run) -> int:
    """Epochs between two epoch lines on the console: at most ~20 lines a run (TensorBoard has every epoch)."""
    return max(1, run.max_epochs // 20)


PICTURES = 5  # epoch lines a run logs its pictures at, the last one included: ~20 ms each on a loaded 2-core CPU


def picture_every(run: Run) -> int:
    """Epochs between two epoch lines that draw pictures (dlx/track.py log_images): at most PICTURES a run."""
    every = line_every(run)
    return every * math.ceil(math.ceil(run.max_epochs / every) / PICTURES)


class Steady:
    """Samples per second once warmed up: this process's first epoch pays for warm-up (compile, autotune, graph
    capture), so it is left out."""

    def __init__(self):
        self.epochs, self.time, self.samples = 0, 0.0, 0

    def add(self, epoch_s: float, samples: int) -> float:
        if self.epochs:
            self.time, self.samples = self.time + epoch_s, self.samples + samples
        self.epochs += 1
        return epoch_s

    def value(self) -> float | None:
        return round(self.samples / self.time, 1) if self.time else None


class Checkpoints:
    """checkpoints/last.pt and best.pt, written at most every ``every_s`` seconds (0: every epoch) and always when
    ``now`` (the end of the run, early stopping, pruning, Ctrl-C): for tiny epochs two checkpoint writes per
    epoch cost more than the training. A better epoch between two writes is kept in memory until the next."""

    def __init__(self, run_dir: Path, every_s: float, enabled: bool, last_good: str | None):
        self.last, self.best_file = (runfolder.checkpoint_file(run_dir, w) for w in ("last", "best"))
        self.every_s, self.enabled, self.last_good = every_s, enabled, last_good
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
            checkpoint.save(self.last, state)
            if self.best is not None:
                checkpoint.save(self.best_file, self.best)
                self.best = None
            self.written = time.monotonic()
            self.last_good = f"{self.last} ({where or 'mid-epoch'})"


def start(run: Run, run_dir: Path, step: int, progress: bool | None = None, prefix: str = "") -> Tracker:
    """The run's reporting: TensorBoard (a resumed run appends; purge_step drops the events a killed process
    wrote after its last checkpoint, so no step appears twice), data.json, the start-of-run line. ``progress``:
    the live progress bar (None: on a terminal); runs trained together (hydra/launcher=batched) show one, as a
    terminal holds one live display."""
    tracker = Tracker(run_dir, run.total_steps, progress=progress, resume_step=step,
                      purge_step=step + 1 if step else None, prefix=prefix)
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
    every = line_every(run)
    if every > 1:  # said once, so a missing epoch line does not look like a skipped epoch
        tracker.print(f"dlx: an epoch line every {every} epochs (and the last); TensorBoard has every epoch")
    return tracker


def pretrain(run: Run, tracker: Tracker) -> None:
    """The greedy layer-wise pretraining phase (logged as pretrain/...), before the loop; none on a resumed run."""
    if not run.pretrain:
        return
    d, model = run.data, run.model
    pre = dict(run.pretrain)
    probe = pre.pop("probe", 0)
    method = pre.get("method", "cd") if pre.get("steps") else "none"
    tracker.print({"none": "dlx: no pretraining (the random init is kept)",
                   "random": "dlx: no pretraining (a random stack at Glorot's scale)"}.get(
        method, f"dlx: pretraining on {len(run.pretrain_x)} training inputs, without labels"))
    t0 = time.perf_counter()
    model.pretrain(run.pretrain_x, **pre, log=lambda name, value, at: tracker.scalars({name: value}, at))
    run.pretrain_s = time.perf_counter() - t0  # trainer.cost's cost/pretrain_s
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


def finish(run: Run, run_dir: Path, p: Progress, status: str, tracker: Tracker, wall_s: float,
           steady: float | None, last_good: str | None) -> dict:
    """The end of a run: test, result.json, hparams, the summary table."""
    if run.cost:
        p.final.update(cost_metrics(run, p))
    if run.weight_norms:  # the memory an optimizer keeps between steps (BFGS's n x n against L-BFGS's history)
        p.final["optim/state_bytes"] = float(optim.state_bytes(run.optimizer))
    es, extra, error = run.early_stopping, {}, None
    restored = bool(es and es.state is not None and status in TESTED)
    if restored:
        es.restore(run.model)  # alg. 7.1 returns the best parameters; final val/* then describe them
        p.final.update(eval_split(run, "val"))
        extra["best_epoch"] = es.best_epoch
    if status in TESTED:
        test = {**eval_split(run, "test"), **attacked(run), **shifted(run)}
        p.final.update(test)
        tracker.scalars(test, p.step)
        # which weights final's test/* (the headline) describe, and best.pt's own test numbers beside them
        extra["final_weights"] = ({"epoch": es.best_epoch, "step": es.best_step, "early_stopping": True}
                                  if restored else {"epoch": p.epoch, "step": p.step, "early_stopping": False})
        extra["best_checkpoint"] = best_checkpoint(run, runfolder.checkpoint_file(run_dir, "best"))
    if status == DIVERGED:
        error = (f"non-finite loss or weights at step {p.step}; the last good checkpoint is "
                 f"{last_good or 'none (no epoch finished)'}")
    elif status == INTERRUPTED:
        error = runfolder.interrupted_line(run_dir, p.step)
    result = runfolder.result(status, run.seed, run.overrides, run.metric, p.final, p.best, p.epoch, p.step, wall_s,
                              round(p.samples_seen / max(p.train_time, 1e-9), 1), steady, run.threads, error,
                              **extra)
    if status != INTERRUPTED:  # the resumed run writes the hparams entry once, at its end
        tracker.hparams(run.hparams, p.final)
    tracker.close()
    runfolder.write_result(run_dir, result)
    if status == DIVERGED:
        error_line(f"run diverged: {result['error']}")
    tracker.summary(result)
    if status == INTERRUPTED:  # asked for (Ctrl-C, SIGTERM): news, not an error
        print(f"dlx: {result['error']}", file=sys.stderr)
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


def failed_result(cfg: DictConfig, overrides: list[str], error: str, wall_s: float) -> dict:
    """result.json of a run that failed before or while training (``error`` says why)."""
    return runfolder.result(FAILED, cfg.get("seed"), overrides, cfg.trainer.get("metric"), wall_s=round(wall_s, 3),
                            error=error)


ERROR_LOG = "error.log"  # a failed run's traceback, named in its result.json


def record_failure(run_dir: Path, cfg: DictConfig, overrides: list[str], e: BaseException, wall_s: float) -> str:
    """A run that failed with an error that is not the user's (a bug, a library's error): its traceback to
    ``error.log`` and result.json (status failed) naming it, so a sweep's one line per failed job loses nothing.
    Returns the error's line."""
    import traceback

    line = f"{type(e).__name__}: {e}"
    runfolder.write_text(run_dir / ERROR_LOG, "".join(traceback.format_exception(e)))
    runfolder.write_result(run_dir, {**failed_result(cfg, overrides, line, wall_s), "error_log": ERROR_LOG})
    return line


def run(cfg: DictConfig, run_dir: str | Path, overrides: list[str] | None = None,
        resume: str | Path | None = None, cores: int | None = None, progress: bool | None = None,
        prefix: str = "") -> float:
    """Build (dlx/setup.py) and train in ``run_dir``, holding its lock; always leave a result.json. Errors other
    than the user's (one line) are re-raised after it and error.log are written. ``cores``: this process's share
    of the machine (dlx.setup.build); ``progress``, ``prefix``: as :func:`train`."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with runfolder.lock(run_dir):
        return run_locked(cfg, run_dir, overrides, resume, cores, progress, prefix)


def run_locked(cfg: DictConfig, run_dir: Path, overrides: list[str] | None = None,
               resume: str | Path | None = None, cores: int | None = None, progress: bool | None = None,
               prefix: str = "", stop: StopRequest | None = None) -> float:
    """:func:`run` for a caller that holds the folder's lock already (dlx.job: the lock comes before any write);
    ``stop``: the job's StopRequest (None: one from here)."""
    t0 = time.time()
    with contextlib.nullcontext(stop) if stop is not None else StopRequest() as stop:
        try:
            r = setup.build(cfg, overrides, resume, run_dir, cores=cores)
            return runfolder.primary(train(r, run_dir, progress, prefix, stop))
        except USER_ERRORS:
            raise
        except Exception as e:
            record_failure(run_dir, cfg, overrides or [], e, time.time() - t0)
            raise
