"""One training step at 1 thread against all cores, for models of growing forward cost (FLOPs per batch): where a
second thread starts to pay, which is what trainer.threads=auto's SMALL_FLOPS threshold (dlx/setup.py) encodes.

    python scripts/bench_threads.py --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def step_ms(model: nn.Module, x: torch.Tensor, y: torch.Tensor, threads: int, steps: int) -> float:
    torch.set_num_threads(threads)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    for i in range(steps + 5):  # 5 warm-up steps
        if i == 5:
            t = time.perf_counter()
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return (time.perf_counter() - t) / steps * 1e3


def models():
    mlp = lambda *w: nn.Sequential(*[m for a, b in zip(w, w[1:]) for m in (nn.Linear(a, b), nn.ReLU())][:-1])
    conv = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    wide = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    return [("digits MLP 64-256-128-10, batch 64", mlp(64, 256, 128, 10), (64,), 64),
            ("MNIST MLP 784-512-256-10, batch 128", mlp(784, 512, 256, 10), (784,), 128),
            ("LeNet-like CNN 28x28, batch 128", conv, (1, 28, 28), 128),
            ("2-conv 64-channel CNN 32x32 RGB, batch 128", wide, (3, 32, 32), 128)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=30)
    args = ap.parse_args()
    cores = torch.get_num_threads()
    print(f"{cores} cores; ms per training step, median of {args.repeats} (1 thread and {cores} taking turns)")
    for name, model, shape, b in models():
        x, y = torch.randn(b, *shape), torch.randint(0, 10, (b,))
        with FlopCounterMode(display=False) as fc:
            model(x)
        one, all_ = [], []
        for _ in range(args.repeats):
            one.append(step_ms(model, x, y, 1, args.steps))
            all_.append(step_ms(model, x, y, cores, args.steps))
        m1, mn = statistics.median(one), statistics.median(all_)
        print(f"{name:45s} {fc.get_total_flops() / 1e6:8.1f} MFLOP/forward  1 thread {m1:7.2f} ms  "
              f"{cores} threads {mn:7.2f} ms  speed-up {m1 / mn:.2f}x")
    torch.set_num_threads(cores)


if __name__ == "__main__":
    main()
