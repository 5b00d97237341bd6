"""A Summary as a table of strings: the console's (rich) and summary.md's share the rows."""

from __future__ import annotations

import math
import sys
import textwrap

from dlx.results.runs import PARTIAL, Group
from dlx.results.stats import is_zero
from dlx.results.summary import Summary


def fmt(mean: float, std: float, n: int) -> str:
    if n == 0 or math.isnan(mean):
        return "-"
    if math.isnan(std):
        return f"{mean:.4g}"
    return f"{mean:.4g} ± {0.0 if is_zero(std, mean) else std:.2g}"  # float noise is 0


def _runs_cell(g: Group) -> str:
    n_run = g.count(*PARTIAL)
    return f"{len(g.runs)}" + (f" ({n_run} running)" if n_run else "")


def table_rows(s: Summary, ci: bool = True) -> tuple[list[str], list[list[str]]]:
    """The human table (strings) shared by the console (without the ``ci`` column, for width) and summary.md."""
    pruned = any(r.status == "pruned" for r in s.runs)  # a column only for sweepers that prune
    header = ["#", "group", "runs", "diverged", "failed", *(["pruned"] if pruned else []), *s.columns]
    header += [f"95% CI ({s.rank_col})"] if ci else []
    header += [f"p vs {s.ref} ({s.rank_col})", "p (Holm)", "d", "test"]
    rows = []
    for i, g in enumerate(s.groups, 1):
        cells = [str(i), g.label, _runs_cell(g), str(g.count("diverged")), str(g.count("failed"))]
        cells += [str(g.count("pruned"))] if pruned else []
        for c in s.columns:
            mean, std, n = g.stats[c]
            cell = fmt(mean, std, n)
            if c.startswith(("steps to", "epochs to")) and n < len(g.values[c]):
                cell += f" ({n}/{len(g.values[c])})"  # only n of the runs reached the threshold
            cells.append(cell)
        lo, hi = g.ci.get(s.rank_col, (math.nan, math.nan))
        cells += (["-" if math.isnan(lo) else f"[{lo:.4g}, {hi:.4g}]"] if ci else [])
        cells += [_num(g.p_value), _num(g.p_holm), _num(g.effect), g.test or "-"]
        rows.append(cells)
    return header, rows


def _num(x: float) -> str:
    if math.isnan(x):
        return "-"
    return ("-∞" if x < 0 else "∞") if math.isinf(x) else f"{x:.2g}"


def stats_note(s: Summary) -> str:
    """One line under the table: what the p, Holm and d columns are."""
    return (
        f"p vs {s.ref}: {s.test_name} over the groups compared with {s.ref} on {s.rank_col} (paired: the seeds "
        f"both groups ran); d: effect size, group minus {s.ref} (paired: d_z, mean difference / std of "
        "differences; Welch: Cohen's d, pooled std); 95% CI: bootstrap (BCa) interval of the mean"
    )

def first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""  # the last line of a traceback names the exception

def print_summary(s: Summary, title: str, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    header, rows = table_rows(s, ci=False)
    # every cell stays on one line; a header wraps at its words to its column's width
    widths = [max(max((len(r[j]) for r in rows), default=1), *map(len, h.replace("/", "/ ").split()))
              for j, h in enumerate(header)]
    # a log file gets the whole table; a terminal narrower than it shortens cells with an ellipsis
    console = console or Console(width=None if sys.stdout.isatty() else max(120, sum(w + 3 for w in widths) + 1))
    table = Table(
        title=title,
        caption=f"ranked by {s.primary} {s.by} ({s.mode}); mean ± std over seeds; "
        "diverged/failed/pruned runs are counted, not averaged\n" + stats_note(s) + " (in summary.md)",
    )
    for h, w in zip(header, widths):
        table.add_column(textwrap.fill(h.replace("/", "/ "), w).replace("/ ", "/").replace("/\n", "/\n"),
                         justify="left" if h == "group" else "right", overflow="ellipsis", no_wrap=True)
    for i, r in enumerate(rows):
        g = s.groups[i]
        style = "bold green" if i == 0 else ("red" if g.count("failed", "diverged") == len(g.runs) else None)
        table.add_row(*r, style=style)
    console.print(table)
    for r in s.failed:
        console.print(
            f"[red]{r.status}[/red] {r.path}" + (f": {first_line(r.error)}" if r.error else ""),
            highlight=False,
        )
