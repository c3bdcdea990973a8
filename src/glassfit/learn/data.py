"""Training data for the surrogates: per candidate x modelled glass, the replica means and how well they are known.

A candidate's mean over n successful replicas is known to within sigma / sqrt(n). sigma is pooled over every
candidate of a glass (one candidate's own std from a few replicas is too rough, and 0 for a single replica)
and shrunk towards the prior of learn.noise, so failed replicas widen a mean's uncertainty instead of
making it look precise.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .objective import fit_targets
from .settings import modelled_glasses, mol_fractions, normalise, oxides, param_names, settings

PROPERTIES = ("density_g_cm3", "B4")


@dataclass
class Observations:
    """What a surrogate is trained on, for one property: one row per candidate x glass with a value."""

    prop: str
    glasses: list[str]  # the glasses this property is modelled on (fitted, responding, with a target)
    unit: np.ndarray  # (n, d) parameters in the [0,1] box of the bounds
    glass_index: np.ndarray  # (n,) index into `glasses`
    y: np.ndarray  # (n,) replica means
    y_var: np.ndarray  # (n,) variance of each mean: pooled replica variance / n_ok


def candidates(dataset: pd.DataFrame, config: dict) -> pd.DataFrame:
    """One row per evaluated candidate: its parameters (absolute), in first-seen order, indexed by id."""
    data = dataset.assign(candidate=dataset["candidate"].astype(str))
    return data.drop_duplicates("candidate", keep="last").set_index("candidate")[param_names(config)]


def composition_features(config: dict, glasses: list[str]) -> np.ndarray:
    """Oxide mol fractions of the glasses, scaled to [0,1] over the fitted glasses; constant oxides dropped."""
    by_id = {str(g["id"]): g for g in config["glasses"]}
    names = oxides(config)
    fitted = np.array([mol_fractions(by_id[g], names) for g in modelled_glasses(config)] or [[0.0] * len(names)])
    low, span = fitted.min(axis=0), np.ptp(fitted, axis=0)
    keep = span > 1e-9
    comp = np.array([mol_fractions(by_id[g], names) for g in glasses])
    return ((comp[:, keep] - low[keep]) / span[keep]) if keep.any() else np.zeros((len(glasses), 0))


def replica_sigma(dataset: pd.DataFrame, config: dict, prop: str) -> pd.Series:
    """Per-replica standard deviation of `prop` per glass: the pooled replica std shrunk towards the prior.

    sigma^2 = (dof x pooled variance + prior_replicas x prior^2) / (dof + prior_replicas), with dof =
    sum of (n_ok - 1) over the glass's candidates.
    """
    noise = settings(config)["noise"]
    prior, prior_dof = float(noise[prop]), float(noise["prior_replicas"])
    data = dataset.assign(glass=dataset["glass"].astype(str))
    n = data["n_ok"].fillna(0).to_numpy(dtype=float)
    std = data[f"{prop}_std"].to_numpy(dtype=float)
    ok = (n >= 2) & np.isfinite(std)
    dof = pd.Series(np.where(ok, n - 1, 0.0)).groupby(data["glass"].to_numpy()).sum()
    ss = pd.Series(np.where(ok, (n - 1) * np.nan_to_num(std) ** 2, 0.0)).groupby(data["glass"].to_numpy()).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (ss + prior_dof * prior**2) / (dof + prior_dof)  # 0/0 (no prior, no replicas): the prior
    return np.sqrt(var.replace([np.inf], np.nan).fillna(prior**2))


def observations(dataset: pd.DataFrame, config: dict, prop: str) -> Observations:
    """Rows of `prop` on the modelled glasses that have a target for it and a finite replica mean."""
    targets = fit_targets(config)
    glasses = [g for g in modelled_glasses(config) if targets.loc[g, f"{prop}_weight"] > 0]
    data = dataset.assign(candidate=dataset["candidate"].astype(str), glass=dataset["glass"].astype(str))
    data = data[data["glass"].isin(glasses) & np.isfinite(data[f"{prop}_mean"].to_numpy(dtype=float))]
    data = data.drop_duplicates(["candidate", "glass"], keep="last")
    sigma = replica_sigma(dataset, config, prop).reindex(data["glass"]).fillna(settings(config)["noise"][prop])
    n_ok = np.maximum(data["n_ok"].fillna(1).to_numpy(dtype=float), 1.0)
    return Observations(
        prop=prop,
        glasses=glasses,
        unit=normalise(data[param_names(config)].to_numpy(dtype=float), config).reshape(len(data), -1),
        glass_index=np.array([glasses.index(g) for g in data["glass"]], dtype=int),
        y=data[f"{prop}_mean"].to_numpy(dtype=float),
        y_var=sigma.to_numpy() ** 2 / n_ok,
    )


def failure_fraction(dataset: pd.DataFrame, config: dict) -> pd.Series:
    """Fraction of failed MD runs per candidate over the modelled glasses (0 when none failed), by candidate id."""
    data = dataset.assign(candidate=dataset["candidate"].astype(str), glass=dataset["glass"].astype(str))
    data = data[data["glass"].isin(modelled_glasses(config))]
    failed = data.groupby("candidate", sort=False)["n_failed"].sum()
    total = failed + data.groupby("candidate", sort=False)["n_ok"].sum()
    frac = (failed / total.where(total > 0)).fillna(0.0)
    return frac.reindex(candidates(dataset, config).index).fillna(0.0)


def usable(dataset: pd.DataFrame, config: dict) -> pd.Series:
    """Candidates a recommendation may name: a value on every modelled glass and failures within the limit."""
    data = dataset.assign(candidate=dataset["candidate"].astype(str), glass=dataset["glass"].astype(str))
    glasses = modelled_glasses(config)
    has = data[data["glass"].isin(glasses) & (data["n_ok"].fillna(0) > 0)].groupby("candidate")["glass"].nunique()
    ids = candidates(dataset, config).index
    complete = has.reindex(ids).fillna(0) >= len(glasses)
    limit = float(settings(config)["proposer"]["max_failure_fraction"])
    return complete & (failure_fraction(dataset, config).reindex(ids) <= limit)
