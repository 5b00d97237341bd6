"""``dlx report``: one self-contained report.html for a sweep (or any run folders).

Everything is inside the file: figures are inline base64 PNGs, the only script is a few lines that sort the
table; nothing is fetched from the network, so the file can be mailed, archived or opened offline. It holds
the ranked table of ``dlx compare`` (with the tests and intervals), the curves with seed bands, the swept
values against the metric (parallel coordinates; with one swept value, the metric against it), how much of the
metric's spread each swept value explains, the failed and diverged runs with their errors, and each run's
provenance.json.
"""

from __future__ import annotations

import base64
import html
import io
import math
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np

from dlx import checks, provenance, runfolder
from dlx.results import claims
from dlx.results.figures import PICTURES, curves_png, read_images
from dlx.results.files import default_out, writable, write_atomic
from dlx.results.runs import IGNORED_KEYS, CompareError, Run, checked_runs, run_metric
from dlx.results.summary import Summary, summarize
from dlx.results.tables import fmt, reading_order, stats_note, table_rows
from dlx.runfolder import BROKEN, FAILED, NOT_COMPARED, PRUNED, UNFINISHED, override_key, override_value

# ------------------------------------------------------------------------------------------ the swept values


def swept(runs: list[Run]) -> dict[str, list[str]]:
    """key -> each run's value, for the override keys whose value differs between the runs (a run without
    the key has "(default)")."""
    per_run = [
        {override_key(o): override_value(o) or ""
         for o in r.overrides if override_key(o) not in IGNORED_KEYS}
        for r in runs
    ]
    keys = list(dict.fromkeys(k for d in per_run for k in d))  # first-seen order: as on the command line
    table = {k: [d.get(k, "(default)") for d in per_run] for k in keys}
    return {k: v for k, v in table.items() if len(set(v)) > 1}


def _numeric(values: list[str]) -> np.ndarray | None:
    try:
        return np.array([float(v) for v in values])
    except ValueError:
        return None


