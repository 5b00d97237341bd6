"""Nothing gets in, nothing is lost: wrong input at every entry point is one `dlx: error:` line per problem, exit
2, no traceback, no folder left behind and no file touched (`dlx train` single and -m, --config-dir, resume,
eval, compare, report, data files)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys

import numpy as np
import pytest
from conftest import TINY, run_cfg

from dlx import cli

BAD_TRAIN = [
    "trainer.max_epoch=3", "model.widht=32", "optim.lr=-1", "optim.lr=0", "optim.lr=nan", "optim.momentum=1.5",
    "optim=nosuch", "model=nosuch", "dataset=nosuch", "regularization=[l2,bogus]", "model.hidden=[0]",
    "model.activation=swish", "loss=hinge", "output=tanh", "dataset=synthetic output=sigmoid",
    "dataset=synthetic loss=cross_entropy", "trainer.dead_units=maybe", "dataset=composed dataset.folds=-1",
    "device=tpu", "device=cuda", "seed=1.5", "seed=[1,2",
    "trainer.batch_size=0", "trainer.max_epochs=0", "trainer.log_every=-1", "trainer.mode=maximum",
    "trainer.grad_clip=-1", "trainer.metric=val/nope", "trainer.metric=loss", "trainer.precision=fp8",
    "trainer.cuda_graphs=true", "schedule=linear schedule.final_frac=2", "schedule=cosine schedule.warmup=-1",
    "dataset.val_frac=0", "dataset.val_frac=1.5", "dataset.subset=0", "dataset.subset=100000",
    "regularization=dropout regularization.dropout.hidden=1.5", "regularization=l2 regularization.l2.alpha=-1",
    "regularization=augment regularization.augment.rotate=400",
    "regularization=early_stopping regularization.early_stopping.patience=0",
    "regularization=early_stopping regularization.early_stopping.metric=val/nope",
    "regularization=distill", "regularization=distill regularization.distill.teacher=/nonexistent",
    "regularization=curriculum regularization.curriculum.start=0", "model=lstm regularization=batchnorm",
    "model=resnet regularization=batchnorm", "model=cnn model.kernel_size=0", "model=lstm model.cell=transformer",
    "model=dbn model.pretrain.lr=-1", "optim=newton", "model.init_from=/nonexistent", "model.freeze=[nosuch]",
    "optim.lr=${nonexistent.key}", "hydra.run.dir=/proc/dlx-run", "dataset=csv dataset.path=/nonexistent.csv",
    "-m trainer.max_epoch=1,2", "-m model=mlp,nosuch", "-m optim.lr=0.1,-1", "-m seed=0,1.5",
    "-m regularization=none,batchnorm model=gru", "-m hydra.launcher.n_jobs=many seed=0,1",
    "--config-dir conf trainer.max_epoch=3", "--config-dir conf model.widht=32", "--config-dir conf optim.lr=-1",
    "--config-dir missing",
    # a segfault, an overflow, an allocation of 320 GB, a class that is no model, Optuna's own refusals
    "trainer.threads=100000", "seed=1180591620717411303424", "model.hidden=[200000,200000]",
    "model._target_=torch.optim.SGD", "-m hydra/sweeper=optuna optim.lr=interval(1.0,0.0)",
    "-m hydra/sweeper=optuna hydra.sweeper.n_trials=0 optim.lr=interval(0.1,1.0)",
]


def _tree(root):
    """Every file and folder under root with its size and mtime: what a command must leave alone."""
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def _refused(argv, tmp_path, capsys):
    before = _tree(tmp_path)
    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (argv, out, err)
    assert lines and all(line.startswith("dlx: error: ") for line in lines), (argv, err)
    assert len(lines) == 1 or argv[1] == "-m", (argv, err)
    assert "Traceback" not in out + err, argv
    assert _tree(tmp_path) == before, argv  # no folder made, no file touched
    return err


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A trained run and data files with each kind of fault, in their real formats."""
    w = tmp_path_factory.mktemp("world")
    run_cfg([*TINY, "dataset.subset=200"], w / "run")
    (w / "conf").mkdir()
    (w / "empty").mkdir()
    (w / "nocheckpoint" / ".hydra").mkdir(parents=True)
    (w / "nocheckpoint" / ".hydra" / "overrides.yaml").write_text("- seed=1\n")
    (w / "badoverrides" / ".hydra").mkdir(parents=True)
    (w / "badoverrides" / ".hydra" / "overrides.yaml").write_text("{not: [a list\n")
    (w / "garbage.pt").write_bytes(b"not a checkpoint at all")
    (w / "truncated.pt").write_bytes((w / "run" / "checkpoints" / "last.pt").read_bytes()[:300])
    rows = "\n".join(f"{i % 5},{i * 0.1},{'a' if i % 2 else 'b'}" for i in range(40))
    (w / "nan.csv").write_text("x1,x2,label\n" + rows.replace("3,0.30000000000000004", "nan,0.3") + "\n1,nan,a\n")
    (w / "oneclass.csv").write_text("x1,x2,label\n" + "\n".join(f"{i},{i},a" for i in range(40)) + "\n")
    (w / "nolabel.csv").write_text("x1,x2\n" + "\n".join(f"{i},{i}" for i in range(40)) + "\n")
    np.savez(w / "empty.npz", x=np.zeros((0, 4), np.float32), y=np.zeros((0,), np.int64))
    np.savez(w / "huge.npz", x=np.zeros((40, 4), np.float32), y=np.full((40,), 10**9, np.int64))
    hostile_checkpoints(w)
    hostile_inputs(w)
    hostile_folders(w)
    return w


