"""The summary files a comparison leaves in its folder: summary.csv, summary.md, runs.csv, curves.png."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from dlx import checks, runfolder
from dlx.metrics import direction
from dlx.results.figures import curves_png
from dlx.results.runs import PARTIAL, CompareError, run_metric, run_wall
from dlx.results.summary import Summary
from dlx.results.tables import first_line, stats_note, table_rows


def write_atomic(path: Path, data: str | bytes) -> None:
    if path.is_symlink():  # os.replace would replace the link, but a link where dlx writes was put there by someone
        raise CompareError(f"--out {path.parent} is wrong: {path} is a symbolic link; allowed is a folder without "
                           "links where dlx writes (remove the link)")
    runfolder.write_bytes(path, data.encode() if isinstance(data, str) else data)  # an unpredictable temp name


def _csv_num(x: float) -> str:
    return "" if math.isnan(x) else repr(x)


def write_csv(s: Summary, path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf)
    head = ["rank", "group", "overrides", "runs", "running", "diverged", "failed"]
    for c in s.columns:
        head += [f"{c} mean", f"{c} std", f"{c} n"]
    ci_cols = [c for c in s.columns if c in (s.groups[0].ci if s.groups else {})]
    # new columns go after the old ones: scripts that read summary.csv by position keep working
    tail = ["pruned", *[f"{c} ci95 {e}" for c in ci_cols for e in ("low", "high")]]
    tail += [f"p vs {s.ref}", f"p vs {s.ref} (Holm)", f"effect size vs {s.ref}", "test"]
    w.writerow(runfolder.csv_row(head + ["p_value"] + tail))
    for i, g in enumerate(s.groups, 1):
        row = [
            i,
            g.label,
            " ".join(g.key),
            len(g.runs),
            g.count(*PARTIAL),
            g.count("diverged"),
            g.count("failed"),
        ]
        for c in s.columns:
            mean, std, n = g.stats[c]
            row += ["" if math.isnan(mean) else repr(mean), "" if math.isnan(std) else repr(std), n]
        row += [_csv_num(g.p_value), g.count("pruned")]
        row += [_csv_num(x) for c in ci_cols for x in g.ci[c]]
        w.writerow(runfolder.csv_row(row + [_csv_num(g.p_value), _csv_num(g.p_holm), _csv_num(g.effect), g.test]))
    write_atomic(path, buf.getvalue())


def write_runs_csv(s: Summary, path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf)
    cols = [f"{m} {which}" for m in s.metrics for which in ("final", "best")]
    w.writerow(runfolder.csv_row(["path", "group", "seed", "status", "epochs", "steps", "wall_s", *cols, "error"]))
    modes = {m: (s.mode if m == s.primary else direction(m)) for m in s.metrics}
    for g in s.all_groups:
        for r in g.runs:
            vals = [run_metric(r, m, which, modes[m]) for m in s.metrics for which in ("final", "best")]
            w.writerow(runfolder.csv_row(
                [
                    str(r.path),
                    g.label,
                    "" if r.seed is None else r.seed,
                    r.status,
                    r.epochs or "",
                    r.steps or "",
                    "" if math.isnan(run_wall(r)) else f"{run_wall(r):.3f}",
                    *["" if math.isnan(v) else repr(v) for v in vals],
                    first_line(r.error),
                ]
            ))
    write_atomic(path, buf.getvalue())


def write_md(s: Summary, path: Path, title: str) -> None:
    header, rows = table_rows(s)
    esc = lambda x: x.replace("|", "\\|")
    lines = [
        f"# {title}",
        "",
        f"Ranked by {s.primary} ({s.by}, {s.mode}); mean ± std over seeds; "
        "diverged, failed and pruned runs are counted, not averaged.",
        "",
        stats_note(s) + ".",
        "",
    ]
    lines.append("| " + " | ".join(map(esc, header)) + " |")
    lines.append("|" + "---|" * len(header))
    lines += ["| " + " | ".join(map(esc, r)) + " |" for r in rows]
    if s.failed:
        lines += ["", "Failed or diverged runs:", ""]
        lines += [
            f"- `{r.path}`: {r.status}" + (f": {first_line(r.error)}" if r.error else "") for r in s.failed
        ]
    write_atomic(path, "\n".join(lines) + "\n")

def plot_curves(s: Summary, path: Path, top: int = 20) -> list[str]:
    """curves.png: one panel per metric with a curve: the mean over seeds per group, a band of +-1 std.
    Returns the metrics plotted (empty: no PNG written)."""
    png, metrics = curves_png(s, top)
    if png:
        write_atomic(path, png)
    return metrics

def writable(folder: Path, flag: str = "--out") -> None:
    """Make ``folder`` and check a file can be written in it (a read-only or full disk: one line)."""
    refused = checks.cannot_write(folder)
    if refused is None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            refused = folder, e.strerror
    if refused:
        raise CompareError(f"{flag} {folder} is wrong: it cannot be written ({refused[1]}); allowed is a folder "
                           "you can write to")
