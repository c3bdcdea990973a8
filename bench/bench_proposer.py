"""Benchmark: proposers side by side on the synthetic borosilicate campaign (tests/landscapes/synthetic.py).

The problem: fit the five B-O/B-B Buckingham parameters of the real campaign (real start values and
bounds) to the real experimental density and B4 of the eight soda-lime borosilicates 0B-75B, with a
deterministic stand-in for the MD: a B4 cliff in rho_BO, density and B4 pulling against each other (the
optimum's objective is ~62, not 0), 6 noisy replicas per glass (density sd 0.015 g/cm3, B4 sd 0.02), a
failure region (high C_BO with low rho_BO) just next to the optimum where replicas blow up, and a glass
(0B) that no parameter acts on. See the module docstring of tests/landscapes/synthetic.py.

Methods:
  botorch   learn.proposer.kind botorch (composite-objective GPs, qLogNEI), the default
  mlp-ei    MLP ensemble, expected improvement over its members, CMA-ES
  mlp-mean  MLP ensemble, objective of the ensemble mean, CMA-ES (the first proposer)
  sobol     the start set + scrambled Sobol points (seeded), same number of sets; no model
  random    the start set + uniform random points (seeded); no model
A model method runs the campaign loop: iteration 0 = initial_design(problem, seed) (the start set, which
also runs the inert glass 0B once, as the workflow does, and Sobol points on the modelled glasses), then
batches of --k sets from propose() until --budget sets are evaluated.

What is scored: after every iteration, the TRUE (noise-free) objective of the set the method REPORTS as
best: recommend()'s set for the model methods (the posterior-mean best among the evaluated sets), the best
observed (noisy) objective for the baselines. Not the best value an oracle could pick among the evaluated
sets (that is in the CSV as oracle_best, for reference). The goal: within 15 % of the optimum after at
most 40 sets. Also recorded: failed MD runs (replicas lost in the failure region) and the proposer's wall
time per iteration (fitting, recommend and propose; torch on one thread).

Run (from the repository root, with the project's virtual environment):
  .venv/bin/python bench/bench_proposer.py                          # all methods, seeds 0-4, budget 40, k 6
  .venv/bin/python bench/bench_proposer.py --quick                  # smoke test: seeds 0 1, budget 28
  .venv/bin/python bench/bench_proposer.py --methods botorch sobol --seeds 0 1 2 --budget 40 --k 6
Writes bench/results/bench_proposer.csv (one row per method x seed x iteration) and
bench/results/bench_proposer.png (median and interquartile range over seeds vs evaluated sets, log
scale). --report bench/results/bench_proposer.csv reprints the tables and redraws the figure.
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from landscapes import synthetic  # noqa: E402  (test fixtures live outside the shipped package)

from glassfit import learn
from glassfit.learn.settings import denormalise, fitted_glasses, modelled_glasses, param_names
from glassfit.model import LearningProblem

RESULTS = Path(__file__).resolve().parent / "results"
MODEL_METHODS = {
    "botorch": {"proposer": {"kind": "botorch"}},
    "mlp-ei": {"proposer": {"kind": "mlp", "acquisition": "ei"}},
    "mlp-mean": {"proposer": {"kind": "mlp", "acquisition": "mean"}},
}
BASELINES = ("sobol", "random")
METHODS = (*MODEL_METHODS, *BASELINES)
GOAL = 1.15  # reported set within 15 % of the optimum


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def with_ids(params: pd.DataFrame, iteration: int, first: int = 0) -> pd.DataFrame:
    """Parameter sets with iteration and candidate ids iNNcMM (MM counted from `first`)."""
    out = params.reset_index(drop=True).copy()
    out["iteration"] = iteration
    out["candidate"] = [f"i{iteration:02d}c{first + i:02d}" for i in range(len(out))]
    return out


def simulate(batch: pd.DataFrame, problem: LearningProblem, rng: np.random.Generator, replicas: int,
             is_start: np.ndarray | None = None) -> pd.DataFrame:
    """MD stand-in for a batch: the start set on every fitted glass (the once-per-campaign run of the inert
    glasses), every other set on the modelled glasses only."""
    is_start = np.zeros(len(batch), dtype=bool) if is_start is None else np.asarray(is_start, dtype=bool)
    parts = []
    if is_start.any():
        glasses = [g.id for g in fitted_glasses(problem)]
        parts.append(synthetic.evaluate(batch[is_start], problem, rng, replicas=replicas, glasses=glasses))
    if (~is_start).any():
        parts.append(synthetic.evaluate(batch[~is_start], problem, rng, replicas=replicas,
                                        glasses=modelled_glasses(problem)))
    return pd.concat(parts, ignore_index=True)


def schedule(n0: int, budget: int, k: int) -> list[int]:
    """Evaluation counts after each iteration: n0, n0 + k, ... up to the budget."""
    counts = [min(n0, budget)]
    while counts[-1] < budget:
        counts.append(min(counts[-1] + k, budget))
    return counts


def row(method: str, seed: int, iteration: int, dataset: pd.DataFrame, problem: LearningProblem, reported: dict,
        candidate: str, seconds: float, proposed: int = 0) -> dict:
    """One result row: the reported set's true objective, plus diagnostics."""
    names = param_names(problem)
    true = float(synthetic.true_objective(np.array([[reported[n] for n in names]]), problem)[0])
    sets = dataset.drop_duplicates("candidate")
    observed = learn.objective(dataset, problem)
    return {"method": method, "seed": seed, "iteration": iteration, "n_evaluated": len(sets),
            "reported": candidate, "true_objective": true, "observed_objective": float(observed[candidate]),
            "oracle_best": float(synthetic.true_objective(sets, problem).min()),
            "failed_runs": int(dataset["n_failed"].sum()),
            "md_runs": int((dataset["n_ok"] + dataset["n_failed"]).sum()),
            "proposer_s": seconds, "proposed": proposed,
            **{f"x_{n}": reported[n] for n in names}}