# Stored configs `dlx eval` got a traceback or a hang from (name -> edit of the stored config's YAML text).
CHAIN = "a0: x\n" + "".join(f"a{i}: ${{a{i - 1}}}${{a{i - 1}}}\n" for i in range(1, 41))  # 2**40 characters
HOSTILE_CONFIGS = {
    "chain": lambda text: text + CHAIN,
    "batch0": lambda text: text.replace("eval_batch_size: 1024", "eval_batch_size: 0"),
    "optimizer_as_model": lambda text: text.replace("_target_: dlx.models.mlp.MLP", "_target_: torch.optim.SGD"),
    "list": lambda text: "- 1\n- 2\n",
    "python_tag": lambda text: text + "x: !!python/object/apply:os.system ['true']\n",
    "regularization5": lambda text: text.replace("regularization: {}", "regularization: 5"),
    "no_trainer": lambda text: re.sub(r"^trainer:\n(?:  .*\n)+", "", text, flags=re.M),
    "bogus_loss": lambda text: text.replace("loss: auto", "loss: bogus"),
}


def hostile_checkpoints(w):
    """The run's last.pt with each of HOSTILE_CONFIGS, re-saved with a valid checksum (anyone can compute one)."""
    from dlx import checkpoint

    state = checkpoint.load(w / "run" / "checkpoints" / "last.pt")
    for name, edit in HOSTILE_CONFIGS.items():
        changed = edit(state["config"])
        assert changed != state["config"], name  # the edit found what it changes
        checkpoint.save(w / f"{name}.pt", {**state, "config": changed})


def hostile_inputs(w):
    """`dlx predict` inputs that crashed it: a header claiming 466 TiB, a stride-0 view, a sparse tensor."""
    import io
    import zipfile

    import torch

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (2**45, 4)})
    with zipfile.ZipFile(w / "bomb.npz", "w") as z:
        z.writestr("x.npy", header.getvalue() + bytes(64))
    torch.save({"x": torch.zeros(1, 64).expand(10**9, 64)}, w / "stride0.pt")
    torch.save({"x": torch.eye(64).to_sparse()}, w / "sparse.pt")
    np.savez(w / "inputs.npz", x=np.zeros((5, 1, 8, 8), np.float32))  # digits as the run saw them


def hostile_folders(w):
    """A run whose data.json lists too few classes; runs whose result.json or provenance.json hold wrong types."""
    shutil.copytree(w / "run", w / "fewclasses")
    info = json.loads((w / "run" / "data.json").read_text())
    (w / "fewclasses" / "data.json").write_text(json.dumps({**info, "classes": ["only one"]}))
    for name, file, content in (("wrongresult", "result.json", {"status": "completed", "final": [1, 2]}),
                                ("wrongstatus", "result.json", {"status": 5, "final": {}}),
                                ("wrongprov", "provenance.json", {"command": "dlx train", "git": 7})):
        shutil.copytree(w / "run", w / name)
        (w / name / file).write_text(json.dumps(content))


