"""``dlx plan``: how many seeds a sweep needs, from a pilot sweep's spread.

The pilot's runs are grouped and compared as ``dlx compare`` does (each group against #1, or ``--vs``); for each
comparison, the seeds a group with which its test (paired when seeds match, else Welch) finds a true difference of
``--effect`` with ``--power``, at Holm's first-step level alpha / m over the m comparisons (the level each can
count on), allowing for the spread being measured on the pilot's few seeds (dlx/results/stats.py). Nothing is
written.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from dlx import checks
from dlx.results.runs import CompareError, checked_runs
from dlx.results.stats import ALPHA, POWER, detectable, seeds_for
from dlx.results.summary import power_level, summarize


def _probability(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        x = math.nan
    if not 0 < x < 1:
        raise argparse.ArgumentTypeError(f"{text} is wrong: allowed is a number between 0 and 1")
    return x


def _effect(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        x = math.nan
    if not (math.isfinite(x) and x > 0):
        raise argparse.ArgumentTypeError(f"{text} is wrong: allowed is a difference > 0 in the metric's units, e.g. "
                                         "0.01 for one point of accuracy")
    return x


def plan(paths: list[Path], effect: float, alpha: float = ALPHA, power: float = POWER, metrics: list[str] | None = None,
         mode: str | None = None, by: str = "best", vs: str | None = None, best_per: str | None = None,
         best_on: str | None = None) -> tuple[list[dict], float, object]:
    """One row per comparison (group, test, seeds now, sd, the difference seen, the MDE now and the seeds for
    ``effect``), the level, and the summary. CompareError (one line) for a pilot that cannot say."""
    if power <= alpha:
        raise CompareError(f"--power {power:g} is wrong with --alpha {alpha:g}: allowed is a power above alpha (a "
                           "test finds nothing more often than alpha by chance)")
    if best_on and not best_per:
        raise CompareError(f"--best-on {best_on} is wrong without --best-per: allowed with --best-per KEY")
    runs = checked_runs(paths, [*(metrics or []), *([best_on] if best_on else [])])
    s = summarize(runs, metrics, mode, by, None, best_per, best_on, vs)
    tested = [g for g in s.groups if g.spread is not None]
    if not tested:
        raise CompareError(f"{', '.join(map(str, paths))} is wrong for a plan: no two groups have 2 or more finished "
                           "seeds each, so there is no spread to measure; allowed is a pilot sweep with seed=0,1,2 "
                           "(or more) on every group")
    level = power_level(len(tested), alpha)
    rows = []
    for g in tested:
        sp = g.spread
        rows.append(dict(group=g.label, test=sp.test, seeds=min(sp.n), sd=sp.sd, diff=g.diff,
                         mde=detectable(sp, level, power), needed=seeds_for(effect, sp, level, power)))
    return rows, level, s


def print_plan(rows: list[dict], level: float, s, effect: float, alpha: float, power: float, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=None if sys.stdout.isatty() else 160)
    m = len(rows)
    at = f"{alpha:g}/{m} = {level:.3g}" if m > 1 else f"{alpha:g}"
    table = Table(title=f"dlx plan: seeds to detect a difference of {effect:g} in {s.rank_col} with {power:.0%} "
                        f"power, each group against {s.ref}",
                  caption=f"Holm's first-step level {at} over the {m} comparison{'s' if m > 1 else ''}; the spread "
                          "is the pilot's (paired: sd of the per-seed differences; Welch: each group's sd), allowing "
                          f"for its being measured on few seeds; MDE now: the difference the pilot's seeds detect "
                          f"with {power:.0%} power")
    for h in ("group", "test", "seeds now", "sd", "difference seen", "MDE now", f"seeds for {effect:g}"):
        table.add_column(h, justify="left" if h == "group" else "right")
    for r in rows:
        need = "-" if math.isnan(r["needed"]) else ("> 100000" if math.isinf(r["needed"]) else f"{r['needed']:.0f}")
        table.add_row(r["group"], r["test"], str(r["seeds"]), " / ".join(f"{x:.3g}" for x in r["sd"]),
                      f"{r['diff']:+.3g}", f"{r['mde']:.3g}", need)
    console.print(table)
    most = max(r["needed"] for r in rows)
    now = min(r["seeds"] for r in rows)
    if math.isinf(most):
        console.print(f"Some comparison needs more than 100000 seeds for {effect:g}: its spread is too wide for a "
                      "difference that small.", highlight=False)
    else:
        console.print(f"Every comparison detects {effect:g} with {power:.0%} power at {most:.0f} seeds a group (the "
                      f"pilot has {now}): seed=range(0,{most:.0f})", highlight=False)


def build_parser() -> argparse.ArgumentParser:
    p = checks.ArgumentParser(
        prog="dlx plan",
        description="From a pilot sweep: how many seeds each comparison dlx compare makes needs to detect a given "
        "difference with a given power (alpha Holm-adjusted over the comparisons).",
    )
    p.add_argument("paths", nargs="+", type=Path, help="a pilot sweep folder, or several run folders")
    p.add_argument("--effect", type=_effect, required=True,
                   help="the smallest difference worth finding, in the metric's units (0.01: one point of accuracy)")
    p.add_argument("--alpha", type=_probability, default=ALPHA,
                   help=f"family-wise error rate over the comparisons (default {ALPHA})")
    p.add_argument("--power", type=_probability, default=POWER,
                   help=f"chance of finding a difference of --effect (default {POWER})")
    p.add_argument("--metric", action="append", default=None,
                   help="the metric compared (default: the runs' own primary metric, as dlx compare)")
    p.add_argument("--mode", choices=("max", "min"), default=None, help="whether the metric is better high or low")
    p.add_argument("--by", choices=("best", "final"), default="best", help="the best or the final value (default best)")
    p.add_argument("--vs", default=None, metavar="GROUP", help="compare every group with this one instead of #1")
    p.add_argument("--best-per", default=None, metavar="KEY", help="as dlx compare: only each value's best group")
    p.add_argument("--best-on", default=None, metavar="METRIC", help="as dlx compare: choose --best-per on this")
    return p


def main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # argparse already printed the one line (or the help)
        return int(e.code or 0)
    try:
        rows, level, s = plan(args.paths, args.effect, args.alpha, args.power, args.metric, args.mode, args.by,
                              args.vs, args.best_per, args.best_on)
    except CompareError as e:
        print(f"dlx: error: {e}", file=sys.stderr)
        return 2
    print_plan(rows, level, s, args.effect, args.alpha, args.power)
    return 0
