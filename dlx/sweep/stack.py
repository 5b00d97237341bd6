"""Train N runs that differ only in their seed as one stacked model.

Each member is a normal :class:`dlx.setup.Run` (built by dlx.setup after seeding with its own seed, so its
initialisation is the sequential run's). Their parameters are stacked along a new first dimension
(``torch.func.stack_module_state``: (N, *shape)) and one step runs every member's forward and loss under
``torch.vmap`` (``randomness="different"``: each member its own dropout masks). The members' mean losses are
summed before ``backward``, so the gradient of member i's slice is member i's own gradient, and an elementwise
optimizer (SGD, momentum, Adam, RMSProp, ...) stepping the stacked tensors steps each member exactly as it
would alone. Batches come from each member's own ``torch.Generator`` with the loop's randperm calls, so a
member without dropout follows its sequential run up to float rounding (a batched matmul sums in another order).

The optimizer, the schedule and the regularizers' penalties and constraints are the run's own, built by the
single run's builders (Run.new_optimizer, new_scheduler, new_parts) over the stacked tensors. At the end of each
epoch the stacked weights (and, for checkpoints, the optimizer's state slices) are copied back into each member's
own model and optimizer, and the loop's own pieces (dlx.train: epoch_order, end_epoch, snapshot, finish) end each
member's epoch and run exactly as the loop does.
"""

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.func import functional_call, stack_module_state

from dlx import regularize as R
from dlx import setup
from dlx import train as T
from dlx.models.common import pretrain_on
from dlx.objective import as_float
from dlx.runfolder import COMPLETED, DIVERGED, INTERRUPTED
from dlx.track import Tracker

# Optimizers whose step is elementwise in the parameters (no norms, dot products or line searches across
# them), so stepping the stacked tensors steps every member on its own.
ELEMENTWISE = {f"torch.optim.{n}" for n in ("SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adamax", "NAdam",
                                             "RAdam", "Adadelta")} | \
              {f"dlx.optim.course.{n}" for n in ("Momentum", "Nesterov", "RMSProp", "RMSPropNesterov")}
# Regularizers a stacked step applies per member: dropout (model argument, vmap's own masks per member), batch
# norm (each member's running statistics are its slice of the stacked buffers, updated in place), the
# batch transforms (per example), penalties (inside vmap, on the member's own weights), decoupled decay and
# max-norm (elementwise / per unit on the stacked weights) and label smoothing (the loss).
STACKED_REGS = {"dropout", "batchnorm", "augment", "input_noise", "l2", "l1", "weight_decay", "max_norm",
                "label_smoothing"}
# Those it does not, and why (one line each).
UNSTACKED_REGS = {
    "early_stopping": "stops each run at its own epoch and restores its own best weights",
    "curriculum": "orders the examples by one model's difficulty",
    "distill": "trains a hint regressor beside the model and runs a teacher inside the step",
    "weight_noise": "perturbs one model's weights in place around the step",
    "adversarial": "its FGSM step differentiates one model's loss with respect to its input",
}


def refusal(c: dict) -> str | None:
    """Why the jobs of config ``c`` (a resolved container) cannot be stacked, or None."""
    tc, target = c["trainer"], c["optim"].get("_target_", "")
    if target not in ELEMENTWISE:
        return (f"optim {target} is not an elementwise optimizer (line searches and second-order steps couple "
                "all the parameters they step)")
    for key, why in (("cuda_graphs", "captures one model's step"), ("compile", "compiles one model"),
                     ("grad_clip", "clips the global gradient norm, which would couple the members"),
                     ("grad_norms", "logs one model's per-layer gradient norms")):
        if tc.get(key):
            return f"trainer.{key}={tc[key]} {why}"
    if c.get("resume"):
        return "resume= continues one run from its checkpoint"
    reg = [k for k, v in (c.get("regularization") or {}).items() if isinstance(v, dict)]
    for name in reg:
        if name not in STACKED_REGS:
            return f"regularization={name} " + UNSTACKED_REGS.get(name, "is not known to act per member")
    pre = (c.get("model") or {}).get("pretrain")
    if pretrain_on(pre):
        return "model.pretrain runs a greedy layer-wise phase on one model before the loop"
    return None


@dataclass
class Member:
    """One job of the stack: its run, folder and everything the loop counts for it."""

    run: setup.Run
    run_dir: Path
    result: dict | None = None
    tracker: Tracker | None = None
    p: T.Progress | None = None
    gen: torch.Generator | None = None
    saver: T.Checkpoints | None = None  # last.pt/best.pt, as often as the loop writes them
    extra: dict = field(default_factory=dict)
    name: str = ""  # the start of its console lines, e.g. "job 5: " (members share one console)


