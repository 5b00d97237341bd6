"""The figures behind dlx's power quotes and sequential seeds, by simulation (no training): synthetic sweeps drawn
from known distributions, seeded. tests/test_power.py asserts the same properties with fewer sweeps.

    python scripts/power_sim.py [--sims 100000] [--first 3 --step 2 --most 20 --spending pocock]

Prints (a) how often sweeps find the minimum detectable effect dlx prints (should be 80%), (b) the false-positive
rate of the sequential rule on sweeps with no difference (should be <= 5%), and (c) its power and mean seeds
against the fixed design with the same power, over a range of paired differences (d_z: mean / sd of the
per-seed differences).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from scipy.stats import t as t_dist

from dlx.results import sequential as sq
from dlx.results.stats import Spread, detectable, min_detectable, power_at


def paired_p(diffs: np.ndarray) -> np.ndarray:
    n = diffs.shape[1]
    return 2 * t_dist.sf(np.abs(diffs.mean(1) / (diffs.std(1, ddof=1) / math.sqrt(n))), n - 1)


def fixed_seeds(d_z: float, power: float, alpha: float) -> float:
    sp = lambda n: Spread("paired", (1.0,), (n,))  # noqa: E731
    n = 2
    while power_at(d_z, sp(n), alpha, known=True) < power:
        n += 1
    lo = power_at(d_z, sp(n - 1), alpha, known=True) if n > 2 else 0.0
    return n - 1 + (power - lo) / (power_at(d_z, sp(n), alpha, known=True) - lo)


def mde_table(sims: int, rng: np.random.Generator) -> None:
    print("(a) the minimum detectable effect dlx prints, from each sweep's own sd of differences: how often a sweep")
    print("    of that size with that true difference is significant (paired t-test, alpha 0.05)")
    print(f"    {'seeds':>5} {'MDE / measured sd':>18} {'found':>7} {'textbook MDE found':>19}")
    for n in (3, 5, 10, 20):
        sd = rng.normal(0.0, 1.0, (sims, n)).std(1, ddof=1)
        found = []
        for k in (detectable(Spread("paired", (1.0,), (n,)), 0.05), min_detectable(1.0, n, 0.05)):
            found.append(np.mean(paired_p(rng.normal((k * sd)[:, None], 1.0, (sims, n))) < 0.05))
        print(f"    {n:>5} {detectable(Spread('paired', (1.0,), (n,)), 0.05):>18.3f} {found[0]:>7.1%} "
              f"{found[1]:>19.1%}")


def sequential_table(design: sq.Design, sims: int, rng: np.random.Generator) -> None:
    print(f"\n(b, c) the sequential rule: looks at {design.looks} seeds, {design.spending} spending, alpha "
          f"{design.alpha}, futility {design.futility}")
    looks = np.array(design.looks)
    null = rng.normal(0.0, 1.0, (sims, design.most))
    r = sq.looks_rule(null, design)
    print(f"    no difference: false positives {np.mean(r['state'] == 0):.2%} (of {sims} sweeps), mean seeds "
          f"{looks[r['look']].mean():.1f}")
    print("    (a power of 100% is taken as 99.99% for the fixed design)")
    print(f"    {'d_z':>5} {'power':>7} {'mean seeds':>11} {'fixed, same power':>18} {'ratio':>6} "
          f"{'fixed, 80%':>11}")
    for d_z in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0):
        r = sq.looks_rule(rng.normal(d_z, 1.0, (sims, design.most)), design)
        power, seeds = np.mean(r["state"] == 0), looks[r["look"]].mean()
        fixed = fixed_seeds(d_z, min(power, 0.9999), design.alpha)
        print(f"    {d_z:>5} {power:>7.1%} {seeds:>11.2f} {fixed:>18.2f} {seeds / fixed:>6.2f} "
              f"{fixed_seeds(d_z, 0.8, design.alpha):>11.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sims", type=int, default=100_000)
    p.add_argument("--first", type=int, default=sq.Design.first)
    p.add_argument("--step", type=int, default=sq.Design.step)
    p.add_argument("--most", type=int, default=sq.Design.most)
    p.add_argument("--spending", choices=sq.SPENDING, default=sq.Design.spending)
    a = p.parse_args()
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    mde_table(a.sims, rng)
    sequential_table(sq.Design(a.first, a.step, a.most, spending=a.spending), a.sims, rng)
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
