"""`dlx predict <run folder> <inputs>`: a trained run's answers for new inputs, as predictions.csv.

Inputs are read by the dataset loaders' own readers (dlx/data/csv.py, tensors.py, image_folder.py) and
prepared as the run's training data was, from the run folder's data.json (input shape, classes, feature
columns, standardisation) and its stored config; the model is rebuilt as `dlx eval` rebuilds it (the same
weights, the same _target_ gate). With labels among the inputs the accuracy (or loss) is the number `dlx eval`
gives on the same data and weights: both come from dlx.objective.evaluate.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

from dlx import checkpoint, checks, objective, runfolder, setup
from dlx.checks import ConfigError
from dlx.data import MAX_CLASSES, DataError, image_folder, offline, standardized, tensors
from dlx.data import csv as csv_data
from dlx.evaluate import add_weights_args, load_weights

IMAGE_FOLDER = "dlx.data.image_folder.load"
MAX_SIDE = 1 << 20  # one dimension of data.json's in_shape (the product is what the model's first layer takes)
CSV = "dlx.data.csv.load"


def main(argv: list[str]) -> int:
    p = checks.ArgumentParser(prog="dlx predict", description=__doc__.split("\n\n")[0])
    p.add_argument("run", type=Path, help="a run folder (holding checkpoints/ and data.json)")
    p.add_argument("inputs", type=Path, nargs="+",
                   help="a CSV with the training file's feature columns (label column optional), an .npz/.pt "
                        "with x (and optional y), a folder of images (or of class sub-folders), or image files")
    p.add_argument("--out", type=Path, help="where predictions.csv goes (default: beside the inputs)")
    add_weights_args(p)
    args = p.parse_args(argv)
    try:
        predict(args.run, args.inputs, args.out, args.checkpoint, args.device, args.config_dir, args.allow_unchecked,
                args.download)
    except setup.USER_ERRORS as e:
        print(f"dlx: error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


def predict(run: Path, inputs: list[Path], out: Path | None = None, which: str = "final", device: str = "auto",
            config_dirs: list[Path] = (), unchecked: bool = False, download: bool = False) -> dict:
    """Write the predictions for ``inputs`` and return {"out": path, "n": rows, and with labels the metrics}.
    ``unchecked``: take a checkpoint without a checksum; ``download``: let the dataset loader fetch files (only
    a run without the shapes in data.json reads its training data)."""
    if not run.is_dir():
        raise ConfigError(f"{run} is not a run folder (expected the folder holding checkpoints/ and data.json)")
    for f in inputs:
        if not f.exists():
            raise DataError(f"{f}: no such file or folder")
    target = out or default_out(inputs)
    if target.is_dir():
        raise ConfigError(f"--out {target} is wrong: it is a folder; allowed is a file path, e.g. "
                          f"{target / 'predictions.csv'}")
    if any(target.resolve() == f.resolve() for f in inputs):
        raise ConfigError(f"--out {target} is wrong: it is one of the inputs; allowed is another file")
    w = load_weights(run, which, config_dirs, unchecked)
    c = w.config
    info = data_info(run, c, download)
    task, in_shape, n_out = info["task"], tuple(info["in_shape"]), info["n_out"]
    if task not in ("classification", "regression"):
        raise ConfigError(f"{run} holds a {task} model; dlx predict answers for classification and regression "
                          "runs")
    x, y, ids = read(inputs, info, c["dataset"])
    if tuple(x.shape[1:]) != in_shape:
        raise DataError(f"{inputs[0]}: the inputs have shape {tuple(x.shape[1:])} per example but the run's model "
                        f"takes {in_shape}")
    if info.get("standardize"):
        x = standardized(x, info["standardize"])
    dev = setup.pick_device(device)
    reg = {k: v for k, v in (c.get("regularization") or {}).items() if isinstance(v, dict)}
    model = setup.instantiate_model(c["model"], in_shape, n_out, reg).to(dev)
    try:
        model.load_state_dict(w.model)
    except RuntimeError as e:
        raise checkpoint.CheckpointError(f"checkpoint {w.path} does not fit the model its config describes "
                                         f"({str(e).splitlines()[0][:200]})") from None
    print(f"dlx predict: {w.what}")
    batch = c["trainer"]["eval_batch_size"]
    x = x.to(dev)
    out_t = outputs(model, x, batch)  # (N, n_out)
    classes = info.get("classes") or [str(i) for i in range(n_out)]
    runfolder.write_text(target, table(out_t, ids, task, classes))
    result = {"out": target, "n": len(x)}
    shown = f"{len(x)} predictions -> {target}"
    if y is not None:  # dlx eval's numbers for these inputs: the same function, the same batches
        loss = objective.family_loss(c.get("loss", "auto"), task, n_out, output=c.get("output", "auto"))
        m = objective.evaluate(model, x, y.to(dev), loss, task, batch)
        result.update(m)
        shown += "; " + "  ".join(f"{k} {v:.4f}" for k, v in m.items()) + f" on {len(x)} labelled inputs"
    print(f"dlx predict: {shown}")
    return result


def data_info(run: Path, c: dict, download: bool = False) -> dict:
    """data.json of the run: task, in_shape, n_out and the loader's meta, checked (:func:`check_info`). Runs made
    before data.json recorded the shapes get them from their training data, read as `dlx eval` reads it."""
    path = run / "data.json"
    try:
        info = json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError) as e:
        raise DataError(f"{path} cannot be read ({e})") from None
    if not isinstance(info, dict):
        raise DataError(f"{path} holds a {type(info).__name__}; allowed is the object dlx writes")
    if "in_shape" not in info:
        data = setup.load_data(c["dataset"] if download else offline(c["dataset"]))
        task = getattr(setup.model_class(c["model"]["_target_"]), "task", None) or data.task
        data = setup.task_view(data, task)
        info = {"task": task, "in_shape": list(data.in_shape), "n_out": data.n_out, **data.meta, **info}
    return check_info(info, path)


def check_info(info: dict, path: Path) -> dict:
    """data.json as dlx writes it (a file in a run folder anyone could have edited): what predict reads from it
    has the types and sizes the run's model was built with, one line otherwise."""
    def wrong(key: str, allowed: str):
        raise DataError(f"{path} is wrong: {key} is {json.dumps(info.get(key))[:60]}; allowed is {allowed} (as dlx "
                        "writes it)")

    shape, n_out = info.get("in_shape"), info.get("n_out")
    if not isinstance(info.get("task"), str):
        wrong("task", "a task name")
    if not (isinstance(shape, list) and shape and all(checks.is_int(d) and 1 <= d <= MAX_SIDE for d in shape)):
        wrong("in_shape", f"a list of sizes 1..{MAX_SIDE}")
    if not (checks.is_int(n_out) and 1 <= n_out <= MAX_CLASSES):
        wrong("n_out", f"an integer 1..{MAX_CLASSES}")
    classes = info.get("classes")
    if classes is not None and not (isinstance(classes, list) and all(isinstance(n, str) for n in classes) and
                                    (len(classes) == n_out or info["task"] != "classification")):
        wrong("classes", f"a list of {n_out} class names (one per output of the model)")
    features = info.get("features")
    if features is not None and not (isinstance(features, list) and all(isinstance(n, str) for n in features)):
        wrong("features", "a list of column names")
    if info.get("label") is not None and not isinstance(info["label"], str):
        wrong("label", "a column name")
    stats = info.get("standardize")
    if stats is not None and not (isinstance(stats, dict) and all(_numbers(stats.get(k)) == math.prod(shape)
                                                                  for k in ("mean", "std"))):
        wrong("standardize", f"{{mean: [...], std: [...]}} with {math.prod(shape)} numbers each")
    return info


