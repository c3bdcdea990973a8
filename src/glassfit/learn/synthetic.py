"""Synthetic campaign with a known optimum: a smooth stand-in for MD, for tests and benchmarks only."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .objective import error_terms, fit_targets
from .settings import denormalise, mol_fractions, normalise, param_names


def truth(unit: np.ndarray, b2o3_fraction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free density (g/cm3) and B4 at normalised parameters (n, d) for B2O3 fractions (G,): (n, G) each.

    Smooth, composition-dependent and identifiable for d <= 6 (six independent parameter directions).
    B4 is NaN for boron-free glasses, as in MD.
    """
    unit = np.atleast_2d(np.asarray(unit, dtype=float))
    f = np.asarray(b2o3_fraction, dtype=float)[None, :]
    d = unit.shape[1]
    coef = np.random.default_rng(20240 + d).normal(0.0, 1.0, (6, d))  # fixed, not a seed of the experiment
    c = unit - 0.5
    proj = c @ coef.T  # (n, 6)
    pair = c[:, [0]] * c[:, [min(1, d - 1)]]
    g1 = (f - 0.37) / 0.25  # roughly orthogonal functions of composition over the 0-75 % B2O3 series
    g2 = g1**2 - 1.0
    density = (2.45 + 0.30 * f - 0.45 * f**2
               + 0.03 * (proj[:, [0]] + g1 * proj[:, [1]] + g2 * proj[:, [2]])
               + 0.04 * pair + 0.02 * np.sin(np.pi * c[:, [0]]))
    logit = 1.8 - 3.5 * f + 1.0 * (proj[:, [3]] + g1 * proj[:, [4]] + g2 * proj[:, [5]])
    b4 = 1.0 / (1.0 + np.exp(-logit))
    b4 = np.where(f > 0, b4, np.nan)
    return density, b4


def toy_config(n_params: int = 5, optimum: list[float] | None = None,
               b2o3_mol_pct: tuple[float, ...] = (0, 6, 12, 24, 37, 50, 62, 75)) -> dict:
    """Config of the synthetic problem: p1..pd (start 1, bounds 0.9-1.1), glasses 'xB', targets at `optimum`."""
    opt = np.asarray(optimum if optimum is not None else np.linspace(0.3, 0.7, n_params), dtype=float)
    tunable = [{"name": f"p{j + 1}", "pair": "X-O", "term": "A", "start": 1.0, "low": 0.9, "high": 1.1}
               for j in range(n_params)]
    glasses = []
    for x in b2o3_mol_pct:
        glasses.append({"id": f"{x:g}B", "composition": {"SiO2": 75.0 - x, "B2O3": float(x),
                                                          "Na2O": 15.0, "CaO": 10.0},
                        "role": "fit" if x > 0 else "fit-density-only"})
    glasses.append({"id": "10Bv", "composition": {"SiO2": 60.0, "B2O3": 10.0, "Na2O": 15.0, "CaO": 15.0},
                    "role": "validation"})
    f = np.array([g["composition"]["B2O3"] / 100.0 for g in glasses])
    density, b4 = truth(opt[None, :], f)
    for g, rho, b in zip(glasses, density[0], b4[0]):
        g["density_g_cm3"] = None if g["role"] == "validation" else round(float(rho), 6)
        g["B4"] = round(float(b), 6) if g["role"] == "fit" else None
    return {"tunable": tunable, "glasses": glasses, "learn": {}, "synthetic_optimum_unit": opt.tolist()}


def _b2o3(config: dict, glass_ids: list[str]) -> np.ndarray:
    """B2O3 mol fractions of the given glasses."""
    by_id = {str(g["id"]): g for g in config["glasses"]}
    return np.array([mol_fractions(by_id[g], ["B2O3"])[0] for g in glass_ids])


def evaluate(candidates: pd.DataFrame, config: dict, rng: np.random.Generator, replicas: int = 3,
             noise_density_g_cm3: float = 0.003, noise_B4: float = 0.01) -> pd.DataFrame:
    """Stand-in for MD: data-set rows (candidate x glass) with Gaussian replica noise, in the data-set format."""
    names = param_names(config)
    glass_ids = [str(g["id"]) for g in config["glasses"]]
    unit = normalise(candidates[names].to_numpy(dtype=float), config)
    density, b4 = truth(unit, _b2o3(config, glass_ids))
    n, g = density.shape
    rep_d = density[..., None] + rng.normal(0, noise_density_g_cm3, (n, g, replicas))
    rep_b = b4[..., None] + rng.normal(0, noise_B4, (n, g, replicas))
    rows = pd.DataFrame({
        "iteration": np.repeat(candidates["iteration"].to_numpy(), g),
        "candidate": np.repeat(candidates["candidate"].astype(str).to_numpy(), g),
    })
    for name in names:
        rows[name] = np.repeat(candidates[name].to_numpy(dtype=float), g)
    rows["glass"] = np.tile(glass_ids, n)
    rows["density_g_cm3_mean"] = rep_d.mean(-1).ravel()
    rows["density_g_cm3_std"] = rep_d.std(-1, ddof=1).ravel() if replicas > 1 else 0.0
    rows["B4_mean"] = rep_b.mean(-1).ravel()
    rows["B4_std"] = rep_b.std(-1, ddof=1).ravel() if replicas > 1 else 0.0
    rows["n_ok"] = replicas
    rows["n_failed"] = 0
    return rows


def true_objective(params: pd.DataFrame | np.ndarray, config: dict) -> np.ndarray:
    """Noise-free objective of absolute parameter sets (frame with tunable columns, or an (n, d) array)."""
    values = params[param_names(config)].to_numpy(dtype=float) if isinstance(params, pd.DataFrame) else params
    targets = fit_targets(config)
    density, b4 = truth(normalise(np.atleast_2d(values), config), _b2o3(config, list(targets.index)))
    d_term, b_term = error_terms(density, b4, targets)
    return (d_term + b_term).sum(axis=1)


def optimum_params(config: dict) -> np.ndarray:
    """Absolute parameter values of the synthetic optimum."""
    return denormalise(np.asarray(config["synthetic_optimum_unit"]), config)