def _axis(values: list[str]) -> tuple[np.ndarray, list[tuple[float, str]], str]:
    """Positions in [0, 1] for one axis, its tick (position, label) pairs, and its scale (log|linear|category)."""
    num = _numeric(values)
    levels = sorted(set(values), key=lambda v: (float(v) if num is not None else 0.0, v))
    if num is not None and len(levels) > 1:
        log = bool(np.all(num > 0) and num.max() / num.min() > 20)  # a learning rate over decades
        x = np.log10(num) if log else num
        lo, hi = x.min(), x.max()
        pos = (x - lo) / (hi - lo)
        ticks = [((np.log10(float(v)) if log else float(v)) - lo) / (hi - lo) for v in levels]
        if len(levels) > 8:  # continuous (e.g. Optuna): 5 evenly spaced labels instead of every value
            ticks = list(np.linspace(0, 1, 5))
            labels = [f"{10 ** (lo + t * (hi - lo)) if log else lo + t * (hi - lo):.3g}" for t in ticks]
            return pos, list(zip(ticks, labels)), "log" if log else "linear"
        return pos, list(zip(ticks, levels)), "log" if log else "linear"
    index = {v: i for i, v in enumerate(levels)}
    span = max(len(levels) - 1, 1)
    return np.array([index[v] / span for v in values]), [(i / span, v) for i, v in enumerate(levels)], "category"


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def parallel_coordinates(params: dict[str, list[str]], y: np.ndarray, metric: str, mode: str) -> str:
    """Parallel coordinates drawn with matplotlib (no pandas needed): one vertical axis per swept value and
    one for the metric, one line per run, coloured by the metric (bright = better)."""
    plt = _plt()
    names = [*params, metric]
    axes = [_axis(v) for v in params.values()]
    lo, hi = float(np.min(y)), float(np.max(y))
    ypos = (y - lo) / (hi - lo) if hi > lo else np.full_like(y, 0.5)
    ticks = [(t, f"{lo + t * (hi - lo):.4g}") for t in np.linspace(0, 1, 5)] if hi > lo else [(0.5, f"{lo:.4g}")]
    axes.append((ypos, ticks, "metric"))
    fig, ax = plt.subplots(figsize=(max(2.2 * len(names), 7), 4.6))
    cmap = plt.get_cmap("viridis")
    better = ypos if mode == "max" else 1 - ypos
    for i in np.argsort(better):  # the best runs drawn last, on top
        ax.plot(range(len(names)), [a[0][i] for a in axes], color=cmap(better[i]), lw=1.8, alpha=0.85)
    for j, (_, tick_list, scale) in enumerate(axes):
        ax.axvline(j, color="#444", lw=1)
        for t, label in tick_list:
            ax.text(j + 0.04, t, str(label)[:18], fontsize=8, va="center", ha="left", color="#222",
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
        if scale == "log":
            names[j] = f"{names[j]}\n(log)"
    ax.set_xticks(range(len(names)), [n if len(n) < 26 else n[:24] + "…" for n in names], fontsize=9)
    ax.set_yticks([])
    ax.set_xlim(-0.15, len(names) - 0.4)
    ax.set_ylim(-0.06, 1.06)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    sm = plt.cm.ScalarMappable(cmap=cmap if mode == "max" else cmap.reversed(), norm=plt.Normalize(lo, hi))
    fig.colorbar(sm, ax=ax, pad=0.01, fraction=0.03).set_label(metric)
    ax.set_title(f"swept values against {metric} (one line per run)", fontsize=11)
    fig.tight_layout()
    return _png(fig)


def one_value_png(key: str, values: list[str], y: np.ndarray, metric: str, mode: str) -> str:
    """With a single swept value, the metric against it: one dot per run (its seed), each level's mean ± std
    over its runs, the best level marked. Parallel coordinates of one axis say nothing a plain plot does not."""
    plt = _plt()
    pos, ticks, scale = _axis(values)  # numbers in [0, 1] (log where they spread), or category indices
    levels = [label for _, label in ticks] if scale == "category" else sorted(set(values), key=float)
    at = {v: float(pos[values.index(v)]) for v in levels}
    arr = np.array(values)
    means = np.array([y[arr == v].mean() for v in levels])
    sds = np.array([y[arr == v].std(ddof=1) if (arr == v).sum() > 1 else 0.0 for v in levels])
    best = int(np.argmax(means) if mode == "max" else np.argmin(means))
    fig, ax = plt.subplots(figsize=(max(0.9 * len(levels) + 3, 7), 4.2))
    spread = 0.012 if len(levels) > 1 else 0.05  # dots of one level side by side, not on top of each other
    for v in levels:
        ys = y[arr == v]
        ax.scatter(at[v] + spread * (np.arange(len(ys)) - (len(ys) - 1) / 2), ys, s=16, color="#9db7d5", zorder=2)
    xs = [at[v] for v in levels]
    ax.errorbar(xs, means, yerr=sds, fmt="o-" if scale != "category" else "o", color="#1f4e79", capsize=4,
                lw=1.4, zorder=3, label="mean ± std over runs")
    ax.plot(xs[best], means[best], marker="*", ms=16, color="#e3a21a", zorder=4, ls="none",
            label=f"best: {key}={levels[best]}")
    if scale == "category":
        ax.set_xticks(xs, [str(v)[:18] for v in levels], fontsize=9)
    else:
        ax.set_xticks([t for t, _ in ticks], [f"{float(label):.3g}" for _, label in ticks], fontsize=9)
    ax.set_xlabel(key + (" (log scale)" if scale == "log" else ""))
    ax.set_ylabel(metric)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(f"{metric} against {key}, the one swept value (dots: runs)", fontsize=11)
    fig.tight_layout()
    return _png(fig)


def variance_explained(values: list[str], y: np.ndarray) -> float:
    """eta^2 of one swept value: the share of the metric's variance between its levels (one-way ANOVA's
    between-groups sum of squares / total). Numeric values with more than 6 levels are cut into 4 quantile
    bins first, else every run is its own level and the share is trivially 1."""
    num = _numeric(values)
    if num is not None and len(set(values)) > 6:
        edges = np.quantile(num, [0.25, 0.5, 0.75])
        levels = np.digitize(num, edges)
    else:
        levels = np.unique(np.array(values), return_inverse=True)[1]
    total = float(((y - y.mean()) ** 2).sum())
    if total == 0:
        return 0.0
    between = sum(
        (levels == lv).sum() * (y[levels == lv].mean() - y.mean()) ** 2 for lv in np.unique(levels)
    )
    return float(between / total)


def forest_importance(params: dict[str, list[str]], y: np.ndarray) -> dict[str, float] | None:
    """scikit-learn permutation importance of a random forest fitted on the swept values -> metric (drop in
    R^2 when one value is shuffled), on the runs themselves (no held-out runs: a description of this sweep,
    not a prediction). None with fewer than 12 runs, where a forest says little."""
    if len(y) < 12:
        return None
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.inspection import permutation_importance

    X = np.column_stack([_axis(v)[0] for v in params.values()])  # numbers (log where spread), or category index
    forest = RandomForestRegressor(n_estimators=200, min_samples_leaf=2, random_state=0).fit(X, y)
    imp = permutation_importance(forest, X, y, n_repeats=10, random_state=0)
    return {k: float(v) for k, v in zip(params, imp.importances_mean)}


def importance_png(eta: dict[str, float], forest: dict[str, float] | None) -> str:
    plt = _plt()
    names = list(eta)
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(names) + 1.4))
    y = np.arange(len(names))
    h = 0.38 if forest else 0.6
    ax.barh(y - (h / 2 if forest else 0), [eta[n] for n in names], height=h, color="#3b75af",
            label="variance explained (η²)")
    if forest:
        ax.barh(y + h / 2, [max(forest[n], 0.0) for n in names], height=h, color="#ef8636",
                label="random forest permutation importance (ΔR²)")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    fig.tight_layout()
    return _png(fig)


