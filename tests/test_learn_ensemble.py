"""The uncertainty of the fitted parameters: the posterior minimisers of a toy problem with two known optima."""
import numpy as np
import pandas as pd
import torch
from scipy.stats import qmc

import learn_toy as toy
from glassfit import config
from glassfit.learn import ensemble, gp
from glassfit.learn.settings import denormalise

torch.set_num_threads(1)
OPTIMA = np.array([[0.25, 0.7], [0.75, 0.7]])  # density depends on (u0 - 1/2)^2: the two are indistinguishable


def truth(unit):
    u = np.atleast_2d(unit)
    f = toy.B2O3[None, :]
    density = 2.4 + 0.3 * f + 0.6 * (u[:, [0]] - 0.5) ** 2 * (0.5 + f) - 0.08 * (u[:, [1]] - 0.5)
    b4 = 1 / (1 + np.exp(-(6 * (u[:, [1]] - 0.5) - 2 * f)))
    return density, b4


def problem():
    d0, b0 = truth(OPTIMA[0])
    return config.problem(
        [{"name": n, "pair": "B-O", "coefficient": c, "start": 1.0, "low": 0.9, "high": 1.1} for n, c in zip(toy.NAMES, ("A_eV", "rho_A"))],
        [{"id": g, "composition": {"SiO2": 75 - x, "B2O3": x, "Na2O": 15, "CaO": 10}, "role": "fit",
          "density_g_cm3": float(d0[0, i]), "B4": float(b0[0, i])} for i, (g, x) in enumerate(toy.GLASSES)])


def dataset(p, unit, rng):
    params, (density, b4) = denormalise(unit, p), truth(unit)
    rows = []
    for i in range(len(unit)):
        for j, (glass, _) in enumerate(toy.GLASSES):
            rows.append({"iteration": 0, "candidate": f"i00c{i:02d}", "BO_A": params[i, 0], "BO_rho": params[i, 1], "glass": glass,
                         "density_g_cm3_mean": density[i, j] + rng.normal(0, 0.003), "density_g_cm3_std": 0.007,
                         "B4_mean": b4[i, j] + rng.normal(0, 0.004), "B4_std": 0.01, "n_ok": 6, "n_failed": 0})
    return pd.DataFrame(rows)


def test_the_ensemble_of_a_problem_with_two_optima_holds_both():
    p = problem()
    unit = np.concatenate([qmc.Sobol(2, seed=0).random(32), OPTIMA + 0.03, OPTIMA - 0.03])
    data = dataset(p, unit, np.random.default_rng(0))
    table = ensemble.ensemble(gp.build(data, p, seed=0), data, p, seed=0)
    assert abs(table["probability_minimiser"].sum() - 1.0) < 1e-12 and (table["probability_near"] > 0).all()
    assert ensemble.supported_optima(table) == 2
    for m in (0, 1):
        mode = table[table["mode"] == m]
        centre = np.average(toy.unit_of(mode), axis=0, weights=mode["probability_near"])
        assert np.min(np.linalg.norm(OPTIMA - centre, axis=1)) < 0.1, centre
    spread = ensemble.spread(table).set_index("quantity")
    assert spread.loc["12B_density_g_cm3", "std"] < 0.01  # both optima give the measured densities


def test_a_problem_with_one_optimum_supports_one():
    p = toy.config()
    unit = np.concatenate([qmc.Sobol(2, seed=1).random(32), toy.OPTIMUM[None] + 0.02])
    data = toy.evaluate(unit, 0, np.random.default_rng(1))
    table = ensemble.ensemble(gp.build(data, p, seed=0), data, p, seed=0)
    assert ensemble.supported_optima(table) == 1
    best = table[table["mode"] == 0]
    assert np.linalg.norm(np.average(toy.unit_of(best), axis=0, weights=best["probability_near"]) - toy.OPTIMUM) < 0.1