@dataclass
class Stack:
    """The members' parameters and buffers stacked (N, *shape), the optimizer and schedule over them, and
    ``step(idx) -> per-member losses (N,)`` for batch indices idx (N, B)."""

    params: dict[str, torch.Tensor]
    buffers: dict[str, torch.Tensor]
    optimizer: torch.optim.Optimizer
    scheduler: Any
    step: Callable[[torch.Tensor], torch.Tensor]


def build_step(runs: list[setup.Run]) -> Stack:
    r0 = runs[0]
    base = copy.deepcopy(r0.model).to("meta")  # the architecture; functional_call supplies every tensor
    params, buffers = stack_module_state([r.model for r in runs])
    trainable = [k for k, p in r0.model.named_parameters() if p.requires_grad]  # model.freeze leaves the rest
    for k, t in params.items():
        t.requires_grad_(k in trainable)
    # torch's fused kernel on the GPU too (the run asks for it on the CPU): one kernel for every member's tensors
    optimizer = r0.new_optimizer([params[k] for k in trainable], fused=r0.device.type == "cuda" or None)
    scheduler = r0.new_scheduler(optimizer)
    # The run's regularizers over the stacked tensors: a member's (out, in...) kernel is its slice of (N, out,
    # in...), seen here as (N*out, in...), so decay (per element) and max-norm (per unit, a row) act on each
    # member as on it alone, and a penalty (a sum over elements) is the sum of the members' penalties, whose
    # gradient in member i's slice is member i's own.
    parts = r0.new_parts(lambda which: [params[k].view(-1, *params[k].shape[2:])
                                        for k in R.weight_names(r0.model, which)])
    loss, train_loss = r0.objective.loss, parts.train_loss or r0.objective.loss

    def member(p, b, x, y):  # one member's step objective, as dlx.objective.Objective.backward computes it
        with r0.autocast():
            out = as_float(functional_call(base, (p, b), (x,)))
        lo = loss(out, y)
        return (train_loss(out, y) if parts.train_loss else lo), lo

    stacked = torch.vmap(member, randomness="different")  # own dropout masks per member
    data, y = r0.data, r0.y

    def step(idx: torch.Tensor) -> torch.Tensor:  # idx (N, B)
        xb = data.x[idx]  # (N, B, ...)
        yb = {k: v[idx] for k, v in y.items()} if isinstance(y, dict) else y[idx]
        if parts.transforms:  # per-example transforms on (N*B, ...)
            flat = xb.flatten(0, 1)
            for transform in parts.transforms:
                flat = transform(flat)
            xb = flat.view(xb.shape)
        out = {}

        def closure():
            optimizer.zero_grad(set_to_none=True)
            totals, out["loss"] = stacked(params, buffers, xb, yb)
            total = totals.sum()  # each member's gradient is its own
            for term in parts.terms:  # the penalties (refusal keeps out the terms that need a member's output)
                total = term(total, base, xb, yb, None, train_loss)
            total.backward()
            return total

        optimizer.step(closure)
        for constraint in parts.constraints:
            constraint(optimizer)
        return out["loss"].detach()

    base.train()
    return Stack(params, buffers, optimizer, scheduler, step)


def probe(run: setup.Run) -> str | None:
    """Run two stacked copies of ``run`` for one step on two examples; the error's first line if vmap cannot."""
    try:
        twin = copy.deepcopy(run)
        build_step([run, twin]).step(torch.arange(4, device=run.device).view(2, 2) % len(run.data.x))
        return None
    except Exception as e:  # noqa: BLE001 - any failure means: run these jobs one after another
        return f"{type(e).__name__}: {str(e).strip().splitlines()[0][:160]}" if str(e).strip() else type(e).__name__


@torch.no_grad()
def sync(m: Member, k: int, s: Stack, with_optimizer: bool) -> None:
    """Copy member ``k``'s slice of the stack into its own model (and optimizer/scheduler, for a checkpoint)."""
    for name, t in m.run.model.named_parameters():
        t.copy_(s.params[name][k])
    for name, t in m.run.model.named_buffers():
        t.copy_(s.buffers[name][k])
    if with_optimizer:
        sd = s.optimizer.state_dict()
        stacked = [p for g in s.optimizer.param_groups for p in g["params"]]
        # a copy of the slice: a view would keep the whole stack's storage (torch.save writes all of it) and
        # change with the stack's next step
        state = {i: {n: (v[k].clone() if torch.is_tensor(v) and v.shape == stacked[i].shape else v)
                     for n, v in st.items()} for i, st in sd["state"].items()}
        own = m.run.optimizer.state_dict()["param_groups"]  # its own fused/foreach: the stack's are not the run's
        groups = [{**g, **{f: o[f] for f in ("fused", "foreach") if f in o}} for g, o in zip(sd["param_groups"], own)]
        m.run.optimizer.load_state_dict({"state": state, "param_groups": groups})
        m.run.scheduler.load_state_dict(s.scheduler.state_dict())


