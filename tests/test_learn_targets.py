"""The learning engine with targets from config: three targets (one on the log scale) on a bare learn config."""
import numpy as np
import pandas as pd
import pytest
import torch

import learn_toy as toy
from glassfit import config, learn
from glassfit.learn import gp
from glassfit.learn.objective import glass_errors

torch.set_num_threads(1)
RCHI = {"name": "Rchi", "kind": "diffraction", "measured": "neutron", "scale": 0.02, "weight": 1.0}


def rchi(unit: np.ndarray) -> np.ndarray:
    """A diffraction distance: smallest (0.05, the data's own noise floor) at the optimum, per glass."""
    u = np.atleast_2d(unit)
    return 0.05 + 0.3 * ((u - toy.OPTIMUM) ** 2).sum(axis=1, keepdims=True) * np.ones((1, len(toy.GLASSES)))


def problem():
    base = toy.config()
    glasses = [{"id": g.id, "composition": g.composition, "role": "fit", **g.measured, "Rchi": 0.0} for g in base.glasses]
    return config.problem([t.__dict__ for t in base.tunables], glasses, {}, ["density", "B4", RCHI])


def evaluate(unit, iteration, rng):
    rows = toy.evaluate(unit, iteration, rng)
    values = rchi(unit) * np.exp(rng.normal(0, 0.05, (len(np.atleast_2d(unit)), len(toy.GLASSES))))
    rows["Rchi_mean"], rows["Rchi_std"] = values.ravel(), 0.05 * values.ravel()
    return rows


def test_three_targets_each_with_its_term_and_scale():
    p = problem()
    assert [t.name for t in p.targets] == ["density_g_cm3", "B4", "Rchi"]
    assert [t.transform for t in p.targets] == ["identity", "logit", "log"]
    data = evaluate(np.array([[0.5, 0.5]]), 0, np.random.default_rng(0))
    errors = glass_errors(data, p)
    d0, b0 = toy.truth(toy.OPTIMUM)
    by_hand = ((data["density_g_cm3_mean"] - d0[0]) / 0.01) ** 2 + 2 * ((data["B4_mean"] - b0[0]) / 0.05) ** 2 + (data["Rchi_mean"] / 0.02) ** 2
    assert errors["objective_term"].to_numpy() == pytest.approx(by_hand.to_numpy(), rel=1e-12)
    assert errors["Rchi_term"].to_numpy() == pytest.approx(((data["Rchi_mean"] / 0.02) ** 2).to_numpy(), rel=1e-12)


def test_botorch_learns_three_targets_and_finds_the_optimum():
    p, rng = problem(), np.random.default_rng(0)
    data = evaluate(toy.unit_of(learn.initial_design(p, seed=1)), 0, rng)
    for it in range(1, 4):
        batch = learn.propose(data, p, k=3, seed=it)
        data = pd.concat([data, evaluate(toy.unit_of(batch), it, rng)], ignore_index=True)
    rec = learn.recommend(data, p, seed=0)
    unit = toy.unit_of(pd.DataFrame([rec.parameters]))[0]
    assert np.linalg.norm(unit - toy.OPTIMUM) < 0.1
    # the surrogate's prediction of the log-scale target stays positive and near its truth at the recommendation
    predicted = gp.glass_predictions(gp.build(data, p, seed=0), unit[None, :])
    assert (predicted["Rchi_mean"] > 0).all()
    assert predicted["Rchi_mean"].to_numpy() == pytest.approx(rchi(unit)[0], abs=0.02)
