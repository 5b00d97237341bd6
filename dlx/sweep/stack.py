"""Train N runs that differ only in their seed as one stacked model.

Each member is a normal :class:`dlx.setup.Run` (built by dlx.setup after seeding with its own seed, so its
initialisation is the sequential run's). Their parameters are stacked along a new first dimension
(``torch.func.stack_module_state``: (N, *shape)) and one step runs every member's forward and loss under
``torch.vmap`` (``randomness="different"``: each member its own dropout masks). The members' mean losses are
summed before ``backward``, so the gradient of member i's slice is member i's own gradient, and an elementwise
optimizer (SGD, momentum, Adam, RMSProp, ...) stepping the stacked tensors steps each member exactly as it
would alone. Batches come from each member's own ``torch.Generator`` with the loop's randperm calls, so a
member without dropout follows its sequential run up to float rounding (a batched matmul sums in another order).

At the end of each epoch the stacked weights (and, for checkpoints, the optimizer's state slices) are copied
back into each member's own model and optimizer, and dlx.train's pieces (eval_split, snapshot, finish) write
each run folder exactly as the loop does.
"""

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.func import functional_call, stack_module_state

from dlx import metrics, setup
from dlx import regularize as R
from dlx import train as T
from dlx.models.common import pretrain_on
from dlx.objective import _float
from dlx.optim import schedule
from dlx.track import Tracker, log_images

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
    c: dict  # the job's resolved config
    result: dict | None = None
    tracker: Tracker | None = None
    p: T.Progress | None = None
    gen: torch.Generator | None = None
    saver: T.Checkpoints | None = None  # last.pt/best.pt, as often as the loop writes them
    done: bool = False
    extra: dict = field(default_factory=dict)


def _weights(model: torch.nn.Module, which: str = "weights") -> list[str]:
    """Names of R.weight_params(model, which): kernels only, or every trainable tensor."""
    return [n for n, p in model.named_parameters() if p.requires_grad and (which == "all" or p.ndim >= 2)]


def build_step(runs: list[setup.Run], c: dict):
    """(params, buffers, optimizer, scheduler, step(idx) -> per-member losses (N,)) for the stacked members."""
    r0 = runs[0]
    base = copy.deepcopy(r0.model).to("meta")  # the architecture; functional_call supplies every tensor
    params, buffers = stack_module_state([r.model for r in runs])
    trainable = [k for k, p in r0.model.named_parameters() if p.requires_grad]  # model.freeze leaves the rest
    for k, t in params.items():
        t.requires_grad_(k in trainable)
    node = dict(c["optim"])
    if node["_target_"] in setup.FUSED_CPU and r0.device.type == "cuda" and not {"fused", "foreach"} & node.keys():
        node["fused"] = True  # torch's fused kernel on the GPU too (build_optimizer asks for it on the CPU)
    optimizer = setup.build_optimizer(node, [params[k] for k in trainable])
    sc = c["schedule"]
    scheduler = schedule.build(optimizer, sc["name"], r0.total_steps, sc.get("tau"), sc.get("final_frac", 0.01),
                               sc.get("warmup", 0))
    obj = r0.objective
    penalties, constraints = [], []
    for name, o in ((k, v) for k, v in (c.get("regularization") or {}).items() if isinstance(v, dict)):
        if name in ("l2", "weight_decay") and (name == "weight_decay" or o.get("decoupled")):
            w = [params[k] for k in _weights(r0.model, o.get("params", "weights"))]
            constraints.append(lambda w=w, a=o["alpha"]: R.decoupled_decay(w, a, optimizer.param_groups[0]["lr"]))
        elif name in ("l2", "l1"):
            w, penalty = _weights(r0.model, o.get("params", "weights")), getattr(R, f"{name}_penalty")
            penalties.append(lambda p, w=w, a=o["alpha"], f=penalty: f([p[k] for k in w], a))
        elif name == "max_norm":  # (N, out, in...) -> (N*out, in...): renorm each member's units on their own
            w = [params[k].view(-1, *params[k].shape[2:]) for k in _weights(r0.model)]
            constraints.append(lambda w=w, cap=o["c"]: R.max_norm_(w, cap))

    def member(p, b, x, y):  # one member's step objective, as dlx.objective.Objective.backward computes it
        with r0.autocast():
            out = _float(functional_call(base, (p, b), (x,)))
        loss = obj.loss(out, y)
        total = obj.train_loss(out, y) if obj.parts.train_loss else loss
        for penalty in penalties:
            total = total + penalty(p)
        return total, loss

    stacked = torch.vmap(member, randomness="different")  # own dropout masks per member
    data, y = r0.data, r0.y

    def step(idx: torch.Tensor) -> torch.Tensor:  # idx (N, B)
        xb = data.x[idx]  # (N, B, ...)
        yb = {k: v[idx] for k, v in y.items()} if isinstance(y, dict) else y[idx]
        if obj.parts.transforms:  # per-example transforms on (N*B, ...)
            flat = xb.flatten(0, 1)
            for transform in obj.parts.transforms:
                flat = transform(flat)
            xb = flat.view(xb.shape)
        out = {}

        def closure():
            optimizer.zero_grad(set_to_none=True)
            totals, out["loss"] = stacked(params, buffers, xb, yb)
            total = totals.sum()  # each member's gradient is its own
            total.backward()
            return total

        optimizer.step(closure)
        for constraint in constraints:
            constraint()
        return out["loss"].detach()

    base.train()
    return params, buffers, optimizer, scheduler, step


