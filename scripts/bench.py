"""The dlx loop against a plain PyTorch loop: same model, same data, same batches, one process.

    python scripts/bench.py                              # MLP 784-512-256-10, batch 128, CPU
    python scripts/bench.py --arch cnn                   # LeNet-5 on 1x28x28
    python scripts/bench.py --device cuda --arch resnet20 --precision bf16 --compile
    python scripts/bench.py --device cuda --cuda-graphs                # the whole step as one CUDA graph

Both loops keep the data on the device as tensors and draw batches as index slices of a per-epoch
permutation (the fastest plain loop; a DataLoader loop is slower still). Both report steady-state samples/s:
training time of the epochs after the first (the first pays for compilation, autotuning and graph capture),
evaluation and checkpoints excluded (dlx's ``steady_samples_per_s``). The two loops run ``--repeats`` times,
taking turns to go first, and the best of each is kept, so background noise hits both alike. The plain loop
runs with the same --precision (autocast) but always eager and in the default memory format: the ratio with
--compile or --cuda-graphs is dlx's speed-up over the plain eager loop. The last line is ``ratio=<dlx / plain>``.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

import torch
import torch.nn.functional as F
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dlx import CONFIG_DIR  # noqa: E402
from dlx.data import Data  # noqa: E402
from dlx.setup import instantiate_model  # noqa: E402
from dlx.train import run  # noqa: E402

ARCHS = {  # (overrides, one example's shape, batch size)
    "tiny": (["model=mlp", "model.hidden=[32]"], (1, 28, 28), 32),  # launch-bound: the per-step overhead
    "mlp": (["model=mlp", "model.hidden=[512,256]"], (1, 28, 28), 128),
    "cnn": (["model=cnn", "model.channels=[6,16]", "model.kernel_size=5", "model.padding=valid",
             "model.hidden=[120,84]"], (1, 28, 28), 128),
    "resnet20": (["model=resnet", "model.width=16", "model.blocks=[3,3,3]"], (3, 32, 32), 512),
}


def random_data(n: int, shape: list[int], seed: int = 0) -> Data:
    """MNIST-sized random classification data: (n, *shape) inputs, 10 classes."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, *shape, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    small = slice(0, 512)
    return Data(x, y, x[small], y[small], x[small], y[small], task="classification", n_out=10)


def dlx_loop(args, overrides) -> float:
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="train", overrides=[
            *overrides, "optim=sgd", "optim.lr=0.01", f"trainer.batch_size={args.batch}",
            f"trainer.max_epochs={args.epochs}", f"device={args.device}", f"trainer.precision={args.precision}",
            f"trainer.compile={args.compile}", f"trainer.compile_mode={args.compile_mode}",
            f"trainer.cuda_graphs={args.cuda_graphs}", "trainer.log_every=100", f"trainer.drop_last={args.fixed}",
            "trainer.checkpoint=false"])
    OmegaConf.set_struct(cfg, False)
    cfg.dataset = {"_target_": "__main__.random_data", "n": args.n, "shape": list(ARCHS[args.arch][1])}
    with tempfile.TemporaryDirectory() as d, redirect_stdout(io.StringIO()):
        run(cfg, Path(d))
        result = json.loads((Path(d) / "result.json").read_text())
    return result["steady_samples_per_s"] or result["samples_per_s"]


def plain_loop(args, overrides) -> float:
    """What a careful PyTorch user writes by hand: data on the device, randperm batches, SGD, no extras."""
    device = torch.device(args.device)
    torch.manual_seed(0)
    data = random_data(args.n, list(ARCHS[args.arch][1]))
    x, y = data.x.to(device), data.y.to(device)
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides)
    model = instantiate_model(cfg.model, tuple(x.shape[1:]), 10).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    n, b = len(x), args.batch
    steps = n // b if args.fixed else math.ceil(n / b)
    seen, elapsed = 0, 0.0
    for epoch in range(args.epochs):
        t = time.perf_counter()
        perm = torch.randperm(n, device=device)
        for i in range(steps):
            idx = perm[i * b:(i + 1) * b]
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16"):
                out = model(x[idx])
            loss = F.cross_entropy(out.float(), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            seen += len(idx) if epoch or args.epochs == 1 else 0
        if device.type == "cuda":
            torch.cuda.synchronize()
        elapsed += time.perf_counter() - t if epoch or args.epochs == 1 else 0.0
    return seen / elapsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", choices=sorted(ARCHS), default="mlp")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--compile-mode", default="default")
    p.add_argument("--cuda-graphs", action="store_true", help="dlx captures its whole step as one CUDA graph")
    p.add_argument("--n", type=int, default=10240, help="training examples")
    p.add_argument("--epochs", type=int, default=3, help="the first is warm-up, left out of samples/s")
    p.add_argument("--batch", type=int, default=None, help="default: 128 (mlp, cnn), 512 (resnet20)")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    overrides, _, batch = ARCHS[args.arch]
    args.batch = args.batch or batch
    args.fixed = args.compile or args.cuda_graphs  # both loops drop the last partial batch then
    print(f"bench: {args.arch} batch {args.batch} n {args.n} epochs {args.epochs} device {args.device} "
          f"precision {args.precision} compile {args.compile} ({args.compile_mode}) cuda_graphs {args.cuda_graphs} "
          f"torch {torch.__version__} "
          f"threads {torch.get_num_threads()}")
    dlx_best, plain_best = 0.0, 0.0
    for r in range(args.repeats):
        if r % 2:  # which loop goes first alternates too
            pl, d = plain_loop(args, overrides), dlx_loop(args, overrides)
        else:
            d, pl = dlx_loop(args, overrides), plain_loop(args, overrides)
        dlx_best, plain_best = max(dlx_best, d), max(plain_best, pl)
        print(f"repeat {r}: dlx samples_per_s={d:.0f}  plain samples_per_s={pl:.0f}  ratio={d / pl:.3f}")
    print(f"dlx samples_per_s={dlx_best:.0f}")
    print(f"plain samples_per_s={plain_best:.0f}")
    print(f"ratio={dlx_best / plain_best:.3f}")


if __name__ == "__main__":
    main()
