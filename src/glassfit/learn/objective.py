"""Objective: weighted squared errors of simulated vs experimental values of every target over the fitted glasses.

The targets (``problem.targets``: density and B4 by default) name the data-set columns ``<name>_mean``; the
output columns keep those names (``<name>_sim``, ``<name>_exp``, ``<name>_error``), and each target's objective
term is column ``<symbol>_term`` (term_column: density_term, B4_term).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from glassfit.model import Glass, LearningProblem, Target

from .settings import fitted_glasses, inert_glasses, mol_fractions, param_names

#: How a target's weight varies across glasses: equal, or the authors' public code's B4 weighting (B2O3 fraction / 0.75)
WEIGHTINGS = {
    "equal": lambda glass: 1.0,
    "B2O3_fraction": lambda glass: mol_fractions(glass, ["B2O3"])[0] / 0.75,
}


def term_column(target: Target) -> str:
    """Column of a target's objective term, named by its symbol: density_term, B4_term."""
    return f"{target.symbol}_term"


def pareto_targets(problem: LearningProblem) -> tuple[Target, Target]:
    """The two objectives of pareto mode: the summed terms of the first two targets (density and B4)."""
    if len(problem.targets) < 2:
        raise ValueError(f"pareto mode needs two targets; this problem has {', '.join(t.name for t in problem.targets) or 'none'}")
    return problem.targets[0], problem.targets[1]


def _experimental(glass: Glass, target: Target) -> float:
    """A glass's measured value of a target, NaN where the target does not apply to its role or it was not measured."""
    value = glass.value(target.column) if glass.role in target.roles else None
    return float("nan") if value is None else float(value)


def fit_targets(problem: LearningProblem) -> pd.DataFrame:
    """Experimental value, effective weight (0 = not fitted) and scale of every target on the fitted glasses, by glass id.

    Columns ``<name>_exp``, ``<name>_weight``, ``<name>_scale`` per target, and ``missing_penalty``.
    """
    rows = []
    for g in fitted_glasses(problem):
        row: dict = {"glass": g.id}
        for t in problem.targets:
            exp = _experimental(g, t)
            row[f"{t.name}_exp"] = exp
            row[f"{t.name}_weight"] = 0.0 if np.isnan(exp) else t.weight * WEIGHTINGS[t.weighting](g)
            row[f"{t.name}_scale"] = t.scale
        rows.append(row | {"missing_penalty": problem.learn.missing_penalty})
    columns = ["glass", *(f"{t.name}_{k}" for k in ("exp", "weight", "scale") for t in problem.targets), "missing_penalty"]
    return pd.DataFrame(rows, columns=columns).set_index("glass")


def error_terms(sim: Mapping[str, np.ndarray], targets: pd.DataFrame) -> dict[str, np.ndarray]:
    """Objective contribution of each simulated target (by name); arrays broadcast with the glasses (rows of fit_targets) last."""
    terms = {}
    for name, values in sim.items():
        exp = targets[f"{name}_exp"].to_numpy()
        weight = targets[f"{name}_weight"].to_numpy()
        scale = targets[f"{name}_scale"].to_numpy()
        values = np.asarray(values, dtype=float)
        fitted = weight > 0
        with np.errstate(invalid="ignore"):
            term = weight * ((values - exp) / scale) ** 2
        term = np.where(fitted, term, 0.0)
        # a failed or missing value of a fitted glass is never a good score
        terms[name] = np.where(fitted & np.isnan(values), targets["missing_penalty"].to_numpy(), term)
    return terms


def inert_terms(dataset: pd.DataFrame, problem: LearningProblem) -> dict[str, float]:
    """Objective term of each target on the glasses no tunable acts on, from their reference runs: the same for every set."""
    inert = inert_glasses(problem)
    if not inert:
        return {t.name: 0.0 for t in problem.targets}
    means = [f"{t.name}_mean" for t in problem.targets]
    data = dataset.assign(glass=dataset["glass"].astype(str))
    ref = data[data["glass"].isin(inert)].groupby("glass")[means].mean().reindex(inert)
    terms = error_terms({t.name: ref[f"{t.name}_mean"].to_numpy() for t in problem.targets}, fit_targets(problem).loc[inert])
    return {name: float(term.sum()) for name, term in terms.items()}


