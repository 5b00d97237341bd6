"""The course, claim by claim: run the presets that test the notes' claims, then write docs/course/verdicts.json and
one page per part of the notes (docs/course/part<N>.md) from their sweeps. Nothing on the pages is typed by hand but
the readings (docs/course/readings/<preset>.md, words that read a preset's claims together): the sentences come from
the presets' claim blocks, the numbers from the sweeps (dlx/results/claims.py).

    python scripts/course.py --part 1 --replicate          every Part 1 preset, then each again on seeds 5-9
    python scripts/course.py --claims C7,C23               only the presets that test these claims
    python scripts/course.py --claims C7 --seeds 5,6,7,8,9 the replication alone (recorded beside the main result)
    python scripts/course.py --from outputs/course         rebuild the pages from existing sweeps, no training

Sweeps go to <out>/<preset> (and <out>/<preset>-seeds5_6_7_8_9); a second call continues a sweep that stopped
(resume_sweep=true keeps its finished jobs). Each preset's wall time is printed and kept in verdicts.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's dlx, whatever is installed

from dlx import course, runfolder  # noqa: E402
from dlx.checks import ConfigError  # noqa: E402
from dlx.results import claims  # noqa: E402
from dlx.results.runs import CompareError, find_runs  # noqa: E402


def _seeds(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(int(s) for s in text.split(","))
    except ValueError:
        seeds = ()
    if not seeds or len(set(seeds)) < len(seeds) or len(seeds) < 2:
        raise argparse.ArgumentTypeError(f"--seeds {text} is wrong: allowed are two or more distinct integers, "
                                         "e.g. 5,6,7,8,9")
    return seeds


def selected(rows: list[dict], ids: list[str] | None, part: int | None) -> list[dict]:
    """The catalogue rows chosen by --claims and --part; ConfigError for an ID no row has."""
    known = {r["id"] for r in rows}
    unknown = [i for i in ids or [] if i not in known]
    if unknown:
        raise ConfigError(f"--claims {unknown[0]} is wrong: allowed are the claims the presets test or list as not "
                          f"tested: {', '.join(r['id'] for r in rows)}")
    return [r for r in rows if (not ids or r["id"] in ids) and part in (None, r["part"])]


def train(preset: str, seeds: tuple[int, ...] | None, out: Path) -> dict:
    """Run one preset's sweep with this checkout's dlx (after its source run, where it has one and that run has
    not finished yet); the wall time of both in seconds and the load when it ended (also written beside the
    sweep's folder)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    t0 = time.perf_counter()
    source = course.source_args(preset, out)
    if source and not _finished(out / course.source_preset(preset)):
        cmd = [sys.executable, "-m", "dlx", "train", *source]
        print(f"== {preset}: its source run: {' '.join(cmd[2:])}", flush=True)
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL)
    cmd = [sys.executable, "-m", "dlx", "train", *course.train_args(preset, seeds, out), "resume_sweep=true"]
    print(f"== {preset}{course.seeds_name(seeds)}: {' '.join(cmd[2:])}", flush=True)
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL)  # the sweep's own summary is in its folder
    wall = time.perf_counter() - t0
    print(f"== {preset}{course.seeds_name(seeds)}: {wall:.0f} s" + (f" (exit {done.returncode})"
                                                                    if done.returncode else ""), flush=True)
    took = {"wall_s": round(wall, 1), "load": round(os.getloadavg()[0], 2)}
    _write(wall_file(course.sweep_dir(preset, seeds, out)), json.dumps(took) + "\n")
    return took


def wall_file(folder: Path) -> Path:
    """Beside a sweep's folder, how long the sweep took and the machine's 1-minute load when it ended (the 2 cores
    are shared: a time means little without it), so that --from can show the time of a sweep run before."""
    return folder.with_name(folder.name + ".wall.json")


def timed(folder: Path) -> dict | None:
    """The wall time (and load) recorded beside a sweep's folder, None when there is none."""
    try:
        found = json.loads(wall_file(folder).read_text())
        return {"wall_s": float(found["wall_s"]), "load": found.get("load")}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _finished(run_dir: Path) -> bool:
    return runfolder.status_of(run_dir) in runfolder.TESTED


