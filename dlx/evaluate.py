"""`dlx eval <run folder>`: rebuild a run's data and model from its checkpoint and evaluate the test split."""

from __future__ import annotations

import contextlib
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from omegaconf import OmegaConf
from rich.console import Console
from rich.table import Table

from dlx import checkpoint, checks, config, objective, runfolder, setup
from dlx import regularize as R
from dlx.data import check_args, offline


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


def load_weights(run: Path, which: str = "final", config_dirs: list[Path] = (), unchecked: bool = False) -> Weights:
    """``which`` weights of the run folder ``run`` (or the .pt file ``run``): ``final`` are those result.json's
    final test/* describe: last.pt's, or with early stopping the best weights it restored at the end (kept in
    last.pt); ``best`` is best.pt; ``last`` is last.pt's model. CheckpointError (one line) when unreadable, when
    it has no checksum (unless ``unchecked``), or when its stored config does not pass :func:`stored_run`."""
    file = {"final": "last", "best": "best", "last": "last"}[which]
    path = run if run.suffix == ".pt" else runfolder.checkpoint_file(run, file)
    state = checkpoint.load(path, unchecked=unchecked)
    cfg = stored_run(state.get("config"), path, config_dirs)
    es = state.get("early_stopping") or {}
    cwd = state.get("cwd") if isinstance(state.get("cwd"), str) else None
    if which == "final" and run.suffix != ".pt" and isinstance(es, dict) and isinstance(es.get("state"), dict):
        return Weights(path, es["state"], cfg, f"final weights: early stopping's best, epoch {es.get('best_epoch')}, "
                                               f"step {es.get('best_step', '?')} (kept in {path})", cwd)
    if not isinstance(state["model"], dict):
        raise checkpoint.CheckpointError(f"checkpoint {path} holds a {type(state['model']).__name__} as its model; "
                                         "allowed is a state_dict (parameter name -> tensor)")
    label = f"{which} weights: " if run.suffix != ".pt" else ""
    return Weights(path, state["model"], cfg,
                   f"{label}{path} (epoch {state.get('epoch')}, step {state.get('step')})", cwd)


def stored_run(text, path: Path, config_dirs: list[Path] = ()) -> dict:
    """The run's config stored in checkpoint ``path``, through the one gate (dlx.checkpoint.stored_config: no
    YAML tags, bounded interpolation, only the _target_s of dlx's configs, the search path and ``config_dirs``),
    with the keys dlx eval and predict read checked as training checked them (dlx.config.validate)."""
    source = f"checkpoint {path}"
    allowed = checkpoint.config_targets([*checkpoint.search_dirs(), *config_dirs])
    c = checkpoint.stored_config(text, source, allowed)
    for key in ("model", "dataset", "trainer"):
        node = c.get(key)
        if not isinstance(node, dict) or (key != "trainer" and not isinstance(node.get("_target_"), str)):
            raise checkpoint.CheckpointError(f"{source} holds a config whose {key} is {checks.show(node)[:60]}; "
                                             f"allowed is the {key} section dlx writes (a mapping"
                                             f"{'' if key == 'trainer' else ' with a _target_'})")
    if not isinstance(c.get("regularization") or {}, dict):
        raise checkpoint.CheckpointError(f"{source} holds regularization={checks.show(c['regularization'])[:60]}; "
                                         "allowed is a mapping of regularizer name -> its keys")
    try:
        config.validate(OmegaConf.create(c))
        checks.count("trainer.eval_batch_size", c["trainer"].get("eval_batch_size"))
        try:
            check_args(c["dataset"]["_target_"], c["dataset"])
        except checks.ConfigError as e:
            raise checks.in_group("dataset", e) from None
    except checks.ConfigError as e:
        raise checkpoint.CheckpointError(f"{source} holds a config that training would refuse: {e}") from None
    return c


def add_weights_args(p) -> None:
    """The options dlx eval and dlx predict share: which weights, where, whose targets, and what a stored config
    may do."""
    p.add_argument("--checkpoint", choices=CHECKPOINTS, default="final",
                   help="final (default): the weights result.json's final test/* describe; best: best.pt; "
                        "last: last.pt")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--config-dir", action="append", default=[], type=Path,
                   help="a config folder whose _target_s (your own models) a checkpoint may name")
    p.add_argument(checkpoint.UNCHECKED_FLAG, action="store_true",
                   help="take a checkpoint that has no checksum (one written before dlx had checksums); "
                        "only for a checkpoint you trust")
    p.add_argument("--download", action="store_true",
                   help="let the run's dataset loader download or generate missing files into its dataset.root; "
                        "without it dlx reads only what is there, never the network, and creates no folder")


def main(argv: list[str]) -> int:
    p = checks.ArgumentParser(prog="dlx eval", description=__doc__)
    p.add_argument("run", type=Path, help="a run folder (holding checkpoints/) or a .pt checkpoint")
    add_weights_args(p)
    p.add_argument("--attack", choices=R.ATTACKS, default=None,
                   help="also the test accuracy with every input moved by --eps: fgsm (along the sign of the loss's "
                        "input gradient) or noise (a random sign, the same size)")
    p.add_argument("--eps", action="append", type=float, default=None,
                   help="with --attack: the perturbation size per input value (repeatable; default 0.1)")
    args = p.parse_args(argv)
    eps_list = args.eps or [0.1]
    if args.eps and not args.attack or not all(math.isfinite(e) and e >= 0 for e in eps_list):
        print(f"dlx: error: --eps {' '.join(map(str, args.eps))} is wrong: allowed are numbers >= 0 with --attack "
              "fgsm|noise", file=sys.stderr)
        return 2
    try:
        w = load_weights(args.run, args.checkpoint, args.config_dir, args.allow_unchecked)
    except checkpoint.CheckpointError as e:
        print(f"dlx: error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    path, c = w.path, w.config
    try:
        device = setup.pick_device(args.device)
        reg = {k: v for k, v in (c.get("regularization") or {}).items() if isinstance(v, dict)}
        cls = setup.model_class(c["model"]["_target_"])
        with _in_folder(w.cwd):  # relative dataset paths mean what they meant to the run
            data = setup.load_data(c["dataset"] if args.download else offline(c["dataset"]))
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
    if args.attack and task != "classification":
        print(f"dlx: error: --attack {args.attack} is wrong for a {task} model: allowed with a classifier only",
              file=sys.stderr)
        return 2
    if task == "multitask":
        kinds = {n: kind for n, (kind, _) in data.target_info.items()}
        loss = objective.MultiTaskLoss(kinds, getattr(model, "weights", None))
    else:
        loss = objective.family_loss(c.get("loss", "auto"), data.task, data.n_out, output=c.get("output", "auto"))
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
    if args.attack:  # notes l. 1078: small changes fool the net
        setup.seed_everything(c.get("seed") or 0)  # attack=noise draws its signs: the same ones every time
        accs = R.attacked_accuracy(model, loss, data.x_test, y_test, args.attack, eps_list, batch)
        for eps, acc in accs.items():
            table.add_row(f"test {args.attack} eps={eps:g}", "", f"{acc:.4f}")
    Console().print(table)
    return 0
