"""Benchmark: active learning (initial design + surrogate/CMA-ES proposals) vs random search on a synthetic campaign.

The synthetic campaign (glassfit.learn.synthetic) has 5 tunable parameters, 8 fitted glasses with density
and B4 that depend smoothly on the normalised parameters and the B2O3 fraction, a known optimum (true
objective 0) and Gaussian replica noise. Prints the best true (noise-free) objective reached vs the
number of evaluated candidates, for each seed and the median, for both strategies.

Run: python bench/bench_proposer.py [--iterations 8] [--k 10] [--seeds 0 1 2]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from glassfit.learn import initial_design, propose
from glassfit.learn import synthetic


def candidates_frame(params: pd.DataFrame, iteration: int) -> pd.DataFrame:
    """Attach iteration and candidate ids (iNNcMM) to a frame of parameter sets."""
    out = params.reset_index(drop=True).copy()
    out["iteration"] = iteration
    out["candidate"] = [f"i{iteration:02d}c{i:02d}" for i in range(len(out))]
    return out


def active_learning(config: dict, iterations: int, k: int, seed: int) -> tuple[list[int], list[float], float]:
    """Run the loop; return evaluations and best true objective after each iteration, and seconds spent proposing."""
    rng = np.random.default_rng(seed)
    names = [p["name"] for p in config["tunable"]]
    design = initial_design(config, seed)
    batch = candidates_frame(design[names], 0)
    dataset = synthetic.evaluate(batch, config, rng)
    evaluated = [batch[names]]
    n_evals, best = [len(batch)], [float(synthetic.true_objective(batch, config).min())]
    t_propose = 0.0
    for it in range(1, iterations):
        t0 = time.perf_counter()
        proposals = propose(dataset, config, k, seed=seed * 1000 + it)
        t_propose += time.perf_counter() - t0
        batch = candidates_frame(proposals[names], it)
        dataset = pd.concat([dataset, synthetic.evaluate(batch, config, rng)], ignore_index=True)
        evaluated.append(batch[names])
        all_params = pd.concat(evaluated, ignore_index=True)
        n_evals.append(len(all_params))
        best.append(float(synthetic.true_objective(all_params, config).min()))
    return n_evals, best, t_propose


def random_search(config: dict, n_evals: list[int], seed: int) -> list[float]:
    """Best true objective of the start point + uniform random points, at the same evaluation counts."""
    rng = np.random.default_rng(10_000 + seed)
    names = [p["name"] for p in config["tunable"]]
    start = np.array([[p["start"] for p in config["tunable"]]])
    unit = rng.uniform(0, 1, (max(n_evals) - 1, len(names)))
    params = pd.DataFrame(np.vstack([start, synthetic.denormalise(unit, config)]), columns=names)
    true = synthetic.true_objective(params, config)
    return [float(true[:n].min()) for n in n_evals]


def main() -> None:
    """Parse arguments, run both strategies for each seed and print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=8, help="iterations including iteration 0")
    parser.add_argument("--k", type=int, default=10, help="candidates per iteration after iteration 0")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--kappa", type=float, default=None, help="override learn.proposer.exploration_kappa")
    args = parser.parse_args()

    config = synthetic.toy_config()
    if args.kappa is not None:
        config["learn"] = {"proposer": {"exploration_kappa": args.kappa}}
    rows = []
    t_start = time.perf_counter()
    for seed in args.seeds:
        n_evals, best_al, t_prop = active_learning(config, args.iterations, args.k, seed)
        best_rs = random_search(config, n_evals, seed)
        print(f"seed {seed}: {t_prop:.1f} s in propose() for {args.iterations - 1} iterations", flush=True)
        for it, (n, al, rs) in enumerate(zip(n_evals, best_al, best_rs)):
            rows.append({"seed": seed, "iteration": it, "n_evaluations": n, "active_learning": al, "random": rs})
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 160)
    print("\nBest true objective (0 = exact optimum; lower is better) vs evaluated candidates")
    wide = table.pivot(index=["iteration", "n_evaluations"], columns="seed",
                       values=["active_learning", "random"])
    wide.columns = [f"{strategy}_seed{seed}" for strategy, seed in wide.columns]
    med = table.groupby(["iteration", "n_evaluations"])[["active_learning", "random"]].median()
    wide["active_learning_median"] = med["active_learning"]
    wide["random_median"] = med["random"]
    print(wide.to_string(float_format=lambda v: f"{v:9.3f}"))
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
