"""``dlx course``: the course's claims, the preset that tests each, its last published verdict, and the command
that reproduces it.

The claims come from the presets' ``claim:`` blocks (configs/experiment/*.yaml, dlx/results/claims.py), plus
NOT_TESTED below for the claims no preset tests and why. The published verdicts are docs/course/verdicts.json,
which scripts/course.py writes from the sweeps (shipped inside the package as dlx/published/ by a plain install).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from dlx import CONFIG_DIR, checks
from dlx.checks import ConfigError

PARTS = {1: "Introducción, Regularización, Optimización", 2: "Convolucionales", 3: "Autoencoders", 4: "RBMs",
         5: "Otros enfoques"}
# Claims of the notes that no preset tests, with the reason; the sentence is the notes' own (line of
# notes.es.txt). A claim that a preset tests is described by the preset's claim block instead.
NOT_TESTED = {
    "C16": dict(part=1, line=1040,
                es="Es importante, que al comparar algoritmos, si se generan datos, que se haga lo mismo en todos "
                   "los algoritmos",
                en="when algorithms are compared on generated data, generate the same data for all of them",
                reason="a rule for designing comparisons, not a prediction: every model's batches pass through "
                       "the same transforms (one code path in dlx/train.py), so every preset follows it"),
    "C9": dict(part=1, line=848,
               es="El gradiente descendente estocástico no tiene garantías de convergencia y depende de los valores "
                  "de inicialización",
               en="stochastic gradient descent has no guarantee of convergence and depends on the initial values",
               reason="a statement that results vary with the initial values, not a comparison of arms that a paired "
                      "test can give a direction; the spread over seeds is in every table (experiment=universal: "
                      "the net that can represent the checkerboard ends anywhere between 0.53 and 0.71 training "
                      "accuracy depending on the seed alone), and the half that compares initialisations is C28's"),
    "C43": dict(part=5, line=2174,
                es="Existen varios métodos de Deep Learning, pero no hay ninguno que domine a los demás",
                en="there are several deep learning methods, but none dominates the others",
                reason="a universal negative about methods (architectures and approaches), which a sweep can refute "
                       "for one method and task but never confirm; the Part 1 sweeps only show particular rankings "
                       "that change with the task (activations, losses, network shapes)"),
}
N_CLAIMS = 43  # the course's list of claims: C1-C43
SWEEPS = Path("outputs/course")  # where scripts/course.py puts its sweeps, and the commands below name
REPLICATION_SEEDS = (5, 6, 7, 8, 9)  # the second set of seeds every supported or contradicted verdict must survive


def _number(claim_id: str) -> tuple[int, int]:
    """Sort key: the claims C1-C43 first, then the items I<n> a preset names where the notes claim nothing."""
    return (claim_id[0] != "C", int(claim_id[1:]))


def presets(config_dir: Path | None = None) -> dict[str, list]:
    """preset name -> its claims (dlx.results.claims.Claim), for every preset with a claim block, each checked
    as data and against the keys and values its own sweeper params sweep. ConfigError names the preset."""
    from omegaconf import OmegaConf

    from dlx.results import claims

    found = {}
    for path in sorted(((config_dir or CONFIG_DIR) / "experiment").glob("*.yaml")):
        raw = OmegaConf.load(path)
        if raw.get("claim") is None:
            continue
        try:
            parsed = claims.parse(raw.claim)
            params = OmegaConf.select(raw, "hydra.sweeper.params", default=None) or {}
            claims.check(parsed, claims.swept_values(OmegaConf.to_container(params)), None)
        except ConfigError as e:
            raise ConfigError(f"experiment={path.stem}: {e}") from None
        found[path.stem] = parsed
    return found


def catalogue(config_dir: Path | None = None) -> list[dict]:
    """One row per claim ID, in ID order: id, part, line, es, en, preset (None: not tested), claim, reason."""
    rows = {}
    for preset, claims in presets(config_dir).items():
        for c in claims:
            for i in c.ids:
                if i in rows:
                    raise ConfigError(f"claim.id={i} is wrong in experiment={preset}: experiment={rows[i]['preset']} "
                                      "tests it already; allowed is one preset per claim ID")
                rows[i] = dict(id=i, part=c.part, line=c.line, es=c.es, en=c.en, preset=preset, claim=c,
                               reason=None)
    for i, row in NOT_TESTED.items():
        rows.setdefault(i, dict(id=i, preset=None, claim=None, **row))
    return sorted(rows.values(), key=lambda r: _number(r["id"]))


def seeds_name(seeds: tuple[int, ...] | None) -> str:
    return "" if not seeds else "-seeds" + "_".join(map(str, seeds))


def sweep_dir(preset: str, seeds: tuple[int, ...] | None = None, root: Path = SWEEPS) -> Path:
    """The folder of a preset's sweep (with its own seeds, or ``seeds`` in their place)."""
    return root / f"{preset}{seeds_name(seeds)}"


def source_preset(preset: str, config_dir: Path | None = None) -> str | None:
    """The preset whose single run a preset's sweep starts from (its top-level ``source_preset``: a teacher for
    distillation or curriculum, a source network for transfer), or None. The sweep reads that run's folder from
    its top-level ``source`` key, which :func:`train_args` sets."""
    from omegaconf import OmegaConf

    path = (config_dir or CONFIG_DIR) / "experiment" / f"{preset}.yaml"
    return OmegaConf.load(path).get("source_preset") if path.is_file() else None


