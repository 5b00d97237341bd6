"""The one loop: build -> loop -> eval -> checkpoint -> result.

Read top to bottom. The dataset lives on the device as tensors and batches are index slices of a per-epoch
permutation; metrics accumulate as device tensors and are read (one host sync) only every
``trainer.log_every`` steps and at the end of an epoch.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import shutil
import signal
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import hydra
import numpy as np
import torch
import torch.nn.functional as F
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.types import RunMode
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from dlx import CONFIG_DIR, checkpoint, families, graphs, sweep
from dlx import regularize as R
from dlx.config import ConfigError, validate
from dlx.data import DataError
from dlx.optim import schedule
from dlx.track import Tracker, error_line, write_result


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device=cuda is wrong: no CUDA GPU is visible here; allowed is auto or cpu")
    return torch.device(name)


# Errors in what the user asked for (config, data files, checkpoints): one line and exit 2, no traceback.
USER_ERRORS = (ConfigError, DataError, checkpoint.CheckpointError)


def build(node: DictConfig, **kwargs):
    """hydra's instantiate, letting our one-line errors through (Hydra wraps whatever a _target_ raises)."""
    try:
        return instantiate(node, **kwargs)
    except InstantiationException as e:
        if isinstance(e.__cause__, USER_ERRORS):
            raise e.__cause__ from None
        raise


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # seeds CUDA too


def make_loss(kind: str, task: str, n_out: int, smoothing: float = 0.0):
    """cross_entropy on logits, or mse: on softmax outputs vs one-hot targets for classification (the
    course's comparison), on raw outputs for regression. ``smoothing``: targets (1 - eps) one-hot + eps/k."""
    if task == "regression":
        if kind == "cross_entropy":
            raise ConfigError("loss=cross_entropy is wrong for a regression dataset: allowed is auto or mse")
        return F.mse_loss
    if kind == "mse":
        target = lambda y, dt: F.one_hot(y, n_out).to(dt) * (1 - smoothing) + smoothing / n_out
        return lambda out, y: F.mse_loss(out.softmax(-1), target(y, out.dtype))
    return lambda out, y: F.cross_entropy(out, y, label_smoothing=smoothing)


@torch.no_grad()
def evaluate(model, x, y, loss_fn, task: str, batch_size: int, autocast) -> dict[str, float]:
    """Mean loss (and accuracy for classification) over (x, y), one host sync at the end."""
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device, dtype=torch.long)
    for i in range(0, len(x), batch_size):
        xb, yb = x[i:i + batch_size], y[i:i + batch_size]
        with autocast():
            out = model(xb)
        loss_sum += loss_fn(out.float(), yb) * len(xb)
        if task == "classification":
            correct += (out.argmax(-1) == yb).sum()
    model.train(was_training)
    metrics = {"loss": (loss_sum / len(x)).item()}
    if task == "classification":
        metrics["acc"] = correct.item() / len(x)
    return metrics


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


def resume_state(run_dir: Path, cfg: DictConfig) -> dict:
    """The checkpoint `resume=<run folder>` continues from, after checking it is this run's."""
    folder = Path(str(cfg.resume)).expanduser()
    if folder.resolve() != run_dir.resolve():
        raise ConfigError(f"resume={cfg.resume} is wrong: this run writes to {run_dir}; allowed is the run's own "
                          f"folder (dlx train resume=<run folder> continues in that folder)")
    path = run_dir / "checkpoints" / "last.pt"
    if not path.is_file():
        raise ConfigError(f"resume={cfg.resume} is wrong: {path} does not exist (the run stopped before its "
                          f"first checkpoint); allowed is a run folder with checkpoints/last.pt")
    state = checkpoint.load(path)
    missing = [k for k in RESUME_KEYS if k not in state]
    if missing:
        raise checkpoint.CheckpointError(f"checkpoint {path} cannot resume a run: it lacks {', '.join(missing)}")
    return state


RESUME_KEYS = ("optimizer", "scheduler", "epoch", "step", "batch", "rng", "best", "final")


def load_into(state: dict, model, optimizer, scheduler, path: Path) -> None:
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
    except (RuntimeError, ValueError, KeyError) as e:
        first = str(e).strip().splitlines()[0]
        raise checkpoint.CheckpointError(f"checkpoint {path} does not fit this run's model/optimizer ({first[:200]}); "
                                         "was the config changed?") from None


