"""The summary files a comparison leaves in its folder: summary.csv, summary.md, runs.csv, curves.png."""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
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
    # the power of each test (stats.detectable, seeds_for): the difference in the metric's units, the minimum
    # detectable effect at 80% power and the level it assumes, the seeds a group that would find the difference
    tail += [f"diff vs {s.ref}", "mde80", "mde_level", "seeds_needed"]
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
        row += [_csv_num(g.p_value), _csv_num(g.p_holm), _csv_num(g.effect), g.test]
        row += [_csv_num(g.diff), _csv_num(g.mde), _csv_num(s.level) if g.test else "",
                "inf" if math.isinf(g.seeds_needed) else _csv_num(g.seeds_needed)]
        w.writerow(runfolder.csv_row(row))
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

def default_out(paths: list[Path]) -> Path:
    """Where compare and report write without --out: a sweep folder (or one run folder) given alone holds its own
    summary; several run folders get a folder beside them, named by the runs it compares, so that a subset of a
    sweep does not overwrite the sweep's own summary and another subset does not overwrite this one (never the
    current folder, which may be anywhere)."""
    if len(paths) == 1 and paths[0].is_dir():
        return paths[0]
    folders = [p.resolve() for p in paths]
    names = [p.name for p in folders]
    label = "-".join(names)
    if len(names) > 3 or len(label) > 40:  # a long list: first, last, count, and a digest of the whole set
        digest = hashlib.sha1("\n".join(sorted(map(str, folders))).encode()).hexdigest()[:6]
        label = f"{names[0]}-to-{names[-1]}-{len(names)}-runs-{digest}"
    return Path(os.path.commonpath([p.parent for p in folders])) / f"compare-{label}"


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
