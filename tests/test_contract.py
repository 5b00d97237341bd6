"""The run-folder contract (dlx/runfolder.py) and the documentation other tools read it from, held together."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT, TINY, run_cfg

from dlx import runfolder


def contract_text() -> str:
    """The documented contract: the Markdown page (README.md or a page under docs/) that shows result.json."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    found = [p.read_text() for p in pages if p.is_file() and '```json\n{"status"' in p.read_text()]
    assert len(found) == 1, "exactly one page shows result.json's example"
    return found[0]


def test_the_documented_result_json_has_the_writers_keys():
    example = json.loads(re.search(r'```json\n(\{"status".*?)\n```', contract_text(), re.S).group(1))
    assert set(runfolder.RESULT_KEYS) <= set(example) <= {*runfolder.RESULT_KEYS, *runfolder.RESULT_EXTRA}
    assert example["status"] in runfolder.STATUSES


def test_the_documented_status_words_are_the_contracts():
    for text in (contract_text(), (ROOT / "README.md").read_text()):  # the reference page and the front door
        sentence = re.search(r"`status` is (.*?)\. ", text, re.S).group(1)
        assert set(re.findall(r"`(\w+)`", sentence)) == set(runfolder.STATUSES)


def test_a_run_writes_exactly_the_contracts_keys(tmp_path):
    result = run_cfg(TINY, tmp_path / "run")
    assert list(result)[:len(runfolder.RESULT_KEYS)] == list(runfolder.RESULT_KEYS)
    assert set(result) - set(runfolder.RESULT_KEYS) <= set(runfolder.RESULT_EXTRA)
    assert runfolder.read_result(tmp_path / "run") == result and runfolder.status_of(tmp_path / "run") == "completed"


def test_the_reader_refuses_what_dlx_does_not_write(tmp_path):
    assert runfolder.read_result(tmp_path) is None and runfolder.status_of(tmp_path) == runfolder.RUNNING
    (tmp_path / "result.json").write_text('{"status": "completed", "fin')  # a write cut short
    with pytest.raises(runfolder.UnreadableResult, match="result.json cannot be read"):
        runfolder.read_result(tmp_path)
    assert runfolder.status_of(tmp_path) == runfolder.RUNNING
    (tmp_path / "result.json").write_text('{"status": "completed", "final": {"val/acc": "0.9"}}')
    with pytest.raises(runfolder.RunFolderError, match=r"final\['val/acc'\] is \"0.9\""):
        runfolder.read_result(tmp_path)
    with pytest.raises(ValueError, match="status"):
        runfolder.result("done", 0, [], "val/acc")


def test_overrides_read_one_way():
    assert runfolder.override_key("+regularization.l2.alpha=0.1") == "regularization.l2.alpha"
    assert runfolder.override_value("optim.lr=1e-3") == "1e-3" and runfolder.override_value("~model.freeze") is None
    assert runfolder.setting(["seed=1", "resume_sweep=true", "optim=sgd", "trial={a:1}"]) == ["optim=sgd", "seed=1"]
    assert runfolder.primary({"status": "pruned", "metric": "val/acc", "best": {"val/acc": 0.5}}) == 0.5
    assert runfolder.primary({"status": "failed", "metric": "val/acc", "best": {}}) != 0.5  # NaN


def test_checkpoints_live_where_the_contract_says(tmp_path):
    assert runfolder.checkpoint_file(tmp_path) == tmp_path / "checkpoints" / "last.pt"
    assert runfolder.checkpoint_file(Path("run"), "best") == Path("run/checkpoints/best.pt")