def run_model(method: str, seed: int, budget: int, k: int, replicas: int) -> list[dict]:
    """The active-learning loop of one model method and seed; one row per iteration."""
    problem = synthetic.toy_problem(**MODEL_METHODS[method])
    names = param_names(problem)
    rng = np.random.default_rng([seed, 20250])
    design = learn.initial_design(problem, seed).iloc[:budget]
    batch = with_ids(design[names], 0)
    dataset = simulate(batch, problem, rng, replicas, design["candidate_kind"].to_numpy() == "start")
    rows, iteration = [], 0
    while True:
        t0 = time.perf_counter()
        # one surrogate fit serves the recommendation and the proposal, as in the workflow's propose checkpoint
        engine = learn.Engine(dataset, problem, seed * 1000 + iteration)
        best = learn.recommend(dataset, problem, seed * 1000 + iteration, engine=engine)
        n = dataset["candidate"].nunique()
        proposals = None
        if n < budget:
            proposals = learn.propose(dataset, problem, min(k, budget - n), seed * 1000 + iteration, engine=engine)
        seconds = time.perf_counter() - t0
        rows.append(row(method, seed, iteration, dataset, problem, best.parameters, best.candidate, seconds,
                        0 if proposals is None else len(proposals)))
        r = rows[-1]
        log(f"  {method} seed {seed} it {iteration:2d}: {r['n_evaluated']:3d} sets, reported {r['reported']} "
            f"true {r['true_objective']:9.1f} (observed {r['observed_objective']:9.1f}), "
            f"{r['failed_runs']} failed runs, {seconds:6.1f} s")
        if proposals is None or proposals.empty:
            if proposals is not None:
                log(f"  {method} seed {seed}: propose returned nothing, stopping at {n} sets")
            return rows
        iteration += 1
        batch = with_ids(proposals[names], iteration)
        dataset = pd.concat([dataset, simulate(batch, problem, rng, replicas)], ignore_index=True)


