"""Benchmark landscapes: how small the optimum's basin is and how noisy one fully run set's objective is (issue 18).

For the project's synthetic campaign (tests/landscapes/synthetic.py) and the held-out members of bench_cost.py
(tests/landscapes/heldout.py, one per seed), prints:
  box within 5 % / 10 %   the fraction of the parameter box whose true objective is within 5 % / 10 % of the optimum
                          (uniform random points), i.e. how small the target of "within 5 % after 30 sets" is
  noise sd / optimum      the standard deviation of a set's OBSERVED objective (replica means of 6 replicas on every
                          glass, the fixed design) about its true objective, for sets within 10 % of the optimum,
                          relative to the optimum: the scatter a recommender must see through to tell a 5 % set from
                          a 10 % one
  bias / optimum          the mean of observed - true objective there (squared errors of noisy means are biased up)
  with a failed run       of those sets, how many lost a replica (random failures; the held-out family): their observed
                          objective carries the missing-value penalty and is left out of the two figures above
                          (nan where fewer than 10 sets are left)

Run (from the repository root, with the project's virtual environment):
  .venv/bin/python bench/bench_landscape.py                 # the project landscape and held-out seeds 0-5
  .venv/bin/python bench/bench_landscape.py --points 100000 --seeds 0 1
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from bench_cost import REPLICAS, Landscape  # noqa: E402  (the landscapes and design as bench_cost.py runs them)
from landscapes import heldout, synthetic  # noqa: E402  (test fixtures live outside the shipped package)

from glassfit import campaign as gc  # noqa: E402
from glassfit.learn.objective import objective  # noqa: E402
from glassfit.learn.settings import denormalise, fitted_glasses, param_names  # noqa: E402

MIN_SETS = 10  # sets without a failed run below which the noise figures are not given (nan)


def facts(landscape: Landscape, problem, points: int, sets: int, seed: int) -> dict:
    """Basin fractions and the observed objective's scatter near the optimum on one landscape."""
    rng = np.random.default_rng([seed, 4242])
    names = param_names(problem)
    optimum, true = landscape.optimum, landscape.true_objective
    values = denormalise(rng.random((points, len(names))), problem)
    scores = true(values, problem)
    near = values[scores <= 1.10 * optimum][:sets]
    frame = pd.DataFrame(near, columns=names).assign(candidate=[f"c{i:03d}" for i in range(len(near))], iteration=0)
    runs = landscape.evaluate(frame, problem, rng, REPLICAS, [g.id for g in fitted_glasses(problem)])
    dataset = gc.dataset(runs, None)
    observed = objective(dataset, problem).reindex(frame["candidate"]).to_numpy()
    failed = dataset.groupby("candidate")["n_failed"].sum().reindex(frame["candidate"]).to_numpy() > 0
    error = ((observed - true(near, problem)) / optimum)[~failed]
    sd, bias = (float(error.std()), float(error.mean())) if len(error) >= MIN_SETS else (np.nan, np.nan)
    return {"optimum": optimum, "box within 5 %": float((scores <= 1.05 * optimum).mean()),
            "box within 10 %": float((scores <= 1.10 * optimum).mean()), "sets near": len(near),
            "with a failed run": int(failed.sum()),
            "noise sd / optimum": sd, "bias / optimum": bias}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5], help="held-out members (one per seed)")
    parser.add_argument("--points", type=int, default=400_000, help="uniform random points per landscape")
    parser.add_argument("--sets", type=int, default=60, help="sets within 10 %% of the optimum run with 6 replicas")
    args = parser.parse_args()
    problem = synthetic.toy_problem()
    rows = {"project": facts(Landscape("project", None, problem), problem, args.points, args.sets, 0)}
    for seed in args.seeds:
        name = f"held-out seed {seed}"
        rows[name] = facts(Landscape(name, heldout.Variant.draw(seed), problem), problem, args.points, args.sets, seed)
    table = pd.DataFrame(rows).T
    pd.set_option("display.width", 200)
    print(table.to_string(float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
