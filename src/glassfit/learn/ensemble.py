"""The uncertainty of the fitted parameters: the sets the data cannot tell apart from the best (BoTorch GPs).

Each joint posterior sample of every target over a set of points (a Sobol grid of the box, every evaluated set and
the local minima of the posterior-expected objective)
gives an objective per point. A point is within the noise of that draw's optimum when its objective exceeds the
draw's feasible minimum by less than the noise floor: the objective a perfect set would score from one evaluation
(the pooled replica scatter over the replica count, weighted and scaled as the objective is). The ensemble is the
points within the noise in at least half of the draws (column ``probability_near``), with the fraction of draws each
was the minimiser (``probability_minimiser``). Its points within ``MODE_RADIUS`` of each other (unit box, single
linkage) form one mode; several modes holding ``MODE_MASS`` or more of the ensemble each mean the data support
several optima (the papers report two distinct good sets).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import pdist, squareform
from scipy.stats import qmc

from glassfit.model import LearningProblem

from . import gp
from .data import replica_sigma
from .objective import fit_targets
from .settings import denormalise, param_names

MODE_RADIUS = 0.15  # unit-box distance under which two minimisers belong to one optimum
MODE_MASS = 0.1  # the share of draws a mode needs to count as an optimum the data support


def noise_floor(dataset: pd.DataFrame, problem: LearningProblem) -> float:
    """The objective a perfect set scores from one evaluation: sum over fitted glasses and targets of
    weight x (pooled replica sigma / scale)^2 / replicas (the median replica count of the data set)."""
    replicas = max(float(dataset["n_ok"].median()), 1.0)
    targets = fit_targets(problem)
    total = 0.0
    for t in problem.targets:
        sigma = replica_sigma(dataset, problem, t).reindex(targets.index).fillna(t.noise)
        total += float((targets[f"{t.name}_weight"] * (sigma / t.scale) ** 2).sum()) / replicas
    return total


def local_minima(models: gp.Models, problem: LearningProblem, seed: int, starts: int = 16) -> torch.Tensor:
    """Local minima of the posterior-expected objective over the whole box, from ``starts`` restarts (BoTorch
    qSimpleRegret with the campaign objective, penalised where failures are not within the limit at 4 to 1):
    the optima a grid of points would miss."""
    import warnings

    from botorch.acquisition.monte_carlo import qSimpleRegret
    from botorch.acquisition.objective import GenericMCObjective
    from botorch.optim import optimize_acqf

    d = models.X_baseline.shape[-1]
    objective = GenericMCObjective(lambda samples, X=None: models.penalised(samples, X, confident=True))
    acq = qSimpleRegret(models.model, sampler=gp._sampler(models, problem, seed, 64), objective=objective)
    bounds = torch.stack([torch.zeros(d, dtype=gp.DTYPE), torch.ones(d, dtype=gp.DTYPE)])
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, _ = optimize_acqf(acq, bounds, q=1, num_restarts=starts, raw_samples=16 * starts, return_best_only=False,
                             options={"batch_limit": 4, "maxiter": 100})
    return X.detach().reshape(-1, d).clamp(0.0, 1.0)


def draws(models: gp.Models, problem: LearningProblem, seed: int, floor: float, points: int = 256,
          n_draws: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unit points, fraction of draws each is the feasible minimiser, fraction of draws each is within ``floor`` of it)
    over a Sobol grid, the evaluated sets and the local minima of the posterior-expected objective."""
    d = models.X_baseline.shape[-1]
    X = torch.cat([torch.as_tensor(qmc.Sobol(d, seed=seed).random(points), dtype=gp.DTYPE), models.X_baseline,
                   local_minima(models, problem, seed)])
    with torch.no_grad():
        samples = gp._sampler(models, problem, seed, n_draws)(models.model.posterior(X[None]))[:, 0]  # (draws, n, outputs)
        objective = models.sample_objective(samples)  # (draws, n)
    best = objective.min(dim=1, keepdim=True).values
    minimiser = np.bincount(objective.argmin(dim=1).numpy(), minlength=len(X)) / n_draws
    return X.numpy(), minimiser, (objective <= best + floor).double().mean(0).numpy()