def probe(run: setup.Run, c: dict) -> str | None:
    """Run two stacked copies of ``run`` for one step on two examples; the error's first line if vmap cannot."""
    try:
        twin = copy.deepcopy(run)
        params, _, _, _, step = build_step([run, twin], c)
        step(torch.arange(4, device=run.device).view(2, 2) % len(run.data.x))
        return None
    except Exception as e:  # noqa: BLE001 - any failure means: run these jobs one after another
        return f"{type(e).__name__}: {str(e).strip().splitlines()[0][:160]}" if str(e).strip() else type(e).__name__


@torch.no_grad()
def sync(m: Member, k: int, params: dict, buffers: dict, optimizer, scheduler, with_optimizer: bool) -> None:
    """Copy member ``k``'s slice of the stack into its own model (and optimizer/scheduler, for a checkpoint)."""
    named = dict(m.run.model.named_parameters())
    for name, t in named.items():
        t.copy_(params[name][k])
    for name, t in m.run.model.named_buffers():
        t.copy_(buffers[name][k])
    if with_optimizer:
        sd = optimizer.state_dict()
        stacked = [p for g in optimizer.param_groups for p in g["params"]]
        # a copy of the slice: a view would keep the whole stack's storage (torch.save writes all of it) and
        # change with the stack's next step
        state = {i: {s: (v[k].clone() if torch.is_tensor(v) and v.shape == stacked[i].shape else v)
                     for s, v in st.items()} for i, st in sd["state"].items()}
        own = m.run.optimizer.state_dict()["param_groups"]  # its own fused/foreach: the stack's are not the run's
        groups = [{**g, **{f: o[f] for f in ("fused", "foreach") if f in o}} for g, o in zip(sd["param_groups"], own)]
        m.run.optimizer.load_state_dict({"state": state, "param_groups": groups})
        m.run.scheduler.load_state_dict(scheduler.state_dict())


