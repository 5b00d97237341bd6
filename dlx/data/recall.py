"""Delayed recall: a sequence task whose class depends on one step far from the end (after Hochreiter &
Schmidhuber 1997's long-time-lag problems), generated in memory.

Each example is (symbols + 1, length): at every step one of ``symbols`` symbols, one-hot in the first channels
(distractors, drawn at random); the last channel marks one step in the first ``lag_frac`` of the sequence. The
class is the symbol at the marked step. A recurrent net that reads the sequence step by step and answers at the
end must carry it over at least ``length * (1 - lag_frac)`` steps; an MLP sees every step at once but has to learn
the marker-and-symbol pair at each position on its own (it shares nothing across positions).
"""

from __future__ import annotations

import torch

from dlx import checks
from dlx.data import Data, check_split, split_val, take_subset


def check(*, n, length, symbols, lag_frac, val_frac, test_frac, split_seed, data_seed, subset, subset_mode) -> None:
    checks.count("n", n)
    checks.integer("length", length, 2)
    checks.integer("symbols", symbols, 2)
    checks.number("lag_frac", lag_frac, 0, 1, low_open=True)
    checks.integer("data_seed", data_seed, 0)
    check_split(val_frac, split_seed, subset, subset_mode, test_frac)


def load(n: int = 4000, length: int = 30, symbols: int = 4, lag_frac: float = 0.5, val_frac: float = 0.1,
         test_frac: float = 0.25, split_seed: int = 0, data_seed: int = 0, subset: int | None = None,
         subset_mode: str = "first") -> Data:
    check(**locals())  # every argument, before anything is generated
    g = torch.Generator().manual_seed(data_seed)
    seq = torch.randint(0, symbols, (n, length), generator=g)  # (N, L): the symbol at each step
    last = max(1, int(length * lag_frac))  # the marker falls in steps 0 .. last-1
    marked = torch.randint(0, last, (n,), generator=g)  # (N,)
    x = torch.zeros(n, symbols + 1, length)
    x[:, :symbols] = torch.nn.functional.one_hot(seq, symbols).permute(0, 2, 1).float()  # (N, symbols, L)
    x[torch.arange(n), symbols, marked] = 1.0  # the marker channel
    y = seq[torch.arange(n), marked]  # (N,): the symbol to recall
    x_rest, y_rest, x_test, y_test = split_val(x, y, test_frac, split_seed + 1, "test_frac")
    x_tr, y_tr, x_val, y_val = split_val(x_rest, y_rest, val_frac, split_seed)
    x_tr, y_tr, x_all = take_subset(x_tr, y_tr, subset, subset_mode)  # dataset.subset: training only
    return Data(x_tr, y_tr, x_val, y_val, x_test, y_test, task="classification", n_out=symbols, x_unlabeled=x_all)
