"""Dataset keys checked by their loaders (one line starting with the relative key, before any file is read,
and through dlx.data.check_args without loading), and data that would give a wrong answer refused with one
line: NaN / Inf, empty arrays, absurd class ids, decompression bombs, one-class datasets; test classes the
training split lacks warn. Files are small ones in the real formats (tests/datafiles.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from datafiles import prepare, write_csv, write_images, write_png_claiming
from hydra import compose, initialize_config_dir
from hydra.errors import InstantiationException
from hydra.utils import instantiate as hydra_instantiate
from omegaconf import OmegaConf

import dlx
from dlx.checks import ConfigError
from dlx.data import DataError, check_args, csv, image_folder, tensors

OPTIONS = sorted(p.stem for p in (dlx.CONFIG_DIR / "dataset").glob("*.yaml"))


def compose_dataset(name, *overrides):
    with initialize_config_dir(str(dlx.CONFIG_DIR), version_base=None):
        return compose(overrides=[f"+dataset={name}", *overrides]).dataset


def instantiate(cfg):
    try:
        return hydra_instantiate(cfg)
    except InstantiationException as e:
        if isinstance(e.__cause__, ConfigError):
            raise e.__cause__ from None
        raise


def one_line(err) -> str:
    text = str(err)
    assert "\n" not in text, text
    return text


# ---- keys ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OPTIONS)
def test_every_dataset_config_passes_check_args(name, tmp_path, monkeypatch):
    cfg = compose_dataset(name, *prepare(name, tmp_path / name, monkeypatch))
    kwargs = OmegaConf.to_container(cfg)
    check_args(kwargs.pop("_target_"), kwargs)


BAD = [  # (option, key, value): every loader's keys
    *[(o, "val_frac", v) for o in OPTIONS for v in (0, 1, 1.5, -0.1)],
    *[(o, k, v) for o in OPTIONS for k, v in (("subset", 0), ("subset", 2.5), ("subset_mode", "random"),
                                              ("split_seed", 0.5), ("split_seed", "x"))],
    *[(o, "test_frac", v) for o in ("digits", "csv", "image_folder", "tensors", "synthetic", "composed")
      for v in (0, 1)],
    *[(o, "tasks", v) for o in ("digits", "mnist1d") for v in (["colour"], ["parity", "parity"], "parity")],
    ("mnist1d", "data_seed", -1), ("mnist1d", "root", 3),
    *[(o, k, v) for o in ("mnist", "fashion_mnist", "cifar10") for k, v in (("mirrors", "https://x"),
                                                                            ("mirrors", [""]), ("root", ""))],
    ("csv", "path", ""), ("csv", "label", ""), ("csv", "features", []), ("csv", "features", "a"),
    ("csv", "test_path", ""), ("csv", "task", "ranking"), ("csv", "delimiter", ",,"), ("csv", "standardize", 1),
    ("image_folder", "size", [8]), ("image_folder", "size", [8, 0]), ("image_folder", "channels", 2),
    ("image_folder", "path", None), ("tensors", "task", "auto-detect"), ("tensors", "path", 5),
    ("synthetic", "n", 0), ("synthetic", "dim", 1.5), ("synthetic", "out_dim", 0), ("synthetic", "noise", -1),
    ("synthetic", "data_seed", -2), ("synthetic", "subset_mode", "stratified"),
    ("composed", "n", 0), ("composed", "dim", 1), ("composed", "folds", -1), ("composed", "folds", 1.5),
    ("composed", "data_seed", -1),
]


@pytest.mark.parametrize("name, key, value", BAD)
def test_wrong_key_is_refused_before_any_file_is_read(name, key, value, tmp_path):
    # path/root point nowhere: a loader that read anything before checking would say "no such file" instead
    over = {"csv": ["dataset.path=/nowhere/x", "dataset.label=y"], "image_folder": ["dataset.path=/nowhere/x"],
            "tensors": ["dataset.path=/nowhere/x.npz"]}.get(name, [])
    cfg = OmegaConf.to_container(compose_dataset(name, *over))
    if "root" in cfg:
        cfg["root"] = str(tmp_path / "no_download_here")
    if "mirrors" in cfg:
        cfg["mirrors"] = [f"file://{tmp_path}/nowhere"]
    cfg[key] = value
    target = cfg.pop("_target_")
    with pytest.raises(ConfigError) as e:
        check_args(target, cfg)  # without loading
    assert one_line(e.value).startswith(f"{key}=") and " is wrong: allowed is " in str(e.value)
    with pytest.raises(ConfigError) as e2:
        instantiate(OmegaConf.create({"_target_": target, **cfg}))  # the loader itself, first thing
    assert str(e2.value) == str(e.value) and not (tmp_path / "no_download_here").exists()


def test_check_args_refuses_unknown_and_missing_keys_and_passes_other_targets():
    with pytest.raises(ConfigError, match=r"^val_fraction=0.1 is wrong: allowed is a key of dlx.data.digits.load: "
                       r"val_frac, test_frac"):
        check_args("dlx.data.digits.load", {"val_fraction": 0.1})
    with pytest.raises(ConfigError, match=r"^label=\?\?\? is wrong: a value is required"):
        check_args("dlx.data.csv.load", {"path": "t.csv"})
    check_args("mydata.load", {"val_frac": 7})  # a user's own loader checks itself
    check_args("dlx.data.digits.load", {})  # every key has a default


# ---- NaN / Inf --------------------------------------------------------------------------------------------------


def table(n=40, classes="ab"):
    return ["u,v,y"] + [f"{i},{(i * 7) % 5},{classes[i % len(classes)]}" for i in range(n)]


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-Infinity", "1e39"])  # 1e39 overflows float32
def test_csv_non_finite_feature_is_refused_with_line_and_column(tmp_path, cell):
    rows = table()
    rows[6] = f"5,{cell},b"
    path = write_csv(tmp_path / "t.csv", rows)
    with pytest.raises(DataError) as e:
        instantiate(compose_dataset("csv", f"dataset.path={path}", "dataset.label=y"))
    assert one_line(e.value) == (f"{path} line 7, column 'v': '{cell}' is not a finite number; dlx needs finite "
                                 "features (drop or fill the missing values first)")


def test_csv_nan_only_in_the_test_file_is_refused(tmp_path):
    train = write_csv(tmp_path / "train.csv", table())
    test = write_csv(tmp_path / "test.csv", ["u,v,y", "1,2,a", "3,nan,b"])
    with pytest.raises(DataError, match=f"^{test} line 3, column 'v': 'nan' is not a finite number"):
        instantiate(compose_dataset("csv", f"dataset.path={train}", f"dataset.test_path={test}", "dataset.label=y"))


def test_csv_nan_or_empty_label_is_refused(tmp_path):
    rows = ["u,y"] + [f"{i},{i / 7:.3f}" for i in range(30)]
    rows[4] = "3,nan"  # a missing regression target: would have trained on NaN
    path = write_csv(tmp_path / "r.csv", rows)
    with pytest.raises(DataError, match=f"^{path} line 5, column 'y': label 'nan' is not a finite number"):
        instantiate(compose_dataset("csv", f"dataset.path={path}", "dataset.label=y"))
    rows = table()
    rows[3] = "1,2,"
    path = write_csv(tmp_path / "c.csv", rows)
    with pytest.raises(DataError, match=f"^{path} line 4, column 'y': the label is empty"):
        instantiate(compose_dataset("csv", f"dataset.path={path}", "dataset.label=y"))


def npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_npz_nan_in_test_split_only_is_refused(tmp_path):
    x = np.ones((30, 3), np.float32)
    x_test = np.ones((6, 3), np.float32)
    x_test[4, 2] = np.nan
    path = npz(tmp_path / "d.npz", x=x, y=np.arange(30) % 2, x_test=x_test, y_test=np.arange(6) % 2)
    with pytest.raises(DataError) as e:
        instantiate(compose_dataset("tensors", f"dataset.path={path}"))
    assert one_line(e.value) == (f"{path}: x_test row 4, column 2 is nan; dlx needs finite numbers (drop or fill "
                                 "the missing values first)")


def test_npz_inf_in_images_and_nan_labels_are_refused(tmp_path):
    x = np.zeros((20, 1, 4, 4))
    x[7, 0, 1, 3] = -np.inf
    path = npz(tmp_path / "i.npz", x=x, y=np.arange(20) % 2)
    with pytest.raises(DataError, match=r"^.*i.npz: x row 7, position \[0, 1, 3\] is -inf"):
        instantiate(compose_dataset("tensors", f"dataset.path={path}"))
    y = np.linspace(0, 1, 20)
    y[11] = np.nan
    path = npz(tmp_path / "r.npz", x=np.zeros((20, 2)), y=y)
    with pytest.raises(DataError, match=r"r.npz: y row 11 is nan"):
        instantiate(compose_dataset("tensors", f"dataset.path={path}"))


# ---- shapes and labels ----------------------------------------------------------------------------------------


def test_npz_with_zero_rows_is_one_line(tmp_path):
    path = npz(tmp_path / "e.npz", x=np.zeros((0, 3)), y=np.zeros(0, int))
    with pytest.raises(DataError) as e:
        instantiate(compose_dataset("tensors", f"dataset.path={path}"))
    assert one_line(e.value) == f"{path}: x has 0 rows; expected at least one example per split"
    path = npz(tmp_path / "t.npz", x=np.zeros((9, 3)), y=np.arange(9) % 2, x_test=np.zeros((0, 3)),
               y_test=np.zeros(0, int))
    with pytest.raises(DataError, match="x_test has 0 rows"):
        instantiate(compose_dataset("tensors", f"dataset.path={path}"))


def test_absurd_class_ids_are_refused_before_anything_is_allocated(tmp_path):
    path = npz(tmp_path / "big.npz", x=np.zeros((10, 2)), y=np.array([0, 1] * 4 + [1, 10**9]))
    with pytest.raises(DataError) as e:
        instantiate(compose_dataset("tensors", f"dataset.path={path}"))
    assert one_line(e.value).startswith(f"{path}: class id 1000000000 is too large: class ids must be 0..K-1 "
                                        "with K <= 100000 classes")
    rows = table()
    rows[5] = "1,2,100000000000000000000000"  # beyond int64 as well
    rows = [r.replace(",a", ",0").replace(",b", ",1") for r in rows]
    path = write_csv(tmp_path / "big.csv", rows)
    with pytest.raises(DataError, match="class id 100000000000000000000000 is too large"):
        instantiate(compose_dataset("csv", f"dataset.path={path}", "dataset.label=y"))


def test_one_class_dataset_is_refused(tmp_path):
    path = write_csv(tmp_path / "one.csv", table(classes="a"))
    with pytest.raises(DataError) as e:
        instantiate(compose_dataset("csv", f"dataset.path={path}", "dataset.label=y"))
    assert one_line(e.value) == (f"{path}: every training example has class a; a classifier needs at least two "
                                 "classes (use task=regression for a numeric target)")
    write_images(tmp_path / "img", {"cat": 10})
    with pytest.raises(DataError, match="every training example has class cat"):
        instantiate(compose_dataset("image_folder", f"dataset.path={tmp_path / 'img'}"))
    path = npz(tmp_path / "one.npz", x=np.zeros((20, 2)), y=np.full(20, 3))
    with pytest.raises(DataError, match="every training example has class 3"):
        instantiate(compose_dataset("tensors", f"dataset.path={path}"))


def test_test_classes_training_lacks_warn(tmp_path, capsys):
    train = write_csv(tmp_path / "train.csv", table())
    test = write_csv(tmp_path / "test.csv", ["u,v,y", "1,2,a", "3,4,zebra", "5,6,zebra"])
    data = instantiate(compose_dataset("csv", f"dataset.path={train}", f"dataset.test_path={test}",
                                       "dataset.label=y"))
    assert data.meta["classes"] == ["a", "b", "zebra"] and data.n_out == 3 and data.y_test.tolist() == [0, 2, 2]
    err = capsys.readouterr().err
    assert err == (f"dlx: warning: {train}: the test split has class zebra (2 of 3 examples), which the training "
                   "split never has: the model cannot predict it\n")
    write_images(tmp_path / "tr", {"cat": 6, "dog": 6})
    write_images(tmp_path / "te", {"cat": 2, "emu": 1})
    data = instantiate(compose_dataset("image_folder", f"dataset.path={tmp_path / 'tr'}",
                                       f"dataset.test_path={tmp_path / 'te'}", "dataset.size=[4,4]"))
    assert data.meta == {"classes": ["cat", "dog", "emu"]} and data.y_test.tolist() == [0, 0, 2]
    assert "the test split has class emu (1 of 3 examples)" in capsys.readouterr().err


# ---- decompression bombs ----------------------------------------------------------------------------------------


def test_decompression_bomb_png_is_one_line(tmp_path):
    write_images(tmp_path, {"a": 3, "b": 3}, size=(6, 6))
    bomb = write_png_claiming(tmp_path / "b" / "bomb.png", 40_000, 40_000)  # 1.6 G pixels in ~60 bytes
    assert bomb.stat().st_size < 100
    with pytest.raises(DataError) as e:
        instantiate(compose_dataset("image_folder", f"dataset.path={tmp_path}"))
    assert one_line(e.value).startswith(f"{bomb} is too large to decode safely (Image size (1600000000 pixels) "
                                        "exceeds limit")


def test_image_between_pillows_warning_and_error_limits_is_refused_too(tmp_path, monkeypatch):
    from PIL import Image

    write_images(tmp_path, {"a": 3, "b": 3}, size=(6, 6))
    write_images(tmp_path / "big", {"b": 1}, size=(10, 10))  # 100 pixels: above 60, below 2 * 60
    (tmp_path / "big" / "b" / "0.png").rename(tmp_path / "b" / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 60)
    with pytest.raises(DataError, match=f"^{tmp_path / 'b' / 'big.png'} is too large to decode safely"):
        instantiate(compose_dataset("image_folder", f"dataset.path={tmp_path}"))


# ---- standardisation and meta ------------------------------------------------------------------------------


def test_csv_standardizes_with_training_statistics_only(tmp_path):
    rows = ["u,const,v,y"] + [f"{i},3,{i * i},{'ab'[i % 2]}" for i in range(40)]
    path = write_csv(tmp_path / "t.csv", rows)
    test = write_csv(tmp_path / "test.csv", ["u,const,v,y", "1000,3,0,a", "2000,3,1,b"])
    raw = instantiate(compose_dataset("csv", f"dataset.path={path}", f"dataset.test_path={test}",
                                      "dataset.label=y", "dataset.standardize=false"))
    data = instantiate(compose_dataset("csv", f"dataset.path={path}", f"dataset.test_path={test}",
                                       "dataset.label=y"))
    assert "standardize" not in raw.meta and raw.x_test[0, 0] == 1000.0
    mean, std = raw.x.mean(0), raw.x.std(0, correction=0)
    std[1] = 1.0  # the constant column: std 0 -> 1, so it becomes 0, not NaN
    assert data.meta["standardize"] == {"mean": mean.tolist(), "std": std.tolist()}
    for a, b in ((data.x, raw.x), (data.x_val, raw.x_val), (data.x_test, raw.x_test)):
        assert torch.allclose(a, (b - mean) / std)
    assert torch.allclose(data.x.mean(0), torch.zeros(3), atol=1e-5) and bool((data.x[:, 1] == 0).all())
    assert data.x_test[0, 0] > 10  # the test split's own statistics were not used
    assert data.meta["features"] == ["u", "const", "v"] and data.meta["label"] == "y"
    assert json.loads(json.dumps(data.meta)) == data.meta
    assert data.to(torch.device("cpu")).meta == data.meta


def test_tensors_check_is_reachable_as_module_function():
    with pytest.raises(ConfigError, match="^task=rank is wrong"):
        tensors.check(path="d.npz", task="rank", val_frac=0.1, test_frac=0.2, split_seed=0, subset=None,
                      subset_mode="first")
    with pytest.raises(ConfigError, match="^channels=4 is wrong"):
        image_folder.load("/nowhere", channels=4)
    with pytest.raises(ConfigError, match="^delimiter=;; is wrong"):
        csv.load("/nowhere.csv", "y", delimiter=";;")
