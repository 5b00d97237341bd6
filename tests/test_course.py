"""dlx course (the claims, their presets and published verdicts) and scripts/course.py (the pages and verdicts.json
written from sweeps), on a preset folder and fake sweeps of a known outcome."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, dlx_cli
from test_claims import BLOCK, PARAMS, fake_sweep

from dlx import CONFIG_DIR, course
from dlx.results import claims


@pytest.fixture
def conf(tmp_path, monkeypatch) -> Path:
    """A config folder with one preset, `fake`, testing C7 (BLOCK), used by dlx course and the script."""
    root = tmp_path / "repo"
    (root / "configs" / "experiment").mkdir(parents=True)
    preset = {"claim": BLOCK, "hydra": {"sweeper": {"params": PARAMS}}}
    (root / "configs" / "experiment" / "fake.yaml").write_text(
        "# @package _global_\n" + yaml.safe_dump(preset, allow_unicode=True))
    monkeypatch.setattr(course, "CONFIG_DIR", root / "configs")
    return root


def script():
    spec = importlib.util.spec_from_file_location("course_script", ROOT / "scripts" / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_shipped_preset_claim_is_valid():
    """The catalogue reads every preset's claim block and checks it against its own sweep (one ID, one preset)."""
    rows = course.catalogue(CONFIG_DIR)
    ids = [r["id"] for r in rows]
    assert ids == sorted(ids, key=lambda i: (i[0] != "C", int(i[1:])))  # the claims, then the items (I<n>)
    assert {r["id"]: r["preset"] for r in rows}["C7"] is not None
    assert all(r["reason"] for r in rows if r["preset"] is None)


def test_every_shipped_claim_names_metrics_its_preset_logs(tmp_path):
    """What the sweep's preflight checks, for every preset with a claim: its metrics are ones its runs log. A preset
    that starts from a source run (a teacher, a transfer source) gets one trained for a step."""
    from conftest import make_cfg, run_cfg
    from omegaconf import OmegaConf

    from dlx import preflight, setup

    sources = {}
    for name, found in course.presets().items():
        src = course.source_preset(name)
        if src and src not in sources:
            sources[src] = tmp_path / src
            assert run_cfg([f"experiment={src}", "trainer.max_steps=1", "device=cpu"], sources[src])["status"] \
                == "completed"
        extra = [f"source={sources[src]}"] if src else []
        run = setup.check(make_cfg([f"experiment={name}", "device=cpu", *extra]))
        params = OmegaConf.load(CONFIG_DIR / "experiment" / f"{name}.yaml").hydra.sweeper.params
        claims.check(found, claims.swept_values(OmegaConf.to_container(params)), preflight.result_metrics(run))


def test_course_lists_claims_and_shows_the_command(tmp_path, capsys):
    out = dlx_cli("course", cwd=tmp_path)  # the CLI's wiring, once
    assert out.returncode == 0, out.stderr
    assert "C7" in out.stdout and "C16" in out.stdout and "not tested" in out.stdout
    assert course.main(["c7"]) == 0
    shown = capsys.readouterr().out
    preset = {r["id"]: r["preset"] for r in course.catalogue()}["C7"]
    assert f"dlx train -m experiment={preset} hydra.sweep.dir=outputs/course/{preset}" in shown
    assert f"seed=5,6,7,8,9 hydra.sweep.dir=outputs/course/{preset}-seeds5_6_7_8_9" in shown
    assert course.main(["C99"]) == 2
    assert capsys.readouterr().err.startswith("dlx: error: C99 is wrong: not a claim any preset tests")


def test_course_refuses_two_presets_naming_one_claim(conf, capsys):
    (conf / "configs" / "experiment" / "again.yaml").write_text(
        (conf / "configs" / "experiment" / "fake.yaml").read_text())
    assert course.main([]) == 2
    assert "claim.id=C7 is wrong in experiment=fake: experiment=again tests it already" in capsys.readouterr().err


