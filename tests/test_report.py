"""dlx report: one self-contained report.html, rendered by a real (headless) browser when one is installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_compare import make_run

from dlx import provenance, report
from dlx.results.runs import find_runs
from dlx.results.summary import summarize
from dlx.sweep.summary import SweepSummary


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> Path:
    """optim x lr x 2 seeds (12 runs, provenance on each), a diverged run and a failed one."""
    root = tmp_path_factory.mktemp("grid")
    job = 0
    for opt, base in (("sgd", 0.8), ("adam", 0.9)):
        for lr in (0.001, 0.01, 0.1):
            for seed in range(2):
                top = base - 0.05 * abs(np.log10(lr) + 2) + 0.01 * seed
                d = make_run(root / str(job), ["model=mlp", f"optim={opt}", f"optim.lr={lr}"], seed,
                             [top * 0.6, top * 0.9, top], extra={"train/eval_loss": [0.5, 0.2, 0.1]})
                provenance.write(d, ["dlx", "train", "-m", "optim=sgd,adam"])
                job += 1
    make_run(root / "12", ["model=mlp", "optim=sgd", "optim.lr=1.0"], 0, [0.1], status="diverged",
             error="loss is nan at step 7")
    make_run(root / "13", ["model=mlp", "optim=adam", "optim.lr=1.0"], 0, None, status="failed",
             error="Traceback (most recent call last):\n  File \"x.py\", line 1\nRuntimeError: <boom> & bust")
    return root


def test_report_is_one_self_contained_file(grid, tmp_path):
    out = tmp_path / "r.html"
    assert report.main([str(grid), "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("<!doctype html>") and text.rstrip().endswith("</html>")
    # nothing fetched from elsewhere: no external src/href, figures inline
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert text.count('src="data:image/png;base64,') == 3  # curves, parallel coordinates, importance
    assert "optim=adam optim.lr=0.01" in text and "paired t-test, Holm-adjusted" in text
    assert "RuntimeError: &lt;boom&gt; &amp; bust" in text and "loss is nan at step 7" in text  # escaped
    assert "η² (variance explained)" in text and "permutation importance" in text  # says which measure
    assert "dlx train -m optim=sgd,adam" in text  # provenance
    assert "val/loss-train/eval_loss" in text


def test_swept_values_and_variance_explained(grid):
    runs = [r for r in find_runs([grid]) if r.status == "completed"]
    params = report.swept(runs)
    assert list(params) == ["optim", "optim.lr"]  # model=mlp and the seed do not vary
    y = np.array([r.final["val/acc"] for r in runs])
    eta = {k: report.variance_explained(v, y) for k, v in params.items()}
    assert all(0 < v < 1 for v in eta.values())
    # a value that decides the metric alone explains all of it; one unrelated to it, none
    assert report.variance_explained(["a", "a", "b", "b"], np.array([1.0, 1.0, 2.0, 2.0])) == pytest.approx(1)
    assert report.variance_explained(["a", "b", "a", "b"], np.array([1.0, 1.0, 2.0, 2.0])) == pytest.approx(0)


def test_a_single_group_without_provenance_still_renders(tmp_path):
    make_run(tmp_path / "0", ["optim=adam"], 0, [0.5, 0.6])
    path = report.report([tmp_path])
    assert path == tmp_path / "report.html"
    text = path.read_text()
    assert "nothing was swept" in text and "No run has a provenance.json" in text


def test_bad_input_is_one_line(tmp_path, capsys):
    assert report.main([str(tmp_path / "nope")]) == 2
    assert report.main([str(tmp_path)]) == 2
    assert "none found" in capsys.readouterr().err


def test_the_sweep_callback_writes_report_beside_summary(grid, tmp_path, capsys):
    from omegaconf import OmegaConf

    sweep_dir = tmp_path / "sweep"
    shutil.copytree(grid, sweep_dir)
    cfg = OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep_dir)}}, "trainer": {"metric": "auto"}})
    with pytest.raises(SystemExit) as end:  # the grid has a failed job: `dlx train -m` exits 1
        SweepSummary(plot=False).on_multirun_end(cfg)
    assert end.value.code == 1
    assert (sweep_dir / "summary.md").exists() and (sweep_dir / "report.html").exists()
    assert "report.html" in capsys.readouterr().out


def _chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
                None)


@pytest.mark.skipif(_chromium() is None, reason="needs a chromium binary (apt-get install chromium)")
def test_headless_chromium_renders_a_report_that_is_not_blank(grid, tmp_path):
    from PIL import Image

    html = tmp_path / "report.html"
    report.report([grid], html)
    shot = tmp_path / "shot.png"
    subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=1200,2000", html.as_uri()],
                   capture_output=True, timeout=120, cwd=tmp_path)
    img = np.asarray(Image.open(shot).convert("RGB"))
    assert img.shape[:2] == (2000, 1200)
    colours = len(np.unique(img.reshape(-1, 3), axis=0))
    assert colours > 50, colours  # text, table, plot colours: not a blank page
    assert (img < 250).any(axis=2).mean() > 0.05  # more than 5% of the page is not white


def test_summary_json_of_runs_is_unchanged_by_a_report(grid, tmp_path):
    """Writing a report reads the runs; it never writes into them."""
    before = {p: p.read_bytes() for p in grid.rglob("result.json")}
    s = summarize(find_runs([grid]))
    report.write(s, tmp_path / "x.html", "t")
    assert {p: p.read_bytes() for p in grid.rglob("result.json")} == before
    assert json.loads((grid / "0" / "provenance.json").read_text())["command"][0] == "dlx"


def test_the_statistics_come_first_in_the_report_table():
    header = ["#", "group", "runs", "diverged", "failed", "val/acc final", "val/acc best", "val/loss final",
              "wall_s", "95% CI (val/acc best)", "p vs #1 (val/acc best)", "p (Holm)", "d", "test"]
    order = [header[i] for i in report.reading_order(header, "val/acc best")]
    assert order[:9] == ["#", "group", "runs", "val/acc best", "95% CI (val/acc best)", "p vs #1 (val/acc best)",
                         "p (Holm)", "d", "test"]
    assert sorted(order) == sorted(header) and order[-2:] == ["diverged", "failed"]


def test_one_swept_value_gets_a_plot_of_the_metric_against_it_and_words(tmp_path):
    job = 0
    for opt, top in (("sgd", 0.7), ("adam", 0.9), ("momentum", 0.8)):
        for seed in range(3):
            make_run(tmp_path / str(job), [f"optim={opt}"], seed, [top - 0.1, top + 0.01 * seed])
            job += 1
    text = report.report([tmp_path]).read_text()
    assert text.count('src="data:image/png;base64,') == 2  # curves, and the metric against optim
    assert 'alt="val/acc best against optim"' in text and "parallel coordinates" not in text
    eta = report.variance_explained([f"{o}" for o in ("sgd", "adam", "momentum") for _ in range(3)],
                                    np.array([t + 0.01 * s for t in (0.7, 0.9, 0.8) for s in range(3)]))
    assert f"explain {eta:.0%} of the variance" in text and "Best mean: <code>optim=adam</code>" in text


@pytest.mark.skipif(_chromium() is None, reason="needs a chromium binary (apt-get install chromium)")
def test_p_and_d_are_in_view_at_1400_px(grid, tmp_path):
    """In a 1400 px window the p and d columns are on screen, not behind the table's horizontal scrollbar."""
    html = report.report([grid], tmp_path / "report.html").read_text()
    probe = """<script>var th = Array.prototype.slice.call(document.querySelectorAll('th')), out = {};
    th.forEach(function (h) { var box = h.closest('.scroll').getBoundingClientRect();
      out[h.textContent] = [h.getBoundingClientRect().right, Math.min(box.right, window.innerWidth)]; });
    document.body.setAttribute('data-layout', JSON.stringify(out));</script>"""
    page = tmp_path / "probe.html"
    page.write_text(html.replace("</body>", probe + "</body>"))
    dom = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,900",
                          "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    layout = json.loads(re.search(r'data-layout="([^"]*)"', dom).group(1).replace("&quot;", '"'))
    wanted = [h for h in layout if h.startswith(("p vs", "p (Holm)", "95% CI")) or h == "d"]
    assert len(wanted) == 4
    for h in wanted:
        right, visible = layout[h]
        assert right <= visible, (h, right, visible)
