"""Transfer learning: start a model from another run's weights, optionally freezing parts of it.

``model.init_from`` names a checkpoint file or a run folder (its checkpoints/best.pt, else last.pt). Every
tensor whose name *and* shape match the new model is copied; the rest keep their fresh initialisation, and
the report says which was which (e.g. a new head for a different number of classes is "skipped"). Names
follow the model's state_dict (``encoder.1.weight``, ``rbms.0.W``, ``net.1.weight``, ...); ``prefix_map``
renames a prefix of the source first, so one family's part can seed another's (``{encoder: net}`` puts an
autoencoder's encoder where the MLP has its first layers).

``model.freeze`` lists name prefixes (``[encoder]``, ``[rbms.0, rbms.1]``, ``[features]``) whose parameters
stop learning: the net becomes a fixed feature extractor under a trainable head. Without it, everything
fine-tunes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from torch import nn

from dlx import checkpoint, checks, runfolder


@dataclass
class LoadReport:
    source: str
    loaded: list[str] = field(default_factory=list)  # copied from the source
    shape_mismatch: list[str] = field(default_factory=list)  # name exists in both, shapes differ: kept fresh
    missing: list[str] = field(default_factory=list)  # the model has it, the source does not: kept fresh
    unused: list[str] = field(default_factory=list)  # the source has it, the model does not

    def lines(self) -> list[str]:
        out = [f"init_from {self.source}: loaded {len(self.loaded)} tensors, skipped "
               f"{len(self.shape_mismatch) + len(self.missing)} (kept their fresh initialisation)"]
        if self.shape_mismatch:
            out.append("  skipped (shape differs): " + ", ".join(self.shape_mismatch))
        if self.missing:
            out.append("  skipped (not in source): " + ", ".join(self.missing))
        if self.unused:
            out.append("  unused from source: " + ", ".join(self.unused))
        return out


# init_from/freeze are the loop's model keys (not a constructor's), so their errors name the full key.


def checkpoint_path(source: str | Path) -> Path:
    """A checkpoint file as given, or a run folder's checkpoints/best.pt (else last.pt)."""
    p = Path(source).expanduser()
    if p.is_dir():
        for which in ("best", "last"):
            if runfolder.checkpoint_file(p, which).is_file():
                return runfolder.checkpoint_file(p, which)
        checks.fail("model.init_from", source, "a checkpoint file or a run folder with checkpoints/best.pt or "
                    "last.pt (this folder has neither)")
    if not p.is_file():
        checks.fail("model.init_from", source, "a checkpoint file or a run folder")
    return p


def init_from(model: nn.Module, source: str | Path, prefix_map: dict[str, str] | None = None) -> LoadReport:
    """Copy every tensor of the source checkpoint whose (renamed) name and shape match ``model``."""
    path = checkpoint_path(source)
    state = checkpoint.load(path)["model"]
    for old, new in (prefix_map or {}).items():
        old, new = old.rstrip(".") + ".", new.rstrip(".") + "."
        state = {(new + k[len(old):] if k.startswith(old) else k): v for k, v in state.items()}
    own = model.state_dict()
    report = LoadReport(str(path))
    take = {}
    for name, t in own.items():
        if name not in state:
            report.missing.append(name)
        elif state[name].shape != t.shape:
            report.shape_mismatch.append(f"{name} {tuple(state[name].shape)}->{tuple(t.shape)}")
        else:
            take[name] = state[name]
            report.loaded.append(name)
    report.unused = [k for k in state if k not in own]
    model.load_state_dict(take, strict=False)
    return report


def freeze(model: nn.Module, prefixes: list[str]) -> list[str]:
    """Stop gradients for every parameter under the given name prefixes; returns the frozen names.

    BatchNorm running statistics under a frozen prefix keep updating in train mode; the learnt scale and
    shift are frozen like every other parameter."""
    names = [n for n, _ in model.named_parameters()]
    frozen = []
    for prefix in prefixes:
        p = prefix.rstrip(".")
        hits = [n for n in names if n == p or n.startswith(p + ".")]
        if not hits:
            tops = sorted({n.split(".")[0] for n in names})
            checks.fail("model.freeze", prefix, f"a parameter name prefix such as {', '.join(tops)} (no parameter "
                        "is named so)")
        frozen += hits
    for n, p in model.named_parameters():
        if n in frozen:
            p.requires_grad_(False)
    return frozen
