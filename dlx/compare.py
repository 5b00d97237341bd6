"""``dlx compare``: aggregate a sweep (or any run folders) into one table, CSV/Markdown summaries and a plot.

The work is dlx/results/'s (runs, statistics, tables, figures, files); this module is the command.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dlx import checks
from dlx.results import claims
from dlx.results.files import default_out, plot_curves, writable, write_csv, write_md, write_runs_csv
from dlx.results.runs import CompareError, checked_runs
from dlx.results.summary import Summary, summarize
from dlx.results.tables import print_summary


def _threshold(text: str) -> tuple[str | None, float]:
    metric, _, value = text.rpartition("=")
    try:
        return metric or None, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--threshold {text} is wrong: allowed a number (for the primary metric) or metric=number"
        ) from None

def compare(
    paths: list[Path],
    out: Path | None = None,
    metrics: list[str] | None = None,
    mode: str | None = None,
    by: str = "best",
    thresholds: list[tuple[str | None, float]] | None = None,
    plot: bool = True,
    console=None,
    best_per: str | None = None,
    best_on: str | None = None,
    vs: str | None = None,
) -> Summary:
    """Find, summarize, print and write; CompareError (one line) for wrong paths, metrics, --vs or --out."""
    if best_on and not best_per:
        raise CompareError(f"--best-on {best_on} is wrong without --best-per: allowed with --best-per KEY, which "
                           "it chooses for")
    runs = checked_runs(paths, [*(metrics or []), *([best_on] if best_on else [])])
    s = summarize(runs, metrics, mode, by, thresholds, best_per, best_on, vs)
    s.claims = claims.judge(runs)  # the claim blocks the runs were made with, judged (none: [])
    chosen = out is not None
    out = out or default_out(paths)
    writable(out, "--out" if chosen else "the default --out")
    title = f"dlx compare: {len(runs)} runs in {len(s.all_groups)} groups"
    if best_per:
        title += f", the best of each {best_per} ({len(s.groups)})" + (f" on {best_on}" if best_on else "")
    title += f" ({', '.join(map(str, paths))})"
    write_csv(s, out / "summary.csv")
    write_runs_csv(s, out / "runs.csv")
    write_md(s, out / "summary.md", title)
    plotted = plot_curves(s, out / "curves.png") if plot else []
    print_summary(s, title, console, full=str(out / "summary.md"))
    written = ["summary.csv", "summary.md", "runs.csv"] + (["curves.png"] if plotted else [])
    if s.claims:
        claims.write(s.claims, out / "verdict.json")
        claims.print_verdicts(s.claims, console or _plain_console())
        written.append("verdict.json")
    (console or _plain_console()).print(f"wrote {', '.join(str(out / f) for f in written)}", highlight=False)
    return s


def _plain_console():
    from rich.console import Console

    # a terminal's width, or COLUMNS (rich reads both); a log: long enough that a path is one line
    return Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit() else 200)


def build_parser() -> argparse.ArgumentParser:
    p = checks.ArgumentParser(
        prog="dlx compare",
        description="Group runs by their overrides (seed aside) and compare the groups: mean ± std over "
        "seeds with a 95% bootstrap interval, steps to a threshold, a paired (shared seeds) or Welch t-test "
        "against the best group, Holm-adjusted, with an effect size. Writes summary.csv, summary.md, runs.csv "
        "and curves.png.",
    )
    p.add_argument("paths", nargs="+", type=Path, help="a sweep folder, or several run folders")
    p.add_argument(
        "--metric",
        action="append",
        default=None,
        help="metric to report (repeatable; the first ranks the groups). Default: the runs' own "
        "primary metric (trainer.metric, val/acc), plus val/loss and test/acc where logged",
    )
    p.add_argument(
        "--mode",
        choices=("max", "min"),
        default=None,
        help="whether the first metric is better high or low. Default: the runs' trainer.mode",
    )
    p.add_argument(
        "--by",
        choices=("best", "final"),
        default="best",
        help="rank by the best or the final value of the first metric (default best)",
    )
    p.add_argument(
        "--threshold",
        action="append",
        type=_threshold,
        default=None,
        help="NUMBER (first metric) or METRIC=NUMBER: report steps and epochs to reach it (repeatable)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write the summaries (default: the sweep folder, or . for several folders)",
    )
    p.add_argument(
        "--best-per",
        default=None,
        metavar="KEY",
        help="keep only the best group for each value of this override key, e.g. --best-per optim after an "
        "optimizer x learning-rate grid (every optimizer at its best rate, chosen on the first metric)",
    )
    p.add_argument(
        "--best-on",
        default=None,
        metavar="METRIC",
        help="with --best-per: choose each value's best group on this metric instead of the ranking one, e.g. "
        "--metric test/acc --best-per regularizer --best-on val/acc (its final value when the ranking metric "
        "is measured only at the end, as test/... is)",
    )
    p.add_argument(
        "--vs",
        default=None,
        metavar="GROUP",
        help="test every group against this one instead of #1: its label or overrides only it has, e.g. "
        "--vs regularizer=none",
    )
    p.add_argument("--no-plot", action="store_true", help="skip curves.png")
    return p


def main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # argparse already printed the usage line (or the help)
        return int(e.code or 0)
    try:
        compare(args.paths, args.out, args.metric, args.mode, args.by, args.threshold, plot=not args.no_plot,
                best_per=args.best_per, best_on=args.best_on, vs=args.vs)
    except CompareError as e:
        print(f"dlx: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
