"""Dataset loaders on small files written in the real formats (gzip'd IDX, pickled CIFAR batches in a
tar.gz, npz/pt, CSV, PNG/JPEG), so the real parsing, verifying and downloading code runs offline.

Downloads are served from a local folder through file:// mirrors (urllib handles them like http), and
the published SHA-256 table is swapped for the digests of the small files.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile

import numpy as np
import pytest
import torch
from datafiles import make_cifar_archive, make_idx_set, sha, write_csv, write_idx_gz, write_images
from hydra import compose, initialize_config_dir
from hydra.errors import InstantiationException
from hydra.utils import instantiate as hydra_instantiate

import dlx
from dlx.checks import ConfigError
from dlx.data import DataError, cifar10, fashion_mnist, finish, mnist, split_val, subset_index


def compose_dataset(name: str, *overrides: str):
    # By folder, not module: works whether or not dlx/configs is a regular package.
    with initialize_config_dir(str(dlx.CONFIG_DIR), version_base=None):
        return compose(overrides=[f"+dataset={name}", *overrides]).dataset


def instantiate(cfg):
    """hydra's instantiate, re-raising the loader's own ConfigError or DataError (Hydra wraps it) as the CLI
    shows it."""
    try:
        return hydra_instantiate(cfg)
    except InstantiationException as e:
        if isinstance(e.__cause__, ConfigError):  # DataError is a ConfigError
            raise e.__cause__ from None
        raise


@pytest.fixture
def idx_server(tmp_path, monkeypatch):
    """A 'mirror' folder with small MNIST-format files whose digests replace the published ones."""
    server = tmp_path / "server"
    arrays = make_idx_set(server)
    table = {name: sha(server / name) for name in arrays}
    monkeypatch.setattr(mnist, "FILES", table)
    monkeypatch.setattr(fashion_mnist, "FILES", table)
    return server, arrays


# ---------------------------------------------------------------- MNIST / Fashion-MNIST (IDX)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_idx_download_verify_parse(idx_server, tmp_path, name):
    server, arrays = idx_server
    root = tmp_path / "cache"
    cfg = compose_dataset(
        name,
        f"dataset.root={root}",
        f"dataset.mirrors=[file://{tmp_path}/nowhere,file://{server}]",
        "dataset.val_frac=0.25",
    )
    data = instantiate(cfg)
    # Downloaded under their own names (the first mirror failed, the second served), no temp files left.
    assert sorted(p.name for p in root.iterdir()) == sorted(arrays)
    assert data.x.shape == (30, 1, 28, 28) and data.x_val.shape == (10, 1, 28, 28)
    assert data.x.dtype == torch.float32 and data.y.dtype == torch.int64 and data.n_out == 10
    expected_test = torch.from_numpy(arrays["t10k-images-idx3-ubyte.gz"].astype(np.float32) / 255)
    assert torch.equal(data.x_test[:, 0], expected_test)
    assert data.y_test.tolist() == arrays["t10k-labels-idx1-ubyte.gz"].tolist()
    # Train + val is a permutation of the training file: every image keeps its own label.
    x_all = torch.cat([data.x, data.x_val]).flatten(1)
    y_all = torch.cat([data.y, data.y_val])
    src = torch.from_numpy(arrays["train-images-idx3-ubyte.gz"].astype(np.float32) / 255).flatten(1)
    match = (x_all[:, None, :] == src[None]).all(-1).float().argmax(1)  # row i of x_all is src[match[i]]
    assert sorted(match.tolist()) == list(range(40))
    assert torch.equal(y_all, torch.from_numpy(arrays["train-labels-idx1-ubyte.gz"][match.numpy()]))


def test_second_load_uses_the_cache_without_network(idx_server, tmp_path):
    server, _ = idx_server
    root = tmp_path / "cache"
    first = mnist.load(root=str(root), mirrors=[f"file://{server}"])
    second = mnist.load(root=str(root), mirrors=[f"file://{tmp_path}/offline"])  # no mirror reachable
    assert torch.equal(first.x, second.x) and torch.equal(first.y_test, second.y_test)


def test_offline_says_which_file_where_and_how(idx_server, tmp_path):
    root = tmp_path / "cache"
    with pytest.raises(DataError) as e:
        mnist.load(root=str(root), mirrors=[f"file://{tmp_path}/offline"])
    msg = str(e.value)
    assert "\n" not in msg
    assert "train-images-idx3-ubyte.gz" in msg and str(root) in msg and "could not be downloaded" in msg
    assert "download file://" in msg and "SHA-256" in msg  # how to get it by hand
    assert list(root.iterdir()) == []  # nothing half-written left behind


def test_corrupt_download_is_not_kept(idx_server, tmp_path):
    server, _ = idx_server
    # The mirror serves a truncated labels file: it must fail verification and never appear in the cache.
    good = (server / "train-labels-idx1-ubyte.gz").read_bytes()
    (server / "train-labels-idx1-ubyte.gz").write_bytes(good[: len(good) // 2])
    root = tmp_path / "cache"
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz.*SHA-256"):
        mnist.load(root=str(root), mirrors=[f"file://{server}"])
    names = [p.name for p in root.iterdir()]
    assert "train-labels-idx1-ubyte.gz" not in names and not [n for n in names if n.endswith(".part")]
    assert "train-images-idx3-ubyte.gz" in names  # the good file before it was kept, verified


def test_corrupt_file_in_cache_is_reported_and_left_alone(idx_server, tmp_path):
    server, _ = idx_server
    root = tmp_path / "cache"
    mnist.load(root=str(root), mirrors=[f"file://{server}"])
    victim = root / "t10k-images-idx3-ubyte.gz"
    victim.write_bytes(victim.read_bytes()[:100])  # a partial copy someone left there
    with pytest.raises(DataError) as e:
        mnist.load(root=str(root), mirrors=[f"file://{server}"])
    assert f"{victim} is corrupt or partial" in str(e.value) and "delete it" in str(e.value)
    assert victim.stat().st_size == 100  # not silently overwritten


def test_idx_parser_rejects_bad_files(tmp_path):
    bad = tmp_path / "x.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="not a readable gzip"):
        mnist.read_idx(bad)
    bad.write_bytes(gzip.compress(b"\x08\x08\x08\x01" + b"\x00" * 8))
    with pytest.raises(DataError, match="not an IDX file"):
        mnist.read_idx(bad)
    bad.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"\x01" * 7))
    with pytest.raises(DataError, match=r"has 15 bytes but its header \(10,\) needs 18"):
        mnist.read_idx(bad)


def test_labels_not_matching_images_are_named(tmp_path):
    make_idx_set(tmp_path)
    write_idx_gz(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(39) % 10)
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte.gz holds shape \(39,\); expected \(40,\)"):
        mnist.read_split(tmp_path, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")


def test_published_checksums_are_the_real_ones():
    # The digests of the published files (also listed by TFDS / torchvision's mirrors); a typo here would
    # make every real download fail verification.
    assert mnist.FILES["train-images-idx3-ubyte.gz"].startswith("440fcabf73cc")
    assert fashion_mnist.FILES["t10k-labels-idx1-ubyte.gz"].startswith("42bd18137a62")
    assert cifar10.SHA256.startswith("6d958be07457")
    for table in (mnist.FILES, fashion_mnist.FILES, {"c": cifar10.SHA256}):
        assert all(len(h) == 64 and int(h, 16) >= 0 for h in table.values())


# ---------------------------------------------------------------- CIFAR-10 (pickled batches in a tar.gz)


def test_cifar10_download_verify_parse(tmp_path, monkeypatch):
    server = tmp_path / "server"
    server.mkdir()
    batches = make_cifar_archive(server / cifar10.ARCHIVE)
    monkeypatch.setattr(cifar10, "SHA256", sha(server / cifar10.ARCHIVE))
    root = tmp_path / "cache"
    cfg = compose_dataset(
        "cifar10", f"dataset.root={root}", f"dataset.mirrors=[file://{server}]", "dataset.val_frac=0.2"
    )
    data = instantiate(cfg)
    assert [p.name for p in root.iterdir()] == [cifar10.ARCHIVE]
    assert data.x.shape == (24, 3, 32, 32) and data.x_val.shape == (6, 3, 32, 32)
    assert data.x_test.shape == (6, 3, 32, 32) and data.n_out == 10
    # Pixel layout: each row is 1024 red, 1024 green, 1024 blue values, each a row-major 32x32 plane.
    test = batches["cifar-10-batches-py/test_batch"]
    row = test[b"data"][2]
    assert data.x_test[2, 1, 0, 5] == pytest.approx(row[1024 + 5] / 255)
    assert data.x_test[2, 2, 3, 0] == pytest.approx(row[2048 + 3 * 32] / 255)
    assert data.y_test.tolist() == test[b"labels"]


def test_cifar10_archive_problems_are_named(tmp_path):
    archive = tmp_path / cifar10.ARCHIVE
    make_cifar_archive(archive, members=cifar10.TRAIN)
    with pytest.raises(DataError, match="lacks cifar-10-batches-py/test_batch"):
        cifar10.read_archive(archive)
    archive.write_bytes(archive.read_bytes()[:200])
    with pytest.raises(DataError, match="not a readable tar.gz"):
        cifar10.read_archive(archive)


def test_cifar10_batch_cannot_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    archive = tmp_path / cifar10.ARCHIVE
    with tarfile.open(archive, "w:gz") as tar:
        raw = pickle.dumps({b"data": Evil(), b"labels": []})
        info = tarfile.TarInfo(cifar10.TEST[0])
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    with pytest.raises(
        DataError, match="test_batch is not a CIFAR-10 batch.*refusing to load builtins.print"
    ):
        cifar10.read_archive(archive)


# ---------------------------------------------------------------- tensors (.npz / .pt)


def test_tensors_npz_with_test_split(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "d.npz"
    np.savez(
        path,
        x=rng.normal(size=(50, 4)).astype(np.float32),
        y=np.arange(50) % 3,
        x_test=rng.normal(size=(7, 4)),
        y_test=np.arange(7) % 3,
    )
    data = instantiate(compose_dataset("tensors", f"dataset.path={path}"))
    assert data.task == "classification" and data.n_out == 3
    assert data.x.shape == (45, 4) and data.x_val.shape == (5, 4) and data.x_test.shape == (7, 4)
    assert data.x_test.dtype == torch.float32 and data.y.dtype == torch.int64


def test_tensors_pt_regression_carves_a_test_split(tmp_path):
    path = tmp_path / "d.pt"
    torch.save({"x": torch.randn(100, 2, 5), "y": torch.randn(100)}, path)
    data = instantiate(compose_dataset("tensors", f"dataset.path={path}", "dataset.test_frac=0.3"))
    assert data.task == "regression" and data.n_out == 1 and data.y.shape[1] == 1
    assert data.x_test.shape == (30, 2, 5) and data.x.shape[0] + data.x_val.shape[0] == 70
    assert data.in_shape == (2, 5)


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"x": np.zeros((5, 2))}, r"has no y \(it holds x\)"),
        (
            {"x": np.zeros((5, 2)), "y": np.zeros(4, int)},
            r"x has shape \(5, 2\) but its labels have shape \(4,\)",
        ),
        (
            {
                "x": np.zeros((5, 2)),
                "y": np.zeros(5, int),
                "x_test": np.zeros((2, 3)),
                "y_test": np.zeros(2, int),
            },
            r"x_test examples have shape \(3,\) but x examples have \(2,\)",
        ),
        (
            {"x": np.zeros((5, 2)), "y": np.zeros(5, int), "x_test": np.zeros((2, 2))},
            "only one of x_test, y_test",
        ),
        ({"x": np.zeros((5, 2)), "y": -np.ones(5, int)}, "class ids must be >= 0"),
    ],
)
def test_tensors_wrong_contents_are_named(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message) as e:
        instantiate(compose_dataset("tensors", f"dataset.path={path}"))
    assert str(path) in str(e.value)


def test_tensors_unreadable_or_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        instantiate(compose_dataset("tensors", f"dataset.path={tmp_path}/missing.npz"))
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00" * 10)
    with pytest.raises(DataError, match=f"{junk} cannot be read"):
        instantiate(compose_dataset("tensors", f"dataset.path={junk}"))
    other = tmp_path / "data.txt"
    other.write_text("1 2 3")
    with pytest.raises(DataError, match="allowed is a .npz or .pt file"):
        instantiate(compose_dataset("tensors", f"dataset.path={other}"))


# ---------------------------------------------------------------- csv


def test_csv_text_labels_and_chosen_features(tmp_path):
    rows = ["a,b,species,c"] + [f"{i},{i * 2},{['setosa', 'virginica'][i % 2]},{-i}" for i in range(20)]
    train = write_csv(tmp_path / "train.csv", rows)
    test = write_csv(tmp_path / "test.csv", ["c,species,a,b", "5,virginica,1,2", "6,setosa,3,4"])
    cfg = compose_dataset(
        "csv",
        f"dataset.path={train}",
        f"dataset.test_path={test}",
        "dataset.label=species",
        "dataset.features=[b,c]",
        "dataset.val_frac=0.25",
        "dataset.standardize=false",
    )
    data = instantiate(cfg)
    assert data.task == "classification" and data.n_out == 2 and data.x.shape == (15, 2)
    assert data.meta == {"features": ["b", "c"], "label": "species", "classes": ["setosa", "virginica"]}
    # Columns are picked by name, so the test file's different column order does not matter.
    assert data.x_test.tolist() == [[2.0, 5.0], [4.0, 6.0]] and data.y_test.tolist() == [1, 0]
    for row, label in zip(torch.cat([data.x, data.x_val]).tolist(), torch.cat([data.y, data.y_val]).tolist()):
        assert label == int(row[0] / 2) % 2 and row[1] == -row[0] / 2  # b = 2i, c = -i, label = i % 2


def test_csv_regression_guess(tmp_path):
    path = write_csv(tmp_path / "r.csv", ["x1,x2,t"] + [f"{i},{i + 1},{i / 3:.4f}" for i in range(30)])
    data = instantiate(compose_dataset("csv", f"dataset.path={path}", "dataset.label=t"))
    assert data.task == "regression" and data.n_out == 1 and data.y.dtype == torch.float32


@pytest.mark.parametrize(
    "rows, label, message",
    [
        (["a,b", "1,2"], "y", r"has no label column 'y' \(columns: a, b\)"),
        (["a,b,y", "1,2,0", "1,x,1"], "y", r"line 3, column 'b': 'x' is not a number"),
        (["a,b,y", "1,2,0", "1,2"], "y", "line 3 has 2 fields but the header has 3"),
        (["a,b,y"], "y", "needs a header row and at least one data row"),
    ],
)
def test_csv_problems_name_file_and_place(tmp_path, rows, label, message):
    path = write_csv(tmp_path / "t.csv", rows)
    with pytest.raises(DataError, match=message) as e:
        instantiate(compose_dataset("csv", f"dataset.path={path}", f"dataset.label={label}"))
    assert str(path) in str(e.value)


def test_csv_missing_feature_column(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["a,b,y", "1,2,0"])
    with pytest.raises(DataError, match="has no feature column 'z'"):
        instantiate(
            compose_dataset("csv", f"dataset.path={path}", "dataset.label=y", "dataset.features=[a,z]")
        )


# ---------------------------------------------------------------- image_folder


def test_image_folder_resizes_and_labels_by_folder(tmp_path):
    write_images(tmp_path / "train", {"cat": 6, "dog": 4}, size=(20, 12))
    write_images(tmp_path / "train", {"dog": 2}, size=(9, 9), fmt="JPEG", seed=1)  # mixed sizes and formats
    write_images(tmp_path / "test", {"dog": 3}, size=(40, 40))
    (tmp_path / "train" / "cat" / "notes.txt").write_text("ignored: not an image")
    cfg = compose_dataset(
        "image_folder",
        f"dataset.path={tmp_path / 'train'}",
        f"dataset.test_path={tmp_path / 'test'}",
        "dataset.size=[8,10]",
        "dataset.val_frac=0.25",
    )
    data = instantiate(cfg)
    assert data.x.shape == (9, 3, 8, 10) and data.x_val.shape == (3, 3, 8, 10) and data.x_test.shape == (3, 3, 8, 10)
    assert sorted(torch.cat([data.y, data.y_val]).tolist()) == [0] * 6 + [1] * 6
    assert data.y_test.tolist() == [1, 1, 1] and data.n_out == 2 and data.meta == {"classes": ["cat", "dog"]}
    assert 0.0 <= float(data.x.min()) and float(data.x.max()) <= 1.0


def test_image_folder_greyscale_single_pixel_value(tmp_path):
    from PIL import Image

    for name, colour in (("white", (255, 255, 255)), ("black", (0, 0, 0))):
        (tmp_path / name).mkdir()
        for i in range(4):
            Image.new("RGB", (5, 5), colour).save(tmp_path / name / f"{i}.png")
    data = instantiate(
        compose_dataset(
            "image_folder",
            f"dataset.path={tmp_path}",
            "dataset.channels=1",
            "dataset.size=[3,3]",
            "dataset.val_frac=0.2",
            "dataset.test_frac=0.25",
        )
    )
    x = torch.cat([data.x, data.x_val, data.x_test])
    y = torch.cat([data.y, data.y_val, data.y_test])
    assert data.x.shape[1:] == (1, 3, 3) and x.amin((1, 2, 3)).tolist() == x.amax((1, 2, 3)).tolist()
    assert x.mean((1, 2, 3)).tolist() == [float(c == 1) for c in y.tolist()]  # black 0, white (id 1) 1


def test_image_folder_unreadable_image_is_named(tmp_path):
    write_images(tmp_path, {"a": 2, "b": 2})
    broken = tmp_path / "b" / "1.png"
    broken.write_bytes(broken.read_bytes()[:30])
    with pytest.raises(DataError, match=f"{broken} is not a readable image"):
        instantiate(compose_dataset("image_folder", f"dataset.path={tmp_path}"))


def test_image_folder_layout_problems(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        instantiate(compose_dataset("image_folder", f"dataset.path={tmp_path}/none"))
    with pytest.raises(DataError, match="has no class sub-folders"):
        instantiate(compose_dataset("image_folder", f"dataset.path={tmp_path}"))
    write_images(tmp_path, {"a": 2})
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=f"{tmp_path / 'empty'} has no .png/.jpg/.jpeg images"):
        instantiate(compose_dataset("image_folder", f"dataset.path={tmp_path}"))


# ---------------------------------------------------------------- subset (shared by every loader)


def test_subset_first_and_stratified():
    y = torch.tensor([0] * 60 + [1] * 30 + [2] * 10)[
        torch.randperm(100, generator=torch.Generator().manual_seed(0))
    ]
    assert subset_index(y, None).tolist() == list(range(100))
    assert subset_index(y, 7, "first").tolist() == list(range(7))
    idx = subset_index(y, 15, "stratified")
    assert idx.tolist() == sorted(idx.tolist()) and len(idx) == 15
    assert torch.bincount(y[idx], minlength=3).tolist() == [9, 5, 1]  # 9.0, 4.5, 1.5 -> largest remainder
    small, large = (
        set(subset_index(y, 10, "stratified").tolist()),
        set(subset_index(y, 40, "stratified").tolist()),
    )
    assert small <= large  # nested: learning-curve points share their examples


@pytest.mark.parametrize(
    "n, mode, task, message",
    [
        (101, "first", "classification", r"^subset=101 is wrong: allowed is an integer 1..100"),
        (5, "stratified", "regression", r"^subset_mode=stratified is wrong: allowed only for classification"),
    ],
)
def test_subset_errors(n, mode, task, message):
    with pytest.raises(DataError, match=message):
        subset_index(torch.zeros(100, dtype=torch.int64), n, mode, task)


def test_subset_touches_training_split_only(idx_server, tmp_path):
    server, _ = idx_server
    kw = dict(root=str(tmp_path / "c"), mirrors=[f"file://{server}"], val_frac=0.25)
    full = mnist.load(**kw)
    part = mnist.load(**kw, subset=10, subset_mode="stratified")
    assert (
        part.x.shape[0] == 10
        and torch.equal(part.x_val, full.x_val)
        and torch.equal(part.x_test, full.x_test)
    )
    assert torch.bincount(part.y, minlength=10).max() <= 2


def test_a_split_that_leaves_a_side_empty_is_refused():
    x, y = torch.zeros(10, 2), torch.arange(10) % 2
    with pytest.raises(DataError, match=r"^val_frac=0.01 is wrong for 10 examples: it leaves 0 for the split"):
        finish(x, y, x, y, val_frac=0.01, split_seed=0, subset=None, n_out=2)
    with pytest.raises(DataError, match=r"^test_frac=0.99 is wrong for 10 examples: it leaves 10 for the split"):
        finish(x, y, None, None, val_frac=0.1, split_seed=0, subset=None, test_frac=0.99, n_out=2)
    assert [t.shape[0] for t in split_val(x, y, 0.1, 0)] == [9, 9, 1, 1]


@pytest.mark.parametrize("name", ["digits", "synthetic", "composed"])
def test_every_dataset_takes_a_subset(name):
    full = instantiate(compose_dataset(name))
    part = instantiate(compose_dataset(name, "dataset.subset=50"))
    assert part.x.shape[0] == 50 and torch.equal(part.x, full.x[:50]) and torch.equal(part.x_test, full.x_test)
    if name in ("digits", "composed"):
        strat = instantiate(compose_dataset(name, "dataset.subset=100", "dataset.subset_mode=stratified"))
        assert torch.bincount(strat.y).min() >= (8 if name == "digits" else 45)  # about 10 of each digit, 50 of each
    else:
        with pytest.raises(ConfigError, match="^subset_mode=stratified is wrong: allowed is first"):
            instantiate(compose_dataset(name, "dataset.subset=50", "dataset.subset_mode=stratified"))


def test_composed_labels_shapes_and_exact_deep_net():
    from dlx.data.composed import exact_weights, label, load
    from dlx.models.mlp import MLP

    d = load(n=3000, folds=2)
    assert d.x.shape[1:] == (2,) and d.n_out == 2 and len(d.x) + len(d.x_val) + len(d.x_test) == 3000
    assert 0.4 < d.y.float().mean() < 0.6 and d.x.abs().max() <= 1
    # T(z) = 1 - 2|z|: one fold gives a 3 x 3 checkerboard (signs change at |x_i| = 1/2)
    grid = torch.tensor([[0.0, 0.0], [0.75, 0.0], [0.75, 0.75], [-0.75, 0.1]])
    assert label(grid, 1).tolist() == [1, 0, 1, 0]
    for folds in (0, 1, 3):  # folds + 1 hidden layers of 2 abs units compute the label exactly
        net = MLP((2,), 2, hidden=[2] * (folds + 1), activation="abs")
        linears = [m for m in net.net if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            for lin, (w, b) in zip(linears, exact_weights(2, folds), strict=True):
                lin.weight.copy_(w)
                lin.bias.copy_(b)
        x = torch.rand(4000, 2) * 2 - 1
        assert torch.equal(net(x).argmax(-1), label(x, folds))


def test_composed_is_learned_by_an_mlp(tmp_path):
    from conftest import run_cfg

    result = run_cfg(["dataset=composed", "dataset.folds=1", "model.hidden=[32,32]", "trainer.max_epochs=15",
                      "optim.lr=0.01", "device=cpu", "trainer.checkpoint=false"], tmp_path)
    assert result["final"]["test/acc"] > 0.9  # chance is 0.5
