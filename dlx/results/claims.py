"""A preset's ``claim:`` block (what the course's notes predict) and the verdict its sweep gives.

A comparison preset (``configs/experiment/<name>.yaml``) declares the claims it tests, one block or a list::

    claim:
      id: C7                    # C<n> from the course's list of claims, or a list [C2, C10]; I<n> names an item
                                # of the notes' items table (CLAIMS.md) where the notes make no explicit claim
      part: 1                   # the part of the notes (1-5)
      line: 959                 # its line in the notes
      es: "la entropía cruzada tiende a aprender más rápido que usando MSE"   # the notes' sentence
      en: "cross-entropy tends to learn faster than MSE"                      # an English gloss
      metric: test/acc          # the verdict's metric (METRIC_FORMS)
      arms: loss                # the swept key whose values are the arms
      best_on: val/acc          # every other swept key (seed aside) is tuned per arm on this val/ metric
      expect: [cross_entropy > mse]   # "A > B": A better than B; "A ~ B": within +-margin of each other
      margin: 0.01              # only with "~": the largest difference (metric units) that counts as equal
      where: {model.depth: 3}   # optional: only the runs with these swept values
      figure: val/acc           # optional: the metric(s) whose curves the course page draws
      note: "..."               # optional: what the preset's design controls for (words, no numbers)

The verdict (:func:`evaluate`) reuses dlx compare's machinery: ``summarize(best_per=arms, best_on=best_on)``
keeps each arm at its setting with the best mean validation metric, and each expected pair is tested with
compare's paired t-test over the seeds both arms ran; the p-values of every pair of every claim in the preset are
Holm-adjusted together. A claim is ``supported`` when every pair comes out as expected, ``contradicted`` when
one comes out significantly the other way, else ``not shown`` (with the smallest difference the test would have
detected with 80% power). This module checks the block as data (:func:`parse`: one line for anything wrong);
the preflight of ``dlx train`` and ``dlx compare`` both call it.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any

from dlx.checks import ConfigError
from dlx.results.figures import curves_png
from dlx.results.runs import IGNORED_KEYS, CompareError
from dlx.results.stats import (
    ALPHA,
    POWER,
    detectable,
    finite,
    holm,
    mean_std,
    paired,
    seeds_for,
    t_interval,
    test_two,
)
from dlx.results.summary import power_level, summarize, threshold_columns
from dlx.runfolder import DIVERGED, FAILED, NOT_COMPARED, TESTED, override_key, override_value

KEYS = ("id", "part", "line", "es", "en", "metric", "arms", "best_on", "expect", "margin", "where", "figure", "note")
ID = re.compile(r"[CI][1-9]\d*")  # C<n>: a claim of the notes (C1-C43); I<n>: an item of the notes' items table
REQUIRED = ("id", "part", "line", "es", "en", "metric", "arms", "expect")
PARTS = (1, 2, 3, 4, 5)  # 1 Introducción/Regularización/Optimización, 2 Convolucionales, 3 Autoencoders, 4 RBMs,
# 5 Otros enfoques
VERDICTS = ("supported", "not shown", "contradicted")
METRIC_FORMS = ("a metric the runs log (test/acc, val/loss, ...), the gap of two (train/acc-test/acc), wall_s, "
                "or 'epochs to M >= X' / 'steps to M >= X' (<= for a metric better low)")
_THRESHOLD = re.compile(r"(steps|epochs) to (\S+) (>=|<=) (\S+)")
_PAIR = re.compile(r"\s*(.+?)\s+([>~])\s+(.+?)\s*")


@dataclass(frozen=True)
class Pair:
    a: str
    op: str  # ">": a better than b by the claim's metric; "~": a and b within +-margin
    b: str

    def __str__(self) -> str:
        return f"{self.a} {self.op} {self.b}"


@dataclass(frozen=True)
class Metric:
    """How compare computes a claim's metric: ``kind`` plain | gap | wall | steps | epochs, the logged metric it
    reads (``base``; for a gap both sides), a threshold, and which way is better."""
    text: str
    kind: str
    base: tuple[str, ...] = ()
    threshold: float | None = None
    mode: str = "max"


@dataclass(frozen=True)
class Claim:
    ids: tuple[str, ...]
    part: int
    line: int
    es: str
    en: str
    metric: Metric
    arms: str
    best_on: str | None  # None: nothing besides the arms (and seed) is swept, so nothing to choose
    expect: tuple[Pair, ...]
    margin: float | None = None
    where: dict[str, str] = field(default_factory=dict)
    figure: tuple[str, ...] = ()
    note: str | None = None

    @property
    def label(self) -> str:
        return "+".join(self.ids)


@functools.lru_cache(maxsize=4096)
def _norm(text: str) -> str:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        return OverridesParser.create().parse_overrides([f"k={text}"])[0].get_value_element_as_str()
    except Exception:  # not an override value Hydra can parse: compare it as written, spaces aside
        return re.sub(r"\s+", "", text)


def norm(value: Any) -> str:
    """An override value as the sweeper writes it into a job's overrides (Hydra's grammar): ``true`` is ``True``,
    ``1e-3`` is ``0.001``, ``[64, 64]`` is ``[64,64]``, YAML's null is ``null``, so a claim's values match the runs'."""
    return "null" if value is None else _norm(str(value).strip())


