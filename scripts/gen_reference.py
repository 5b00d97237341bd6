"""Write docs/reference/configs.md: every key of every config option, with its default and its YAML comment; and
README.md's table of the course's published verdicts (docs/course/verdicts.json).

    python scripts/gen_reference.py            # rewrite the page
    python scripts/gen_reference.py --check    # exit 1 if the committed page differs (tests/test_docs.py runs it)

The page is made from configs/ alone, so it cannot drift from them: a key added, renamed or given a new default
changes the page, and the test fails until the page is written again.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from omegaconf import OmegaConf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's dlx (the README's course table), whatever is installed
CONFIGS = ROOT / "configs"
PAGE = ROOT / "docs" / "reference" / "configs.md"

# Groups in the order a reader meets them; any other group under configs/ follows, sorted.
ORDER = ["model", "optim", "schedule", "dataset", "regularization", "regularizer", "experiment", "hydra/launcher",
         "hydra/sweeper"]
KEY_LINE = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z_][\w]*):(?P<rest>.*)$")


def comments(text: str) -> dict[str, str]:
    """Dotted key -> its YAML comment: the text after `#` on the key's line, joined with the comment-only lines
    indented past the key that follow it (the configs continue long comments that way). Written by hand: YAML
    loaders (PyYAML, OmegaConf) drop comments, and ruamel.yaml would be a dependency for this one page."""
    out: dict[str, str] = {}
    stack: list[tuple[int, str]] = []  # (indent, key) of the enclosing mappings
    last: tuple[int, str] | None = None  # (indent, dotted key) of the last key line, for continuations
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            indent = len(line) - len(line.lstrip())
            if last and indent > last[0] and last[1] in out:
                out[last[1]] += " " + stripped.lstrip("#").strip()
            continue
        m = KEY_LINE.match(line)
        if not m or stripped.startswith("- "):
            last = None
            continue
        indent = len(m["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        dotted = ".".join([k for _, k in stack] + [m["key"]])
        stack.append((indent, m["key"]))
        rest = m["rest"]
        value = rest.lstrip()
        if value[:1] in ("'", '"'):  # a quoted value may hold ' #'; the comment starts after its closing quote
            end = value.find(value[0], 1)
            rest = value[end + 1:] if end > 0 else ""
        note = re.search(r"(?:^|\s)#\s?(.*)$", rest)
        if note:
            out[dotted] = note.group(1).strip()
        last = (indent, dotted)
    return out


def header(text: str) -> tuple[str | None, str]:
    """(package, description) from a file's leading comment block (`# @package X` and the lines after it)."""
    package, lines = None, []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line[2:].rstrip() if line.startswith("# ") else line[1:].rstrip()  # keeps indented examples
        if body.startswith("@package"):
            package = body.split(None, 1)[1].strip()
        else:
            lines.append(body)
    return package, "\n".join(lines).strip()


def flatten(node, prefix: str = "") -> list[tuple[str, object]]:
    """Nested mappings -> (dotted key, leaf value); lists and empty mappings are leaves."""
    if isinstance(node, dict) and node:
        rows = []
        for k, v in node.items():
            rows += flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return rows
    return [(prefix, node)]


