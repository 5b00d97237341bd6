"""A Summary as a table of strings: the console's (rich) and summary.md's share the rows."""

from __future__ import annotations

import math
import os
import sys
import textwrap

from dlx.results.runs import Group
from dlx.results.stats import ALPHA, is_zero
from dlx.results.summary import Summary
from dlx.runfolder import BROKEN, DIVERGED, FAILED, PRUNED, UNFINISHED


def fmt(mean: float, std: float, n: int) -> str:
    if n == 0 or math.isnan(mean):
        return "-"
    if math.isnan(std):
        return f"{mean:.4g}"
    return f"{mean:.4g} ± {0.0 if is_zero(std, mean) else std:.2g}"  # float noise is 0


def _runs_cell(g: Group) -> str:
    """How many runs, and those not in the mean: a narrow terminal drops the count columns, and a row of dashes
    (a search's pruned trials) must still say why."""
    parts = [f"{n} {what}" for what, n in (("running", g.count(*UNFINISHED)), (PRUNED, g.count(PRUNED)),
                                           (DIVERGED, g.count(DIVERGED)), (FAILED, g.count(FAILED))) if n]
    return f"{len(g.runs)}" + (f" ({', '.join(parts)})" if parts else "")


def table_rows(s: Summary, ci: bool = True) -> tuple[list[str], list[list[str]]]:
    """The human table (strings) shared by the console (fitted to its width), summary.md and report.html."""
    pruned = any(r.status == PRUNED for r in s.runs)  # a column only for sweepers that prune
    header = ["#", "group", "runs", DIVERGED, FAILED, *([PRUNED] if pruned else []), *s.columns]
    header += [f"95% CI ({s.rank_col})"] if ci else []
    header += [f"p vs {s.ref} ({s.rank_col})", "p (Holm)", "d", "test", "MDE 80%", "seeds needed"]
    rows = []
    for i, g in enumerate(s.groups, 1):
        cells = [str(i), g.label, _runs_cell(g), str(g.count(DIVERGED)), str(g.count(FAILED))]
        cells += [str(g.count(PRUNED))] if pruned else []
        for c in s.columns:
            mean, std, n = g.stats[c]
            cell = fmt(mean, std, n)
            if c.startswith(("steps to", "epochs to")) and n < len(g.values[c]):
                cell += f" ({n}/{len(g.values[c])})"  # only n of the runs reached the threshold
            cells.append(cell)
        lo, hi = g.ci.get(s.rank_col, (math.nan, math.nan))
        cells += (["-" if math.isnan(lo) else f"[{lo:.4g}, {hi:.4g}]"] if ci else [])
        cells += [_num(g.p_value), _num(g.p_holm), _num(g.effect), g.test or "-", _mde(g.mde), _seeds(g.seeds_needed)]
        rows.append(cells)
    return header, rows


def _num(x: float) -> str:
    if math.isnan(x):
        return "-"
    return ("-∞" if x < 0 else "∞") if math.isinf(x) else f"{x:.2g}"


def _mde(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.3g}"


def _seeds(x: float) -> str:
    return "-" if math.isnan(x) else ("∞" if math.isinf(x) else f"{x:.0f}")


def stats_note(s: Summary) -> str:
    """One line under the table: what the p, Holm, d and power columns are."""
    m = round(ALPHA / s.level) if s.level == s.level else 0
    level = f"{ALPHA:g}/{m} = {s.level:.3g}" if m > 1 else f"{ALPHA:g}"
    return (
        f"p vs {s.ref}: {s.test_name} over the groups compared with {s.ref} on {s.rank_col} (paired: the seeds "
        f"both groups ran); d: effect size, group minus {s.ref} (paired: d_z, mean difference / std of "
        "differences; Welch: Cohen's d, pooled std); 95% CI: bootstrap (BCa) interval of the mean; "
        f"MDE 80%: the smallest true difference ({s.rank_col} units) the test finds with 80% power at Holm's "
        f"first-step level {level}, allowing for the spread being measured on these seeds; seeds needed (not "
        "significant): the seeds a group with which the difference seen would be found with 80% power"
    )

def first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""  # the last line of a traceback names the exception

def reading_order(header: list[str], rank_col: str) -> list[int]:
    """Column indices in the order a reader wants them: #, group, runs, the ranking metric, its interval and the
    test against the best (p, Holm, d, test, its power: MDE and seeds needed), then the other metrics, wall time
    and the counts. The console drops
    columns from the end of this order when the terminal is narrow; report.html shows the statistics before its
    table can need a sideways scroll."""
    stats = [i for i, h in enumerate(header)
             if h.startswith(("95% CI", "p vs ", "p (Holm)")) or h in ("d", "test", "MDE 80%", "seeds needed")]
    first = [header.index(h) for h in ("#", "group", "runs", rank_col) if h in header]
    counts = [header.index(h) for h in (DIVERGED, FAILED, PRUNED) if h in header]
    rest = [i for i in range(len(header)) if i not in first + stats + counts]
    return first + stats + rest + counts


