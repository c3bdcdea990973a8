"""Benchmark: how the BoTorch proposal's wall time grows with the data set (issue 18, item 7).

A proposal is what the workflow's propose checkpoint does once per iteration: fit the GPs to the data set, rank every
evaluated set (the recommendation), propose the next batch of 10. The data sets are synthetic (glassfit's
synthetic borosilicate landscape, tests/landscapes/synthetic.py: the seven modelled glasses of the published campaign
(6B-75B) plus, with --glasses 9, two more borosilicates of the same series at 18 and 30 mol % B2O3 whose "experimental" values are the
landscape's own at its optimum), with 6 noisy replicas per glass and the landscape's failures, at Sobol points.

Goal: 500 sets x 9 glasses within 5 minutes on one core.

Methods: `default` is what glassfit does (qLogNEI up to learn.proposer.thompson_rows training rows per target, Thompson
sampling beyond); `qlognei` and `thompson` force one of them, to compare them side by side on the same data set. Each
proposed batch is scored by the landscape's true (noise-free) objective of its sets / the optimum: best and median.

Run (from the repository root, with the project's virtual environment):
  .venv/bin/python bench/bench_scale.py                    # 40, 170 and 500 sets, 9 modelled glasses, one thread
  .venv/bin/python bench/bench_scale.py --sets 40 --methods qlognei thompson --seeds 0 1 2   # the two batch methods
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from landscapes import synthetic  # noqa: E402

from glassfit import config, learn  # noqa: E402
from glassfit.learn.settings import denormalise, modelled_glasses, param_names  # noqa: E402
from glassfit.learn import thompson  # noqa: E402

GOAL_S = 300.0


METHODS = {"default": {}, "qlognei": {"thompson_rows": 10**9}, "thompson": {"thompson_rows": 0}}


def problem_with(glasses: int, method: str = "default"):
    """The synthetic campaign with its 7 modelled glasses (6B-75B), or with 18B and 30B added (their targets = the landscape's optimum)."""
    problem = synthetic.toy_problem(proposer=METHODS[method])
    if glasses <= 7:
        return problem
    x_opt, _ = synthetic.optimum(problem)
    tunables = list(problem.tunables)
    extra = [{"id": f"{b}B", "composition": {"SiO2": 75.0 - b, "B2O3": float(b), "Na2O": 15.0, "CaO": 10.0},
              "density_g_cm3": 2.5, "B4": 0.5, "role": "fit"} for b in (18, 30)[: glasses - 7]]
    rho, b4 = synthetic.truth(x_opt[None, :], config.problem(tunables, [*problem.glasses, *extra]), [g["id"] for g in extra])
    for j, g in enumerate(extra):
        g["density_g_cm3"], g["B4"] = round(float(rho[0, j]), 4), round(float(b4[0, j]), 4)
    return config.problem(tunables, [*problem.glasses, *extra], {"proposer": METHODS[method], "cost": {"mode": "fixed"}})


def dataset_of(problem, n: int, seed: int) -> pd.DataFrame:
    """n sets (the start set, then scrambled Sobol points) evaluated on the modelled glasses with 6 replicas."""
    from scipy.stats import qmc

    names = param_names(problem)
    unit = qmc.Sobol(len(names), scramble=True, seed=seed).random(n - 1)
    start = np.array([[t.start for t in problem.tunables]])
    params = pd.DataFrame(np.vstack([start, denormalise(unit, problem)]), columns=names)
    params["iteration"] = np.arange(n) // 10
    params["candidate"] = [f"i{i // 10:02d}c{i % 10:02d}" for i in range(n)]
    return synthetic.evaluate(params, problem, np.random.default_rng(seed), replicas=6, glasses=modelled_glasses(problem))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", type=int, nargs="+", default=[40, 170, 500])
    parser.add_argument("--glasses", type=int, default=9, choices=[7, 8, 9], help="modelled glasses (the synthetic campaign has 7; 8 and 9 add 18B, 30B)")
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=["default"])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for n in args.sets:
        for seed in args.seeds:
            for method in args.methods:
                problem = problem_with(args.glasses, method)
                optimum = synthetic.optimum(problem)[1]
                dataset = dataset_of(problem, n, seed)
                t0 = time.perf_counter()
                engine = learn.Engine(dataset, problem, seed)
                t1 = time.perf_counter()
                learn.rank(dataset, problem, seed, engine=engine)
                t2 = time.perf_counter()
                batch = learn.propose(dataset, problem, args.k, seed, engine=engine)
                t3 = time.perf_counter()
                ratio = synthetic.true_objective(batch, problem) / optimum
                used = "thompson" if thompson.applies(engine.model, problem) else "qlognei"
                rows.append({"sets": n, "seed": seed, "method": method, "batch_by": used,
                             "rows": int(np.isfinite(dataset["density_g_cm3_mean"]).sum()), "fit_s": t1 - t0,
                             "rank_s": t2 - t1, "propose_s": t3 - t2, "total_s": t3 - t0, "proposed": len(batch),
                             "batch_best": ratio.min(), "batch_median": np.median(ratio)})
                print(f"{n} sets, seed {seed}, {method} ({used}): fit {t1 - t0:.1f} s, rank {t2 - t1:.1f} s, propose {t3 - t2:.1f} s, "
                      f"batch best {ratio.min():.2f} median {np.median(ratio):.2f} x optimum", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    g = len(modelled_glasses(problem_with(args.glasses)))
    print(f"\nProposal wall time, {g} modelled glasses, batch {args.k}, one thread (goal: 500 sets within {GOAL_S:.0f} s); "
          "batch_best / batch_median: the batch's true objective / the optimum\n")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if len(args.seeds) > 1 or len(args.methods) > 1:
        print("\nmedian over seeds\n")
        print(table.groupby(["sets", "method"])[["total_s", "batch_best", "batch_median"]].median().to_string(float_format=lambda v: f"{v:.2f}"))
    big = table[(table["sets"] == 500) & (table["method"] == "default")]
    if len(big):
        total = float(big["total_s"].max())
        print(f"\n500 sets: {total:.0f} s = {total / GOAL_S:.2f} x the goal ({'met' if total <= GOAL_S else 'NOT met'})")


if __name__ == "__main__":
    main()