# ----------------------------------------------------------------------------------------------------- HTML

CSS = """
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2328;
       margin: 0; background: #f6f8fa; }
main { max-width: 1500px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de;
     padding-bottom: 4px; }
.meta { color: #59636e; font-size: 13px; } .note { color: #59636e; font-size: 12.5px; margin: 6px 0; }
.cards { display: flex; gap: 10px; margin: 14px 0 4px; flex-wrap: wrap; }
.card { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 14px; min-width: 110px; }
.card b { display: block; font-size: 20px; } .card span { color: #59636e; font-size: 12px; }
.card.bad b { color: #cf222e; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 12.5px; width: 100%; }
th, td { border-bottom: 1px solid #e5e8eb; padding: 5px 8px; text-align: right; white-space: nowrap; }
th { background: #f0f3f6; cursor: pointer; position: sticky; top: 0; user-select: none; white-space: normal;
     vertical-align: bottom; min-width: 3.5em; }
th:hover { background: #e2e8ef; } th.sorted::after { content: " ▾"; } th.sorted.asc::after { content: " ▴"; }
td.l, th.l { text-align: left; white-space: normal; }
tr.best td { background: #e9f7ec; font-weight: 600; } tr.allbad td { color: #cf222e; }
img { max-width: 100%; display: block; margin: 8px 0; }
.pictures { display: flex; gap: 18px; flex-wrap: wrap; align-items: flex-start; }
.pictures figure { margin: 0; max-width: 420px; } .pictures figcaption { font-size: 12px; color: #59636e; }
img.pixels { image-rendering: pixelated; border: 1px solid #d0d7de; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px; font-size: 12px;
      overflow-x: auto; max-height: 260px; }
.status { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px; color: #fff; }
.status.failed { background: #cf222e; } .status.diverged { background: #bc4c00; }
code { font-size: 12px; } details { margin: 4px 0; } summary { cursor: pointer; }
.claim { border-left: 3px solid #d0d7de; padding: 2px 12px; margin: 10px 0; } .claim p { margin: 4px 0; }
.verdict { display: inline-block; padding: 0 8px; border-radius: 10px; font-weight: 600; color: #fff; }
.verdict.supported { background: #1a7f37; } .verdict.contradicted { background: #cf222e; }
.verdict.not-shown { background: #9a6700; } .verdict.not-evaluated { background: #59636e; }
"""