def parse_metric(text: Any, name: str = "claim.metric") -> Metric:
    """A claim's metric in one of the METRIC_FORMS (the names are checked against the runs later)."""
    from dlx.metrics import direction

    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{name}={text} is wrong: allowed is {METRIC_FORMS}")
    text = " ".join(text.split())
    if text == "wall_s":
        return Metric(text, "wall", (), None, "min")
    m = _THRESHOLD.fullmatch(text)
    if m:
        kind, base, op, value = m.groups()
        try:
            threshold = float(value)
        except ValueError:
            threshold = math.nan
        want = ">=" if direction(base) == "max" else "<="
        if not math.isfinite(threshold) or op != want or not _is_name(base):
            raise ConfigError(f"{name}={text} is wrong: allowed is '{kind} to {base} {want} <number>' ({base} is "
                              f"better {'high' if want == '>=' else 'low'})")
        return Metric(text, kind, (base,), threshold, "min")  # fewer steps or epochs is better
    if "-" in text and all(_is_name(p) for p in text.split("-", 1)):
        return Metric(text, "gap", tuple(text.split("-", 1)), None, "min")  # a smaller gap is better
    if _is_name(text):
        return Metric(text, "plain", (text,), None, direction(text))
    raise ConfigError(f"{name}={text} is wrong: allowed is {METRIC_FORMS}")


def _is_name(text: str) -> bool:
    """A logged metric's name: a prefix and a path (test/acc, weights/norm, test/attack_0.05/acc)."""
    return bool(re.fullmatch(r"[A-Za-z_]\w*/[\w./]+", text))


