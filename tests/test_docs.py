"""The README and the docs say what the code does: the front door stays short, its links and commands work, and
the config reference is the one the configs make."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil

import pytest
from conftest import ROOT, dlx_cli, make_cfg
from hydra.core.override_parser.overrides_parser import OverridesParser

README = ROOT / "README.md"


def _gen_reference():
    spec = importlib.util.spec_from_file_location("gen_reference", ROOT / "scripts" / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def blocks(text: str, lang: str | None = None) -> list[str]:
    """The fenced code blocks of a Markdown text (those of one language when lang is given)."""
    found = re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.M | re.S)
    return [body for kind, body in found if lang is None or kind == lang]


def dlx_lines(text: str) -> list[list[str]]:
    """Each `dlx ...` command of the README's bash blocks, as arguments after `dlx`, comments dropped."""
    out = []
    for block in blocks(text, "bash"):
        for line in block.splitlines():
            args = shlex.split(line, comments=True)
            if args[:1] == ["dlx"]:
                out.append(args[1:])
    return out


def test_readme_is_a_front_door_whose_links_resolve():
    text = README.read_text()
    assert len(text.splitlines()) < 250
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if not re.match(r"[a-z]+://", link)]
    assert local, "the README links to its docs"
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"


def test_readmes_course_table_is_the_one_the_published_verdicts_make():
    """README's table of verdicts per part is written from docs/course/verdicts.json, never typed by hand."""
    from dlx import course

    gen = _gen_reference()
    stale = "README.md's course table is stale: run python scripts/gen_reference.py"
    assert gen.README.read_text() == gen.readme(), stale
    verdicts = course.published(ROOT / "docs" / "course" / "verdicts.json")
    part1 = [e for e in verdicts.values() if e.get("part") == 1 and e.get("verdict") in course.VERDICTS]
    assert f"(docs/course/part1.md) | {len(part1)} |" in gen.readme()


def test_config_reference_page_is_the_one_the_configs_make():
    gen = _gen_reference()
    committed = gen.PAGE.read_text()
    assert committed == gen.render(), "docs/reference/configs.md is stale: run python scripts/gen_reference.py"
    # every option file of every group is on the page (the page is not just fresh but complete)
    for path in (ROOT / "configs").rglob("*.yaml"):
        if path.parent.name != "configs":
            group = str(path.parent.relative_to(ROOT / "configs"))
            assert f"### `{group}={path.stem}`" in committed


def test_config_reference_takes_every_key_and_its_comment(tmp_path, monkeypatch):
    gen = _gen_reference()
    (tmp_path / "model").mkdir()
    (tmp_path / "train.yaml").write_text("# top\ndefaults:\n  - _self_\nseed: 0  # the seed\nhydra:\n  run:\n"
                                         "    dir: x\n")
    (tmp_path / "model" / "net.yaml").write_text(
        "# A net.\n_target_: a.Net\nwidth: 8  # units\nnested:\n  rate: 0.5   # drop\n"
        "                 # of the hidden units\ntext: 'a # b'  # quoted\n")
    monkeypatch.setattr(gen, "CONFIGS", tmp_path)
    page = gen.render()
    assert "| `seed` | `0` | the seed |" in page
    assert "| `model.width` | `8` | units |" in page
    assert "| `model.nested.rate` | `0.5` | drop of the hidden units |" in page
    assert "| `model.text` | `a # b` | quoted |" in page


def _first_job(args: list[str]) -> list[str]:
    """The overrides of a `dlx train` command's first job (a sweep's comma lists expanded as the grid sweeper
    expands them)."""
    overrides = [a for a in args if not a.startswith("-") and "=" in a and not a.startswith("hydra/")]
    if "-m" not in args:
        return overrides
    parsed = OverridesParser.create().parse_overrides(overrides)
    return [f"{o.get_key_element()}={next(o.sweep_string_iterator())}" if o.is_sweep_override() else o.input_line
            for o in parsed]


def test_every_readme_train_command_composes():
    """Each `dlx train` line of the README names groups, options and keys the configs have (the fast check;
    test_readme_tour_runs_as_written runs them)."""
    commands = [a for a in dlx_lines(README.read_text()) if a[:1] == ["train"]]
    assert len(commands) >= 4
    for args in commands:
        if "--config-dir" in args or any(a.startswith("resume=") for a in args):
            continue  # a user's folder, a run folder: run by the slow test
        job = [o for o in _first_job(args[1:]) if not o.startswith("hydra.")]
        cfg = make_cfg(job)
        assert cfg.trainer.max_epochs >= 1, args


@pytest.mark.slow
def test_readme_tour_runs_as_written(tmp_path):
    """The tour and the own-model example, run as a user runs them from a clone: every line exits 0, and the
    files the README names are there."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    text = README.read_text()
    tour = [a for a in dlx_lines(text) if "--config-dir" not in a]
    assert tour[0][:1] == ["train"] and any(a[:1] == ["predict"] for a in tour)
    for args in tour:
        out = dlx_cli(*args, cwd=tmp_path, timeout=300)
        assert out.returncode == 0, f"dlx {shlex.join(args)}\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    assert json.loads((tmp_path / "runs/first/result.json").read_text())["status"] == "completed"
    for name in ("summary.md", "report.html", "0/result.json", "5/result.json"):
        assert (tmp_path / "runs/optims" / name).is_file(), name
    assert (tmp_path / "runs/iris/predictions.csv").read_text().startswith("row,prediction,p_setosa")

    # your own model in ten lines: the README's Python and YAML blocks, written where their comments say
    for body in blocks(text, "python") + blocks(text, "yaml"):
        first, rest = body.split("\n", 1)
        target = tmp_path / first.lstrip("# ").strip()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(rest)
    own = next(a for a in dlx_lines(text) if "--config-dir" in a)
    out = dlx_cli(*own, "trainer.max_epochs=2", "hydra.run.dir=runs/mynet", cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Net with" in (tmp_path / "runs/mynet/train.log").read_text()
