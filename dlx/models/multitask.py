"""Multi-task network: one shared trunk, one head per task (Goodfellow et al. 7.7, hard parameter sharing).

forward(x) returns {task: (B, n_task)}. The loop builds the heads from the dataset's named targets (it passes
``tasks`` = {name: n_out} because ``task = "multitask"``) and sums the per-task losses weighted by
``weights`` (name -> weight, 1 where absent).
"""

from __future__ import annotations

import math

from torch import nn

from dlx.models.common import activation as make_activation
from dlx.models.common import width_factor


def mlp_trunk(d: int, hidden, activation: str, dropout: float) -> nn.Sequential:
    """Flatten -> [Linear -> act -> dropout] per width: (B, *in_shape) -> (B, hidden[-1])."""
    layers: list[nn.Module] = [nn.Flatten()]
    k = width_factor(activation)
    for h in hidden:
        layers += [nn.Linear(d, h * k), make_activation(activation)]
        if dropout:
            layers.append(nn.Dropout(dropout))
        d = h
    return nn.Sequential(*layers)


class MultiTask(nn.Module):
    task = "multitask"

    def __init__(self, in_shape: tuple[int, ...], n_out: int, tasks: dict[str, int] | None = None,
                 hidden: list[int] = (64,), activation: str = "relu", dropout: float = 0.0,
                 weights: dict[str, float] | None = None):
        super().__init__()
        if not hidden:
            raise ValueError("model.hidden=[] is wrong: the shared trunk needs at least one width, e.g. [64]")
        tasks = dict(tasks) if tasks else {"out": n_out}
        unknown = set(weights or {}) - set(tasks)
        if unknown:
            raise ValueError(f"model.weights has {sorted(unknown)}: allowed task names are {sorted(tasks)}")
        self.weights = {name: float((weights or {}).get(name, 1.0)) for name in tasks}
        self.trunk = mlp_trunk(math.prod(in_shape), hidden, activation, dropout)
        self.heads = nn.ModuleDict({name: nn.Linear(hidden[-1], n) for name, n in tasks.items()})

    def forward(self, x):
        z = self.trunk(x)
        return {name: head(z) for name, head in self.heads.items()}
