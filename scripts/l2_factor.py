"""The per-step factor by which L2 shrinks the weights (notes l. 1010), measured in finished MLP runs.

    python scripts/l2_factor.py runs/l2_shrink          # a sweep of experiment=l2_shrink (or any MLP runs)

The slide's update is w <- (1 - eps alpha) w - eps grad J. Where the data give a weight no gradient, only the
factor acts, so w_k = (1 - eps alpha)^k w_0 there: the first layer's weights from the inputs that are 0 in every
training example (the digits' pixels 0, 32 and 39). For each run this prints that measured factor,
(||w_k|| / ||w_0||)^(1/k) over those weights (w_0 rebuilt from the run's config and seed, w_k from
checkpoints/last.pt), beside 1 - eps alpha, and the same factor for the whole first layer, where the data's
gradient acts too and no constant factor holds. Plain SGD runs only (momentum or Adam change the update).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from omegaconf import OmegaConf

from dlx import checkpoint, runfolder, setup


def factors(run: Path) -> dict:
    """The run's measured per-step factors and the slide's 1 - eps alpha."""
    cfg = OmegaConf.load(run / ".hydra" / "config.yaml")
    state = checkpoint.load(runfolder.checkpoint_file(run))
    built = setup.build(cfg)  # seeded as the run was: its initial weights
    first = next(name for name, p in built.model.named_parameters() if p.ndim == 2)
    w0, w = built.model.state_dict()[first].detach().cpu(), state["model"][first].cpu()
    idle = (built.data.x.flatten(1) == 0).all(0).cpu()  # (inputs,): 0 in every training example
    steps = state["step"]
    l2 = OmegaConf.select(cfg, "regularization.l2")
    alpha = float(l2.alpha) if l2 is not None and not l2.decoupled else 0.0
    per_step = lambda a, b: (a.norm() / b.norm()).item() ** (1 / steps)
    return {"run": run.name, "seed": cfg.seed, "alpha": alpha, "steps": steps, "idle_inputs": int(idle.sum()),
            "slide": 1 - float(cfg.optim.lr) * alpha, "idle": per_step(w[:, idle], w0[:, idle]) if idle.any()
            else float("nan"), "whole": per_step(w, w0)}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sweep", type=Path, help="a sweep folder (or one run folder) of MLP runs with plain SGD")
    args = p.parse_args(argv)
    found = [r.parent.parent for r in args.sweep.glob("**/*.pt") if r == runfolder.checkpoint_file(r.parent.parent)]
    runs = sorted(found, key=lambda r: (len(r.name), r.name))  # 2 before 10
    if not runs:
        print(f"dlx: error: {args.sweep} is wrong: allowed is a folder holding finished runs", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    print("run  seed  alpha   steps  1-eps*alpha  measured (idle inputs' weights)  whole first layer")
    for run in runs:
        f = factors(run)
        print(f"{f['run']:>4} {f['seed']:>5} {f['alpha']:6g} {f['steps']:>6}  {f['slide']:.7f}    {f['idle']:.7f} "
              f"({f['idle_inputs']} inputs){'':14}{f['whole']:.7f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