SORT_JS = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var asc = !th.classList.contains('asc') || !th.classList.contains('sorted');
      table.querySelectorAll('th').forEach(function (h) { h.classList.remove('sorted', 'asc'); });
      th.classList.add('sorted'); if (asc) th.classList.add('asc');
      var key = function (tr) {
        var t = tr.children[col].textContent.replace(/^[\\[(]/, '');
        var n = parseFloat(t.replace('−', '-').replace('∞', 'Infinity'));
        return isNaN(n) ? null : n;
      };
      var rows = Array.prototype.slice.call(table.tBodies[0].rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var tx = a.children[col].textContent, ty = b.children[col].textContent;
        if (x === null && y === null) return tx.localeCompare(ty) * (asc ? 1 : -1);
        if (x === null) return 1; if (y === null) return -1;  // no number: always last
        return asc ? x - y : y - x;
      });
      rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
    });
  });
});
"""


def _e(x) -> str:
    return html.escape(str(x))


def _img(b64: str, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{b64}">'


def _table_html(s: Summary) -> str:
    header, rows = table_rows(s)
    order = reading_order(header, s.rank_col)
    header, rows = [header[i] for i in order], [[r[i] for i in order] for r in rows]
    out = ['<div class="scroll"><table class="sortable"><thead><tr>']
    out += [f'<th class="{"l" if h == "group" else ""}" title="click to sort">{_e(h)}</th>' for h in header]
    out.append("</tr></thead><tbody>")
    for i, (g, cells) in enumerate(zip(s.groups, rows)):
        cls = "best" if i == 0 else ("allbad" if g.count(*NOT_COMPARED) == len(g.runs) else "")
        out.append(f'<tr class="{cls}">')
        out += [f'<td class="{"l" if h == "group" else ""}">{_e(c)}</td>' for h, c in zip(header, cells)]
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _swept_section(s: Summary) -> str:
    ranked = [r for g in s.all_groups for r in g.runs if r.status not in NOT_COMPARED]
    values = [run_metric(r, s.primary, s.by, s.mode) for r in ranked]
    runs = [r for r, v in zip(ranked, values) if math.isfinite(v)]
    y = np.array([v for v in values if math.isfinite(v)])
    params = swept(runs)
    out = ['<h2>Swept values</h2>']
    if not params or len(runs) < 2:
        return out[0] + '<p class="note">The runs share every setting (seeds aside): nothing was swept.</p>'
    if len(params) == 1:
        return out[0] + _one_value_section(s, *next(iter(params.items())), y)
    out.append(_img(parallel_coordinates(params, y, s.rank_col, s.mode), "parallel coordinates"))
    out.append(f'<p class="note">{len(runs)} runs with a {_e(s.rank_col)} (diverged, failed and pruned runs '
               "left out). Numeric axes spread over more than a factor 20 are drawn on a log scale.</p>")
    eta = {k: variance_explained(v, y) for k, v in params.items()}
    forest = forest_importance(params, y)
    out.append("<h2>Which swept value matters</h2>")
    out.append(_img(importance_png(eta, forest), "hyperparameter importance"))
    note = ("η² (variance explained): the share of the variance of " + _e(s.rank_col) + " across runs that lies "
            "between the levels of that value (one-way ANOVA; numeric values with more than 6 levels cut into 4 "
            "quantile bins). Each value is taken alone, so in a grid the shares add up to at most 1 and the rest "
            "is interactions and seed noise.")
    if forest:
        note += (" Random forest: scikit-learn's permutation importance (mean drop in R² over 10 shuffles) of a "
                 "200-tree random forest fitted on these runs (swept values → metric), measured on the same runs.")
    else:
        note += " (A random-forest permutation importance is added from 12 runs on.)"
    out.append(f'<p class="note">{note}</p>')
    return "".join(out)


def _one_value_section(s: Summary, key: str, values: list[str], y: np.ndarray) -> str:
    """One swept value: the metric against it, and in words how much of the spread it explains (the rest is the
    seeds); an importance chart of one bar would say nothing more."""
    eta = variance_explained(values, y)
    arr = np.array(values)
    means = {v: float(y[arr == v].mean()) for v in dict.fromkeys(values)}
    best = (max if s.mode == "max" else min)(means, key=means.get)
    worst = (min if s.mode == "max" else max)(means, key=means.get)
    note = (f"{len(y)} runs with a {_e(s.rank_col)} (diverged, failed and pruned runs left out). Only "
            f"<code>{_e(key)}</code> was swept: its {len(means)} values explain {eta:.0%} of the variance of "
            f"{_e(s.rank_col)} across runs (η², one-way ANOVA); the other {1 - eta:.0%} is the spread between "
            f"seeds. Best mean: <code>{_e(key)}={_e(best)}</code> ({means[best]:.4g}); worst: "
            f"<code>{_e(key)}={_e(worst)}</code> ({means[worst]:.4g}). Whether the difference is more than the "
            "seeds' noise is the table's p column.")
    return (_img(one_value_png(key, values, y, s.rank_col, s.mode), f"{s.rank_col} against {key}")
            + f'<p class="note">{note}</p>')


def _claims_section(s: Summary) -> str:
    """The claims the runs' preset tests (its claim blocks) and their verdicts, first thing under the cards."""
    out = ["<h2>What the course claims, and the verdict</h2>"]
    for e in claims.blocks(s.claims):
        out.append(f'<div class="claim"><p><b>{_e(", ".join(e["ids"]))}</b> (part {_e(e["part"])}, notes l. '
                   f'{_e(e["line"])}): «{_e(e["es"])}» <i>({_e(e["en"])})</i></p>')
        out.append(f'<p><span class="verdict {e["verdict"].replace(" ", "-")}">{_e(e["verdict"])}</span> '
                   f"{_e(claims.sentence(e)[len(e['verdict']):].strip())}</p>")
        if e.get("table"):
            out.append('<ul class="note">' + "".join(f"<li>{_e(claims.arm_line(e, r))}</li>" for r in e["table"])
                       + "</ul>")
        out.append("</div>")
    out.append(f'<p class="note">Each arm ({_e(", ".join(sorted({e["arms"] for e in s.claims})))}) at its setting '
               "with the best mean validation metric; the verdict is the paired t-test over the seeds both arms ran, "
               "Holm-adjusted over every expected pair of the preset (verdict.json has the numbers).</p>")
    return "".join(out)