def glass_errors(table: pd.DataFrame, problem: LearningProblem) -> pd.DataFrame:
    """Per candidate x fitted glass: simulated, experimental, error (sim - exp) and objective term of every target.

    `table` has columns candidate, glass and ``<name>_mean`` per target (MD data set or surrogate predictions).
    Validation glasses are dropped; a fitted glass missing for a candidate counts as failed, except a glass no
    tunable acts on (settings.inert_glasses), which is simulated once per campaign: every candidate gets the
    mean of its reference runs. Columns: candidate, glass, then per target ``<name>_sim``, ``<name>_exp``,
    ``<name>_error`` and term_column(target) (each group in target order), then objective_term.
    """
    targets = fit_targets(problem)
    names = [t.name for t in problem.targets]
    means = [f"{n}_mean" for n in names]
    table = table.assign(candidate=table["candidate"].astype(str), glass=table["glass"].astype(str))
    candidates = pd.unique(table["candidate"])
    full = pd.MultiIndex.from_product([candidates, targets.index], names=["candidate", "glass"])
    sim = table.drop_duplicates(["candidate", "glass"], keep="last").set_index(["candidate", "glass"])[means].reindex(full)
    for glass in inert_glasses(problem):
        reference = table.loc[table["glass"] == glass, means].mean()
        rows = sim.index.get_level_values("glass") == glass
        sim.loc[rows] = sim.loc[rows].fillna(reference)
    out = sim.reset_index().rename(columns={f"{n}_mean": f"{n}_sim" for n in names})
    tg = targets.loc[out["glass"]].reset_index(drop=True)
    for n in names:
        out[f"{n}_exp"] = tg[f"{n}_exp"].to_numpy()
    for n in names:
        out[f"{n}_error"] = out[f"{n}_sim"] - out[f"{n}_exp"]
    shape = (len(candidates), len(targets))
    terms = error_terms({n: out[f"{n}_sim"].to_numpy().reshape(shape) for n in names}, targets)
    for t in problem.targets:
        out[term_column(t)] = terms[t.name].ravel()
    out["objective_term"] = out[[term_column(t) for t in problem.targets]].sum(axis=1)
    return out


def objective(table: pd.DataFrame, problem: LearningProblem) -> pd.Series:
    """Objective per candidate (sum of the glass terms; lower is better), indexed by candidate id."""
    errors = glass_errors(table, problem)
    series = errors.groupby("candidate", sort=False)["objective_term"].sum()
    series.name = "objective"
    return series


def best_observed(dataset: pd.DataFrame, problem: LearningProblem) -> pd.DataFrame:
    """Candidates sorted by observed objective (best first), with parameters and per-glass errors (``<name>_error_<glass>``)."""
    names = [t.name for t in problem.targets]
    errors = glass_errors(dataset, problem)
    obj = errors.groupby("candidate", sort=False)["objective_term"].sum().rename("objective")
    wide = errors.pivot(index="candidate", columns="glass", values=[f"{n}_error" for n in names])
    wide.columns = [f"{prop}_{glass}" for prop, glass in wide.columns]
    glass_order = list(fit_targets(problem).index)
    wide = wide[[f"{n}_error_{g}" for g in glass_order for n in names]]
    info_cols = [c for c in ["iteration", *param_names(problem)] if c in dataset.columns]
    info = (dataset.assign(candidate=dataset["candidate"].astype(str))
            .drop_duplicates("candidate", keep="last").set_index("candidate")[info_cols])
    out = info.join(obj, how="right").join(wide)
    out = out.sort_values("objective", kind="stable")
    out.index.name = "candidate"
    return out.reset_index()