def settings(runs: list, entries: list[dict]) -> dict:
    """Every setting the sweep ran (its swept values but the seed) with the mean ± std over seeds of each metric
    the preset's claims read (for val/ and train/ the best epoch's value, for test/ and the rest the final one),
    so a page shows the whole grid and not only each arm at its chosen setting: {"metrics": [...], "rows":
    [{"setting", "n", "values": {metric: [mean, std]}}]}."""
    from dlx.results.summary import summarize

    metrics = list(dict.fromkeys(e["metric"] for e in entries if not e["metric"].startswith(("epochs ", "steps "))
                                 and e["metric"] != "wall_s"))
    if not metrics:
        return {}
    s = summarize(runs, metrics)
    rows = []
    for g in sorted(s.groups, key=lambda g: g.label):
        values = {}
        for m in metrics:
            col = next((c for c in (f"{m} best", f"{m} final") if c in g.stats and (m.startswith(("val/", "train/"))
                                                                                 or c.endswith("final"))), None)
            mean, std, _ = g.stats.get(col, (math.nan, math.nan, 0))
            values[m] = [mean, std]
        rows.append({"setting": g.label, "n": len(g.values.get(f"{metrics[0]} final", [])), "values": values})
    return {"metrics": metrics, "rows": rows}


def judge(folder: Path, docs: Path | None = None) -> list[dict]:
    """The verdict entries of one sweep folder (its stored claim blocks), and each claim's figure written to
    docs/img/<ID>.png when ``docs`` is given."""
    runs = find_runs([folder])
    entries = claims.judge(runs)
    grid = settings(runs, entries)
    for e in entries:
        e["settings"] = grid
    if docs is not None:
        for c in claims.stored(runs)[0]:
            drawn = c.figure or _default_figure(c, runs)
            png = claims.figure_png(dataclasses.replace(c, figure=drawn), runs) if drawn else None
            if png:
                (docs / "img").mkdir(parents=True, exist_ok=True)
                _write(docs / "img" / f"{c.ids[0]}.png", png)
                for e in entries:
                    if e["id"] in c.ids:
                        e.update(image=f"img/{c.ids[0]}.png", image_of=list(drawn))
    return entries


def _default_figure(c, runs: list) -> tuple[str, ...]:
    """A block without ``figure``: the curves of the validation metric its arms are chosen on (or val/acc,
    val/loss, whichever the runs log each epoch), so that every section of a page shows its arms learning."""
    logged = {m for r in runs for m in r.curves}
    return next(((m,) for m in (c.best_on, "val/acc", "val/loss") if m in logged), ())


def _write(path: Path, data: str | bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data.encode() if isinstance(data, str) else data)
    os.replace(tmp, path)


READINGS = "readings"  # <docs>/readings/<preset>.md: words by hand that read a preset's claims together (the one
#                         part of a page not written from the sweeps; a number there names the sweep it comes from)
META = ("id", "ids", "part", "line", "es", "en")  # which claim: once per entry, not again in its replication


