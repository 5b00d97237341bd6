"""`dlx eval <run folder>`: rebuild a run's data and model from its checkpoint and evaluate the test split."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException
from rich.console import Console
from rich.table import Table

from dlx import checkpoint, families
from dlx.train import evaluate, make_loss, pick_device


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="dlx eval", description=__doc__)
    p.add_argument("run", type=Path, help="a run folder (holding checkpoints/) or a .pt checkpoint")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--config-dir", action="append", default=[], type=Path,
                   help="a config folder whose _target_s (your own models) a checkpoint may name")
    args = p.parse_args(argv)
    path = args.run if args.run.suffix == ".pt" else args.run / "checkpoints" / f"{args.checkpoint}.pt"
    try:
        state = checkpoint.load(path)
    except checkpoint.CheckpointError as e:
        print(f"dlx: error: {e}", file=sys.stderr)
        return 2
    cfg = OmegaConf.create(state["config"])
    try:  # the stored config may name only what dlx (or --config-dir) would build itself
        stored = OmegaConf.to_container(cfg, resolve=True)
        allowed = checkpoint.config_targets([*checkpoint.search_dirs(), *args.config_dir])
        checkpoint.check_targets({"model": stored.get("model"), "dataset": stored.get("dataset")}, path, allowed)
    except (checkpoint.CheckpointError, OmegaConfBaseException) as e:
        print(f"dlx: error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    device = pick_device(args.device)
    data = instantiate(cfg.dataset).to(device)
    model, data, _ = families.build(cfg.model, data, restoring=True)
    model = model.to(device)
    model.load_state_dict(state["model"])
    loss_fn = make_loss(cfg.loss, data.task, data.n_out)
    multi = families.MultiTaskObjective(data, model.weights) if model.task == "multitask" else None
    table = Table(title=f"dlx eval {path}")
    table.add_column("split")
    table.add_column("loss", justify="right")
    table.add_column("acc", justify="right")
    no_autocast = lambda: torch.autocast(device.type, enabled=False)
    for i, (split, x, y) in enumerate((("val", data.x_val, data.y_val), ("test", data.x_test, data.y_test))):
        if multi:  # one row per task
            m = multi.evaluate(model, x, i + 1, cfg.trainer.eval_batch_size, no_autocast)
            for task in multi.kinds:
                acc = m.get(f"{task}/acc")
                table.add_row(f"{split} {task}", f"{m[f'{task}/loss']:.4f}", "" if acc is None else f"{acc:.4f}")
            continue
        m = evaluate(model, x, y, loss_fn, data.task, cfg.trainer.eval_batch_size, no_autocast)
        table.add_row(split, f"{m['loss']:.4f}", f"{m['acc']:.4f}" if "acc" in m else "")
    Console().print(table)
    return 0