PICTURE_GROUPS = 4  # the first groups of the ranking whose pictures the report shows (one run each)


def _pictures_section(s: Summary) -> str:
    """What the networks learnt: for each of the first PICTURE_GROUPS groups, one run's (its lowest seed's) last
    pictures from its TensorBoard events (dlx/track.py log_images), and the share of dead and saturated units over
    training for every run of those groups. Empty when no run logged a picture (an LSTM, a user's model)."""
    shown = []
    for g in s.groups[:PICTURE_GROUPS]:
        for r in g.runs:
            images = read_images(r.path) if r.status != FAILED and r.path.is_dir() else {}
            if images:
                shown.append((g, r, images))
                break
    if not shown:
        return ""
    out = ["<h2>What the networks learnt</h2>"]
    for g, r, images in shown:
        out.append(f'<p><b>{_e(g.label)}</b> <span class="note">(run {_e(r.path.name)}, seed {_e(r.seed)}; '
                   "the last picture logged)</span></p><div class=pictures>")
        order = [t for name in PICTURES for t in (f"pretrain/{name}", name) if t in images]
        for tag in order:
            step, png = images[tag]
            caption = PICTURES[tag.removeprefix("pretrain/")]
            when = "after pretraining" if tag.startswith("pretrain/") else f"step {step}"
            width = int.from_bytes(png[16:20], "big")  # the PNG header's IHDR width
            drawn = width * max(1, min(3, 420 // max(width, 1)))  # small pictures drawn 2-3x, pixels kept sharp
            out.append(f'<figure><img class=pixels alt="{_e(tag)}" style="width: {drawn}px" '
                       f'src="data:image/png;base64,'
                       f'{base64.b64encode(png).decode()}"><figcaption><code>{_e(tag)}</code> ({_e(when)}): '
                       f"{_e(caption)}</figcaption></figure>")
        out.append("</div>")
    png = _units_png([g for g, _, _ in shown])
    if png:
        out.append(_img(png, "dead and saturated units over training"))
        out.append('<p class="note">The share of hidden units that pass no gradient on any of 256 validation '
                   "inputs (units/dead: ReLUs that never fire; units/saturated: sigmoid or tanh units outside 1% "
                   "of their largest slope), at each epoch line; one line per run.</p>")
    return "".join(out)


def _units_png(groups: list) -> str | None:
    """units/dead and units/saturated against the epoch for every run of ``groups``; None when no run logged them."""
    series = [(i, g, r, tag) for i, g in enumerate(groups) for r in g.runs for tag in ("units/dead", "units/saturated")
              if tag in r.curves and r.curves[tag][0].size and r.status not in NOT_COMPARED]
    if not series:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), sharey=True)
    palette = plt.get_cmap("tab10")
    for i, g, r, tag in series:
        steps, values, _ = r.curves[tag]
        x = steps / r.steps_per_epoch if r.steps_per_epoch else steps
        ax = axes[0 if tag == "units/dead" else 1]
        ax.plot(x, values, color=palette(i % 10), lw=1.2, alpha=0.8, marker="o", ms=2.5,
                label=f"{i + 1}. {g.label}"[:60] if r is g.runs[0] else None)
    for ax, tag in zip(axes, ("units/dead", "units/saturated")):
        ax.set_title(tag)
        ax.set_xlabel("epoch" if all(r.steps_per_epoch for _, _, r, _ in series) else "step")
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("share of hidden units")
    axes[0].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return _png(fig)