def show(value) -> str:
    """A default as the command line would write it: null, true, 0.003, [256, 128], {weak: 0.001}."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False).replace('"', "")
    return str(value)


def entry(d) -> str:
    """One entry of a defaults list as written in YAML: `_self_`, `model: mlp`, `override /optim: sgd`."""
    return ", ".join(f"{k}: {show(v)}" for k, v in d.items()) if isinstance(d, dict) else show(d)


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def prose(text: str) -> str:
    """A YAML comment as table text: `<sweep dir>` stays text (not an HTML tag), `*acc` no emphasis."""
    return cell(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("*", "\\*")


def table(rows: list[tuple[str, object]], notes: dict[str, str], prefix: str) -> list[str]:
    out = ["| key | default | what it is |", "|---|---|---|"]
    for key, value in rows:
        full = f"{prefix}.{key}" if prefix else key
        out.append(f"| `{cell(full)}` | `{cell(show(value))}` | {prose(notes.get(key, ''))} |")
    return out


def option(path: Path, group: str) -> list[str]:
    text = path.read_text()
    package, about = header(text)
    data = OmegaConf.to_container(OmegaConf.load(path), resolve=False) or {}
    defaults = data.pop("defaults", None)
    # Hydra's default package of a group option is the group's path with dots (hydra/launcher -> hydra.launcher)
    prefix = "" if package == "_global_" else (package or group.replace("/", "."))
    lines = [f"### `{group}={path.stem}`", ""]
    if about:
        lines += ["``` { .text .wrap }", about, "```", ""]
    if defaults:
        lines += ["Defaults list: " + ", ".join(f"`{entry(d)}`" for d in defaults), ""]
    rows = flatten(data)
    if rows and rows != [("", {})]:
        lines += table(rows, comments(text), prefix) + [""]
    else:
        lines += ["No keys of its own.", ""]
    return lines


def groups() -> list[str]:
    found = sorted(str(p.parent.relative_to(CONFIGS)) for p in CONFIGS.rglob("*.yaml") if p.parent != CONFIGS)
    found = list(dict.fromkeys(found))
    return [g for g in ORDER if g in found] + [g for g in found if g not in ORDER]


def render() -> str:
    train = CONFIGS / "train.yaml"
    _, about = header(train.read_text())
    data = OmegaConf.to_container(OmegaConf.load(train), resolve=False)
    defaults = data.pop("defaults")
    hydra = data.pop("hydra")
    lines = ["# Every config key", "",
             "<!-- Generated by scripts/gen_reference.py from configs/; do not edit by hand. "
             "tests/test_docs.py fails when this page is stale. -->", "",
             "Each option of each group with every key it sets, its default and the comment beside it in the YAML "
             "file. Override any of them on the command line (`dlx train model=cnn model.channels=[8,16]`); "
             "`dlx train --cfg job` prints the composed config of a command. The guides explain them: "
             "[configuration](../guides/configuration.md), [models](../guides/models.md), "
             "[optimizers and regularizers](../guides/optimizers-regularizers.md), "
             "[datasets](../guides/datasets.md), [sweeps](../guides/sweeps.md), [search](../guides/search.md).", "",
             "## train.yaml: the loop's keys", "", "``` { .text .wrap }", about, "```", "",
             "Defaults list: " + ", ".join(f"`{entry(d)}`" for d in defaults), ""]
    lines += table(flatten(data), comments(train.read_text()), "") + [""]
    lines += ["Hydra's own keys that dlx sets:", ""]
    lines += table(flatten(hydra), {}, "hydra") + [""]
    for group in groups():
        files = sorted((CONFIGS / group).glob("*.yaml"))
        lines += [f"## {group}", "", "Options: " + ", ".join(f"`{p.stem}`" for p in files), ""]
        for path in files:
            lines += option(path, group)
    return "\n".join(lines).rstrip() + "\n"


README = ROOT / "README.md"
COURSE_START, COURSE_END = "<!-- course verdicts: written by scripts/gen_reference.py -->\n", "<!-- end -->\n"


def readme() -> str:
    """README.md with its table of the course's published verdicts (docs/course/verdicts.json) rewritten."""
    from dlx import course

    text = README.read_text()
    head, rest = text.split(COURSE_START, 1)
    _, tail = rest.split(COURSE_END, 1)
    table = course.tally(course.published(ROOT / "docs" / "course" / "verdicts.json"))
    return head + COURSE_START + table + COURSE_END + tail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a committed page is stale")
    args = ap.parse_args(argv)
    outputs = {PAGE: render(), README: readme()}
    if args.check:
        stale = [p for p, text in outputs.items() if not p.is_file() or p.read_text() != text]
        for p in stale:
            print(f"{p.relative_to(ROOT)} is stale: run python scripts/gen_reference.py", file=sys.stderr)
        return 1 if stale else 0
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    for p, text in outputs.items():
        if not p.is_file() or p.read_text() != text:
            p.write_text(text)
            print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