def start(members: list[Member], cores: int | None, progress: bool | None, prefix: str) -> Stack:
    """Every member's run started as the loop starts one (its folder, TensorBoard, start line), one copy of the
    data on the device, and the stack built; the threads counted again for the stack when trainer.threads=auto
    (the stack is N models' work: it may use every core)."""
    runs = [m.run for m in members]
    r0 = runs[0]
    for r in runs[1:]:
        r.data, r.y, r.y_val, r.y_test = r0.data, r0.y, r0.y_val, r0.y_test
    s = build_step(runs)
    if r0.threads_auto:
        threads = setup.auto_threads(r0.model, r0.data.x[:r0.batch_size], r0.device, copies=len(runs), cores=cores)
        torch.set_num_threads(threads)
        for r in runs:
            r.threads = threads  # what result.json records
    for k, m in enumerate(members):
        m.gen = torch.Generator(device=r0.device).manual_seed(m.run.seed)  # as the loop: batch order per member
        m.p = T.Progress(T.LossSum(r0.device))
        # one live bar; each member's lines name its own job
        m.tracker = T.start(m.run, m.run_dir, 0, progress if k == 0 else False, m.name or prefix)
        m.saver = T.Checkpoints(m.run_dir, m.run.checkpoint_every_s, m.run.save_checkpoints, None)
    return s


def train_group(members: list[Member], started: Callable[[], None] | None = None, cores: int | None = None,
                progress: bool | None = None, prefix: str = "") -> None:
    """Train the members together; each gets result.json etc. in its folder and ``member.result``. ``started``: called
    once every member's run has started. ``cores``: this process's share of the machine (setup.auto_threads);
    ``progress``, ``prefix``: as dlx.train.train. Ctrl-C: KeyboardInterrupt after every member's result.json."""
    t_start, r0 = time.time(), members[0].run
    s = start(members, cores, progress, prefix)
    if started is not None:
        started()
    wall, batch, device = lambda: time.time() - t_start, r0.batch_size, r0.device
    active, speed, stop = list(range(len(members))), T.Steady(), T.StopRequest().armed()  # set up already
    clock = Clock()  # the stack's step, epoch, samples and training time, which every member shares

    def end(k: int, status: str) -> None:
        m = members[k]
        active.remove(k)
        clock.into(m.p)
        try:
            m.result = T.finish(m.run, m.run_dir, m.p, status, m.tracker, round(wall(), 3), speed.value(),
                                m.saver.last_good)
        except KeyboardInterrupt:
            m.result = {"status": INTERRUPTED}

    def state_of(k: int, batch_in_epoch: int = 0) -> dict:  # a checkpoint's state: the optimizer's slice too
        sync(members[k], k, s, True)
        return T.snapshot(members[k].run, members[k].p, members[k].gen, wall(), batch_in_epoch)

    try:
        while clock.epoch < r0.max_epochs and clock.step < r0.total_steps and active:
            t_epoch, seen_before = time.perf_counter(), clock.samples
            perms = torch.stack([T.epoch_order(m.run, clock.epoch, m.gen) for m in members])
            losses = StackLosses(device, len(members))
            for i in range(r0.steps_per_epoch):
                idx = perms[:, i * batch:(i + 1) * batch]
                losses.add(s.step(idx))
                if r0.scheduled:
                    s.scheduler.step()
                clock.samples, clock.step = clock.samples + idx.shape[1], clock.step + 1
                if clock.step % r0.log_every == 0:  # the only host sync inside an epoch: every member's mean loss
                    for k in log_losses(members, active, losses, clock, s.optimizer):
                        members[k].p.epoch = clock.epoch
                        end(k, DIVERGED)  # this member diverged; the others go on
                else:
                    members[0].tracker.tick(clock.step)
                if not active:
                    break
                if stop.requested and i + 1 < r0.steps_per_epoch and clock.step < r0.total_steps:
                    clock.train_time += time.perf_counter() - t_epoch
                    for k in active:  # the state after this whole step, mid-epoch, as the loop saves it
                        clock.into(members[k].p, perm=perms[k], losses=losses.of(k))
                        members[k].saver.save(lambda k=k, i=i: state_of(k, i + 1), False, now=True)
                    raise KeyboardInterrupt
                if clock.step >= r0.total_steps:
                    break
            if device.type == "cuda":
                torch.cuda.synchronize()
            clock.train_time += speed.add(time.perf_counter() - t_epoch, clock.samples - seen_before)
            if not active:
                break
            clock.epoch += 1
            end_epochs(members, active, s, clock, losses, state_of, end, stop)
    except KeyboardInterrupt:
        for k in list(active):
            end(k, INTERRUPTED)
        stop.restore()
        raise
    except BaseException:
        stop.restore()
        raise
    finally:
        for m in members:
            if m.tracker is not None:
                m.tracker.stop_progress()
    try:  # as the loop: a request while the members end waits for their result.json, then stops the command
        for k in list(active):
            end(k, COMPLETED)
    finally:
        stop.restore()
    if stop.requested:
        raise KeyboardInterrupt