def _failed_section(s: Summary) -> str:
    bad = [r for r in s.runs if r.status in BROKEN]
    if not bad:
        return "<h2>Failed and diverged runs</h2><p class=note>None.</p>"
    out = [f"<h2>Failed and diverged runs ({len(bad)})</h2>"]
    for r in bad:
        lines = (r.error or "(no error text)").strip().splitlines()
        text = "\n".join(lines[-40:])  # a traceback's end names the exception and the line that raised it
        out.append(f'<p><span class="status {r.status}">{r.status}</span> <code>{_e(r.path)}</code> '
                   f'{_e(" ".join(r.overrides))}</p><pre>{_e(text)}</pre>')
    return "".join(out)


def _provenance_section(s: Summary) -> str:
    runs = sorted(s.runs, key=lambda r: (len(r.path.name), str(r.path)))
    prov = {r.path: provenance.read(r.path) for r in runs}
    out = ["<h2>Provenance</h2>"]
    if not any(prov.values()):
        return out[0] + '<p class="note">No run has a provenance.json (runs made before dlx wrote one).</p>'
    out.append('<div class="scroll"><table class="sortable"><thead><tr>')
    cols = ["run", "status", "command", "git commit", "python", "torch", "cuda", "host", "dlx"]
    out += [f'<th class="{"l" if c in ("run", "command") else ""}">{c}</th>' for c in cols]
    out.append("</tr></thead><tbody>")
    for r in runs:
        p = prov[r.path] or {}
        git = p.get("git")
        commit = "-" if not git else git["commit"][:10] + (" (dirty)" if git.get("dirty") else "")
        cells = [r.path.name, r.status, " ".join(p.get("command", ["-"])), commit, p.get("python", "-"),
                 p.get("torch", "-"), p.get("cuda") or "-", p.get("hostname", "-"), p.get("dlx_version", "-")]
        out.append("<tr>" + "".join(
            f'<td class="{"l" if c in ("run", "command") else ""}">{_e(v)}</td>' for c, v in zip(cols, cells)
        ) + "</tr>")
    out.append("</tbody></table></div>")
    # installed packages: once when every run agrees, else what differs from the most common set
    sets = [tuple(sorted((p or {}).get("packages", {}).items())) for p in prov.values() if p]
    common = Counter(sets).most_common(1)[0][0]
    listing = ", ".join(f"{_e(k)} {_e(v)}" for k, v in common)
    agree = sum(x == common for x in sets)
    out.append(f"<details><summary>installed packages ({len(common)}; the same in {agree} of {len(sets)} runs"
               f" with provenance)</summary><p class=note>{listing}</p></details>")
    for r in runs:
        p = prov[r.path]
        if p and tuple(sorted(p.get("packages", {}).items())) != common:
            diff = sorted(set(p.get("packages", {}).items()) ^ set(common))
            out.append(f"<p class=note>{_e(r.path.name)} differs: {_e(diff)}</p>")
    return "".join(out)