def train_group(members: list[Member], started: Callable[[], None] | None = None, cores: int | None = None,
                progress: bool | None = None, prefix: str = "") -> None:
    """Train the members together; each gets result.json etc. in its folder and ``member.result``. ``started`` is
    called once every member's run has started (its folder, TensorBoard and start line written), before the first
    step. ``cores``: this process's share of the machine (dlx.setup.auto_threads); ``progress``, ``prefix``: as
    dlx.train.train (one live bar, the first member's, as a terminal holds one live display). Raises
    KeyboardInterrupt after writing every member's interrupted result (Ctrl-C)."""
    t_start = time.time()
    runs = [m.run for m in members]
    r0, n = runs[0], len(members)
    for r in runs[1:]:  # one copy of the data on the device
        r.data, r.y, r.y_val, r.y_test = r0.data, r0.y, r0.y_val, r0.y_test
    params, buffers, optimizer, scheduler, step_fn = build_step(runs, members[0].c)
    device, batch, n_train = r0.device, r0.batch_size, len(r0.data.x)
    if members[0].c["trainer"]["threads"] == "auto":  # the stack is n models' work: it may use every core
        threads = setup.auto_threads(r0.model, r0.data.x[:batch], device, copies=n, cores=cores)
        torch.set_num_threads(threads)
        for r in runs:
            r.threads = threads  # what result.json records
    for k, m in enumerate(members):
        m.gen = torch.Generator(device=device).manual_seed(m.run.seed)  # as the loop: batch order per member
        m.p = T.Progress(T.LossSum(device))
        m.tracker = T.start(m.run, m.run_dir, 0, progress if k == 0 else False, prefix)
        m.saver = T.Checkpoints(m.run_dir / "checkpoints", m.run.checkpoint_every_s, m.run.save_checkpoints, None)
    if started is not None:
        started()
    wall = lambda: time.time() - t_start
    print_every = max(1, r0.max_epochs // 20)
    active = list(range(n))
    step, epoch, samples = 0, 0, 0
    train_time, epochs_here, steady_time, steady_samples = 0.0, 0, 0.0, 0
    stop = T._StopOnSigint()

    def state_of(k: int, batch_in_epoch: int = 0) -> dict:  # a checkpoint's state: the optimizer's slice too
        m = members[k]
        sync(m, k, params, buffers, optimizer, scheduler, True)
        return T.snapshot(m.run, m.p, m.gen, wall(), batch_in_epoch)

    def end(m: Member, status: str) -> None:
        steady = round(steady_samples / steady_time, 1) if steady_time else None
        m.p.step, m.p.train_time, m.p.samples_seen = step, train_time, samples
        m.done = True
        try:
            m.result = T.finish(m.run, m.run_dir, m.p, status, m.tracker, round(wall(), 3), steady,
                                m.saver.last_good)
        except KeyboardInterrupt:
            m.result = {"status": "interrupted"}

    try:
        while epoch < r0.max_epochs and step < r0.total_steps and active:
            t_epoch, seen_before = time.perf_counter(), samples
            perms = torch.stack([torch.randperm(n_train, device=device, generator=m.gen) for m in members])
            total, count, pending = torch.zeros(n, device=device), 0, []
            for i in range(r0.steps_per_epoch):
                idx = perms[:, i * batch:(i + 1) * batch]
                pending.append(step_fn(idx))
                count += 1
                if r0.scheduled:
                    scheduler.step()
                samples += idx.shape[1]
                step += 1
                if step % r0.log_every == 0:  # the only host sync inside an epoch: every member's mean loss
                    total, pending = total + torch.stack(pending).sum(0), []
                    means = (total / count).tolist()
                    for k in list(active):
                        if not math.isfinite(means[k]):  # this member diverged; the others go on
                            active.remove(k)
                            members[k].p.epoch = epoch
                            end(members[k], "diverged")
                            continue
                        members[k].tracker.scalars({"train/loss": means[k], "lr": optimizer.param_groups[0]["lr"]},
                                                   step)
                    members[0].tracker.tick(step, f"epoch {epoch + 1}/{r0.max_epochs} {len(active)} runs stacked "
                                                  f"loss {sum(means[k] for k in active) / max(len(active), 1):.4f}")
                else:
                    members[0].tracker.tick(step)
                if not active:
                    break
                if stop.requested and i + 1 < r0.steps_per_epoch and step < r0.total_steps:
                    total, pending = total + (torch.stack(pending).sum(0) if pending else 0), []
                    train_time += time.perf_counter() - t_epoch
                    for k in active:  # the state after this whole step, mid-epoch, as the loop saves it
                        m = members[k]
                        m.p.step, m.p.epoch, m.p.perm, m.p.samples_seen = step, epoch, perms[k], samples
                        m.p.train_time, m.p.losses = train_time, T.LossSum(device, total=total[k], count=count)
                        m.saver.save(lambda k=k, i=i: state_of(k, i + 1), False, now=True)
                    raise KeyboardInterrupt
                if step >= r0.total_steps:
                    break
            if device.type == "cuda":
                torch.cuda.synchronize()
            epoch_s = time.perf_counter() - t_epoch
            train_time += epoch_s
            if epochs_here:
                steady_time, steady_samples = steady_time + epoch_s, steady_samples + samples - seen_before
            epochs_here += 1
            if not active:
                break

            # --- end of epoch, per member: as dlx.train.train does it -------------------------------------------
            epoch += 1
            total = total + (torch.stack(pending).sum(0) if pending else 0)
            means = (total / count).tolist()
            saved = set()  # members whose checkpoint this epoch end wrote now
            for k in list(active):
                m, run = members[k], members[k].run
                p = m.p
                sync(m, k, params, buffers, optimizer, scheduler, False)  # weights for evaluation
                p.epoch, p.step, p.samples_seen, p.train_time = epoch, step, samples, train_time
                p.losses = T.LossSum(device, total=total[k], count=count)
                p.final = {"train/loss": means[k], **T.eval_split(run, "train"), **T.eval_split(run, "val")}
                if not all(math.isfinite(v) for v in p.final.values()) or not T.all_finite(run.model):
                    active.remove(k)
                    end(m, "diverged")
                    continue
                m.tracker.scalars({**p.final, "lr": optimizer.param_groups[0]["lr"]}, step)
                improved = metrics.better_checkpoint(p.final, p.best_at, run.metric, run.mode)  # as the loop
                if improved:
                    p.best_at = {run.metric: p.final[run.metric], "val/loss": p.final["val/loss"]}
                p.best.update({a: v for a, v in p.final.items()
                               if metrics.better(v, p.best.get(a), metrics.direction(a))})
                now = step >= r0.total_steps or stop.requested
                m.saver.save(lambda k=k: state_of(k), improved, now=now, where=f"epoch {epoch}, step {step}")
                if now:
                    saved.add(k)
                if epoch % print_every == 0 or step >= r0.total_steps:
                    shown = "  ".join(f"{a} {v:.4f}" for a, v in p.final.items())
                    m.tracker.print(f"epoch {epoch:>4}/{run.max_epochs}  step {step:>6}  {shown}")
                    log_images(m.tracker.writer, run.model, run.data.x_val, step)
            if stop.requested:  # Ctrl-C during the epoch ends: the members before it have not saved yet
                for k in (k for k in active if k not in saved):
                    members[k].saver.save(lambda k=k: state_of(k), False, now=True, where=f"epoch {epoch}, step {step}")
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        for k in active:
            end(members[k], "interrupted")
        raise
    finally:
        stop.restore()
        for m in members:
            if m.tracker is not None:
                m.tracker.stop_progress()
    for k in active:
        end(members[k], "completed")