def _text(name: str, v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ConfigError(f"{name}={v} is wrong: allowed is a non-empty string")
    return v.strip()


def _ids(v: Any) -> tuple[str, ...]:
    ids = v if isinstance(v, list) else [v]
    if not ids or not all(isinstance(i, str) and ID.fullmatch(i) for i in ids):
        raise ConfigError(f"claim.id={v} is wrong: allowed is a claim ID C<n> (e.g. C7), an item ID I<n> (e.g. "
                          "I86, where the notes make no explicit claim), or a list of them (e.g. [C2, C10])")
    return tuple(ids)


def _pairs(v: Any) -> tuple[Pair, ...]:
    items = v if isinstance(v, list) else [v]
    pairs = []
    for item in items:
        m = _PAIR.fullmatch(item) if isinstance(item, str) else None
        if not m or m.group(1) == m.group(3):
            raise ConfigError(f"claim.expect={item} is wrong: allowed is 'A > B' (arm A better than arm B by the "
                              "claim's metric) or 'A ~ B' (within +-margin), or a list of them")
        pairs.append(Pair(norm(m.group(1)), m.group(2), norm(m.group(3))))
    if not pairs:
        raise ConfigError("claim.expect=[] is wrong: allowed is at least one pair 'A > B' or 'A ~ B'")
    return tuple(pairs)


def parse_block(raw: Any) -> Claim:
    """One block, checked as data alone (see :func:`check` for the sweep and the metrics)."""
    from dlx import checks

    if not isinstance(raw, dict):
        raise ConfigError(f"claim={checks.show(raw)} is wrong: allowed is a block with the keys "
                          f"{', '.join(REQUIRED)} (or a list of blocks)")
    unknown = [k for k in raw if k not in KEYS]
    if unknown:
        raise ConfigError(f"claim.{unknown[0]} is wrong: it is not a key of a claim block; allowed are "
                          + ", ".join(KEYS))
    missing = [k for k in REQUIRED if raw.get(k) is None]
    if missing:
        raise ConfigError(f"claim.{missing[0]}=null is wrong: a claim block needs {', '.join(REQUIRED)}")
    part = raw["part"]
    if not checks.is_int(part) or part not in PARTS:
        checks.fail("claim.part", part, "the part of the notes, one of 1, 2, 3, 4, 5")
    if not checks.is_int(raw["line"]) or raw["line"] < 1:
        checks.fail("claim.line", raw["line"], "the sentence's line in the notes, an integer >= 1")
    best_on = raw.get("best_on")
    if best_on is not None and (not isinstance(best_on, str) or not re.fullmatch(r"val/[\w./]+", best_on)):
        checks.fail("claim.best_on", best_on, "a validation metric the runs log, e.g. val/acc or val/loss")
    if not isinstance(raw["arms"], str) or not raw["arms"].strip() or raw["arms"] == "seed":
        checks.fail("claim.arms", raw["arms"], "the swept key whose values are the arms, e.g. loss or optim")
    pairs = _pairs(raw["expect"])
    margin = raw.get("margin")
    if any(p.op == "~" for p in pairs):
        if margin is None:
            raise ConfigError("claim.margin=null is wrong with an expected pair 'A ~ B': allowed is the largest "
                              "difference (in the metric's units) that counts as no difference, e.g. 0.01")
        checks.positive("claim.margin", margin)
    elif margin is not None:
        checks.fail("claim.margin", margin, "null when no expected pair is 'A ~ B'")
    where = raw.get("where") or {}
    if not isinstance(where, dict) or not all(isinstance(k, str) for k in where):
        checks.fail("claim.where", where, "a mapping of swept keys to one value each, e.g. {model.activation: "
                    "sigmoid}")
    figure = raw.get("figure") or []
    figure = figure if isinstance(figure, list) else [figure]
    for f in figure:
        if not isinstance(f, str) or not _is_name(f):
            checks.fail("claim.figure", f, "a logged metric (or a list of them) whose curves to draw, e.g. val/acc")
    note = _text("claim.note", raw["note"]) if raw.get("note") is not None else None
    return Claim(_ids(raw["id"]), part, raw["line"], _text("claim.es", raw["es"]), _text("claim.en", raw["en"]),
                 parse_metric(raw["metric"]), raw["arms"].strip(), best_on, pairs, margin,
                 {k: norm(v) for k, v in where.items()}, tuple(figure), note)


def parse(raw: Any) -> list[Claim]:
    """A config's ``claim`` value (None, one block, or a list of blocks) as Claims; ConfigError (one line)."""
    if raw is None:
        return []
    if hasattr(raw, "_metadata"):  # an OmegaConf node
        from omegaconf import OmegaConf

        raw = OmegaConf.to_container(raw, resolve=True)
    blocks = raw if isinstance(raw, list) else [raw]
    claims = [parse_block(b) for b in blocks]
    seen: set[str] = set()
    for c in claims:
        twice = seen & set(c.ids)
        if twice:
            raise ConfigError(f"claim.id={sorted(twice)[0]} is wrong: it names two blocks of one preset; allowed "
                              "is each ID once (one block may test several pairs)")
        seen |= set(c.ids)
    return claims


def check(claims: list[Claim], swept: dict[str, list[str]], metrics: set[str] | None, loose: bool = False) -> None:
    """Each claim against a sweep: its arms and ``where`` keys are swept keys (``swept``: key -> values, seed
    aside), its expected values and ``where`` values are values of those keys, a ``best_on`` where other keys are
    swept, and the metrics it reads are among ``metrics`` (what the runs log; None: not known yet). ``loose``
    (the preflight, which knows the metrics every run logs but not those a flag adds): a metric outside
    ``metrics`` passes unless it is a near miss of one of them (test/accc). ConfigError, one line."""
    keys = ", ".join(sorted(swept)) or "none (the sweep varies nothing but the seed)"
    for c in claims:
        if c.arms not in swept:
            raise ConfigError(f"claim.arms={c.arms} is wrong for {c.label}: allowed is a key the preset sweeps "
                              f"(hydra.sweeper.params): {keys}")
        _check_values(c, swept, keys)
        tuned = [k for k, v in swept.items() if k != c.arms and k not in c.where and len(v) > 1]
        if c.best_on is None and tuned:
            raise ConfigError(f"claim.best_on=null is wrong for {c.label}: the preset sweeps {', '.join(tuned)} "
                              "besides the arms; allowed is the val/ metric each arm's setting is chosen on, e.g. "
                              "val/acc")
        if metrics is not None:
            _check_metrics(c, metrics, loose)


def _check_values(c: Claim, swept: dict[str, list[str]], keys: str) -> None:
    for p in c.expect:
        for v in (p.a, p.b):
            if v not in swept[c.arms]:
                raise ConfigError(f"claim.expect={p} is wrong for {c.label}: {v} is not a value of {c.arms}; "
                                  f"allowed are {', '.join(swept[c.arms])}")
    for k, v in c.where.items():
        if k not in swept or k == c.arms:
            raise ConfigError(f"claim.where.{k}={v} is wrong for {c.label}: allowed keys are the swept keys "
                              f"other than the arms ({c.arms}): {keys}")
        if v not in swept[k]:
            raise ConfigError(f"claim.where.{k}={v} is wrong for {c.label}: allowed are " + ", ".join(swept[k]))


def _check_metrics(c: Claim, metrics: set[str], loose: bool) -> None:
    import difflib

    logged = ", ".join(sorted(metrics))
    named = [("claim.metric", b) for b in c.metric.base] + [("claim.figure", f) for f in c.figure]
    for name, m in named + ([("claim.best_on", c.best_on)] if c.best_on else []):
        # best_on is always one of the epoch's val/ metrics, so it is checked exactly even when loose
        if m in metrics or (loose and name != "claim.best_on" and
                            not difflib.get_close_matches(m, metrics, n=1, cutoff=0.85)):
            continue
        raise ConfigError(f"{name}={m} is wrong for {c.label}: allowed are the metrics these runs log: {logged}")


def swept_values(params: dict[str, Any]) -> dict[str, list[str]]:
    """hydra.sweeper.params (key -> "a,b,c") as key -> the values the sweeper makes, seed left out. A key whose
    values cannot be listed (an interval of a search) maps to no values."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    out = {}
    for key, text in (params or {}).items():
        if key == "seed":
            continue
        try:
            o = parser.parse_overrides([f"{key}={text}"])[0]
            values = list(o.sweep_string_iterator()) if o.is_sweep_override() else [o.get_value_element_as_str()]
        except Exception:  # interval(...) and the like: values chosen by a search, none to list
            values = []
        out[str(key)] = [norm(v) for v in values]
    return out


def _stored_yaml(path):
    from omegaconf import OmegaConf

    try:
        return OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    except Exception:  # missing or damaged: a run folder is untrusted input
        return None


def stored(runs: list) -> tuple[list[Claim], dict[str, list[str]]]:
    """The claim blocks the runs were made with (the first run's .hydra/config.yaml that has one; a sweep's runs
    share their preset), checked as data, and the keys and values swept: the sweeper's params in that run's
    .hydra/hydra.yaml, and every run's overrides. ConfigError (one line) for a wrong block."""
    found = []
    for r in sorted(runs, key=lambda r: str(r.path)):
        cfg = _stored_yaml(r.path / ".hydra" / "config.yaml")
        if isinstance(cfg, dict) and cfg.get("claim") is not None:
            found = parse(cfg["claim"])
            hydra = _stored_yaml(r.path / ".hydra" / "hydra.yaml") or {}
            params = ((hydra.get("hydra") or {}).get("sweeper") or {}).get("params") or {}
            break
    if not found:
        return [], {}
    swept = swept_values(params if isinstance(params, dict) else {})
    for r in runs:
        for o in r.overrides:
            if "=" in o and override_key(o) not in IGNORED_KEYS:
                values = swept.setdefault(override_key(o), [])
                if norm(override_value(o)) not in values:
                    values.append(norm(override_value(o)))
    return found, swept


# ----------------------------------------------------------------------------------------------------- verdict


def _value_of(key: tuple[str, ...] | list[str], name: str) -> str:
    """A group's (or run's) value of override ``name``; "(default)" when it does not set it."""
    return next((norm(override_value(o)) for o in key if override_key(o) == name), "(default)")


def summary_args(c: Claim) -> dict:
    """The arguments of compare's summarize() that give this claim's arms at their chosen settings, and the
    column holding the claim's metric (None: the summary's ranking column)."""
    m, on = c.metric, [c.best_on] if c.best_on else []
    if m.kind in ("steps", "epochs"):
        from dlx.metrics import direction

        steps_col, epochs_col = threshold_columns(m.base[0], m.threshold, direction(m.base[0]))
        return dict(metrics=on or [m.base[0]], thresholds=[(m.base[0], m.threshold)], column=(
            steps_col if m.kind == "steps" else epochs_col))
    if m.kind == "wall":
        return dict(metrics=on or None, thresholds=None, column="wall_s")
    return dict(metrics=[m.text, *on], thresholds=None, column=None)


def _censored(g, column: str, kind: str) -> tuple[list[float], int]:
    """A group's values of a steps/epochs-to-threshold column, where a run that finished without reaching the
    threshold counts its whole length (a lower bound of its time: such an arm is at least that slow, so the
    test errs against a difference, not for it). Returns the values and how many were censored."""
    counted = [r for r in g.runs if r.status not in NOT_COMPARED]  # compare's order of g.values
    out, n = [], 0
    for r, v in zip(counted, g.values[column]):
        if math.isnan(v) and r.status in TESTED:
            v, n = float(r.steps if kind == "steps" else r.epochs), n + 1
        out.append(v)
    return out, n


def _outcome(pair: Pair, effect: float, ci: tuple[float, float], p_holm: float, mode: str,
             margin: float | None) -> str:
    """``as expected`` | ``against`` | ``n.s.`` for one pair."""
    if pair.op == "~":
        if all(math.isfinite(x) for x in ci) and -margin <= ci[0] and ci[1] <= margin:
            return "as expected"
        return "against" if p_holm < ALPHA else "n.s."
    if not p_holm < ALPHA:
        return "n.s."
    return "as expected" if (effect > 0) == (mode == "max") else "against"


def _pair_stats(pair: Pair, groups: dict, values: dict) -> dict:
    """The test of one expected pair (compare's test_two) with the mean difference, its interval and spread."""
    ga, gb = groups[pair.a], groups[pair.b]
    t = test_two(values[pair.a], ga.seeds, values[pair.b], gb.seeds)
    if t.test == "paired":
        x, y = paired(values[pair.a], ga.seeds, values[pair.b], gb.seeds)
        effect, ci = t.diff, t_interval(x - y)
    else:  # Welch (fewer than 2 shared seeds) or no test: the difference of the means, no interval
        a, b = finite(values[pair.a]), finite(values[pair.b])
        effect, ci = float(a.mean() - b.mean()) if a.size and b.size else math.nan, (math.nan, math.nan)
    return dict(expect=str(pair), effect=effect, ci95=ci, p_raw=t.p, d=t.d, test=t.test or "none",
                n_seeds=min(t.spread.n) if t.spread else 0, spread=t.spread)


def _arm_rows(c: Claim, s, column: str, groups: dict, values: dict, censored: dict) -> list[dict]:
    on = next((col for col in (f"{c.best_on} best", f"{c.best_on} final") if col in s.columns), None)
    rows = []
    for arm, g in groups.items():
        mean, std, n = mean_std(values[arm])
        on_mean, on_std, _ = g.stats.get(on, (math.nan, math.nan, 0))
        rows.append(dict(arm=arm, setting=" ".join(o for o in g.label.split() if override_key(o) != c.arms) or "-",
                         runs=len(g.runs), n=n, mean=mean, std=std, best_on_mean=on_mean, best_on_std=on_std,
                         diverged=g.count(DIVERGED), failed=g.count(FAILED), censored=censored.get(arm, 0)))
    return rows


def _measure(c: Claim, runs: list, summaries: dict) -> tuple[list[dict], list[dict]] | str:
    """The claim's arms at their chosen settings (table rows) and each expected pair's test, before Holm; or
    the reason it cannot be judged on these runs (a sweep that left an arm out). ``summaries``: the summaries
    made so far, by their arguments: a preset's claims often share one (6 claims on 180 synthetic runs took
    4.6 s with a summary each, 2.0 s sharing one)."""
    kept = [r for r in runs if all(_value_of(r.overrides, k) == v for k, v in c.where.items())]
    present = {_value_of(r.overrides, c.arms) for r in kept if r.status not in NOT_COMPARED}
    missing = [v for p in c.expect for v in (p.a, p.b) if v not in present]
    if missing:
        where = "".join(f" {k}={v}" for k, v in c.where.items())
        return f"no finished run with {c.arms}={missing[0]}{where} in these runs"
    args = summary_args(c)
    mode = c.metric.mode if c.metric.kind in ("plain", "gap") else None
    key = (tuple(c.where.items()), c.arms, c.best_on, mode, tuple(args["metrics"] or ()),
           tuple(args["thresholds"] or ()))
    if key not in summaries:
        summaries[key] = summarize(kept, args["metrics"], mode, "best", args["thresholds"], best_per=c.arms,
                                   best_on=c.best_on)
    s = summaries[key]
    column = args["column"] or s.rank_col
    groups = {_value_of(g.key, c.arms): g for g in s.groups}
    values, censored = {}, {}
    for arm, g in groups.items():
        if c.metric.kind in ("steps", "epochs"):
            values[arm], censored[arm] = _censored(g, column, c.metric.kind)
        else:
            values[arm] = g.values[column]
    pairs = [_pair_stats(p, groups, values) for p in c.expect]
    return _arm_rows(c, s, column, groups, values, censored), pairs


# the keys of a verdict entry that describe its claim block (describe()), beside the numbers
DESCRIPTION = ("ids", "part", "line", "es", "en", "metric", "mode", "arms", "best_on", "expect", "where", "margin",
               "figure", "note")


def describe(c: Claim) -> dict:
    """The claim block as the DESCRIPTION keys of a verdict entry."""
    return dict(ids=list(c.ids), part=c.part, line=c.line, es=c.es, en=c.en, metric=c.metric.text,
                mode=c.metric.mode, arms=c.arms, best_on=c.best_on, expect=[str(p) for p in c.expect],
                where=c.where, margin=c.margin, figure=list(c.figure), note=c.note)


def evaluate(claims: list[Claim], runs: list) -> list[dict]:
    """Every claim's verdict on these runs (one preset's sweep): one entry per claim ID (the keys of
    verdict.json). The p-values of every expected pair of every claim are Holm-adjusted together."""
    summaries: dict = {}
    measured = [(c, _measure(c, runs, summaries)) for c in claims]
    tests = [p for _, m in measured if not isinstance(m, str) for p in m[1]]
    for p, adjusted in zip(tests, holm([p["p_raw"] for p in tests])):
        p["p"] = adjusted
    level = power_level(len(tests))  # Holm's first (strictest) step: the level a power quote can count on
    entries = []
    for c, m in measured:
        head = describe(c)
        if isinstance(m, str):
            entries += [dict(id=i, verdict="not evaluated", reason=m, **head) for i in c.ids]
            continue
        rows, pairs = m
        for pair, p in zip(c.expect, pairs):
            p["outcome"] = _outcome(pair, p["effect"], p["ci95"], p["p"], c.metric.mode, c.margin)
            spread = p.pop("spread")
            p["mde"] = detectable(spread, level, POWER)
            p["seeds_needed"] = seeds_for(abs(p["effect"]), spread, level, POWER) if p["outcome"] == "n.s." \
                else math.nan
        verdict, deciding = decide(pairs)
        body = dict(verdict=verdict, effect=deciding["effect"], ci95=list(deciding["ci95"]), p=deciding["p"],
                    n_seeds=deciding["n_seeds"], test=deciding["test"], pair=deciding["expect"],
                    mde=deciding["mde"], seeds_needed=deciding["seeds_needed"], alpha=ALPHA, level=level,
                    power=POWER, pairs=pairs, table=rows)
        entries += [dict(id=i, **body, **head) for i in c.ids]
    return entries


def judge(runs: list) -> list[dict]:
    """The verdicts of the claim blocks stored with the runs (a sweep's preset), after checking them against what
    the runs swept and logged; [] when the runs carry no claim. CompareError (one line) for a wrong block."""
    try:
        found, swept = stored(runs)
        check(found, swept, {m for r in runs for m in (*r.final, *r.best)} or None)
    except ConfigError as e:
        raise CompareError(str(e)) from None
    return evaluate(found, runs) if found else []


def write(entries: list[dict], path) -> None:
    """verdict.json: {"claims": [one entry per claim ID]}, written atomically."""
    import json
    import os

    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"claims": jsonable(entries)}, indent=1, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def decide(pairs: list[dict]) -> tuple[str, dict]:
    """The claim's verdict and the pair whose numbers it quotes: the strongest pair against the notes
    (contradicted), the weakest of the pairs as expected (supported), else the weakest pair (not shown)."""
    against = [p for p in pairs if p["outcome"] == "against"]
    if against:
        return "contradicted", min(against, key=lambda p: p["p"])
    weakest = max(pairs, key=lambda p: (p["outcome"] == "n.s.", _nan_last(p["p"])))
    return ("supported" if all(p["outcome"] == "as expected" for p in pairs) else "not shown"), weakest


