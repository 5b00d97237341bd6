"""`dlx eval <run folder>`: rebuild a run's data and model from its checkpoint and evaluate the test split."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException
from rich.console import Console
from rich.table import Table

from dlx import checkpoint, checks, objective, setup


@contextlib.contextmanager
def _in_folder(folder: str | None):
    """Work in ``folder`` (the run's working directory, stored in its checkpoints) when it still exists."""
    old = os.getcwd()
    if folder and Path(folder).is_dir():
        os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def main(argv: list[str]) -> int:
    p = checks.ArgumentParser(prog="dlx eval", description=__doc__)
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
    try:
        device = setup.pick_device(args.device)
        c = OmegaConf.to_container(cfg, resolve=True)
        reg = {k: v for k, v in (c.get("regularization") or {}).items() if isinstance(v, dict)}
        cls = setup.model_class(c["model"]["_target_"])
        with _in_folder(state.get("cwd")):  # relative dataset paths mean what they meant to the run
            data = setup.load_data(c["dataset"])
        task = getattr(cls, "task", data.task)
        data = setup.task_view(data, task).to(device)
        model = setup.build_model(c["model"], data, reg).to(device)
        model.load_state_dict(state["model"])
    except setup.USER_ERRORS as e:
        print(f"dlx: error: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"dlx: error: checkpoint {path} does not fit the model its config describes "
              f"({str(e).splitlines()[0][:200]})", file=sys.stderr)
        return 2
    _, y_val, y_test = setup.targets(data, task)
    if task == "multitask":
        kinds = {n: kind for n, (kind, _) in data.target_info.items()}
        loss = objective.MultiTaskLoss(kinds, getattr(model, "weights", None))
    else:
        loss = objective.family_loss(c["loss"], data.task, data.n_out)
    batch = c["trainer"]["eval_batch_size"]
    table = Table(title=f"dlx eval {path} (epoch {state.get('epoch')}, step {state.get('step')})")
    table.add_column("split")
    table.add_column("loss", justify="right")
    table.add_column("acc", justify="right")
    for split, x, y in (("val", data.x_val, y_val), ("test", data.x_test, y_test)):
        m = objective.evaluate(model, x, y, loss, data.task, batch)
        if task == "multitask":  # one row per task
            for name in loss.kinds:
                acc = m.get(f"{name}/acc")
                table.add_row(f"{split} {name}", f"{m[f'{name}/loss']:.4f}", "" if acc is None else f"{acc:.4f}")
            continue
        table.add_row(split, f"{m['loss']:.4f}", f"{m['acc']:.4f}" if "acc" in m else "")
    Console().print(table)
    return 0