def test_script_builds_pages_and_verdicts_from_sweeps(conf, tmp_path, capsys):
    sweeps = tmp_path / "sweeps"
    fake_sweep(sweeps / "fake", effect=-0.02)  # against the notes: mse beats cross_entropy
    fake_sweep(sweeps / course.sweep_dir("fake", course.REPLICATION_SEEDS, Path()).name, effect=-0.015)
    (sweeps / "fake.wall.json").write_text('{"wall_s": 123.4, "load": 9.5}')  # as train() records a sweep's time
    docs = conf / "docs" / "course"
    assert script().main(["--from", str(sweeps), "--docs", str(docs), "--replicate"]) == 0
    printed = capsys.readouterr().out
    assert "C7 (fake): contradicted" in printed and "C7 (fake-seeds5_6_7_8_9): contradicted" in printed
    assert "all presets: 123 s as recorded beside 1 of the 2 sweeps" in printed

    book = json.loads((docs / "verdicts.json").read_text())["claims"]
    e = next(x for x in book if x["id"] == "C7")
    assert {"id", "verdict", "effect", "ci95", "p", "n_seeds", "metric", "preset", "command", "replication"} <= set(e)
    assert (e["verdict"], e["preset"], e["n_seeds"], e["replication"]["verdict"]) == ("contradicted", "fake", 5,
                                                                                       "contradicted")
    assert e["keeps_direction"] is True and e["replication"]["seeds"] == [5, 6, 7, 8, 9]
    assert (e["wall_s"], e["load"], e["replication"]["wall_s"]) == (123.4, 9.5, None)
    assert e["command"][0] == "dlx train -m experiment=fake hydra.sweep.dir=outputs/course/fake"
    assert next(x for x in book if x["id"] == "C16")["reason"]

    page = (docs / "part1.md").read_text()
    section = page.split("## C7: ")[1]
    first = section.split("\n\n")[1]  # the section's first sentence, under its heading
    assert first.startswith("**This result goes against the slide:** the notes expect cross_entropy > mse")
    assert BLOCK["es"] in section and BLOCK["en"] in section
    assert "**Replication on seeds 5,6,7,8,9:** contradicted" in section
    assert "| cross_entropy | optim.lr=1.0 |" in section  # the table: each arm at its setting chosen on val/acc
    assert "## Claims not tested" in page and "**C16**" in page
    assert "The preset's sweep took 123 s (1-minute load 9.5 when it ended) on the 2-core machine" in section
    grid = page.split("Every setting of experiment=fake")[1].split("</details>")[0]  # the whole grid, folded
    assert "| setting | seeds | test/acc |" in grid
    assert len([ln for ln in grid.splitlines() if ln.startswith("| loss=")]) == 4  # loss x lr

    # dlx course reads what the script published
    assert course.main(["C7"]) == 0
    shown = capsys.readouterr().out
    assert "published verdict: contradicted" in shown and "replication: contradicted" in shown


def test_a_preset_with_a_source_run_names_its_command_first(conf):
    """A teacher or a transfer source: one run the sweep reads from its `source` key."""
    text = (conf / "configs" / "experiment" / "fake.yaml").read_text()
    (conf / "configs" / "experiment" / "fake.yaml").write_text(text + "source_preset: teach\nsource: x\n")
    assert course.source_preset("fake") == "teach"
    cmds = course.commands("fake", root=Path("runs"))
    assert cmds[0] == "dlx train experiment=teach hydra.run.dir=runs/teach"
    assert cmds[1] == "dlx train -m experiment=fake source=runs/teach hydra.sweep.dir=runs/fake"
    assert course.source_preset("teach") is None and len(course.commands("teach")) == 2  # no such preset file


def test_script_keeps_the_replication_when_the_main_result_is_rebuilt(conf, tmp_path):
    sweeps = tmp_path / "sweeps"
    fake_sweep(sweeps / course.sweep_dir("fake", course.REPLICATION_SEEDS, Path()).name, effect=0.02)
    docs = conf / "docs" / "course"
    run = script().main
    assert run(["--from", str(sweeps), "--docs", str(docs), "--seeds", "5,6,7,8,9"]) == 0
    e = json.loads((docs / "verdicts.json").read_text())["claims"][0]
    assert e["verdict"] is None and e["replication"]["verdict"] == "supported"
    fake_sweep(sweeps / "fake", effect=0.02)
    assert run(["--from", str(sweeps), "--docs", str(docs), "--claims", "C7"]) == 0
    e = json.loads((docs / "verdicts.json").read_text())["claims"][0]
    assert (e["verdict"], e["replication"]["verdict"], e["keeps_direction"]) == ("supported", "supported", True)


def test_a_replication_against_the_slide_is_said_first(conf, tmp_path):
    """Main result not shown, its replication contradicted: the section's first sentence says so."""
    sweeps = tmp_path / "sweeps"
    fake_sweep(sweeps / "fake", effect=0.0)
    fake_sweep(sweeps / course.sweep_dir("fake", course.REPLICATION_SEEDS, Path()).name, effect=-0.02)
    docs = conf / "docs" / "course"
    assert script().main(["--from", str(sweeps), "--docs", str(docs), "--replicate"]) == 0
    section = (docs / "part1.md").read_text().split("## C7: ")[1]
    assert section.split("\n\n")[1].startswith("**The replication goes against the slide:** on seeds 5,6,7,8,9 "
                                                "the notes' cross_entropy > mse on test/acc comes out the other way")
    assert "on the preset's own seeds the verdict is not shown." in section.split("\n\n")[1]


