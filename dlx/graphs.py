"""trainer.cuda_graphs: the whole training step as one CUDA graph.

A small model on a GPU is bound by kernel launches: each step runs some fifty small kernels, each launched
from Python. CUDA graphs record the step's kernels once and replay them with one launch
(https://pytorch.org/docs/stable/notes/cuda.html#cuda-graphs, "whole-network capture"). dlx captures its own
``train_step(idx)`` (gather, augmentation, forward, loss, backward, optimizer step, max-norm) rather than
using ``torch.compile(mode="reduce-overhead")``, which graphs only the model's forward and backward and leaves
the optimizer, the loss and the batch gather as separate launches.

What a replay cannot change is fixed at capture: tensor shapes (every batch must have the same size), and
Python numbers the step reads (the learning rate, for optimizers that take it as a float). So the loop
refuses a schedule, optimizers that evaluate the loss more than once per step, and other CUDA-graph users.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from dlx.checks import ConfigError
from dlx.optim import course

# Optimizers whose step is device work only (no host-side step counter): safe to capture as they are.
# Optimizers with a ``capturable`` option (Adam, AdamW, RMSprop, ...) are switched to it.
DEVICE_ONLY = (torch.optim.SGD, course.Momentum, course.Nesterov, course.RMSProp, course.RMSPropNesterov)


def check(device: torch.device, optimizer: torch.optim.Optimizer, optim_target: str, n_train: int, batch: int,
          drop_last: bool, schedule: str, warmup: int, compile: bool, compile_mode: str) -> None:
    """Refuse, with one line, a run whose step cannot be captured once and replayed."""
    where = "trainer.cuda_graphs=true is wrong"
    if device.type != "cuda":
        raise ConfigError(f"{where} on device {device.type}: CUDA graphs need a CUDA GPU; allowed on CPU is "
                          "trainer.cuda_graphs=false")
    if not drop_last and n_train % batch:
        raise ConfigError(f"{where} with a last batch of {n_train % batch} examples: a graph replays one "
                          "batch shape; allowed is trainer.drop_last=true or a batch_size that divides "
                          f"the {n_train} training examples")
    if schedule != "constant" or warmup:
        raise ConfigError(f"{where} with schedule={schedule}: the captured step keeps the learning rate "
                          "it was captured with; allowed is schedule=constant without warmup")
    if not (isinstance(optimizer, DEVICE_ONLY) or "capturable" in optimizer.defaults):
        raise ConfigError(f"{where} with optim {optim_target}: its step is not device work only; allowed "
                          "are sgd, momentum, nesterov, rmsprop, rmsprop_nesterov, adam and torch.optim's "
                          "optimizers with a capturable option")
    if compile and compile_mode not in ("default", "max-autotune-no-cudagraphs"):
        raise ConfigError(f"{where} with trainer.compile_mode={compile_mode}, which makes CUDA graphs of "
                          "its own; allowed with it are compile_mode default and max-autotune-no-cudagraphs")


def make_capturable(optimizer: torch.optim.Optimizer, device: torch.device) -> None:
    """Switch an optimizer with host-side step counters (Adam & co.) to its capturable form: counters on
    the device, no host reads in step(). A checkpoint loaded before keeps its values."""
    for group in optimizer.param_groups:
        if "capturable" in group:
            group["capturable"] = True
    for state in optimizer.state.values():
        if torch.is_tensor(state.get("step")) and state["step"].device != device:
            state["step"] = state["step"].to(device)


class GraphedStep:
    """``step(idx) -> loss`` run eagerly for ``warmup`` steps (on a side stream, as the CUDA-graph notes ask:
    lazy initialisation, optimizer state and cuBLAS workspaces happen there), then captured at the next call
    and replayed from then on. Each call is real training: the captured call's step is the first replay."""

    def __init__(self, step: Callable[[torch.Tensor], torch.Tensor], batch: int, device: torch.device,
                 warmup: int = 3):
        self.step, self.warmup = step, warmup
        self.idx = torch.zeros(batch, dtype=torch.long, device=device)  # the graph's input
        self.graph: torch.cuda.CUDAGraph | None = None
        self.loss: torch.Tensor | None = None  # the graph's output, rewritten by every replay

    def __call__(self, idx: torch.Tensor) -> torch.Tensor:
        if self.warmup > 0:
            self.warmup -= 1
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                loss = self.step(idx)
            torch.cuda.current_stream().wait_stream(side)
            return loss
        self.idx.copy_(idx)
        if self.graph is None:
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):  # records the kernels; nothing runs until replay
                self.loss = self.step(self.idx)
        self.graph.replay()
        return self.loss