def run_baseline(method: str, seed: int, counts: list[int], replicas: int) -> list[dict]:
    """Start set + space-filling or random points; reported = best observed among the first n sets."""
    problem = synthetic.toy_problem()
    names = param_names(problem)
    rng = np.random.default_rng([seed, 20250])
    n_total = max(counts)
    if method == "sobol":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # balance properties need a power of 2
            unit = qmc.Sobol(len(names), scramble=True, seed=seed).random(n_total - 1)
    else:
        unit = np.random.default_rng([seed, 777]).random((n_total - 1, len(names)))
    start = np.array([[t.start for t in problem.tunables]])
    params = pd.DataFrame(np.vstack([start, denormalise(unit, problem)]), columns=names)
    batch = with_ids(params, 0)
    is_start = np.arange(n_total) == 0
    dataset = simulate(batch, problem, rng, replicas, is_start)
    order = list(batch["candidate"])
    rows = []
    for iteration, n in enumerate(counts):
        data = dataset[dataset["candidate"].isin(order[:n])]
        observed = learn.objective(data, problem)
        best = str(observed.idxmin())
        reported = batch.set_index("candidate").loc[best, names].to_dict()
        rows.append(row(method, seed, iteration, data, problem, reported, best, 0.0))
    log(f"  {method} seed {seed}: reported true objective {rows[-1]['true_objective']:.1f} at {n_total} sets")
    return rows


def proposer_seconds(part: pd.DataFrame) -> float:
    """Median wall time of the iterations that proposed a batch (fit + recommend + propose)."""
    times = part.loc[part["proposed"] > 0, "proposer_s"]
    return float(times.median()) if len(times) else 0.0


def summarise(table: pd.DataFrame, best: float) -> str:
    """Per method: median and min-max over seeds of the reported set's true objective per iteration."""
    lines = []
    for method, part in table.groupby("method", sort=False):
        g = part.groupby("iteration")
        summary = pd.DataFrame({
            "sets": g["n_evaluated"].median().astype(int),
            "seeds": g["seed"].nunique(),
            "median": g["true_objective"].median(),
            "min": g["true_objective"].min(),
            "max": g["true_objective"].max(),
            "q25": g["true_objective"].quantile(0.25),
            "q75": g["true_objective"].quantile(0.75),
            "median/opt": g["true_objective"].median() / best,
            "within15%": g["true_objective"].apply(lambda v: f"{int((v <= GOAL * best).sum())}/{len(v)}"),
            "oracle_med": g["oracle_best"].median(),
            "failed_runs": g["failed_runs"].median(),
            "s/iter": g["proposer_s"].median(),
        })
        lines.append(f"\n{method}: reported set's true objective over seeds; median proposer time "
                     f"{proposer_seconds(part):.1f} s per iteration (s/iter: fit + recommend + propose after that "
                     f"iteration; the last one only recommends)")
        lines.append(summary.to_string(float_format=lambda v: f"{v:8.1f}" if abs(v) >= 10 else f"{v:8.2f}"))
    return "\n".join(lines)


