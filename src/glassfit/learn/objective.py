"""Objective: weighted squared errors of simulated vs experimental density and B4 over the fitted glasses."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .settings import fitted_glasses, inert_glasses, mol_fractions, param_names, settings

PROPERTIES = ("density_g_cm3", "B4")


def _value(x) -> float:
    """Experimental value as float, NaN for None/missing."""
    return float("nan") if x is None else float(x)


def fit_targets(config: dict) -> pd.DataFrame:
    """Experimental values and effective weights (0 = not fitted) of the fitted glasses, indexed by glass id."""
    obj = settings(config)["objective"]
    rows = []
    for g in fitted_glasses(config):
        density = _value(g.get("density_g_cm3"))
        b4 = _value(g.get("B4")) if g.get("role", "fit") == "fit" else float("nan")
        rows.append({
            "glass": str(g["id"]),
            "density_g_cm3_exp": density,
            "B4_exp": b4,
            "density_g_cm3_weight": 0.0 if np.isnan(density) else float(obj["density_weight"]),
            "B4_weight": 0.0 if np.isnan(b4) else float(obj["B4_weight"]),
            "B2O3_fraction": mol_fractions(g, ["B2O3"])[0],
            "density_g_cm3_scale": float(obj["density_scale_g_cm3"]),
            "B4_scale": float(obj["B4_scale"]),
            "missing_penalty": float(obj["missing_penalty"]),
        })
    targets = pd.DataFrame(rows, columns=["glass", "density_g_cm3_exp", "B4_exp", "density_g_cm3_weight",
                                          "B4_weight", "B2O3_fraction", "density_g_cm3_scale", "B4_scale",
                                          "missing_penalty"]).set_index("glass")
    if obj["B4_weighting"] == "B2O3_fraction":  # the authors' public code: B4 term x B2O3 fraction / 0.75
        targets["B4_weight"] *= targets["B2O3_fraction"] / 0.75
    return targets


def error_terms(density_sim: np.ndarray, b4_sim: np.ndarray,
                targets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Objective contributions of density and B4; arrays broadcast with the glasses (rows of fit_targets) last."""
    terms = []
    for sim, prop in ((density_sim, "density_g_cm3"), (b4_sim, "B4")):
        exp = targets[f"{prop}_exp"].to_numpy()
        weight = targets[f"{prop}_weight"].to_numpy()
        scale = targets[f"{prop}_scale"].to_numpy()
        sim = np.asarray(sim, dtype=float)
        fitted = weight > 0
        with np.errstate(invalid="ignore"):
            term = weight * ((sim - exp) / scale) ** 2
        term = np.where(fitted, term, 0.0)
        # a failed or missing value of a fitted glass is never a good score
        term = np.where(fitted & np.isnan(sim), targets["missing_penalty"].to_numpy(), term)
        terms.append(term)
    return terms[0], terms[1]


def inert_constant(dataset: pd.DataFrame, config: dict) -> float:
    """Objective terms of the glasses no tuned pair acts on, from their reference runs: the same for every set."""
    inert = inert_glasses(config)
    if not inert:
        return 0.0
    data = dataset.assign(glass=dataset["glass"].astype(str))
    ref = data[data["glass"].isin(inert)].groupby("glass")[["density_g_cm3_mean", "B4_mean"]].mean().reindex(inert)
    d_term, b_term = error_terms(ref["density_g_cm3_mean"].to_numpy(), ref["B4_mean"].to_numpy(),
                                 fit_targets(config).loc[inert])
    return float(d_term.sum() + b_term.sum())


def glass_errors(table: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Per candidate x fitted glass: simulated, experimental, error (sim - exp) and objective terms.

    `table` has columns candidate, glass, density_g_cm3_mean, B4_mean (MD data set or surrogate
    predictions). Validation glasses are dropped; a fitted glass missing for a candidate counts as failed,
    except a glass no tuned pair acts on (settings.inert_glasses), which is simulated once per campaign:
    every candidate gets the mean of its reference runs.
    """
    targets = fit_targets(config)
    table = table.assign(candidate=table["candidate"].astype(str), glass=table["glass"].astype(str))
    candidates = pd.unique(table["candidate"])
    full = pd.MultiIndex.from_product([candidates, targets.index], names=["candidate", "glass"])
    sim = (table.drop_duplicates(["candidate", "glass"], keep="last")
           .set_index(["candidate", "glass"])[["density_g_cm3_mean", "B4_mean"]]
           .reindex(full))
    for glass in inert_glasses(config):
        reference = table.loc[table["glass"] == glass, ["density_g_cm3_mean", "B4_mean"]].mean()
        rows = sim.index.get_level_values("glass") == glass
        sim.loc[rows] = sim.loc[rows].fillna(reference)
    out = sim.reset_index().rename(columns={"density_g_cm3_mean": "density_g_cm3_sim", "B4_mean": "B4_sim"})
    n_c = len(candidates)
    tg = targets.loc[out["glass"]].reset_index(drop=True)
    out["density_g_cm3_exp"] = tg["density_g_cm3_exp"].to_numpy()
    out["B4_exp"] = tg["B4_exp"].to_numpy()
    out["density_g_cm3_error"] = out["density_g_cm3_sim"] - out["density_g_cm3_exp"]
    out["B4_error"] = out["B4_sim"] - out["B4_exp"]
    shape = (n_c, len(targets))
    d_term, b_term = error_terms(out["density_g_cm3_sim"].to_numpy().reshape(shape),
                                 out["B4_sim"].to_numpy().reshape(shape), targets)
    out["density_term"] = d_term.ravel()
    out["B4_term"] = b_term.ravel()
    out["objective_term"] = out["density_term"] + out["B4_term"]
    return out


def objective(table: pd.DataFrame, config: dict) -> pd.Series:
    """Objective per candidate (sum of the glass terms; lower is better), indexed by candidate id."""
    errors = glass_errors(table, config)
    series = errors.groupby("candidate", sort=False)["objective_term"].sum()
    series.name = "objective"
    return series


def best_observed(dataset: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Candidates sorted by observed objective (best first), with parameters and per-glass errors."""
    errors = glass_errors(dataset, config)
    obj = errors.groupby("candidate", sort=False)["objective_term"].sum().rename("objective")
    wide = errors.pivot(index="candidate", columns="glass", values=["density_g_cm3_error", "B4_error"])
    wide.columns = [f"{prop}_{glass}" for prop, glass in wide.columns]
    glass_order = list(fit_targets(config).index)
    wide = wide[[f"{p}_error_{g}" for g in glass_order for p in PROPERTIES]]
    info_cols = [c for c in ["iteration", *param_names(config)] if c in dataset.columns]
    info = (dataset.assign(candidate=dataset["candidate"].astype(str))
            .drop_duplicates("candidate", keep="last").set_index("candidate")[info_cols])
    out = info.join(obj, how="right").join(wide)
    out = out.sort_values("objective", kind="stable")
    out.index.name = "candidate"
    return out.reset_index()
