"""DBN (greedy CD-1 pretraining, a linear probe of the head, backprop fine-tuning: `dlx train model=dbn`)
against scikit-learn's BernoulliRBM + LogisticRegression pipeline (its "RBM features for digit classification"
example: 100 components, learning rate 0.06, 10 epochs, C=6000), on dlx's digits split (train fits, test scores).

    python scripts/dbn_vs_sklearn.py --seeds 5            # prints a markdown table

The pipeline runs twice: on the training split as it is, and "nudged" like the example (every image also
shifted by one pixel up, down, left and right: 5x the training data).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def nudge(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x: (N, 64) 8x8 images -> (5N, 64): the originals and their 1-pixel shifts (zero fill)."""
    imgs = x.reshape(-1, 8, 8)
    out = [imgs]
    for axis, shift in ((1, 1), (1, -1), (2, 1), (2, -1)):
        s = np.roll(imgs, shift, axis=axis)
        edge = 0 if shift == 1 else -1
        if axis == 1:
            s[:, edge, :] = 0
        else:
            s[:, :, edge] = 0
        out.append(s)
    return np.concatenate(out).reshape(-1, 64), np.tile(y, 5)


def sklearn_pipeline(x, y, x_test, y_test, seed: int) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import BernoulliRBM
    from sklearn.pipeline import Pipeline

    rbm = BernoulliRBM(n_components=100, learning_rate=0.06, n_iter=10, random_state=seed)
    clf = Pipeline([("rbm", rbm), ("logistic", LogisticRegression(C=6000, max_iter=2000))])
    clf.fit(x, y)
    return float((clf.predict(x_test) == y_test).mean())


def dlx_run(overrides: list[str]) -> dict:
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from dlx import CONFIG_DIR
    from dlx.train import run

    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides)
    with tempfile.TemporaryDirectory() as d:
        run(cfg, d, overrides)
        return json.loads((Path(d) / "result.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("dbn_overrides", nargs="*", default=[], help="extra dlx overrides for the DBN runs")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from dlx.data.digits import load

    data = load()
    x, y = data.x.flatten(1).numpy(), data.y.numpy()
    xt, yt = data.x_test.flatten(1).numpy(), data.y_test.numpy()
    rows: dict[str, list[float]] = {}
    dbn = ["model=dbn", "device=cpu", "trainer.checkpoint=false", *args.dbn_overrides]
    for seed in range(args.seeds):
        add = lambda name, acc: rows.setdefault(name, []).append(acc)
        add("sklearn BernoulliRBM + LogisticRegression", sklearn_pipeline(x, y, xt, yt, seed))
        add("same, nudged training set (5x)", sklearn_pipeline(*nudge(x, y), xt, yt, seed))
        for name, extra in (("dlx DBN, no pretraining", ["model.pretrain.steps=0"]),
                            ("dlx DBN, CD-1 pretraining + fine-tuning, no linear probe", ["model.pretrain.probe=0"]),
                            ("dlx DBN, CD-1 pretraining + linear probe + fine-tuning", [])):
            add(name, dlx_run([*dbn, f"seed={seed}", *extra])["final"]["test/acc"])
    print(f"digits: {len(x)} train / {len(xt)} test; test accuracy over {args.seeds} seeds; "
          f"DBN overrides: {' '.join(dbn)}\n")
    print("| method | test acc (mean ± std) |\n|---|---|")
    for name, accs in rows.items():
        sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
        print(f"| {name} | {statistics.mean(accs):.4f} ± {sd:.4f} |")


if __name__ == "__main__":
    main()