def render(s: Summary, title: str) -> str:
    """The whole report.html as one string."""
    n_bad = sum(r.status in BROKEN for r in s.runs)
    n_running = sum(r.status in UNFINISHED for r in s.runs)
    cards = [(len(s.runs), "runs", False), (len(s.all_groups), "groups", False),
             (n_bad, "failed or diverged", n_bad > 0), (n_running, "running or interrupted", False)]
    if any(r.status == PRUNED for r in s.runs):
        cards.append((sum(r.status == PRUNED for r in s.runs), PRUNED, False))
    best = s.groups[0] if s.groups else None
    if best and math.isfinite(best.stats[s.rank_col][0]):
        cards.insert(0, (fmt(*best.stats[s.rank_col]), f"best {s.rank_col}: {best.label}", False))
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{_e(title)}</h1>",
        f'<div class="meta">written {datetime.now():%Y-%m-%d %H:%M} by dlx report · ranked by {_e(s.primary)} '
        f"({_e(s.by)}, {'higher' if s.mode == 'max' else 'lower'} is better)</div>",
        '<div class="cards">' + "".join(
            f'<div class="card{" bad" if bad else ""}"><b>{_e(v)}</b><span>{_e(label)}</span></div>'
            for v, label, bad in cards) + "</div>",
        _claims_section(s) if s.claims else "",
        "<h2>Groups</h2>",
        _table_html(s),
        f'<p class="note">Mean ± std over seeds. {_e(stats_note(s))}. Click a column to sort.</p>',
    ]
    png, plotted = curves_png(s, ncols=2)
    if png:
        parts += ["<h2>Curves</h2>", _img(base64.b64encode(png).decode(), "curves"),
                  f'<p class="note">Mean over seeds per group, band ±1 std, from the runs\' TensorBoard events '
                  f'({", ".join(map(_e, plotted))}); the first {min(20, len(s.groups))} groups.</p>']
    parts += [_pictures_section(s), _swept_section(s), _failed_section(s), _provenance_section(s)]
    parts.append(f"<script>{SORT_JS}</script></main></body></html>\n")
    return "\n".join(parts)


def write(s: Summary, path: Path, title: str) -> Path:
    write_atomic(path, render(s, title))
    return path


def report(paths: list[Path], out: Path | None = None, metrics: list[str] | None = None, mode: str | None = None,
           by: str = "best") -> Path:
    runs = checked_runs(paths, metrics)
    s = summarize(runs, metrics, mode, by)
    s.claims = claims.judge(runs)
    if out is None:
        out = default_out(paths) / "report.html"
    if out.is_dir():
        raise CompareError(f"--out {out} is wrong: it is a folder; allowed is a file path, e.g. {out / 'report.html'}")
    writable(out.parent, "--out" if out.parent != default_out(paths) else "the default --out")
    title = f"dlx report: {len(runs)} runs in {len(s.all_groups)} groups ({', '.join(map(str, paths))})"
    return write(s, out, title)


def main(argv: list[str]) -> int:
    p = checks.ArgumentParser(prog="dlx report", description="Write one self-contained report.html (table, "
                                "curves, swept values, failures, provenance) for a sweep folder or run folders.")
    p.add_argument("paths", nargs="+", type=Path, help="a sweep folder, or several run folders")
    p.add_argument("--out", type=Path, default=None, help="the HTML file (default: <sweep folder>/report.html, "
                   "or ./report.html for several folders)")
    p.add_argument("--metric", action="append", default=None, help="as dlx compare --metric (repeatable)")
    p.add_argument("--mode", choices=("max", "min"), default=None, help="as dlx compare --mode")
    p.add_argument("--by", choices=("best", "final"), default="best", help="as dlx compare --by")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        path = report(args.paths, args.out, args.metric, args.mode, args.by)
    except (CompareError, runfolder.RunFolderError) as e:  # runfolder's: a provenance.json of the wrong types
        print(f"dlx: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