def _load(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    return {e["id"]: e for e in json.loads(path.read_text())["claims"]}


def record(book: dict[str, dict], preset: str, entries: list[dict], seeds: tuple[int, ...] | None, out: Path,
           wall: dict | None) -> None:
    """Put one sweep's verdicts into ``book`` (ID -> verdicts.json entry): the main result (the preset's own
    seeds), or with ``seeds`` the replication beside it. ``wall``: the sweep's time and load (:func:`timed`), None
    when unknown (the time recorded before is kept)."""
    for e in entries:
        old = book.get(e["id"]) if (book.get(e["id"]) or {}).get("preset") == preset else {}
        result = {k: v for k, v in e.items() if k not in META}
        result.update(seeds=list(seeds) if seeds else None, sweep=str(course.sweep_dir(preset, seeds, out)),
                      command=course.commands(preset, seeds))
        before = (old.get("replication") or {}) if seeds else old
        result.update(wall or {"wall_s": before.get("wall_s"), "load": before.get("load")})
        if seeds:
            what = {k: v for k, v in e.items() if k in ("id", *claims.DESCRIPTION)}
            book[e["id"]] = {**what, "verdict": None, **old, "preset": preset, "replication": result}
        else:
            book[e["id"]] = {**{k: e[k] for k in META}, "preset": preset, **result,
                             "replication": old.get("replication")}


def keeps_direction(e: dict) -> bool | None:
    """Does the replication's difference point the same way as a supported or contradicted main result's?"""
    rep = e.get("replication") or {}
    if e.get("verdict") not in ("supported", "contradicted") or rep.get("effect") is None or e.get("effect") is None:
        return None
    return (rep["effect"] > 0) == (e["effect"] > 0)


def finish(book: dict[str, dict], rows: list[dict]) -> list[dict]:
    """verdicts.json's entries in ID order: the claims the catalogue knows (a preset's result for a claim it no
    longer tests is dropped), the untested ones with their reason."""
    out = []
    for r in rows:
        if r["preset"] is None:
            out.append({k: r[k] for k in ("id", "part", "line", "es", "en")} | {"preset": None, "verdict": None,
                                                                             "reason": r["reason"]})
        elif r["id"] in book and book[r["id"]].get("preset") == r["preset"]:
            out.append(dict(book[r["id"]], keeps_direction=keeps_direction(book[r["id"]])))
        else:  # a preset that has not run yet
            out.append(dict(id=r["id"], **claims.describe(r["claim"]), preset=r["preset"], verdict=None,
                            command=course.commands(r["preset"]), replication=None))
    return out


# ------------------------------------------------------------------------------------------------------- pages


def _md(text: str) -> str:
    return str(text).replace("|", "\\|")


def _num(x: float | None, std: float | None = None) -> str:
    if x is None or not math.isfinite(x):  # NaN: nothing to read (no best_on where only the arms are swept)
        return "-"
    return f"{x:.4g}" + (f" ± {std:.2g}" if std is not None and math.isfinite(std) else "")


def _verdict_cell(e: dict | None) -> str:
    if not e or not e.get("verdict"):
        return "not run yet"
    return f"**{e['verdict']}**" if e["verdict"] in ("supported", "contradicted") else e["verdict"]


def _wrong_side(e: dict, pair: dict) -> bool:
    """Does a not-significant ``A > B`` pair's 95% interval lie wholly on the side the notes do not expect?"""
    if "~" in pair["expect"] or pair.get("ci95") is None or pair.get("outcome") != "n.s.":
        return False
    low, high = pair["ci95"]
    return high < 0 if e["mode"] == "max" else low > 0  # effect = A - B; A better is + for max, - for min


def _against(e: dict) -> str | None:
    """The section's first sentence where the result goes against the notes: a contradicted verdict, a replication
    that comes out the other way, or a pair that Holm's adjustment leaves not significant although its own interval
    points the other way."""
    slide, expect = (("the slide", "the notes expect") if e["id"].startswith("C") else  # I<n>: the notes claim
                     ("the preset's expectation", "the preset expects"))                      # nothing themselves
    rep = e.get("replication") or {}
    if e.get("verdict") == "contradicted":
        return (f"**This result goes against {slide}:** {expect} {e['pair']} on {e['metric']}, and the "
                f"sweep shows the opposite ({claims.sentence(e).split(': ', 1)[1]}).")
    if rep.get("verdict") == "contradicted":
        seeds = ",".join(map(str, rep.get("seeds") or ()))
        owner = "the notes'" if e["id"].startswith("C") else "the preset's"
        return (f"**The replication goes against {slide}:** on seeds {seeds} {owner} {rep['pair']} on {rep['metric']} "
                f"comes out the other way ({claims.sentence(rep).split(': ', 1)[1]}); on the preset's own seeds "
                f"the verdict is {e.get('verdict') or 'not run yet'}.")
    leaning = [p for p in e.get("pairs") or [] if _wrong_side(e, p)]
    if e.get("verdict") != "not shown" or not leaning:
        return None
    p = leaning[0]
    return (f"**These numbers lean against {slide}:** {expect} {p['expect']} on {e['metric']}; the sweep's "
            f"difference points the other way ({_num(p['effect'])}, 95% CI [{_num(p['ci95'][0])}, "
            f"{_num(p['ci95'][1])}]), though not significantly once the preset's pairs are adjusted together "
            f"(Holm-adjusted p = {p['p']:.3g}).")


def _pairs(e: dict) -> list[str]:
    """Each expected pair's own outcome, where a claim block expects several (the verdict names one)."""
    if len(e.get("pairs") or []) < 2:
        return []
    rows = [f"{p['expect']}: {p['outcome']}, {_num(p['effect'])} (95% CI [{_num(p['ci95'][0])}, "
            f"{_num(p['ci95'][1])}], Holm-adjusted p = {p['p']:.3g})" for p in e["pairs"]]
    return ["Each expected pair on " + e["metric"] + ": " + "; ".join(rows) + ".", ""]


def section(e: dict) -> list[str]:
    """One claim block's section of a part's page."""
    ids = ", ".join(e.get("ids") or [e["id"]])
    anchors = "".join(f'<a id="{i.lower()}"></a>' for i in e.get("ids") or [e["id"]])  # the table's links
    lines = [anchors, f"## {ids}: {e['en']}", ""]
    first = _against(e)
    lines += [first, ""] if first else []
    lines += [f"> «{e['es']}» (notes, l. {e['line']})", ">", f"> *{e['en']}*", ""]
    if e.get("verdict") is None:
        lines += ["No result yet: run `python scripts/course.py --claims " + e["id"] + "`.", ""]
    else:
        lines += [f"**Verdict:** {claims.sentence(e)}.", "", *_pairs(e)]
    rep = e.get("replication")
    if rep:
        seeds = ",".join(map(str, rep["seeds"]))
        kept = {True: " The replication keeps the main result's direction.",
                False: " **The replication does not keep the main result's direction.**", None: ""}
        lines += [f"**Replication on seeds {seeds}:** {claims.sentence(rep)}.{kept[e.get('keeps_direction')]}", ""]
    else:
        lines += [f"**Replication on seeds {','.join(map(str, course.REPLICATION_SEEDS))}:** not run yet "
                  f"(`python scripts/course.py --claims {e['id']} --seeds "
                  f"{','.join(map(str, course.REPLICATION_SEEDS))}`).", ""]
    if e.get("note"):
        lines += [f"*How the preset is built:* {e['note']}", ""]
    where = "".join(f", {k}={v}" for k, v in (e.get("where") or {}).items())
    chosen = (f"each arm at the setting with the best mean {e['best_on']} over the other swept values"
              if e.get("best_on") else "nothing else swept")
    lines += [f"Arms: `{e['arms']}`{where}; {chosen}; expected: {'; '.join(e['expect'])}.", ""]
    lines += ["```", *(e.get("command") or course.commands(e["preset"])), "```", ""]
    if e.get("table"):
        lines += [f"| arm | chosen setting | {_md(e['metric'])} | {_md(e['best_on'] or '-')} | seeds | diverged |",
                  "|---|---|---|---|---|---|"]
        for r in e["table"]:
            censored = f" ({r['censored']} never reached it: counted at their last epoch)" if r["censored"] else ""
            lines.append(f"| {_md(r['arm'])} | {_md(r['setting'])} | {_num(r['mean'], r['std'])}{censored} | "
                         f"{_num(r['best_on_mean'], r['best_on_std'])} | {r['n']}/{r['runs']} | {r['diverged']} |")
        lines.append("")
    if e.get("image"):
        lines += [f"![{ids}: {_md(', '.join(e.get('image_of') or e['figure']))} of each arm]({e['image']})", ""]
    if e.get("wall_s") is not None:
        lines += [f"The preset's sweep took {_took(e)}" + (f", its replication {_took(rep)}" if (rep or {}).get(
                  "wall_s") is not None else "") + " on the 2-core machine that wrote this page.", ""]
    return lines


def _took(e: dict) -> str:
    """A sweep's wall time, with the machine's 1-minute load when it ended where that was recorded."""
    load = e.get("load")
    return f"{e['wall_s']:.0f} s" + (f" (1-minute load {load:.1f} when it ended)" if load is not None else "")


def settings_table(e: dict) -> list[str]:
    """The whole grid of a preset's sweep (scripts/course.py settings), folded under the preset's first claim."""
    grid = e.get("settings") or {}
    if not grid.get("rows"):
        return []
    head = " | ".join(_md(m) for m in grid["metrics"])
    lines = [f"<details><summary>Every setting of experiment={e['preset']} (mean ± std over its seeds; the claims "
             "above read each arm at its setting chosen on validation)</summary>", "",
             f"| setting | seeds | {head} |", "|---|---|" + "---|" * len(grid["metrics"])]
    for r in grid["rows"]:
        finite = lambda x: x if x is not None and math.isfinite(x) else None
        cells = " | ".join(_num(finite(mean), finite(std)) if finite(mean) is not None else "-"
                           for mean, std in (r["values"][m] for m in grid["metrics"]))
        lines.append(f"| {_md(r['setting'])} | {r['n']} | {cells} |")
    return [*lines, "", "</details>", ""]


def page(part: int, entries: list[dict], missing: list[str], readings: dict[str, str] | None = None) -> str:
    """docs/course/part<N>.md: a table of the part's claims, then one section per claim block; ``readings``
    (preset -> Markdown, docs/course/readings/<preset>.md) follow the preset's grid, once a page."""
    mine = [e for e in entries if e["part"] == part]
    lines = [f"# Part {part}: {course.PARTS[part]}", "",
             "Written by `scripts/course.py` from the presets' sweeps; do not edit by hand. Each verdict comes from "
             "a paired t-test over the seeds on the claim's metric (Holm-adjusted over the pairs of its preset), each "
             "arm at its setting chosen on validation. `dlx course` lists the same claims from the command line.", "",
             "| claim | the notes say | verdict | replication | preset |", "|---|---|---|---|---|"]
    for e in mine:
        lines.append(f"| [{e['id']}](#{e['id'].lower()}) | {_md(e['en'])} | "
                     f"{_verdict_cell(e) if e['preset'] else 'not tested'} | "
                     f"{_verdict_cell(e.get('replication')) if e['preset'] else '-'} | {e['preset'] or '-'} |")
    lines.append("")
    seen: set[tuple[str, ...]] = set()
    tabled: set[str] = set()
    for e in mine:
        block = tuple(e.get("ids") or [e["id"]])
        if e["preset"] and block not in seen:
            seen.add(block)
            lines += section(e)
            if e["preset"] not in tabled:
                tabled.add(e["preset"])
                lines += settings_table(e)
                lines += [(readings or {})[e["preset"]].strip(), ""] if e["preset"] in (readings or {}) else []
    untested = [e for e in mine if not e["preset"]]
    if untested:
        lines += ["## Claims not tested", ""]
        lines += [f"- <a id=\"{e['id'].lower()}\"></a>**{e['id']}** (l. {e['line']}), «{e['es']}»: {e['reason']}."
                  for e in untested]
        lines.append("")
    if missing:
        lines += [f"No preset tests {', '.join(missing)} yet (any part of the notes).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--claims", default=None, help="only the presets that test these claims, e.g. C7,C23")
    p.add_argument("--part", type=int, choices=sorted(course.PARTS), default=None, help="only this part's claims")
    p.add_argument("--seeds", type=_seeds, default=None, help="run with these seeds in place of the presets' own "
                   "and record the result as the replication, e.g. 5,6,7,8,9")
    p.add_argument("--replicate", action="store_true", help="after each preset, run it again on seeds "
                   + ",".join(map(str, course.REPLICATION_SEEDS)) + " (the replication)")
    p.add_argument("--from", dest="source", type=Path, default=None, help="read existing sweeps from this folder "
                   "(<preset>, <preset>-seeds5_6_7_8_9) and train nothing")
    p.add_argument("--out", type=Path, default=course.SWEEPS, help=f"where the sweeps go (default {course.SWEEPS})")
    p.add_argument("--docs", type=Path, default=ROOT / "docs" / "course", help="where the pages and verdicts.json "
                   "go (default docs/course)")
    args = p.parse_args(argv)
    try:
        rows = course.catalogue()
        ids = [i.strip().upper() for i in args.claims.split(",")] if args.claims else None
        chosen = selected(rows, ids, args.part)
    except ConfigError as e:
        print(f"dlx: error: {e}", file=sys.stderr)
        return 2
    presets = list(dict.fromkeys(r["preset"] for r in chosen if r["preset"]))
    runs = [(pr, args.seeds) for pr in presets]
    runs += [(pr, course.REPLICATION_SEEDS) for pr in presets if args.replicate and not args.seeds]
    out = args.source or args.out
    book = _load(args.docs / "verdicts.json")
    args.docs.mkdir(parents=True, exist_ok=True)
    t0, recorded = time.perf_counter(), []
    for preset, seeds in runs:
        folder = course.sweep_dir(preset, seeds, out)
        wall = timed(folder) if args.source else train(preset, seeds, out)
        if not folder.is_dir():
            print(f"{folder}: no sweep; the verdicts of {preset} stay as published", flush=True)
            continue
        recorded.append((wall or {}).get("wall_s"))
        try:
            entries = judge(folder, None if seeds else args.docs)
        except CompareError as e:
            print(f"dlx: error: {folder}: {e}", file=sys.stderr)
            return 2
        record(book, preset, entries, seeds, out, wall)
        for e in claims.blocks(entries):
            print(f"{', '.join(e['ids'])} ({preset}{course.seeds_name(seeds)}): {claims.sentence(e)}", flush=True)
    if not args.source:
        print(f"all presets: {time.perf_counter() - t0:.0f} s", flush=True)
    elif recorded:
        known = [w for w in recorded if w is not None]
        print(f"all presets: {sum(known):.0f} s as recorded beside {len(known)} of the {len(recorded)} sweeps",
              flush=True)
    entries = finish(book, rows)
    _write(args.docs / "verdicts.json", json.dumps({"claims": claims.jsonable(entries)}, indent=1,
                                                   ensure_ascii=False) + "\n")
    missing = [f"C{n}" for n in range(1, course.N_CLAIMS + 1) if f"C{n}" not in {r["id"] for r in rows}]
    parts = sorted({e["part"] for e in entries})
    readings = {f.stem: f.read_text() for f in sorted((args.docs / READINGS).glob("*.md"))}
    for part in parts:
        _write(args.docs / f"part{part}.md", page(part, entries, missing, readings))
    print(f"wrote {args.docs / 'verdicts.json'} and " + ", ".join(f"part{n}.md" for n in parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