def _nan_last(x: float) -> float:
    return math.inf if math.isnan(x) else x


# ------------------------------------------------------------------------------------------------------ output


def _g(x: float | None, sign: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:+.3g}" if sign else f"{x:.3g}"


def sentence(e: dict) -> str:
    """One entry's verdict in words, with its numbers: what the console, report.html and the course pages show."""
    if not e.get("verdict"):
        return "not run yet"
    if e["verdict"] == "not evaluated":
        return f"not evaluated: {e['reason']}"
    a, op, b = _split_pair(e["pair"])
    better = "higher" if e["mode"] == "max" else "lower"
    numbers = (f"{a} − {b} on {e['metric']} ({better} is better): {_g(e['effect'], True)}, 95% CI "
               f"[{_g(e['ci95'][0], True)}, {_g(e['ci95'][1], True)}], Holm-adjusted p = {_g(e['p'])}, "
               f"{e['test']} t-test over {e['n_seeds']} seeds")
    if e["verdict"] == "supported":
        return f"supported ({e['pair']}): {numbers}"
    if e["verdict"] == "contradicted":
        return f"contradicted (the notes expect {e['pair']}): {numbers}"
    if op == "~":
        return (f"not shown ({e['pair']} within ±{_g(e['margin'])}): {numbers}; the interval is not inside "
                f"±{_g(e['margin'])}")
    return f"not shown ({e['pair']}): {numbers}; {power_words(e)}"