def modes(unit: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Mode label of each point (points within MODE_RADIUS are one mode), numbered by decreasing weight."""
    if len(unit) == 1:
        return np.zeros(1, dtype=int)
    _, labels = connected_components(squareform(pdist(unit)) < MODE_RADIUS, directed=False)
    mass = np.bincount(labels, weights=weight)
    order = np.argsort(-mass, kind="stable")
    return np.argsort(order)[labels]


def ensemble(models: gp.Models, dataset: pd.DataFrame, problem: LearningProblem, seed: int) -> pd.DataFrame:
    """The sets within the noise of the optimum in at least half the posterior draws: parameters, probability_near,
    probability_minimiser, mode, posterior objective, every target's posterior mean per modelled glass (``<glass>_<target>``)."""
    unit, minimiser, near = draws(models, problem, seed, noise_floor(dataset, problem))
    keep = (near >= 0.5) | (minimiser > 0)
    unit, minimiser, near = unit[keep], minimiser[keep], near[keep]
    table = pd.DataFrame(denormalise(unit, problem), columns=param_names(problem))
    table["probability_near"], table["probability_minimiser"] = near, minimiser
    table["mode"] = modes(unit, near)
    table["predicted_objective"] = gp.posterior_terms(models, unit, problem, seed)["predicted_objective"].to_numpy()
    per_glass = gp.glass_predictions(models, unit)
    for column in [c for c in per_glass.columns if c.endswith("_mean")]:
        wide = per_glass.pivot(index="point", columns="glass", values=column)
        for glass in wide.columns:
            table[f"{glass}_{column[:-len('_mean')]}"] = wide[glass].to_numpy()
    return table.sort_values(["mode", "probability_near"], ascending=[True, False], kind="stable").reset_index(drop=True)


def supported_optima(table: pd.DataFrame) -> int:
    """How many distinct optima the data support: modes holding at least MODE_MASS of the ensemble (by probability_near)."""
    mass = table.groupby("mode")["probability_near"].sum()
    return int((mass / mass.sum() >= MODE_MASS).sum())


def spread(table: pd.DataFrame) -> pd.DataFrame:
    """Per ``<glass>_<target>`` column: probability-weighted mean and standard deviation over the ensemble."""
    w = table["probability_near"].to_numpy() / table["probability_near"].sum()
    columns = list(table.columns[table.columns.get_loc("predicted_objective") + 1:])
    rows = []
    for c in columns:
        v = table[c].to_numpy(dtype=float)
        mean = float((w * v).sum())
        rows.append({"quantity": c, "mean": mean, "std": float(np.sqrt((w * (v - mean) ** 2).sum()))})
    return pd.DataFrame(rows)


def plot_corner(table: pd.DataFrame, problem: LearningProblem, out) -> None:
    """Corner plot of the ensemble's parameters (marker area ~ probability, colour = mode), each axis over its bounds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = param_names(problem)
    bounds = {t.name: (t.low, t.high) for t in problem.tunables}
    n = len(names)
    fig, axes = plt.subplots(n, n, figsize=(2.2 * n + 1, 2.2 * n + 1), squeeze=False)
    size = 400 * table["probability_near"] / table["probability_near"].max()
    colours = [f"C{m % 10}" for m in table["mode"]]
    for i, yi in enumerate(names):
        for j, xj in enumerate(names):
            ax = axes[i][j]
            if j > i:
                ax.axis("off")
                continue
            if i == j:
                ax.hist(table[xj], bins=20, range=bounds[xj], weights=table["probability_near"], color="C0")
            else:
                ax.scatter(table[xj], table[yi], s=size, c=colours, alpha=0.6)
                ax.set_ylim(*bounds[yi])
            ax.set_xlim(*bounds[xj])
            if i == n - 1:
                ax.set_xlabel(xj)
            if j == 0 and i > 0:
                ax.set_ylabel(yi)
    fig.suptitle(f"sets within the noise of the optimum: {supported_optima(table)} distinct optimum/optima")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
