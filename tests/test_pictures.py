"""Pictures of what networks learn: in the run's TensorBoard events (read back with TensorBoard's own reader) and
in report.html (rendered by headless Chromium where one is installed)."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_cfg

from dlx import report
from dlx.models.mlp import MLP
from dlx.track import unit_activity

BASE = ["dataset=digits", "dataset.subset=256", "trainer.max_epochs=2", "trainer.batch_size=64", "device=cpu"]
RUNS = {  # run folder -> overrides
    "cnn": ["model=cnn", "model.channels=[4,8]", "model.hidden=[16]"],
    "mlp": ["model=mlp", "model.hidden=[16,8]", "model.activation=sigmoid"],
    "autoencoder": ["model=autoencoder", "model.hidden=[16,8]"],
    "dbn": ["model=dbn", "model.hidden=[16]", "model.pretrain.steps=20"],
    "lstm": ["model=lstm", "model.hidden=8"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pictures")
    for name, overrides in RUNS.items():
        assert run_cfg([*overrides, *BASE], root / name)["status"] == "completed"
    return root


def _events(run_dir: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"images": 0, "scalars": 0})
    acc.Reload()
    return acc


def test_each_family_logs_its_pictures_at_the_epoch_lines(runs):
    tile = 25  # a 3x3 kernel or an 8x8 digit is enlarged to 24 pixels, plus a 1-pixel border
    expected = {  # tag -> (height, width) of the picture
        "cnn": {"filters/first_layer": (tile + 1, 8 * tile + 1),  # 4 kernels, 8 a row
                "units/activity": (3 * 10, 16 * 16)},  # 3 layers (4, 8, 16 units), 16 px a unit
        "mlp": {"filters/first_layer": (2 * tile + 1, 8 * tile + 1),  # 16 units' 8x8 weights, 8 a row
                "units/activity": (2 * 10, 16 * 16)},
        "autoencoder": {"filters/first_layer": (2 * tile + 1, 8 * tile + 1),
                        "val/reconstructions": (2 * tile + 1, 8 * tile + 1),  # 8 inputs above their outputs
                        "units/activity": (3 * 10, 16 * 16)},  # encoder 16, 8; decoder's hidden 16
        "dbn": {"rbm0/filters": (2 * tile + 1, 8 * tile + 1), "pretrain/rbm0/filters": (2 * tile + 1, 8 * tile + 1),
                "units/activity": (10, 16 * 16), "pretrain/units/activity": (10, 16 * 16)},
        "lstm": {},  # reads its input a row at a time: no whole-input weights, no activation modules
    }
    for name, tags in expected.items():
        acc = _events(runs / name)
        assert set(acc.Tags()["images"]) == set(tags), name
        for tag, (h, w) in tags.items():
            images = acc.Images(tag)
            assert len(images) == (1 if tag.startswith("pretrain/") else 2), (name, tag)  # each epoch line
            assert (images[-1].height, images[-1].width) == (h, w), (name, tag)
        if name != "lstm":
            for tag in ("units/dead", "units/saturated"):
                values = [e.value for e in acc.Scalars(tag)]
                assert len(values) == 2 and all(0 <= v <= 1 for v in values), (name, tag)


def test_unit_activity_counts_dead_and_saturated_units():
    x = torch.rand(64, 1, 8, 8)  # inputs in [0, 1]
    relu = MLP((1, 8, 8), 10, hidden=[4])
    with torch.no_grad():
        relu.net[1].bias.copy_(torch.tensor([-1e3, -1e3, 1e3, 1e3]))  # two never fire on inputs in [0, 1], two always
    dead, saturated, image = unit_activity(relu, x)
    assert (dead, saturated) == (0.5, 0.0)
    assert image.shape == (1, 10, 4 * 64) and image[0, :8, :128].max() == 0 and image[0, :8, 128:].min() > 0
    sig = MLP((1, 8, 8), 10, hidden=[4], activation="sigmoid")
    with torch.no_grad():
        sig.net[1].weight.zero_()
        sig.net[1].bias.copy_(torch.tensor([50.0, -50.0, 20.0, 0.0]))  # three far out on the flat parts
    assert unit_activity(sig, x)[:2] == (0.0, 0.75)


def _pictures(html: str) -> dict[str, tuple[int, int]]:
    from PIL import Image

    found = re.findall(r'<img class=pixels alt="([^"]+)" style="[^"]*" src="data:image/png;base64,([^"]+)"', html)
    return {alt: Image.open(io.BytesIO(base64.b64decode(b64))).size for alt, b64 in found}


def test_the_report_shows_each_runs_last_pictures(runs, tmp_path):
    html = report.report([runs], tmp_path / "report.html").read_text()
    assert "What the networks learnt" in html and "dead and saturated units over training" in html
    shown = _pictures(html)
    # up to 4 groups, one run each: every picture tag of the chosen runs, at the size TensorBoard holds
    assert {"filters/first_layer", "units/activity"} <= set(shown)
    assert len(re.findall(r"<img class=pixels", html)) >= 6
    one = report.report([runs / "autoencoder"], tmp_path / "one.html").read_text()
    assert _pictures(one) == {"filters/first_layer": (201, 51), "val/reconstructions": (201, 51),
                              "units/activity": (256, 30)}
    dbn = report.report([runs / "dbn"], tmp_path / "dbn.html").read_text()
    assert set(_pictures(dbn)) == {"pretrain/rbm0/filters", "rbm0/filters", "pretrain/units/activity",
                                   "units/activity"}
    assert "<img class=pixels" not in report.report([runs / "lstm"], tmp_path / "lstm.html").read_text()


def _chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
                None)


@pytest.mark.skipif(_chromium() is None, reason="needs a chromium binary (apt-get install chromium)")
def test_headless_chromium_draws_the_pictures(runs, tmp_path):
    """The autoencoder's report, rendered: the pictures section holds the inputs above their reconstructions, so
    the screenshot has their grey levels in a block of rows below the curves."""
    from PIL import Image

    html = report.report([runs / "autoencoder"], tmp_path / "report.html")
    shot = tmp_path / "shot.png"
    subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=1200,2600", html.as_uri()],
                   capture_output=True, timeout=120, cwd=tmp_path)
    img = np.asarray(Image.open(shot).convert("L"))
    assert img.shape == (2600, 1200)
    # an image-rendering: pixelated tile is a run of identical pixels with many distinct grey levels: a row
    # of the page where at least 30 grey levels appear and dark pixels (the images' black borders) abound
    rich = [y for y in range(img.shape[0]) if len(np.unique(img[y])) >= 30 and (img[y] < 40).mean() > 0.05]
    assert len(rich) > 100, len(rich)


def test_pictures_stay_off_the_hot_path_and_can_be_switched_off(tmp_path):
    """At most dlx.train.PICTURES epoch lines draw them (the last one always), none with trainer.pictures=false."""
    from dlx.train import PICTURES

    small = ["model=mlp", "model.hidden=[8]", "dataset=digits", "dataset.subset=64", "trainer.batch_size=64",
             "device=cpu"]
    run_cfg([*small, "trainer.max_epochs=12"], tmp_path / "on")
    steps = [e.step for e in _events(tmp_path / "on").Images("filters/first_layer")]
    assert steps == [3, 6, 9, 12] and len(steps) <= PICTURES  # one step an epoch: epochs 3, 6, 9 and the last
    run_cfg([*small, "trainer.max_epochs=3", "trainer.pictures=false"], tmp_path / "off")
    acc = _events(tmp_path / "off")
    assert acc.Tags()["images"] == [] and "units/dead" not in acc.Tags()["scalars"]