def power_words(e: dict) -> str:
    """What a non-significant pair could have shown: its minimum detectable effect and the seeds the difference
    seen would need (e: a verdict entry, or a pair of one with ``power`` and ``level`` passed in)."""
    if e.get("mde") is None or not math.isfinite(e["mde"]):
        return "no significant difference (too few seeds to measure the spread)"
    text = (f"no significant difference: the test could detect differences of {_g(e['mde'])} or more "
            f"({e['power']:.0%} power at Holm's level {_g(e['level'])})")
    need, effect = e.get("seeds_needed"), e.get("effect")
    if need is not None and math.isfinite(need):
        text += f"; {need:.0f} seeds would detect the difference seen ({_g(effect, True)}) with {e['power']:.0%} power"
    elif effect:  # inf (JSON's null): more seeds than stats.seeds_for counts
        text += f"; the difference seen ({_g(effect, True)}) is too small for any practical number of seeds"
    return text


def _split_pair(text: str) -> tuple[str, str, str]:
    m = _PAIR.fullmatch(text)
    return m.group(1), m.group(2), m.group(3)


def jsonable(x: Any) -> Any:
    """NaN and infinities as null (JSON has no NaN), tuples as lists."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    return x


def print_verdicts(entries: list[dict], console) -> None:
    """The claims and their verdicts under compare's table; one block per claim block (IDs that share one)."""
    colors = {"supported": "green", "contradicted": "red", "not shown": "yellow", "not evaluated": "dim"}
    for e in blocks(entries):
        ids = ", ".join(e["ids"])
        console.print(f"[bold]claim {ids}[/bold] (part {e['part']}, notes l. {e['line']}): “{e['es']}” "
                      f"({e['en']})", highlight=False)
        console.print(f"  [{colors[e['verdict']]}]{sentence(e)}[/]", highlight=False)
        for r in e.get("table", []):
            console.print(f"    {arm_line(e, r)}", highlight=False)