def _numbers(v) -> int:
    """How many finite numbers the (nested) list ``v`` holds; -1 when it is not one."""
    try:
        a = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        return -1
    return a.size if isinstance(v, list) and np.isfinite(a).all() else -1


def read(inputs: list[Path], info: dict, dataset: dict) -> tuple[torch.Tensor, torch.Tensor | None, list]:
    """(x, y or None, one id per row: row numbers or image paths), by the dataset loaders' own readers."""
    first, target = inputs[0], dataset.get("_target_")
    task, n_out = info["task"], info["n_out"]
    if first.is_dir() or first.suffix.lower() in image_folder.EXTENSIONS:
        if target != IMAGE_FOLDER:
            raise DataError(f"{first}: image inputs need a run trained on dataset=image_folder (this run's dataset "
                            f"is {target}); give an .npz/.pt with x as that dataset's tensors")
        x, y, files = image_folder.read_inputs(inputs, info["classes"], tuple(dataset["size"]), dataset["channels"])
        return x, y, [str(f) for f in files]
    if len(inputs) > 1:
        raise DataError(f"{inputs[1]}: give one .csv/.npz/.pt file, or image files / one image folder")
    if first.suffix.lower() == ".csv":
        if "features" not in info:
            raise DataError(f"{first}: CSV inputs need a run trained on dataset=csv (its data.json lists the "
                            f"feature columns); this run's dataset is {target}")
        x, y = csv_data.read_inputs(first, info["features"], info.get("label"), info.get("classes"), task, n_out,
                                    dataset.get("delimiter", ","))
        return x, y, list(range(len(x)))
    if first.suffix.lower() in (".npz", ".pt"):
        x, y = tensors.read_inputs(first)
        return x, None if y is None else labels(first, y, task, n_out), list(range(len(x)))
    raise DataError(f"{first}: allowed inputs are a .csv, .npz or .pt file, image files (.png/.jpg/.jpeg) or a "
                    "folder of images")


