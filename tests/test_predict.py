"""From a trained run to answers: `dlx predict`, and one story about which weights (eval, predict and
result.json agree on the same weights)."""

from __future__ import annotations

import csv
import os
import stat

import numpy as np
import pytest
from conftest import dlx_cli, run_cfg
from datafiles import write_csv, write_images

from dlx import cli, metrics
from dlx import predict as P

CLASSES = ["setosa", "versicolor", "virginica"]
COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def iris_like(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three text classes around three centres in 4-D (iris-sized numbers), overlapping a little."""
    rng = np.random.default_rng(seed)
    centres = np.array([[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.5, 2.0]])
    k = np.arange(n) % 3
    x = centres[k] + rng.normal(0, 0.6, (n, 4))
    return x.round(2), k


def iris_csv(path, n, seed, label=True, extra=False):
    x, k = iris_like(n, seed)
    head = (["id"] if extra else []) + COLUMNS[::-1] + (["species"] if label else [])  # another column order
    rows = [",".join(head)]
    for i, (row, c) in enumerate(zip(x, k)):
        rows.append(",".join(([f"r{i}"] if extra else []) + [str(v) for v in row[::-1]] +
                             ([CLASSES[c]] if label else [])))
    return write_csv(path, rows), x, k


def train_iris(folder, extra=()):
    iris_csv(folder / "train.csv", 150, 0)
    iris_csv(folder / "test.csv", 60, 1)
    run_dir = folder / "run"
    result = run_cfg(["device=cpu", "dataset=csv", f"dataset.path={folder / 'train.csv'}",
                      f"dataset.test_path={folder / 'test.csv'}", "dataset.label=species", "model.hidden=[16]",
                      "trainer.max_epochs=12", "trainer.batch_size=16", "optim.lr=0.01", *extra], run_dir)
    return run_dir, result


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    old = os.umask(0o022)
    try:
        folder = tmp_path_factory.mktemp("iris")
        run_dir, result = train_iris(folder)
    finally:
        os.umask(old)
    return folder, run_dir, result


def read_predictions(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_predicts_class_names_for_a_csv_without_labels(iris, tmp_path):
    folder, run_dir, result = iris
    assert result["status"] == "completed" and result["final"]["test/acc"] > 0.8  # chance is 1/3
    new, x, k = iris_csv(tmp_path / "new.csv", 12, 7, label=False, extra=True)
    out = dlx_cli("predict", str(run_dir), str(new), "--device", "cpu", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "final weights" in out.stdout and "12 predictions" in out.stdout
    rows = read_predictions(tmp_path / "predictions.csv")  # beside the inputs
    assert list(rows[0]) == ["row", "prediction", *(f"p_{c}" for c in CLASSES)]
    assert [r["row"] for r in rows] == [str(i) for i in range(12)]
    assert {r["prediction"] for r in rows} <= set(CLASSES)
    for r in rows:
        probs = [float(r[f"p_{c}"]) for c in CLASSES]
        assert abs(sum(probs) - 1) < 1e-4 and r["prediction"] == CLASSES[int(np.argmax(probs))]
    right = sum(r["prediction"] == CLASSES[c] for r, c in zip(rows, k))
    assert right >= 7  # chance is 4 of 12; the labels were not given


def test_eval_predict_and_result_json_agree_on_the_same_weights(iris, tmp_path, capsys):
    folder, run_dir, result = iris
    test_csv = folder / "test.csv"
    final = P.predict(run_dir, [test_csv], tmp_path / "final.csv", device="cpu")
    assert (final["acc"], final["loss"]) == (result["final"]["test/acc"], result["final"]["test/loss"])
    best = P.predict(run_dir, [test_csv], tmp_path / "best.csv", which="best", device="cpu")
    bc = result["best_checkpoint"]
    assert (best["acc"], best["loss"]) == (bc["test/acc"], bc["test/loss"])
    fw = result["final_weights"]
    assert fw == {"epoch": result["epochs"], "step": result["steps"], "early_stopping": False}
    capsys.readouterr()
    assert cli.main(["eval", str(run_dir), "--device", "cpu"]) == 0  # the default: the final weights
    stdout = capsys.readouterr().out
    assert f"(epoch {fw['epoch']}, step {fw['step']})" in " ".join(stdout.split())
    test_row = next(line for line in stdout.splitlines() if line.strip("│ ").startswith("test"))
    assert f"{result['final']['test/acc']:.4f}" in test_row and f"{result['final']['test/loss']:.4f}" in test_row
    assert cli.main(["predict", str(run_dir), str(test_csv), "--out", str(tmp_path / "p.csv"), "--device", "cpu"]) == 0
    assert f"acc {result['final']['test/acc']:.4f}" in capsys.readouterr().out


def test_npz_inputs_are_standardised_like_the_csv(iris, tmp_path):
    _, run_dir, _ = iris
    new, x, _ = iris_csv(tmp_path / "new.csv", 10, 3, label=False)
    np.savez(tmp_path / "new.npz", x=x[:, ::-1].astype(np.float32))  # the training file's column order
    P.predict(run_dir, [new], tmp_path / "a.csv", device="cpu")
    P.predict(run_dir, [tmp_path / "new.npz"], tmp_path / "b.csv", device="cpu")
    assert read_predictions(tmp_path / "a.csv") == read_predictions(tmp_path / "b.csv")


def test_run_folder_files_are_0644(iris, tmp_path):
    _, run_dir, _ = iris
    files = [run_dir / "result.json", run_dir / "data.json", run_dir / "checkpoints" / "last.pt",
             run_dir / "checkpoints" / "best.pt", run_dir / "provenance.json"]
    assert {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {f.name: "0o644" for f in files}


def wrong(run_dir, *inputs, capsys):
    code = P.main([str(run_dir), *map(str, inputs), "--device", "cpu"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("dlx: error: "), err
    return lines[0]


def test_wrong_inputs_are_one_line_and_exit_2(iris, tmp_path, capsys):
    _, run_dir, _ = iris
    write_csv(tmp_path / "missing.csv", ["sepal_length,sepal_width,petal_length", "5.1,3.5,1.4"])
    assert "petal_width" in wrong(run_dir, tmp_path / "missing.csv", capsys=capsys)
    write_csv(tmp_path / "nan.csv", [",".join(COLUMNS), "5.1,x,1.4,0.2"])
    assert "line 2" in wrong(run_dir, tmp_path / "nan.csv", capsys=capsys)
    write_csv(tmp_path / "label.csv", [",".join([*COLUMNS, "species"]), "5.1,3.5,1.4,0.2,rose"])
    assert "'rose' is not a class" in wrong(run_dir, tmp_path / "label.csv", capsys=capsys)
    np.savez(tmp_path / "shape.npz", x=np.zeros((3, 5), np.float32))
    assert "(5,)" in wrong(run_dir, tmp_path / "shape.npz", capsys=capsys)
    (tmp_path / "junk.npz").write_bytes(b"not a zip at all")
    assert "junk.npz cannot be read" in wrong(run_dir, tmp_path / "junk.npz", capsys=capsys)
    assert "no such file" in wrong(run_dir, tmp_path / "absent.csv", capsys=capsys)
    (tmp_path / "x.txt").write_text("hello")
    assert "allowed inputs" in wrong(run_dir, tmp_path / "x.txt", capsys=capsys)
    write_images(tmp_path / "imgs", {"a": 1})
    assert "image_folder" in wrong(run_dir, tmp_path / "imgs" / "a" / "0.png", capsys=capsys)


def test_image_folder_run_predicts_folders_and_files(tmp_path):
    write_images(tmp_path / "train", {"cat": 8, "dog": 8}, size=(12, 10))
    run_dir = tmp_path / "run"
    result = run_cfg(["device=cpu", "dataset=image_folder", f"dataset.path={tmp_path / 'train'}", "dataset.size=[8,8]",
                      "trainer.max_steps=2"], run_dir)
    assert result["status"] == "completed"
    write_images(tmp_path / "new", {"dog": 2, "cat": 1}, size=(30, 20), seed=1)  # class sub-folders: labelled
    r = P.predict(run_dir, [tmp_path / "new"], tmp_path / "labelled.csv", device="cpu")
    assert r["n"] == 3 and 0 <= r["acc"] <= 1
    rows = read_predictions(tmp_path / "labelled.csv")
    assert list(rows[0])[:2] == ["path", "prediction"] and rows[0]["path"].endswith("cat/0.png")
    files = [tmp_path / "new" / "dog" / "0.png", tmp_path / "new" / "dog" / "1.png"]
    r = P.predict(run_dir, files, device="cpu")  # unlabelled image files: no accuracy
    assert r["out"] == tmp_path / "new" / "dog" / "predictions.csv" and "acc" not in r
    assert {row["prediction"] for row in read_predictions(r["out"])} <= {"cat", "dog"}


def test_best_checkpoint_ties_go_to_the_lower_val_loss_then_the_later_epoch():
    old = {"val/acc": 0.9, "val/loss": 0.30}
    assert metrics.better_checkpoint({"val/acc": 0.91, "val/loss": 0.5}, old, "val/acc", "max")
    assert metrics.better_checkpoint({"val/acc": 0.9, "val/loss": 0.29}, old, "val/acc", "max")
    assert metrics.better_checkpoint({"val/acc": 0.9, "val/loss": 0.30}, old, "val/acc", "max")  # later epoch
    assert not metrics.better_checkpoint({"val/acc": 0.9, "val/loss": 0.31}, old, "val/acc", "max")
    assert not metrics.better_checkpoint({"val/acc": 0.89, "val/loss": 0.01}, old, "val/acc", "max")
    assert metrics.better_checkpoint({"val/loss": 0.3}, {}, "val/loss", "min")


def test_early_stopping_final_weights_are_what_eval_and_predict_use(tmp_path):
    run_dir, result = train_iris(tmp_path, ["regularization=early_stopping",
                                            "regularization.early_stopping.patience=2", "trainer.max_epochs=30",
                                            "optim.lr=0.05"])
    fw = result["final_weights"]
    assert fw["early_stopping"] and fw["epoch"] == result["best_epoch"]
    final = P.predict(run_dir, [tmp_path / "test.csv"], tmp_path / "p.csv", device="cpu")
    assert (final["acc"], final["loss"]) == (result["final"]["test/acc"], result["final"]["test/loss"])
    last = P.predict(run_dir, [tmp_path / "test.csv"], tmp_path / "q.csv", which="last", device="cpu")
    if fw["epoch"] != result["epochs"]:  # stopped after its best epoch: last.pt's own weights differ
        assert last["loss"] != final["loss"]