GROUP_MIN = 16  # characters: the group label wraps at its spaces; a narrower column reads badly
KEPT = 6  # #, group, runs, the ranking metric, its 95% CI, p vs the best: shown at any width


def _natural(header: list[str], rows: list[list[str]]) -> list[int]:
    """Each column's width with every cell on one line and the header wrapped at its words (and after '/')."""
    return [max(max((len(r[j]) for r in rows), default=1), *map(len, h.replace("/", "/ ").split()))
            for j, h in enumerate(header)]


def fit_columns(header: list[str], rows: list[list[str]], rank_col: str, width: int | None) -> list[int]:
    """The columns the console shows, in reading order: the first KEPT always, then as many of the rest as fit in
    ``width`` characters (None: all), stopping at the first that does not (a table whose columns end where the
    summary.md's reading order goes on). A rich table column costs its width + 3 (padding, border), plus 1."""
    order = reading_order(header, rank_col)
    if width is None:
        return order
    natural = _natural(header, rows)
    group = header.index("group")
    # the group keeps its longest override on one line where it can (optim=rmsprop_nesterov), GROUP_MIN at least
    longest = max((len(word) for r in rows for word in r[group].split()), default=1)
    need = min(natural[group], max(GROUP_MIN, longest))
    shown = order[:KEPT]
    used = 1 + sum(natural[j] + 3 for j in shown) - natural[group] + need
    for j in order[KEPT:]:
        if used + natural[j] + 3 > width:
            break
        shown.append(j)
        used += natural[j] + 3
    return shown


def _console(console, header: list[str], rows: list[list[str]]):
    """(console, width to fit the table to): a given console's width; a terminal's, or COLUMNS (rich reads both);
    a pipe or a log file without COLUMNS gets the whole table, one line a row (width None): it is read later, in
    full, and a long line costs nothing there."""
    from rich.console import Console

    if console is not None:
        return console, console.width
    if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit():
        console = Console()
        return console, console.width
    return Console(width=max(120, sum(w + 3 for w in _natural(header, rows)) + 1)), None


def print_summary(s: Summary, title: str, console=None, full: str = "summary.md") -> None:
    """The ranked table on the console, fitted to its width: group, runs, the ranking metric (mean ± std), its 95%
    interval and the p-value against the best stay; the other columns follow while they fit, and a line says how
    many were left out and where the whole table is (``full``)."""
    from rich.table import Table

    header, rows = table_rows(s)
    # the interval and the test are on the ranking metric, as the caption says: their headers need not repeat it
    header = [h.split(" (", 1)[0] if h.startswith(("95% CI (", "p vs ")) else h for h in header]
    console, width = _console(console, header, rows)
    shown = fit_columns(header, rows, s.rank_col, width)
    left_out = [header[j] for j in reading_order(header, s.rank_col) if j not in shown]
    caption = (f"ranked by {s.primary} {s.by} ({s.mode}); mean ± std over seeds; diverged/failed/pruned runs are "
               f"counted, not averaged\n{stats_note(s)}")
    if left_out:
        caption += (f"\n{len(left_out)} more column{'s' if len(left_out) > 1 else ''} ({', '.join(left_out)}) in "
                    f"{full}; a wider terminal shows them")
    table = Table(title=title, caption=caption)
    natural = _natural(header, rows)
    for j in shown:
        h = header[j]
        wrapped = textwrap.fill(h.replace("/", "/ "), natural[j]).replace("/ ", "/").replace("/\n", "/\n")
        if h == "group":  # the one column that wraps: a label of several overrides breaks at its spaces
            table.add_column(wrapped, justify="left", overflow="fold", min_width=min(natural[j], GROUP_MIN))
        else:
            table.add_column(wrapped, justify="right", overflow="ellipsis", no_wrap=True)
    for i, r in enumerate(rows):
        g = s.groups[i]
        style = "bold green" if i == 0 else ("red" if g.count(*BROKEN) == len(g.runs) else None)
        table.add_row(*(r[j] for j in shown), style=style)
    console.print(table)
    for r in s.failed:
        console.print(
            f"[red]{r.status}[/red] {r.path}" + (f": {first_line(r.error)}" if r.error else ""),
            highlight=False,
        )
