"""The one loop: Run -> steps -> eval -> checkpoint -> result.

dlx/setup.py turns the config into a :class:`dlx.setup.Run` of plain objects; :func:`train` runs it, top to
bottom. The dataset lives on the device as tensors and batches are index slices of a per-epoch permutation;
step losses stay on the device and are read (one host sync) only every ``log_every`` steps and at the end of
an epoch.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import hydra
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from dlx import CONFIG_DIR, checkpoint, graphs, metrics, setup, sweep
from dlx import regularize as R
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


def train(run: Run, run_dir: Path) -> dict:
    """Train ``run``, writing everything into ``run_dir``; returns result.json's dict."""
    t_start = time.time()
    data, model, optimizer, scheduler, obj = run.data, run.model, run.optimizer, run.scheduler, run.objective
    parts, es, device, batch = obj.parts, run.early_stopping, run.device, run.batch_size
    n_train = len(data.x)
    gen = torch.Generator(device=device).manual_seed(run.seed)  # batch order, separate from init/dropout

    def train_step(idx: torch.Tensor) -> torch.Tensor:
        """One optimizer step on the examples ``idx``; returns the batch loss as a device tensor. With
        trainer.cuda_graphs this whole function is captured once and replayed (dlx/graphs.py)."""
        xb, yb = data.x[idx], ({k: v[idx] for k, v in run.y.items()} if isinstance(run.y, dict) else run.y[idx])
        for transform in parts.transforms:  # augmentation, input noise
            xb = transform(xb)

        def closure():  # every optimizer calls it; line searches call it repeatedly
            optimizer.zero_grad(set_to_none=True)
            loss = obj.backward(run.step_model, xb, yb)
            if run.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), run.grad_clip)
            return loss

        loss = optimizer.step(closure)
        for constraint in parts.constraints:  # decoupled weight decay, max-norm
            constraint(optimizer)
        return loss.detach()

    def eval_split(split: str) -> dict[str, float]:
        x, y = {"train": (data.x[:EVAL_TRAIN], _head(run.y, EVAL_TRAIN)), "val": (data.x_val, run.y_val),
                "test": (data.x_test, run.y_test)}[split]
        m = evaluate(model, x, y, obj.loss, data.task, run.eval_batch_size, run.autocast)
        if model.task == "reconstruction":
            m["recon_mse"] = m["loss"]  # mean squared error per input value
        return setup.split_metrics(split, m)

    ckpt_dir = run_dir / "checkpoints"
    step, epoch, train_time, samples_seen, wall_before = 0, 0, 0.0, 0, 0.0
    best: dict[str, float] = {}
    final: dict[str, float] = {}
    first_batch, perm, losses = 0, None, LossSum(device, run.cuda_graphs)
    if run.resume:
        # Exact resume: everything the rest of the run depends on comes back from last.pt, including every
        # RNG stream and, after a Ctrl-C, the position inside the epoch and that epoch's permutation.
        state = run.resume
        load_into(state, run, ckpt_dir / "last.pt")
        checkpoint.restore_rng(state["rng"], gen)
        step, epoch, best, final = state["step"], state["epoch"], state["best"], state["final"]
        train_time, samples_seen, wall_before = state["train_time"], state["samples_seen"], state["wall_s"]
        if es and state.get("early_stopping"):  # alg. 7.1's best value, patience count and best weights
            vars(es).update(state["early_stopping"])
        if state["batch"]:  # stopped inside an epoch
            first_batch, perm = state["batch"], state["perm"].to(device)
            losses = LossSum(device, run.cuda_graphs, state["loss_sum"].to(device), state["loss_count"])
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
                **{name: m.state_dict() for name, m in parts.modules.items()},  # FitNets' hint regressor
                "config": run.config_yaml}

    if run.cuda_graphs:  # after a resume's optimizer state is loaded
        graphs.make_capturable(optimizer, device)
    step_fn = graphs.GraphedStep(train_step, batch, device) if run.cuda_graphs else train_step

    # TensorBoard: a resumed run appends to the same folder; purge_step makes TensorBoard drop the events a
    # killed process wrote after its last checkpoint, so no step appears twice.
    tracker = Tracker(run_dir, run.total_steps, resume_step=step, purge_step=step + 1 if step else None)
    if run.pretrain:  # greedy layer-wise phase, logged as pretrain/...
        model.pretrain(data.x, **run.pretrain, log=lambda name, value, at: tracker.scalars({name: value}, at))
        log_images(tracker.writer, model, data.x_val, 0, prefix="pretrain/")
    status = "completed"
    last_good = f"{ckpt_dir / 'last.pt'} (step {step})" if run.resume else None
    print_every = max(1, run.max_epochs // 20)  # at most ~20 epoch lines per run
    epochs_here, steady_time, steady_samples = 0, 0.0, 0
    stop = _StopOnSigint()
    try:
        # --- loop -----------------------------------------------------------------------------------------
        while epoch < run.max_epochs and step < run.total_steps:
            t_epoch, seen_before = time.perf_counter(), samples_seen
            model.train()
            if first_batch == 0:
                if run.curriculum:  # easiest examples first; the pool widens each epoch (epoch = epochs done)
                    order, start, ramp = run.curriculum
                    perm = R.curriculum_perm(order, R.pool_fraction(epoch, start, ramp), n_train, gen)
                else:
                    perm = torch.randperm(n_train, device=device, generator=gen)
                losses = LossSum(device, run.cuda_graphs)
            for i in range(first_batch, run.steps_per_epoch):
                idx = perm[i * batch:(i + 1) * batch]
                loss = step_fn(idx)
                if run.scheduled:
                    scheduler.step()
                losses.add(loss)
                samples_seen += len(idx)
                step += 1
                if step % run.log_every == 0:  # the only host sync inside an epoch
                    train_loss = losses.mean()
                    if not math.isfinite(train_loss):
                        status = "diverged"
                        break
                    tracker.scalars({"train/loss": train_loss, "lr": optimizer.param_groups[0]["lr"]}, step)
                    if run.grad_norms:  # per-layer gradient norms of this step: vanishing gradients
                        tracker.scalars({f"grad/{k}": v for k, v in R.grad_norms(model).items()}, step)
                    tracker.tick(step, f"epoch {epoch + 1}/{run.max_epochs} loss {train_loss:.4f}")
                else:
                    tracker.tick(step)
                if stop.requested and i + 1 < run.steps_per_epoch and step < run.total_steps:
                    # Ctrl-C between two steps: save the state mid-epoch (consistent: no step half done).
                    train_time += time.perf_counter() - t_epoch
                    if run.save_checkpoints:
                        checkpoint.save(ckpt_dir / "last.pt", snapshot(i + 1))
                    raise KeyboardInterrupt
                if step >= run.total_steps:
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

            # --- end of epoch: evaluate (eval mode), track the best, checkpoint ------------------------------
            epoch += 1
            final = {"train/loss": losses.mean(), **eval_split("train"), **eval_split("val")}
            # NaN/Inf anywhere (loss, metrics or weights) ends the run before it can overwrite a good checkpoint.
            if not all(math.isfinite(v) for v in final.values()) or not all_finite(model):
                status = "diverged"
                break
            tracker.scalars({**final, "lr": optimizer.param_groups[0]["lr"]}, step)
            improved = metrics.better(final[run.metric], best.get(run.metric), run.mode)
            for k, v in final.items():
                if metrics.better(v, best.get(k), metrics.direction(k)):
                    best[k] = v
            if es and es.update(final, model, epoch):  # before the checkpoint, which carries its state
                status = "stopped_early"  # alg. 7.1: patience ran out; the best weights come back below
            if run.save_checkpoints:
                state = snapshot(0)
                checkpoint.save(ckpt_dir / "last.pt", state)
                last_good = f"{ckpt_dir / 'last.pt'} (epoch {epoch}, step {step})"
                if improved:
                    checkpoint.save(ckpt_dir / "best.pt", state)
            if epoch % print_every == 0 or step >= run.total_steps or status == "stopped_early":
                shown = "  ".join(f"{k} {v:.4f}" for k, v in final.items())
                tracker.print(f"epoch {epoch:>4}/{run.max_epochs}  step {step:>6}  {shown}")
                log_images(tracker.writer, model, data.x_val, step)
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
    result = {"status": status, "final": final, "best": best, "epochs": epoch, "steps": step,
              "wall_s": round(wall_before + time.time() - t_start, 3),
              "samples_per_s": round(samples_seen / max(train_time, 1e-9), 1),
              "steady_samples_per_s": round(steady_samples / steady_time, 1) if steady_time else None,
              "seed": run.seed, "overrides": run.overrides, "metric": run.metric, "error": None}
    if es and es.state is not None and status in ("completed", "stopped_early"):
        es.restore(model)  # alg. 7.1 returns the best parameters; final val/* then describe them
        final.update(eval_split("val"))
        result["best_epoch"] = es.best_epoch
    if status in ("completed", "stopped_early"):
        test = eval_split("test")
        final.update(test)
        tracker.scalars(test, step)
    if status == "diverged":
        result["error"] = (f"non-finite loss or weights at step {step}; the last good checkpoint is "
                           f"{last_good or 'none (no epoch finished)'}")
    elif status == "interrupted":
        result["error"] = f"interrupted at step {step}; continue with: dlx train resume={run_dir}"
    if status != "interrupted":  # the resumed run writes the hparams entry once, at its end
        tracker.hparams(run.hparams, final)
    tracker.close()
    write_result(run_dir, result)
    if status == "diverged":
        error_line(f"run diverged: {result['error']}")
    tracker.summary(result)
    if status == "interrupted":
        error_line(result["error"])
        raise KeyboardInterrupt
    return result


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
    """The number a sweeper optimises: the best value of trainer.metric, NaN when the run did not finish."""
    if result["status"] not in ("completed", "stopped_early"):
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
    try:
        r = setup.build(cfg, overrides, resume or cfg.get("resume"), run_dir)
        return primary(train(r, run_dir))
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