def labels(where: Path, y: torch.Tensor, task: str, n_out: int) -> torch.Tensor:
    """An .npz/.pt file's y as the run's targets: class ids 0..n_out-1, or (N, n_out) regression targets."""
    if task == "regression":
        y = y.float().unsqueeze(1) if y.ndim == 1 else y.float()
        if y.ndim != 2 or y.shape[1] != n_out:
            raise DataError(f"{where}: y has shape {tuple(y.shape)}; the run's model predicts (N, {n_out})")
        return y
    if y.ndim != 1 or (y.is_floating_point() and not bool(torch.all(y == y.round()))):
        raise DataError(f"{where}: y has shape {tuple(y.shape)} and dtype {y.dtype}; expected (N,) class ids")
    y = y.long()
    if len(y) and not (int(y.min()) >= 0 and int(y.max()) < n_out):
        raise DataError(f"{where}: y holds class ids {int(y.min())}..{int(y.max())}; the run's classes are "
                        f"0..{n_out - 1}")
    return y


@torch.no_grad()
def outputs(model: torch.nn.Module, x: torch.Tensor, batch: int) -> torch.Tensor:
    """The model's outputs in eval mode, ``batch`` examples at a time, as float32 on the CPU."""
    model.eval()
    return torch.cat([model(x[i:i + batch]).float().cpu() for i in range(0, len(x), batch)])


def table(out: torch.Tensor, ids: list, task: str, classes: list[str]) -> str:
    """predictions.csv: the input's id (row number or path), the prediction (class name or value) and, for a
    classifier, one probability column per class."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    id_name = "path" if ids and isinstance(ids[0], str) else "row"
    if task == "classification":
        probs = out.softmax(-1)  # (N, K)
        w.writerow(runfolder.csv_row([id_name, "prediction", *(f"p_{name}" for name in classes)]))
        for i, p, k in zip(ids, probs.tolist(), out.argmax(-1).tolist()):  # evaluate's argmax
            w.writerow(runfolder.csv_row([i, classes[k], *(f"{v:.6g}" for v in p)]))
    else:
        cols = ["prediction"] if out.shape[1] == 1 else [f"prediction_{j}" for j in range(out.shape[1])]
        w.writerow([id_name, *cols])
        for i, v in zip(ids, out.tolist()):
            w.writerow(runfolder.csv_row([i, *(f"{a:.7g}" for a in v)]))
    return buf.getvalue()


def default_out(inputs: list[Path]) -> Path:
    """predictions.csv beside the inputs: in the folder that holds the input file (or folder)."""
    return inputs[0].expanduser().resolve().parent / "predictions.csv"