def test_script_writing_one_part_keeps_the_other_parts_verdicts(conf, tmp_path):
    """verdicts.json is merged by claim ID: publishing Part 1 again leaves a Part 2 preset's published verdict (and
    its page) as they were, even where that preset's sweep is not in the folder read now."""
    other = dict(BLOCK, id="C36", part=2, line=1613, es="kernels", en="learned kernels")
    preset = {"claim": other, "hydra": {"sweeper": {"params": PARAMS}}}
    (conf / "configs" / "experiment" / "other.yaml").write_text("# @package _global_\n" + yaml.safe_dump(preset))
    both, one = tmp_path / "both", tmp_path / "one"
    fake_sweep(both / "fake", effect=0.02)
    fake_sweep(both / "other", effect=0.02, claim=other)
    fake_sweep(one / "fake", effect=-0.02)
    docs = conf / "docs" / "course"
    run = script().main
    assert run(["--from", str(both), "--docs", str(docs)]) == 0
    assert run(["--from", str(one), "--docs", str(docs), "--part", "1"]) == 0
    book = {e["id"]: e for e in json.loads((docs / "verdicts.json").read_text())["claims"]}
    assert (book["C7"]["verdict"], book["C36"]["verdict"]) == ("contradicted", "supported")
    assert book["C36"]["sweep"] == str(both / "other")
    assert "| [C36](#c36) | learned kernels | **supported** |" in (docs / "part2.md").read_text()


def test_a_page_says_first_when_the_numbers_lean_against_the_notes(conf, tmp_path):
    """Two blocks on one pair: Holm's adjustment leaves each not significant although the pair's own interval lies
    below zero; the section opens by saying so. A reading by hand follows the preset's grid, once."""
    second = dict(BLOCK, id="C8", en="the same pair again")
    preset = {"claim": [BLOCK, second], "hydra": {"sweeper": {"params": PARAMS}}}
    (conf / "configs" / "experiment" / "fake.yaml").write_text("# @package _global_\n" + yaml.safe_dump(preset))
    sweeps = tmp_path / "sweeps"
    fake_sweep(sweeps / "fake", effect=-0.0106, claim=[BLOCK, second], jitter=(0.01, -0.01, 0.005, -0.005, 0.0))
    docs = conf / "docs" / "course"
    (docs / "readings").mkdir(parents=True)
    (docs / "readings" / "fake.md").write_text("### Reading C7 and C8 together\n\nThe same pair twice.\n")
    assert script().main(["--from", str(sweeps), "--docs", str(docs)]) == 0
    e = next(x for x in json.loads((docs / "verdicts.json").read_text())["claims"] if x["id"] == "C7")
    assert e["verdict"] == "not shown" and e["ci95"][1] < 0 < e["p"] - 0.05
    page = (docs / "part1.md").read_text()
    first = page.split("## C7: ")[1].split("\n\n")[1]
    assert first.startswith("**These numbers lean against the slide:** the notes expect cross_entropy > mse")
    assert page.count("### Reading C7 and C8 together") == 1
    assert page.index("</details>") < page.index("### Reading C7") < page.index("## C8: ")


def test_a_block_with_several_pairs_lists_each_pair():
    pairs = [dict(expect="a > b", outcome="as expected", effect=0.05, ci95=[0.03, 0.07], p=0.002),
             dict(expect="c > b", outcome="n.s.", effect=-0.02, ci95=[-0.05, 0.01], p=0.3)]
    lines = script()._pairs(dict(metric="test/acc", pairs=pairs))
    assert lines[0] == ("Each expected pair on test/acc: a > b: as expected, 0.05 (95% CI [0.03, 0.07], Holm-adjusted "
                        "p = 0.002); c > b: n.s., -0.02 (95% CI [-0.05, 0.01], Holm-adjusted p = 0.3).")
    assert script()._pairs(dict(metric="test/acc", pairs=pairs[:1])) == []


def test_a_block_without_a_figure_draws_the_curves_it_chose_its_arms_on():
    from types import SimpleNamespace

    c = claims.parse(BLOCK)[0]  # no figure key; best_on val/acc
    logs = lambda *names: [SimpleNamespace(curves={n: None for n in names})]  # noqa: E731
    assert script()._default_figure(c, logs("val/acc", "val/loss")) == ("val/acc",)
    assert script()._default_figure(c, logs("val/loss")) == ("val/loss",)  # best_on not logged each epoch
    assert script()._default_figure(c, logs("train/loss")) == ()


def test_script_refuses_an_unknown_claim(conf, capsys):
    assert script().main(["--claims", "C7,C99", "--from", "."]) == 2
    assert "--claims C99 is wrong: allowed are the claims the presets test" in capsys.readouterr().err


def test_figure_of_a_claim_is_a_png_of_its_arms(tmp_path):
    from test_compare import make_run

    for job, (loss, seed) in enumerate([(a, s) for a in ("cross_entropy", "mse") for s in (0, 1)]):
        make_run(tmp_path / str(job), [f"loss={loss}"], seed, [0.5, 0.8] if loss == "mse" else [0.7, 0.9])
    c = claims.parse({**BLOCK, "figure": "val/acc"})[0]
    from dlx.results.runs import find_runs

    png = claims.figure_png(c, find_runs([tmp_path]))
    assert png.startswith(b"\x89PNG")
    assert claims.figure_png(claims.parse(BLOCK)[0], find_runs([tmp_path])) is None
