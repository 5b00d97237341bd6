"""`dlx eval <run folder>`: rebuild a run's data and model from its checkpoint and evaluate the test split."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
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

CHECKPOINTS = ("final", "best", "last")


@dataclass
class Weights:
    """A run's weights as `dlx eval` and `dlx predict` take them from a run folder."""

    path: Path  # the checkpoint file they come from
    model: dict  # the model's state_dict
    config: dict  # the run's stored config (resolved), its _target_s checked
    what: str  # which weights, for the user: "final weights: checkpoints/last.pt (epoch 12, step 240)"
    cwd: str | None = None  # the run's working directory: what resolves its config's relative paths


def load_weights(run: Path, which: str = "final", config_dirs: list[Path] = ()) -> Weights:
    """``which`` weights of the run folder ``run`` (or the .pt file ``run``): ``final`` are those result.json's
    final test/* describe: last.pt's, or with early stopping the best weights it restored at the end (kept in
    last.pt); ``best`` is best.pt; ``last`` is last.pt's model. CheckpointError (one line) when unreadable, or
    when the stored config names a _target_ dlx would not build itself."""
    file = {"final": "last", "best": "best", "last": "last"}[which]
    path = run if run.suffix == ".pt" else run / "checkpoints" / f"{file}.pt"
    state = checkpoint.load(path)
    try:  # the stored config may name only what dlx (or --config-dir) would build itself
        cfg = OmegaConf.to_container(OmegaConf.create(state["config"]), resolve=True)
        allowed = checkpoint.config_targets([*checkpoint.search_dirs(), *config_dirs])
        checkpoint.check_targets({"model": cfg.get("model"), "dataset": cfg.get("dataset")}, path, allowed)
    except OmegaConfBaseException as e:
        raise checkpoint.CheckpointError(f"checkpoint {path} holds no readable config "
                                         f"({str(e).splitlines()[0]})") from None
    es = state.get("early_stopping") or {}
    if which == "final" and run.suffix != ".pt" and es.get("state") is not None:
        return Weights(path, es["state"], cfg, f"final weights: early stopping's best, epoch {es['best_epoch']}, "
                                               f"step {es.get('best_step', '?')} (kept in {path})", state.get("cwd"))
    label = f"{which} weights: " if run.suffix != ".pt" else ""
    return Weights(path, state["model"], cfg,
                   f"{label}{path} (epoch {state.get('epoch')}, step {state.get('step')})", state.get("cwd"))


def add_weights_args(p) -> None:
    """The options dlx eval and dlx predict share: which weights, where, and whose targets."""
    p.add_argument("--checkpoint", choices=CHECKPOINTS, default="final",
                   help="final (default): the weights result.json's final test/* describe; best: best.pt; "
                        "last: last.pt")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--config-dir", action="append", default=[], type=Path,
                   help="a config folder whose _target_s (your own models) a checkpoint may name")


def main(argv: list[str]) -> int:
    p = checks.ArgumentParser(prog="dlx eval", description=__doc__)
    p.add_argument("run", type=Path, help="a run folder (holding checkpoints/) or a .pt checkpoint")
    add_weights_args(p)
    args = p.parse_args(argv)
    try:
        w = load_weights(args.run, args.checkpoint, args.config_dir)
    except checkpoint.CheckpointError as e:
        print(f"dlx: error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    path, c = w.path, w.config
    try:
        device = setup.pick_device(args.device)
        reg = {k: v for k, v in (c.get("regularization") or {}).items() if isinstance(v, dict)}
        cls = setup.model_class(c["model"]["_target_"])
        with _in_folder(w.cwd):  # relative dataset paths mean what they meant to the run
            data = setup.load_data(c["dataset"])
        task = getattr(cls, "task", data.task)
        data = setup.task_view(data, task).to(device)
        model = setup.build_model(c["model"], data, reg).to(device)
        model.load_state_dict(w.model)
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
        loss = objective.family_loss(c["loss"], data.task, data.n_out, output=c.get("output", "auto"))
    batch = c["trainer"]["eval_batch_size"]
    print(f"dlx eval: {w.what}")
    table = Table(title=f"dlx eval {args.run}")
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