@dataclass
class Clock:
    """What every member of a stack counts alike: it steps, evaluates and stops (but for a member that diverges)
    with the others."""

    step: int = 0
    epoch: int = 0
    samples: int = 0
    train_time: float = 0.0

    def into(self, p: T.Progress, perm: torch.Tensor | None = None, losses: T.LossSum | None = None) -> None:
        p.step, p.epoch, p.samples_seen, p.train_time = self.step, self.epoch, self.samples, self.train_time
        if perm is not None:
            p.perm = perm
        if losses is not None:
            p.losses = losses


class StackLosses:
    """The epoch's step losses of every member, (N,) a step, on the device; summed when read (one kernel a log
    interval, as dlx.train.LossSum)."""

    def __init__(self, device: torch.device, n: int):
        self.total, self.count, self.pending = torch.zeros(n, device=device), 0, []

    def add(self, losses: torch.Tensor) -> None:
        self.pending.append(losses)
        self.count += 1

    def sum(self) -> torch.Tensor:
        if self.pending:
            self.total, self.pending = self.total + torch.stack(self.pending).sum(0), []
        return self.total

    def means(self) -> list[float]:
        """Every member's mean loss so far: one host sync."""
        return (self.sum() / max(self.count, 1)).tolist()

    def of(self, k: int) -> T.LossSum:
        """Member ``k``'s losses as the loop keeps them (for its checkpoint and its epoch end)."""
        return T.LossSum(self.total.device, total=self.sum()[k], count=self.count)


def log_losses(members: list[Member], active: list[int], losses: StackLosses, clock: Clock, optimizer) -> list[int]:
    """Every log_every steps, as dlx.train.log_losses for each member; the members whose loss is not finite."""
    means, lr = losses.means(), optimizer.param_groups[0]["lr"]
    diverged = [k for k in active if not math.isfinite(means[k])]
    for k in (k for k in active if k not in diverged):
        members[k].tracker.scalars({"train/loss": means[k], "lr": lr}, clock.step)
    alive = [k for k in active if k not in diverged]
    mean = sum(means[k] for k in alive) / max(len(alive), 1)
    members[0].tracker.tick(clock.step, f"epoch {clock.epoch + 1}/{members[0].run.max_epochs} {len(alive)} runs "
                                        f"stacked loss {mean:.4f}")
    return diverged


def end_epochs(members: list[Member], active: list[int], s: Stack, clock: Clock, losses: StackLosses,
               state_of: Callable, end: Callable, stop) -> None:
    """Each member's epoch end, as the loop's (dlx.train.end_epoch) on its own weights; a member whose run ends
    there (diverged, pruned) leaves the stack. A Ctrl-C during these saves every member that has not saved yet."""
    r0, lr = members[0].run, s.optimizer.param_groups[0]["lr"]
    saved = set()  # members whose checkpoint this epoch end wrote now
    for k in list(active):
        m = members[k]
        sync(m, k, s, False)  # weights for evaluation
        clock.into(m.p, losses=losses.of(k))
        now = clock.step >= r0.total_steps or stop.requested
        status = T.end_epoch(m.run, m.p, m.tracker, m.saver, lambda k=k: state_of(k), lr, now)
        if status != COMPLETED:
            end(k, status)
        elif now:
            saved.add(k)
    if stop.requested:  # Ctrl-C during the epoch ends: the members before it have not saved yet
        for k in (k for k in active if k not in saved):
            members[k].saver.save(lambda k=k: state_of(k), False, now=True,
                                  where=f"epoch {clock.epoch}, step {clock.step}")
        raise KeyboardInterrupt