def source_args(preset: str, root: Path = SWEEPS) -> list[str] | None:
    """``dlx train``'s arguments for the source run of a preset that has one (trained once, seed 0)."""
    src = source_preset(preset)
    return None if src is None else [f"experiment={src}", f"hydra.run.dir={root / src}"]


def train_args(preset: str, seeds: tuple[int, ...] | None = None, root: Path = SWEEPS) -> list[str]:
    """``dlx train``'s arguments for a preset's sweep: its own seeds, or ``seeds`` in their place."""
    extra = [f"seed={','.join(map(str, seeds))}"] if seeds else []
    src = source_preset(preset)
    extra += [f"source={root / src}"] if src else []
    return ["-m", f"experiment={preset}", *extra, f"hydra.sweep.dir={sweep_dir(preset, seeds, root)}"]


def commands(preset: str, seeds: tuple[int, ...] | None = None, root: Path = SWEEPS) -> list[str]:
    """The commands that reproduce a preset's verdicts: its source run where it has one, the sweep, then the
    comparison that prints them."""
    first = source_args(preset, root)
    return ([f"dlx train {' '.join(first)}"] if first else []) + [
        "dlx train " + " ".join(train_args(preset, seeds, root)), f"dlx compare {sweep_dir(preset, seeds, root)}"]


def published_file() -> Path | None:
    """docs/course/verdicts.json of a checkout, else the copy a plain install ships (dlx/published/)."""
    here = Path(__file__).resolve().parent
    for p in (CONFIG_DIR.parent / "docs" / "course" / "verdicts.json", here / "published" / "verdicts.json"):
        if p.is_file():
            return p
    return None


def published(path: Path | None = None) -> dict[str, dict]:
    """claim ID -> its entry in the published verdicts.json (empty when there is none)."""
    path = path or published_file()
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
        return {e["id"]: e for e in data["claims"] if isinstance(e, dict) and isinstance(e.get("id"), str)}
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # a damaged file: show no verdicts rather than fail the listing


def _list(rows: list[dict], verdicts: dict[str, dict], known: set[str]) -> None:
    """The table of ``rows``; ``known``: every ID the presets and NOT_TESTED describe (any part)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    if not rows:
        console.print("No claim of this part has a preset or a recorded reason yet.")
    table = Table(title="The course's claims (dlx course C<n> shows one: its command and its numbers)")
    for name in ("ID", "part", "the notes say", "preset", "verdict"):
        table.add_column(name, overflow="fold")
    for r in rows:
        v = verdicts.get(r["id"], {}).get("verdict") or ("-" if r["preset"] else "not tested")
        table.add_row(r["id"], str(r["part"]), f"{r['es']} (l. {r['line']})", r["preset"] or "-", v)
    if rows:
        console.print(table)
    missing = sorted(set(range(1, N_CLAIMS + 1)) - {int(i[1:]) for i in known if i.startswith("C")})
    if missing:
        console.print("No preset yet for " + ", ".join(f"C{n}" for n in missing) + " (any part).", highlight=False)
    if not verdicts:
        console.print("No published verdicts found (docs/course/verdicts.json): run scripts/course.py.")


def _show(row: dict, entry: dict | None) -> None:
    from dlx.results import claims

    print(f"{row['id']} (part {row['part']}: {PARTS[row['part']]}; notes line {row['line']})")
    print(f"  es: {row['es']}")
    print(f"  en: {row['en']}")
    if row["preset"] is None:
        print(f"  not tested: {row['reason']}")
        return
    c = row["claim"]
    print(f"  preset: configs/experiment/{row['preset']}.yaml; arms: {c.arms}; expected: "
          f"{'; '.join(map(str, c.expect))}; metric: {c.metric.text}"
          + (f", each arm at its best {c.best_on}" if c.best_on else ""))
    print("  reproduce it:")
    for cmd in commands(row["preset"]):
        print(f"    {cmd}")
    print(f"  replicate it on seeds {','.join(map(str, REPLICATION_SEEDS))}:")
    for cmd in commands(row["preset"], REPLICATION_SEEDS):
        print(f"    {cmd}")
    entry = entry or {}
    print(f"  published verdict: {claims.sentence(entry)}")
    print(f"  replication: {claims.sentence(entry.get('replication') or {})}")


def main(argv: list[str]) -> int:
    p = checks.ArgumentParser(prog="dlx course", description="The course's claims: ID, part, the notes' sentence, "
                              "the preset that tests it and its last published verdict; with an ID, the commands "
                              "that reproduce it.")
    p.add_argument("id", nargs="?", default=None, help="a claim ID, e.g. C7, or an item ID, e.g. I86")
    p.add_argument("--part", type=int, choices=sorted(PARTS), default=None, help="only the claims of this part")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        rows = catalogue()
    except ConfigError as e:
        print(f"dlx: error: {e}", file=sys.stderr)
        return 2
    verdicts = published()
    if args.id is None:
        _list([r for r in rows if args.part in (None, r["part"])], verdicts, {r["id"] for r in rows})
        return 0
    wanted = args.id.upper()
    row = next((r for r in rows if r["id"] == wanted), None)
    if row is None:
        known = ", ".join(r["id"] for r in rows) or "none"
        what = "not a claim ID" if not re.fullmatch(r"[CI][1-9]\d*", wanted) else "not a claim any preset tests"
        print(f"dlx: error: {args.id} is wrong: {what}; allowed is one of {known}", file=sys.stderr)
        return 2
    _show(row, verdicts.get(wanted))
    return 0