def arm_line(e: dict, r: dict) -> str:
    """One arm of a verdict's table in words: its chosen setting, the claim's metric, the validation metric."""
    setting = f" at {r['setting']}" if r["setting"] != "-" else ""
    chosen = f"; {e['best_on']} {_g(r['best_on_mean'])}" if e["best_on"] else ""
    notes = [f"{r['n']} seeds"] + ([f"{r['censored']} never reached it"] if r["censored"] else []) + \
        ([f"{r['diverged']} diverged"] if r["diverged"] else [])
    return f"{r['arm']}{setting}: {e['metric']} {_g(r['mean'])} ± {_g(r['std'])} ({', '.join(notes)}{chosen})"


def blocks(entries: list[dict]) -> list[dict]:
    """The first entry of each claim block (the entries of one block, one per ID, share their numbers)."""
    seen: dict[tuple[str, ...], dict] = {}
    for e in entries:
        seen.setdefault(tuple(e["ids"]), e)
    return list(seen.values())


def figure_png(c: Claim, runs: list) -> bytes | None:
    """The curves of the claim's ``figure`` metrics for its arms at their chosen settings (mean over seeds, a band
    of +-1 std; compare's curves figure), as PNG bytes; None without a figure or curves."""
    if not c.figure:
        return None
    kept = [r for r in runs if all(_value_of(r.overrides, k) == v for k, v in c.where.items())]
    s = summarize(kept, list(c.figure), None, "best", None, best_per=c.arms, best_on=c.best_on)
    return curves_png(s)[0]