def _better(a: float, b: float | None, mode: str) -> bool:
    return b is None or (a > b if mode == "max" else a < b)


def train(cfg: DictConfig, run_dir: Path, overrides: list[str]) -> dict:
    """Train one run described by ``cfg``, writing everything into ``run_dir``; returns result.json's dict."""
    validate(cfg)
    t_start = time.time()
    tc = cfg.trainer
    result = {"status": "running", "final": {}, "best": {}, "epochs": 0, "steps": 0, "wall_s": 0.0,
              "samples_per_s": 0.0, "steady_samples_per_s": None, "seed": cfg.seed, "overrides": overrides,
              "metric": tc.metric, "error": None}
    device = pick_device(cfg.device)
    if tc.precision == "bf16" and device.type == "cpu":
        print("dlx: precision=bf16 on CPU runs with CPU autocast (slow on most CPUs; fp32 is the CPU default)")
    seed_everything(cfg.seed)

    # --- build: data on the device, model, optimizer, schedule -------------------------------------------
    data = build(cfg.dataset).to(device)
    # model.init_from/freeze/pretrain are the loop's keys; reconstruction and multi-task models get their
    # own view of the targets (dlx/families.py)
    model, data, mkeys = families.build(cfg.model, data, restoring=bool(cfg.get("resume")))
    model = model.to(device)
    if device.type == "cuda" and data.x.ndim == 4 and tc.precision == "bf16":
        # NHWC feeds bf16 tensor-core conv kernels; in fp32 small LeNet-size convs ran slower in NHWC (H200)
        model = model.to(memory_format=torch.channels_last)
        data.x, data.x_val, data.x_test = (t.contiguous(memory_format=torch.channels_last)
                                           for t in (data.x, data.x_val, data.x_test))
    step_model = torch.compile(model, mode=tc.compile_mode) if tc.compile else model
    # Numbers the step reads, as plain locals: an OmegaConf lookup costs microseconds, a GPU step ~1 ms.
    log_every, grad_clip = tc.log_every, tc.grad_clip
    # regularization options as plain namespaces: the step reads their numbers without OmegaConf lookups
    reg = {k: SimpleNamespace(**v) for k, v in OmegaConf.to_container(cfg.regularization, resolve=True).items()
           if isinstance(v, dict)}
    kd = reg.get("distill")
    extra_params = []
    if kd:  # FitNets: hooks keep the hint/guided layers' outputs; the regressor r trains with the student
        teacher = R.load_teacher(kd.teacher, data.in_shape, data.n_out, device)
        feats: dict[str, torch.Tensor] = {}
        R.capture(model, kd.student_layer or R.hint_layer(model), feats, "student")
        R.capture(teacher, kd.teacher_layer or R.hint_layer(teacher), feats, "teacher")
        with torch.no_grad():
            model(data.x[:2]), teacher(data.x[:2])
        hint_r = R.regressor(feats["student"], feats["teacher"]).to(device)
        extra_params = list(hint_r.parameters())
    trainable = [p for p in model.parameters() if p.requires_grad]  # model.freeze leaves the rest out
    optimizer = instantiate(cfg.optim)(trainable + extra_params)
    create_graph = getattr(optimizer, "create_graph", False)  # Newton differentiates the gradient again
    if create_graph and tc.compile:
        raise ConfigError(f"trainer.compile=true is wrong with optim {cfg.optim._target_}: it differentiates the "
                          "gradient again (double backward), which torch.compile does not support; allowed with "
                          "it is trainer.compile=false")
    n_train, batch = len(data.x), tc.batch_size
    steps_per_epoch = n_train // batch if tc.drop_last else math.ceil(n_train / batch)
    if steps_per_epoch == 0:
        raise ConfigError(f"trainer.batch_size={batch} is wrong with drop_last: allowed is at most the "
                          f"{n_train} training examples")
    total_steps = tc.max_steps or tc.max_epochs * steps_per_epoch
    max_epochs = math.ceil(total_steps / steps_per_epoch)  # max_steps, when set, replaces max_epochs
    sc = cfg.schedule
    scheduler = schedule.build(optimizer, sc.name, total_steps, sc.get("tau"), sc.get("final_frac", 0.01),
                               sc.get("warmup", 0))
    scheduled = sc.name != "constant" or sc.get("warmup", 0) > 0  # a constant rate needs no per-step update
    loss_fn = make_loss(cfg.loss, data.task, data.n_out)
    ls = reg.get("label_smoothing")
    if ls and data.task != "classification":
        raise ConfigError("regularization=label_smoothing is wrong for a regression dataset: allowed with "
                          "classification datasets only")
    train_loss_fn = make_loss(cfg.loss, data.task, data.n_out, ls.eps) if ls else loss_fn
    multi = families.MultiTaskObjective(data, model.weights) if model.task == "multitask" else None
    if multi and (ls or kd or reg.get("adversarial") or reg.get("curriculum")):
        raise ConfigError("model=multitask is wrong with label_smoothing, distill, adversarial or curriculum: "
                          "allowed are the regularizers that do not need a single output")
    metric = tc.metric if tc.metric != "auto" else families.default_metric(model.task, data)
    mode = tc.mode if tc.mode != "auto" else ("max" if metric.endswith("acc") else "min")
    result["metric"] = metric
    bf16, cuda_graphs = tc.precision == "bf16", tc.get("cuda_graphs", False)
    if cuda_graphs:
        graphs.check(cfg, device, optimizer, n_train)
    # autocast's weight-cast cache must be off under graph capture (PyTorch's CUDA-graph notes); fp32 skips
    # the context altogether (building one costs microseconds every forward)
    autocast = ((lambda: torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=not cuda_graphs))
                if bf16 else contextlib.nullcontext)
    l1, l2, mn, wn = reg.get("l1"), reg.get("l2"), reg.get("max_norm"), reg.get("weight_noise")
    aug, noise, adv = reg.get("augment"), reg.get("input_noise"), reg.get("adversarial")
    cur = reg.get("curriculum")
    weights = R.weight_params(model)
    l1_w = R.weight_params(model, l1.params) if l1 else []
    l2_w = R.weight_params(model, getattr(l2, "params", "weights")) if l2 else []
    es_cfg = reg.get("early_stopping")
    if es_cfg:
        es_metric = metric if es_cfg.metric == "auto" else es_cfg.metric
        es = R.EarlyStopping(es_metric, es_cfg.patience, es_cfg.min_delta, es_cfg.mode)
    else:
        es = None
    if cur:  # example indices from easy to hard, by a teacher's loss or the class-mean distance proxy
        judge = R.load_teacher(cur.teacher, data.in_shape, data.n_out, device) if cur.teacher else None
        order = torch.argsort(R.difficulty(data.x, data.y, data.task, judge, tc.eval_batch_size))
    gen = torch.Generator(device=device).manual_seed(cfg.seed)  # batch order, separate from init/dropout

    def train_step(idx: torch.Tensor) -> torch.Tensor:
        """One optimizer step on the examples ``idx``; returns the batch loss as a device tensor. With
        trainer.cuda_graphs this whole function is captured once and replayed (dlx/graphs.py)."""
        xb, yb = data.x[idx], (multi.batch(0, idx) if multi else data.y[idx])
        if aug:
            xb = R.augment(xb, aug.shift, aug.rotate, aug.noise)
        if noise:
            xb = R.input_noise(xb, noise.std)

        def closure(xb=xb, yb=yb):  # every optimizer calls it; line searches call it repeatedly
            optimizer.zero_grad(set_to_none=True)
            if wn:
                clean = R.perturb_weights(weights, wn.std)
            with autocast():
                out = step_model(xb)
            loss = multi.loss(out, yb) if multi else loss_fn(out.float(), yb)
            objective = train_loss_fn(out.float(), yb) if ls else loss
            if kd:
                with torch.no_grad():
                    t_out = teacher(xb).float()
                hint = R.hint_loss(hint_r, feats["student"], feats["teacher"])
                objective = ((1 - kd.alpha) * objective + kd.hint_weight * hint
                             + kd.alpha * R.soft_target_loss(out.float(), t_out, kd.temperature))
            if adv:
                x_adv = R.fgsm(step_model, train_loss_fn, xb, yb, adv.epsilon)
                with autocast():
                    out_adv = step_model(x_adv)
                adv_loss = train_loss_fn(out_adv.float(), yb)
                objective = adv.alpha * objective + (1 - adv.alpha) * adv_loss
            if l2 and not l2.decoupled:
                objective = objective + R.l2_penalty(l2_w, l2.alpha)
            if l1:
                objective = objective + R.l1_penalty(l1_w, l1.alpha)
            objective.backward(create_graph=create_graph)
            if wn:
                R.restore_weights(weights, clean)
            if grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            return loss

        loss = optimizer.step(closure)
        if l2 and l2.decoupled:
            R.decoupled_decay(l2_w, l2.alpha, optimizer.param_groups[0]["lr"])
        if mn:
            R.max_norm_(weights, mn.c)
        return loss.detach()

    def eval_split(split: int) -> dict[str, float]:  # 1 = val, 2 = test
        x, y = (data.x_val, data.y_val) if split == 1 else (data.x_test, data.y_test)
        if multi:
            return multi.evaluate(model, x, split, tc.eval_batch_size, autocast)
        m = evaluate(model, x, y, loss_fn, data.task, tc.eval_batch_size, autocast)
        if model.task == "reconstruction":
            m["recon_mse"] = m["loss"]  # mean squared error per input value
        return m

    ckpt_dir = run_dir / "checkpoints"
    step, epoch, train_time, samples_seen, wall_before = 0, 0, 0.0, 0, 0.0
    best: dict[str, float] = {}
    final: dict[str, float] = {}
    first_batch, perm, losses = 0, None, LossSum(device, cuda_graphs)
    if cfg.get("resume"):
        # Exact resume: everything the rest of the run depends on comes back from last.pt, including every
        # RNG stream and, after a Ctrl-C, the position inside the epoch and that epoch's permutation.
        state = resume_state(run_dir, cfg)
        load_into(state, model, optimizer, scheduler, ckpt_dir / "last.pt")
        checkpoint.restore_rng(state["rng"], gen)
        step, epoch, best, final = state["step"], state["epoch"], state["best"], state["final"]
        train_time, samples_seen, wall_before = state["train_time"], state["samples_seen"], state["wall_s"]
        if kd and state.get("hint_regressor"):  # FitNets' regressor trains with the student
            hint_r.load_state_dict(state["hint_regressor"])
        if es and state.get("early_stopping"):  # alg. 7.1's best value, patience count and best weights
            vars(es).update(state["early_stopping"])
        if state["batch"]:  # stopped inside an epoch
            first_batch, perm = state["batch"], state["perm"].to(device)
            losses = LossSum(device, cuda_graphs, state["loss_sum"].to(device), state["loss_count"])
        print(f"dlx: resuming {run_dir} at epoch {epoch + 1}, step {step}")

    def snapshot(batch_in_epoch: int) -> dict:
        """The whole state of the run after `step` steps, `batch_in_epoch` of them in the current epoch."""
        mid = batch_in_epoch > 0
        return {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": epoch, "step": step, "batch": batch_in_epoch,
                "perm": perm.cpu() if mid else None, "loss_sum": losses.sum().cpu() if mid else None,
                "loss_count": losses.count if mid else 0, "best": dict(best), "final": dict(final),
                "train_time": train_time, "samples_seen": samples_seen,
                "wall_s": wall_before + time.time() - t_start, "rng": checkpoint.rng_state(gen),
                "early_stopping": {k: getattr(es, k) for k in ("best", "best_epoch", "bad", "state")} if es else None,
                "hint_regressor": hint_r.state_dict() if kd else None,
                "config": OmegaConf.to_yaml(cfg)}

    if cuda_graphs:  # after a resume's optimizer state is loaded
        graphs.make_capturable(optimizer, device)
    step_fn = graphs.GraphedStep(train_step, batch, device) if cuda_graphs else train_step

    # TensorBoard: a resumed run appends to the same folder; purge_step makes TensorBoard drop the events a
    # killed process wrote after its last checkpoint, so no step appears twice.
    tracker = Tracker(run_dir, total_steps, resume_step=step, purge_step=step + 1 if step else None)
    pre = mkeys["pretrain"]
    if pre and pre["steps"] > 0 and not cfg.get("resume"):  # greedy layer-wise phase, logged as pretrain/...
        model.pretrain(data.x, **pre, log=lambda name, value, at: tracker.scalars({name: value}, at))
        families.log_images(tracker.writer, model, data.x_val, 0, prefix="pretrain/")
    status = "completed"
    last_good = f"{ckpt_dir / 'last.pt'} (step {step})" if cfg.get("resume") else None
    print_every = max(1, max_epochs // 20)  # at most ~20 epoch lines per run
    epochs_here, steady_time, steady_samples = 0, 0.0, 0
    stop = _StopOnSigint()
    try:
        # --- loop -----------------------------------------------------------------------------------------
        while epoch < max_epochs and step < total_steps:
            t_epoch, seen_before = time.perf_counter(), samples_seen
            model.train()
            if first_batch == 0:
                if cur:  # easiest examples first; the pool widens each epoch (epoch = epochs done so far)
                    frac = R.pool_fraction(epoch, cur.start, cur.epochs)
                    perm = R.curriculum_perm(order, frac, n_train, gen)
                else:
                    perm = torch.randperm(n_train, device=device, generator=gen)
                losses = LossSum(device, cuda_graphs)
            for i in range(first_batch, steps_per_epoch):
                idx = perm[i * batch:(i + 1) * batch]
                loss = step_fn(idx)
                if scheduled:
                    scheduler.step()
                losses.add(loss)
                samples_seen += len(idx)
                step += 1
                if step % log_every == 0:  # the only host sync inside an epoch
                    train_loss = losses.mean()
                    if not math.isfinite(train_loss):
                        status = "diverged"
                        break
                    tracker.scalars({"train/loss": train_loss, "lr": optimizer.param_groups[0]["lr"]}, step)
                    if tc.get("grad_norms"):  # per-layer gradient norms of this step: vanishing gradients
                        tracker.scalars({f"grad/{k}": v for k, v in R.grad_norms(model).items()}, step)
                    tracker.tick(step, f"epoch {epoch + 1}/{max_epochs} loss {train_loss:.4f}")
                else:
                    tracker.tick(step)
                if stop.requested and i + 1 < steps_per_epoch and step < total_steps:
                    # Ctrl-C between two steps: save the state mid-epoch (consistent: no step half done).
                    train_time += time.perf_counter() - t_epoch
                    if tc.checkpoint:
                        checkpoint.save(ckpt_dir / "last.pt", snapshot(i + 1))
                    raise KeyboardInterrupt
                if step >= total_steps:
                    break
            first_batch = 0
            if device.type == "cuda":
                torch.cuda.synchronize()
            epoch_s = time.perf_counter() - t_epoch
            train_time += epoch_s
            if epochs_here:  # this process's first epoch pays for warm-up (compile, autotune, graph capture)
                steady_time, steady_samples = steady_time + epoch_s, steady_samples + samples_seen - seen_before
            epochs_here += 1
            if status == "diverged":
                break

            # --- end of epoch: validate, track the best, checkpoint ---------------------------------------
            epoch += 1
            train_loss = losses.mean()
            val = eval_split(1)
            final = {"train/loss": train_loss, **{f"val/{k}": v for k, v in val.items()}}
            # NaN/Inf anywhere (loss, metrics or weights) ends the run before it can overwrite a good checkpoint.
            if not all(math.isfinite(v) for v in final.values()) or not all_finite(model):
                status = "diverged"
                break
            tracker.scalars(final, step)
            tracker.scalars({"lr": optimizer.param_groups[0]["lr"]}, step)
            if metric not in final:
                raise ConfigError(f"trainer.metric={metric} is wrong: allowed are the metrics this run logs: "
                                  + ", ".join(final))
            improved = _better(final[metric], best.get(metric), mode)
            for k, v in final.items():
                if _better(v, best.get(k), "max" if k.endswith("acc") else "min"):
                    best[k] = v
            if es and es.update(final, model, epoch):  # before the checkpoint, which carries its state
                status = "stopped_early"  # alg. 7.1: patience ran out; the best weights come back below
            if tc.checkpoint:
                state = snapshot(0)
                checkpoint.save(ckpt_dir / "last.pt", state)
                last_good = f"{ckpt_dir / 'last.pt'} (epoch {epoch}, step {step})"
                if improved:
                    checkpoint.save(ckpt_dir / "best.pt", state)
            if epoch % print_every == 0 or step >= total_steps or status == "stopped_early":
                shown = "  ".join(f"{k} {v:.4f}" for k, v in final.items())
                tracker.print(f"epoch {epoch:>4}/{max_epochs}  step {step:>6}  {shown}")
                families.log_images(tracker.writer, model, data.x_val, step)
            if stop.requested:
                raise KeyboardInterrupt
            if status == "stopped_early":
                break
    except KeyboardInterrupt:
        status = "interrupted"  # last.pt holds the state after the last whole step (first Ctrl-C) or epoch
    finally:
        stop.restore()
        tracker.stop_progress()

    # --- end: test, result.json, hparams --------------------------------------------------------------------
    if es and es.state is not None and status in ("completed", "stopped_early"):
        es.restore(model)  # alg. 7.1 returns the best parameters; final val/* then describe them
        val = eval_split(1)
        final.update({f"val/{k}": v for k, v in val.items()})
        result["best_epoch"] = es.best_epoch
    if status in ("completed", "stopped_early"):
        test = eval_split(2)
        final.update({f"test/{k}": v for k, v in test.items()})
        tracker.scalars({f"test/{k}": v for k, v in test.items()}, step)
    result.update(status=status, final=final, best=best, epochs=epoch, steps=step,
                  wall_s=round(wall_before + time.time() - t_start, 3),
                  samples_per_s=round(samples_seen / max(train_time, 1e-9), 1),
                  steady_samples_per_s=round(steady_samples / steady_time, 1) if steady_time else None)
    if status == "diverged":
        result["error"] = (f"non-finite loss or weights at step {step}; the last good checkpoint is "
                           f"{last_good or 'none (no epoch finished)'}")
    elif status == "interrupted":
        result["error"] = f"interrupted at step {step}; continue with: dlx train resume={run_dir}"
    if status != "interrupted":  # the resumed run writes the hparams entry once, at its end
        tracker.hparams(cfg, final)
    tracker.close()
    write_result(run_dir, result)
    if status == "diverged":
        error_line(f"run diverged: {result['error']}")
    tracker.summary(result)
    if status == "interrupted":
        error_line(result["error"])
        raise KeyboardInterrupt
    return result


def primary(result: dict) -> float:
    """The number a sweeper optimises: the best value of trainer.metric, NaN when the run did not finish."""
    if result["status"] not in ("completed", "stopped_early"):
        return float("nan")
    return float(result["best"].get(result["metric"], float("nan")))


def failed_result(cfg: DictConfig, overrides: list[str], error: str, wall_s: float) -> dict:
    return {"status": "failed", "final": {}, "best": {}, "epochs": 0, "steps": 0, "wall_s": round(wall_s, 3),
            "samples_per_s": 0.0, "steady_samples_per_s": None, "seed": cfg.get("seed"), "overrides": overrides,
            "metric": cfg.trainer.get("metric"), "error": error}


def run(cfg: DictConfig, run_dir: str | Path, overrides: list[str] | None = None) -> float:
    """Train and always leave a result.json; errors other than ConfigError are re-raised after it is written."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    try:
        return primary(train(cfg, run_dir, overrides or []))
    except USER_ERRORS:
        raise
    except Exception as e:
        write_result(run_dir, failed_result(cfg, overrides or [], f"{type(e).__name__}: {e}", time.time() - t0))
        raise


def _drop_run_dir(run_dir: Path) -> None:
    """After a config error in a single run, remove the folder Hydra made (it holds only .hydra/ and a log)."""
    if run_dir.is_dir() and {p.name for p in run_dir.iterdir()} <= {".hydra", "train.log"}:
        shutil.rmtree(run_dir, ignore_errors=True)


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="train")
def main(cfg: DictConfig) -> float:
    hc = HydraConfig.get()
    run_dir = Path(hc.runtime.output_dir)
    overrides = list(hc.overrides.task)
    multirun = hc.mode == RunMode.MULTIRUN
    try:
        if multirun and cfg.resume_sweep:  # a re-run sweep: keep the jobs that finished (dlx/sweep.py)
            kept = sweep.resume_job(run_dir, overrides, continue_interrupted=True)
            if kept is not None:
                print(f"dlx: job {hc.job.num} kept from the earlier sweep ({kept['status']})")
                return primary(kept)
            if (run_dir / "checkpoints" / "last.pt").is_file():  # interrupted: continue where it stopped
                cfg.resume = str(run_dir)
        return run(cfg, run_dir, overrides)
    except sweep.SweepMismatch as e:
        error_line(str(e))
        return float("nan")
    except KeyboardInterrupt:  # result.json says interrupted and how to resume; stop a sweep too
        raise SystemExit(130) from None
    except USER_ERRORS as e:
        error_line(str(e))
        if not multirun:
            _drop_run_dir(run_dir)
            raise SystemExit(2) from None
        write_result(run_dir, failed_result(cfg, overrides, str(e), 0.0))
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
