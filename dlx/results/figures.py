"""A Summary's curves: one panel per metric, the mean over seeds per group with a band of +-1 std."""

from __future__ import annotations

import io
import math

import numpy as np

from dlx.results.summary import Summary
from dlx.runfolder import NOT_COMPARED


def curves_png(s: Summary, top: int = 20, ncols: int | None = None) -> tuple[bytes | None, list[str]]:
    """The curves figure as PNG bytes (None when no metric has a curve), panels ``ncols`` a row (default all
    in one row), and the metrics plotted."""
    groups = s.groups[:top]
    # test/* is measured once at the end: a curve only for what is logged along the way
    metrics = [
        m
        for m in s.metrics
        if not m.startswith("test/")
        and any(m in r.curves and r.curves[m][0].size for g in groups for r in g.runs)
    ]
    if not metrics:
        return None, []
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on servers and in tests
    import matplotlib.pyplot as plt

    # the legend goes under the panels (one line per group), so the curves stay visible
    legend_rows = math.ceil(len(groups) / 2)
    ncols = min(ncols or len(metrics), len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    height = 4.2 * nrows + 0.2 * legend_rows
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(5.5 * ncols, 9), height), squeeze=False)
    for ax in axes.flat[len(metrics):]:
        ax.set_visible(False)
    palette = plt.get_cmap("tab10" if len(groups) <= 10 else "tab20")
    plotted = [r for g in groups for r in g.runs if r.status not in NOT_COMPARED]
    # Epochs put runs with different batch sizes (or full-batch methods, one step an epoch) on one axis;
    # steps when a run still going has no result.json to say how many steps an epoch has.
    per_epoch = all(r.steps_per_epoch for r in plotted)
    for ax, m in zip(axes.flat, metrics):
        for i, g in enumerate(groups):
            by_step: dict[float, list[float]] = {}
            for r in g.runs:
                if r.status in NOT_COMPARED or m not in r.curves:
                    continue
                for st, v in zip(*r.curves[m][:2]):
                    if math.isfinite(v):
                        x = round(st / r.steps_per_epoch, 3) if per_epoch else float(st)
                        by_step.setdefault(x, []).append(float(v))
            if not by_step:
                continue
            steps = np.array(sorted(by_step))
            mean = np.array([np.mean(by_step[t]) for t in steps])
            # spread of the seeds at that step (sample std, as in the table)
            std = np.array([np.std(by_step[t], ddof=1) if len(by_step[t]) > 1 else 0.0 for t in steps])
            color = palette(i % palette.N)
            marker = "o" if len(steps) < 3 else None  # a line of one or two points is easy to miss
            ax.plot(steps, mean, color=color, label=f"{i + 1}. {g.label}"[:90], lw=1.6, marker=marker)
            ax.fill_between(steps, mean - std, mean + std, color=color, alpha=0.2, lw=0)
        ax.set_xlabel("epoch" if per_epoch else "step")
        ax.set_ylabel(m)
        ax.set_title(f"{m} (mean ± std over seeds)")
        ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.2 * legend_rows / height + 0.02, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue(), metrics


# what each picture the loop logs (dlx/track.py log_images) shows, in the order report.html shows them
PICTURES = {
    "filters/first_layer": "first-layer weights (one tile per unit: a conv kernel, or a unit's weights over the input)",
    "rbm0/filters": "the first RBM's weights (one tile per hidden unit)",
    "val/reconstructions": "validation inputs (top) and their reconstructions (bottom)",
    "units/activity": "each hidden unit's share of validation inputs it passes a gradient on (a band per layer; "
                      "black: dead or saturated on every input)",
}


def read_images(run_dir) -> dict[str, tuple[int, bytes]]:
    """tag -> (step, PNG bytes) of the last image of each picture tag (PICTURES, also under pretrain/) in the
    run's own event files; {} without any. TensorBoard's reservoir keeps a tag's latest image, so one is read."""
    from pathlib import Path

    from dlx.results.runs import read_events

    acc = read_events(Path(run_dir), {"images": 1, "scalars": 1, "histograms": 1, "tensors": 1})
    if acc is None:
        return {}
    out = {}
    for tag in acc.Tags().get("images", []):
        if tag.removeprefix("pretrain/") in PICTURES:
            last = acc.Images(tag)[-1]
            out[tag] = (int(last.step), bytes(last.encoded_image_string))
    return out
