"""Training data for the surrogates: per candidate x modelled glass, the replica means and how well they are known.

A candidate's mean over n successful replicas is known to within sigma / sqrt(n). sigma is pooled over every
candidate of a glass (one candidate's own std from a few replicas is too rough, and 0 for a single replica)
and shrunk towards the target's prior noise, so failed replicas widen a mean's uncertainty instead of
making it look precise.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from glassfit.model import LearningProblem, Target

from .objective import fit_targets
from .prior import SAME, fidelities
from .settings import modelled_glasses, mol_fractions, normalise, oxides, param_names

FAILURE_ODDS = 4.0  # a set is reported when its failure probability is within the limit at 4 to 1 (a single successful run is)
WITHIN_PROBABILITY = FAILURE_ODDS / (1.0 + FAILURE_ODDS)  # those odds as the probability of being within the limit


@dataclass
class Observations:
    """What a surrogate is trained on, for one target: one row per candidate x glass with a value."""

    target: Target
    glasses: list[str]  # the glasses this target is modelled on (fitted, responding, measured, with a simulated value)
    missing: list[str]  # fitted, responding, measured glasses without any simulated value: not modelled, penalised
    unit: np.ndarray  # (n, d) parameters in the [0,1] box of the bounds
    glass_index: np.ndarray  # (n,) index into `glasses`
    y: np.ndarray  # (n,) replica means
    y_var: np.ndarray  # (n,) variance of each mean: pooled replica variance / n_ok
    fidelity: np.ndarray  # (n, F) one-hot of each row's fidelity among the prior data's other labels (none: F = 0)


def candidates(dataset: pd.DataFrame, problem: LearningProblem) -> pd.DataFrame:
    """One row per evaluated candidate: its parameters (absolute), in first-seen order, indexed by id."""
    data = dataset.assign(candidate=dataset["candidate"].astype(str))
    return data.drop_duplicates("candidate", keep="last").set_index("candidate")[param_names(problem)]


def composition_features(problem: LearningProblem, glasses: list[str]) -> np.ndarray:
    """Oxide mol fractions of the glasses, scaled to [0,1] over the modelled glasses; constant oxides dropped."""
    by_id = {g.id: g for g in problem.glasses}
    names = oxides(problem)
    fitted = np.array([mol_fractions(by_id[g], names) for g in modelled_glasses(problem)] or [[0.0] * len(names)])
    low, span = fitted.min(axis=0), np.ptp(fitted, axis=0)
    keep = span > 1e-9
    comp = np.array([mol_fractions(by_id[g], names) for g in glasses])
    return ((comp[:, keep] - low[keep]) / span[keep]) if keep.any() else np.zeros((len(glasses), 0))


def replica_sigma(dataset: pd.DataFrame, problem: LearningProblem, target: Target) -> pd.Series:
    """Per-replica standard deviation of a target per glass: the pooled replica std shrunk towards its prior noise.

    sigma^2 = (dof x pooled variance + prior_replicas x prior^2) / (dof + prior_replicas), with dof =
    sum of (n_ok - 1) over the glass's candidates whose replicas differ (all-equal replicas, such as B4 = 0 below its
    cliff, are a floor of the observable, not a measure of the replica scatter).
    """
    prior, prior_dof = target.noise, problem.learn.prior_replicas
    data = dataset.assign(glass=dataset["glass"].astype(str))
    n = data["n_ok"].fillna(0).to_numpy(dtype=float)
    std = data[f"{target.name}_std"].to_numpy(dtype=float)
    ok = (n >= 2) & np.isfinite(std) & (std > 0)  # identical replicas (B4 = 0 below its cliff) say nothing of the scatter
    dof = pd.Series(np.where(ok, n - 1, 0.0)).groupby(data["glass"].to_numpy()).sum()
    ss = pd.Series(np.where(ok, (n - 1) * np.nan_to_num(std) ** 2, 0.0)).groupby(data["glass"].to_numpy()).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (ss + prior_dof * prior**2) / (dof + prior_dof)  # 0/0 (no prior, no replicas): the prior
    return np.sqrt(var.replace([np.inf], np.nan).fillna(prior**2))


def observations(dataset: pd.DataFrame, problem: LearningProblem, target: Target, prior: pd.DataFrame | None = None) -> Observations:
    """Rows of a target on the modelled glasses that have a measured value of it and a finite replica mean.

    ``prior``: rows of learn.prior_data (glassfit.learn.prior.training_rows), joined with their fidelity labels.
    """
    name = target.name
    weights = fit_targets(problem)[f"{name}_weight"]
    wanted = [g for g in modelled_glasses(problem) if weights[g] > 0]
    others = fidelities(prior)
    if prior is not None:
        dataset = pd.concat([dataset.assign(fidelity=SAME), prior], ignore_index=True)
    data = dataset.assign(candidate=dataset["candidate"].astype(str), glass=dataset["glass"].astype(str))
    data = data[data["glass"].isin(wanted) & np.isfinite(data[f"{name}_mean"].to_numpy(dtype=float))]
    data = data.drop_duplicates(["candidate", "glass"], keep="last")
    # a glass with no value yet (every run failed, a new glass) is not modelled: a GP offset would invent its values
    glasses = [g for g in wanted if g in set(data["glass"])]
    sigma = replica_sigma(dataset, problem, target).reindex(data["glass"]).fillna(target.noise)
    n_ok = np.maximum(data["n_ok"].fillna(1).to_numpy(dtype=float), 1.0)
    return Observations(
        target=target,
        glasses=glasses,
        missing=[g for g in wanted if g not in glasses],
        unit=normalise(data[param_names(problem)].to_numpy(dtype=float), problem).reshape(len(data), len(problem.tunables)),
        glass_index=np.array([glasses.index(g) for g in data["glass"]], dtype=int),
        y=data[f"{name}_mean"].to_numpy(dtype=float),
        y_var=sigma.to_numpy() ** 2 / n_ok,
        fidelity=(np.array([[f == label for label in others] for f in data["fidelity"].astype(str)], dtype=float).reshape(len(data), len(others))
                  if others else np.zeros((len(data), 0))),
    )


def failure_counts(dataset: pd.DataFrame, problem: LearningProblem) -> pd.DataFrame:
    """Failed and all MD runs per candidate over the modelled glasses (columns failed, runs), by candidate id."""
    data = dataset.assign(candidate=dataset["candidate"].astype(str), glass=dataset["glass"].astype(str))
    data = data[data["glass"].isin(modelled_glasses(problem))]
    failed = data.groupby("candidate", sort=False)["n_failed"].sum()
    runs = failed + data.groupby("candidate", sort=False)["n_ok"].sum()
    return pd.DataFrame({"failed": failed, "runs": runs}).reindex(candidates(dataset, problem).index).fillna(0.0)


def failures_within_limit(dataset: pd.DataFrame, problem: LearningProblem, ids: pd.Index) -> pd.Series:
    """Per id: whether its runs fail with a probability within learn.proposer.max_failure_fraction, at odds of at least
    FAILURE_ODDS (False for an id without runs).

    The probability's posterior from its failed and total runs under a Jeffreys prior, Beta(failed + 1/2, ok + 1/2):
    20 failed of 42 runs is under half, but within a limit of 0.5 only at odds of 1.6 to 1: a set that fails more often
    than not, whose runs were lucky, is not reported.
    """
    from scipy.special import betainc  # the Beta CDF; here, not at the top: a dry run imports this module

    counts = failure_counts(dataset, problem).reindex(ids).fillna(0.0)
    failed, ok = counts["failed"].to_numpy(dtype=float), (counts["runs"] - counts["failed"]).to_numpy(dtype=float)
    within = betainc(failed + 0.5, ok + 0.5, problem.learn.proposer.max_failure_fraction)
    return pd.Series(within >= WITHIN_PROBABILITY, index=ids)