def _data_cases(w):
    return [f"dataset=csv dataset.path={w / 'nan.csv'}", f"dataset=csv dataset.path={w / 'oneclass.csv'}",
            f"dataset=csv dataset.path={w / 'nolabel.csv'}", f"dataset=tensors dataset.path={w / 'empty.npz'}",
            f"dataset=tensors dataset.path={w / 'huge.npz'}"]


def _other_cases(w):
    run = w / "run"
    return [
        ["train", "resume=/nonexistent"], ["train", f"resume={w / 'nocheckpoint'}"],
        ["train", f"resume={w / 'badoverrides'}"],
        ["eval", "/nonexistent"], ["eval", str(w / "garbage.pt")], ["eval", str(w / "truncated.pt")],
        ["eval", str(run), "--device", "cuda"], ["eval", str(run), "--checkpoint", "nope"], ["eval"],
        ["compare", "/nonexistent"], ["compare", str(w / "empty")], ["compare", str(run), "--metric", "val/nope"],
        ["compare", str(run), "--out", "/proc/dlx-out"], ["compare", str(run), "--by", "median"],
        ["report", "/nonexistent"], ["report", str(run), "--metric", "val/nope"], ["nosuchcommand"],
        *(["eval", str(w / f"{name}.pt"), "--device", "cpu"] for name in HOSTILE_CONFIGS),
        *(["predict", str(run), str(w / f), "--device", "cpu"] for f in ("bomb.npz", "stride0.pt", "sparse.pt")),
        ["predict", str(w / "fewclasses"), str(w / "inputs.npz"), "--device", "cpu"],
        ["predict", str(run), str(w / "inputs.npz"), "--out", str(w / "empty"), "--device", "cpu"],
        ["report", str(run), "--out", str(w / "empty")],
        ["compare", str(w / "wrongresult")], ["report", str(w / "wrongresult")], ["compare", str(w / "wrongstatus")],
        ["report", str(w / "wrongprov")],
    ]


def test_at_least_sixty_wrong_inputs_are_tried(world):
    assert len(BAD_TRAIN) + len(_data_cases(world)) + len(_other_cases(world)) >= 60


@pytest.mark.parametrize("case", BAD_TRAIN)
def test_wrong_train_input_is_refused(case, world, tmp_path, capsys, monkeypatch):
    shutil.copytree(world / "conf", tmp_path / "conf")
    monkeypatch.chdir(tmp_path)
    _refused(["train", *case.split(), *TINY[:1]], tmp_path, capsys)


def test_wrong_data_files_are_refused(world, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for case in _data_cases(world):
        _refused(["train", *case.split(), *TINY[:1]], tmp_path, capsys)


def test_wrong_eval_compare_report_and_resume_input_is_refused(world, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = _tree(world)
    for argv in _other_cases(world):
        _refused(argv, tmp_path, capsys)
    after = _tree(world)
    assert after == before  # the run, its checkpoints and the data files are untouched


def test_a_missing_optional_plugin_names_its_install_command(world, tmp_path, capsys, monkeypatch):
    from hydra.core.config_store import ConfigStore

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "optuna", None)  # as without the sweep extra: import optuna fails
    err = _refused(["train", "-m", "hydra/sweeper=optuna", "optim.lr=interval(0.01,0.1)", *TINY[:1]], tmp_path, capsys)
    assert 'pip install "dlx[sweep]"' in err, err
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    import hydra_plugins.hydra_submitit_launcher.config  # noqa: F401  (its configs registered, then taken away)

    repo = ConfigStore.instance().repo["hydra"]["launcher"]
    for name in [k for k in repo if "submitit" in k]:
        monkeypatch.delitem(repo, name)  # as without the slurm extra (Hydra scans its plugins once per process)
    err = _refused(["train", "-m", "hydra/launcher=local", "seed=0,1", *TINY[:1]], tmp_path, capsys)
    assert 'hydra/launcher=local' in err and 'pip install "dlx[slurm]"' in err, err


def test_a_second_process_on_the_same_run_folder_is_refused(world, tmp_path):
    from dlx.checks import ConfigError
    from dlx.runfolder import lock

    with lock(tmp_path):
        with pytest.raises(ConfigError, match=f"in use by process {os.getpid()}"):
            with lock(tmp_path):
                pass
    with lock(tmp_path):  # released: the next run may take it
        pass
