"""Multi-task network: one shared trunk, one head per task (Goodfellow et al. 7.7, hard parameter sharing).

forward(x) returns {task: (B, n_task)}. The loop builds the heads from the dataset's named targets (it passes
``tasks`` = {name: n_out} because ``task = "multitask"``) and sums the per-task losses weighted by
``weights`` (name -> weight, 1 where absent).
"""

from __future__ import annotations

import math

from torch import nn

from dlx import checks
from dlx.models.common import check_activation, check_regularization, hidden_layers, plain


def mlp_trunk(d: int, hidden, activation: str, dropout: float = 0.0, input_dropout: float = 0.0,
              batchnorm: bool = False) -> nn.Sequential:
    """Flatten -> (Dropout) -> [Linear -> (BN) -> act -> (Dropout)] per width: (B, *in_shape) -> (B, hidden[-1])."""
    layers: list[nn.Module] = [nn.Flatten()]
    if input_dropout > 0:
        layers.append(nn.Dropout(input_dropout))
    return nn.Sequential(*layers, *hidden_layers(d, hidden, activation, 2, dropout, batchnorm))


class MultiTask(nn.Module):
    """Takes ``input_dropout`` (on the input), ``dropout`` and ``batchnorm`` (after each trunk Linear, before
    the activation) in the shared trunk; the heads are single linear maps."""

    task = "multitask"

    def __init__(self, in_shape: tuple[int, ...], n_out: int, tasks: dict[str, int] | None = None,
                 hidden: list[int] = (64,), activation: str = "relu", dropout: float = 0.0,
                 weights: dict[str, float] | None = None, input_dropout: float = 0.0, batchnorm: bool = False):
        hidden = checks.widths("hidden", plain(hidden), allow_empty=False)
        check_activation(activation)
        check_regularization(dropout, input_dropout, batchnorm)
        tasks = plain(tasks) or {"out": n_out}
        if not isinstance(tasks, dict):
            checks.fail("tasks", tasks, "a mapping task name -> number of outputs, e.g. {digit: 10, parity: 2}")
        for name, n in tasks.items():
            checks.count(f"tasks.{name}", n)
        weights = plain(weights)
        if weights is not None and not isinstance(weights, dict):
            checks.fail("weights", weights, "null or a mapping task -> loss weight, e.g. {parity: 0.5}")
        for name, w in (weights or {}).items():
            if name not in tasks:
                checks.fail(f"weights.{name}", w, f"a weight for one of the tasks {', '.join(tasks)}")
            checks.non_negative(f"weights.{name}", w)
        super().__init__()
        self.weights = {name: float((weights or {}).get(name, 1.0)) for name in tasks}
        self.trunk = mlp_trunk(math.prod(in_shape), hidden, activation, dropout, input_dropout, batchnorm)
        self.heads = nn.ModuleDict({name: nn.Linear(hidden[-1], n) for name, n in tasks.items()})

    def forward(self, x):
        z = self.trunk(x)
        return {name: head(z) for name, head in self.heads.items()}
