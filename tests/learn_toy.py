"""A cheap known problem for the learning tests: two parameters, three borosilicate-like glasses, a known optimum.

Density is linear-ish and B4 a sigmoid in the parameters; the targets are the truth at OPTIMUM, so the
noise-free objective is 0 there. Runs fail (all replicas) where u0 > fail_above, like an MD blow-up region.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from glassfit import config as glassfit_config
from glassfit.learn.settings import denormalise, normalise
from glassfit.model import Problem

OPTIMUM = np.array([0.3, 0.7])
GLASSES = [("12B", 12.0), ("37B", 37.0), ("62B", 62.0)]
B2O3 = np.array([x / 100 for _, x in GLASSES])
NAMES = ["BO_A", "BO_rho"]


def truth(unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free density and B4 at unit-box points (n, 2): (n, glasses) each."""
    u = np.atleast_2d(unit)
    f = B2O3[None, :]
    density = 2.4 + 0.3 * f + 0.15 * (u[:, [0]] - 0.5) * (0.5 + f) - 0.08 * (u[:, [1]] - 0.5)
    b4 = 1 / (1 + np.exp(-(6 * (u[:, [1]] - 0.5) - 2 * f + 1.5 * (u[:, [0]] - 0.5))))
    return density, b4


def config(optimum: np.ndarray = OPTIMUM, **learn) -> Problem:
    """The toy learning problem with targets at `optimum` and the learn section `learn` (defaults filled; the fixed design unless it names learn.cost)."""
    d0, b0 = truth(optimum)
    return glassfit_config.problem(
        [{"name": "BO_A", "pair": "B-O", "coefficient": "A_eV", "start": 1.0, "low": 0.9, "high": 1.1},
         {"name": "BO_rho", "pair": "B-O", "coefficient": "rho_A", "start": 1.0, "low": 0.9, "high": 1.1}],
        [{"id": g, "composition": {"SiO2": 75 - x, "B2O3": x, "Na2O": 15, "CaO": 10}, "role": "fit",
          "density_g_cm3": float(d0[0, i]), "B4": float(b0[0, i])} for i, (g, x) in enumerate(GLASSES)],
        {"cost": {"mode": "fixed"}, **learn},  # the published design unless given
    )


def evaluate(unit: np.ndarray, iteration: int, rng: np.random.Generator, replicas: int = 6,
             fail_above: float | None = None, first: int = 0) -> pd.DataFrame:
    """Data-set rows of noisy replica means at unit-box points (candidates i<iteration>c<first + k>)."""
    cfg = config()
    unit = np.atleast_2d(unit)
    params = denormalise(unit, cfg)
    density, b4 = truth(unit)
    rows = []
    for i in range(len(unit)):
        failed = fail_above is not None and unit[i, 0] > fail_above
        for j, (glass, _) in enumerate(GLASSES):
            rd = density[i, j] + rng.normal(0, 0.015, replicas)
            rb = b4[i, j] + rng.normal(0, 0.02, replicas)
            rows.append({"iteration": iteration, "candidate": f"i{iteration:02d}c{first + i:02d}",
                         NAMES[0]: params[i, 0], NAMES[1]: params[i, 1], "glass": glass,
                         "density_g_cm3_mean": np.nan if failed else rd.mean(),
                         "density_g_cm3_std": np.nan if failed else (rd.std(ddof=1) if replicas > 1 else 0.0),
                         "B4_mean": np.nan if failed else rb.mean(),
                         "B4_std": np.nan if failed else (rb.std(ddof=1) if replicas > 1 else 0.0),
                         "n_ok": 0 if failed else replicas, "n_failed": replicas if failed else 0})
    return pd.DataFrame(rows)


def unit_of(frame: pd.DataFrame) -> np.ndarray:
    """Unit-box coordinates of the parameter columns of a frame."""
    return normalise(frame[NAMES].to_numpy(dtype=float), config())


def true_objective(unit: np.ndarray) -> np.ndarray:
    """Noise-free objective (default weights and scales) at unit-box points."""
    d0, b0 = truth(OPTIMUM)
    density, b4 = truth(unit)
    return (((density - d0) / 0.01) ** 2 + 2 * ((b4 - b0) / 0.05) ** 2).sum(axis=1)