def plot(table: pd.DataFrame, best: float, start: float, path: Path) -> None:
    """Median line + interquartile band over seeds of the reported set's true objective vs evaluated sets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.0, 4.8))
    for i, (method, part) in enumerate(table.groupby("method", sort=False)):
        g = part.groupby("iteration")
        n = g["n_evaluated"].median()
        ax.plot(n, g["true_objective"].median(), "o-", color=f"C{i}", label=f"{method} (median)")
        ax.fill_between(n, g["true_objective"].quantile(0.25), g["true_objective"].quantile(0.75),
                        color=f"C{i}", alpha=0.15, lw=0)
    ax.axhline(best, ls="--", color="k", lw=1, label=f"optimum {best:.1f}")
    ax.axhline(GOAL * best, ls=":", color="k", lw=1, label="optimum + 15 %")
    ax.axhline(start, ls="-.", color="grey", lw=1, label=f"start set {start:.0f}")
    ax.set_yscale("log")
    ax.set_xlabel("evaluated parameter sets")
    ax.set_ylabel("true objective of the reported set")
    ax.set_title("Proposers on the synthetic borosilicate campaign (band: interquartile range over seeds)",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def report(table: pd.DataFrame, best: float, start: float, out: Path) -> None:
    """Print the per-method tables and the last-iteration summary; draw the figure into `out`."""
    pd.set_option("display.width", 200)
    print(summarise(table, best))
    final = table.loc[table.groupby(["method", "seed"])["iteration"].idxmax()]
    print(f"\nAt the last iteration (goal: reported true objective <= {GOAL * best:.1f}, i.e. optimum + 15 %):")
    for method, part in final.groupby("method", sort=False):
        print(f"  {method:9s} median {part['true_objective'].median():8.1f} "
              f"({part['true_objective'].median() / best:.2f} x optimum), "
              f"{int((part['true_objective'] <= GOAL * best).sum())}/{len(part)} seeds within 15 %, "
              f"median {part['failed_runs'].median():.0f} of {part['md_runs'].median():.0f} MD runs failed, "
              f"{proposer_seconds(table[table['method'] == method]):.1f} s per proposing iteration")
    plot(table, best, start, out / "bench_proposer.png")


def main() -> None:
    """Parse arguments, run every method x seed, print the tables, write the CSV and the figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="default 0 1 2 3 4 (--quick: 0 1)")
    parser.add_argument("--budget", type=int, default=None, help="evaluated parameter sets (default 40; --quick 28)")
    parser.add_argument("--k", type=int, default=6, help="sets per proposed batch (default 6)")
    parser.add_argument("--replicas", type=int, default=6, help="MD replicas per set and glass (default 6)")
    parser.add_argument("--quick", action="store_true", help="smoke test: seeds 0 1, budget 28")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the CSV and the figure")
    parser.add_argument("--report", type=Path, default=None, metavar="CSV",
                        help="only print the tables and redraw the figure of a saved bench_proposer.csv")
    args = parser.parse_args()
    seeds = args.seeds if args.seeds is not None else ([0, 1] if args.quick else [0, 1, 2, 3, 4])
    budget = args.budget if args.budget is not None else (28 if args.quick else 40)

    if args.report is not None:
        problem = synthetic.toy_problem()
        _, best = synthetic.optimum(problem)
        start = float(synthetic.true_objective(np.array([[t.start for t in problem.tunables]]), problem)[0])
        print(f"optimum objective {best:.2f}; start set objective {start:.1f}")
        report(pd.read_csv(args.report), best, start, args.report.parent)
        return

    if any(m in MODEL_METHODS for m in args.methods):
        import torch

        import glassfit.learn.gp  # noqa: F401  (imported here, out of the timings)
        import glassfit.learn.surrogate  # noqa: F401

        torch.set_num_threads(1)

    problem = synthetic.toy_problem()
    opt_params, best = synthetic.optimum(problem)
    start = float(synthetic.true_objective(np.array([[t.start for t in problem.tunables]]), problem)[0])
    x_opt = synthetic.changes(opt_params[None, :], problem)[0]
    n0 = min(len(learn.initial_design(problem, 0)), budget)
    counts = schedule(n0, budget, args.k)
    print(f"Synthetic borosilicate campaign: 5 parameters, {len(fitted_glasses(problem))} fitted glasses, "
          f"{args.replicas} replicas")
    print(f"optimum objective {best:.2f} at changes (A_BO, rho_BO, C_BO, A_BB, rho_BB) = "
          + ", ".join(f"{v:+.2f} %" for v in x_opt))
    print(f"start set objective {start:.1f} ({start / best:.1f} x optimum); goal: reported set <= {GOAL * best:.1f}")
    print(f"methods {' '.join(args.methods)}; seeds {seeds}; budget {budget} sets; iteration 0: {n0} sets, "
          f"then batches of {args.k}")

    rows, failed = [], {}
    t_start = time.perf_counter()
    for method in args.methods:
        for seed in seeds:
            log(f"{method} seed {seed} ...")
            try:
                if method in MODEL_METHODS:
                    rows += run_model(method, seed, budget, args.k, args.replicas)
                else:
                    rows += run_baseline(method, seed, counts, args.replicas)
            except Exception as exc:  # a method that cannot run must not stop the others
                failed[method] = f"{type(exc).__name__}: {exc}"
                log(f"FAILED {method} seed {seed}: {failed[method]}\n{traceback.format_exc(limit=3)}")
                break
    if failed:
        print("\nMethods that failed: " + "; ".join(f"{m} ({msg})" for m, msg in failed.items()))
    if not rows:
        sys.exit("no method produced results")
    table = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "bench_proposer.csv", index=False)
    report(table, best, start, args.out)
    print(f"\nwrote {args.out / 'bench_proposer.csv'} and {args.out / 'bench_proposer.png'}; "
          f"total {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
