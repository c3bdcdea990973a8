"""Tests of the MLP-ensemble surrogate on the toy problem (tests/learn_toy.py): accuracy, spread, save/load, NaNs."""
import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

import learn_toy as toy
from glassfit.learn import Surrogate, train

RMSE_DENSITY, RMSE_B4 = 0.010, 0.016  # measured 0.005-0.007 and 0.009-0.010 (seeds 0-2): the replica noise
FAST = {"surrogate": {"hidden_layers": [32, 32], "max_steps": 2500, "patience": 150}}
D = 2  # toy parameters


def make_dataset(config, unit, seed=0):
    return toy.evaluate(unit, 0, np.random.default_rng(seed))


@pytest.fixture(scope="module")
def config():
    return toy.config(**FAST)


@pytest.fixture(scope="module")
def trained(config):
    unit = qmc.Sobol(D, seed=0).random(64)
    data = make_dataset(config, unit)
    surrogate, metrics = train(data, config, seed=0)
    return data, surrogate, metrics


def test_learns_a_known_smooth_function(trained):
    _, _, metrics = trained
    # truth spans ~0.2 g/cm3 and ~0.9 in B4 over the box; standard error of a mean 0.006 / 0.008
    assert metrics["density_g_cm3_rmse_val"] < RMSE_DENSITY
    assert metrics["B4_rmse_val"] < RMSE_B4
    assert metrics["n_val"] > 0 and metrics["n_train"] > metrics["n_val"]
    assert metrics["n_val"] % 3 == 0  # split by candidate: all 3 glasses of a candidate stay together
    assert metrics["density_g_cm3_rmse_train"] < metrics["density_g_cm3_rmse_val"] * 2


def test_prediction_frame_layout(trained, config):
    data, surrogate, _ = trained
    params = data.drop_duplicates("candidate").head(3)
    pred = surrogate.predict(params, ["12B", "62B"])
    assert list(pred.columns) == ["candidate", "glass", "density_g_cm3_mean", "density_g_cm3_std",
                                  "B4_mean", "B4_std"]
    assert list(pred["candidate"]) == [c for c in params["candidate"] for _ in range(2)]
    assert list(pred["glass"]) == ["12B", "62B"] * 3
    assert np.isfinite(pred.drop(columns=["candidate", "glass"]).to_numpy()).all()


def test_ensemble_spread_larger_far_from_data(config):
    unit = qmc.Sobol(D, seed=1).random(32) * 0.4  # data only in the corner [0, 0.4]^2
    quick = toy.config(surrogate=dict(FAST["surrogate"], max_steps=1000))
    surrogate, _ = train(make_dataset(config, unit), quick, seed=1)
    glasses = [g for g, _ in toy.GLASSES]
    near = surrogate.predict_members(unit, glasses).std(axis=0).mean(axis=(0, 1))
    far_unit = 0.9 + 0.1 * np.random.default_rng(0).random((32, D))
    far = surrogate.predict_members(far_unit, glasses).std(axis=0).mean(axis=(0, 1))
    assert np.all(far > 2 * near)


def test_save_load_round_trip_and_determinism(trained, config, tmp_path):
    data, surrogate, metrics = trained
    params = data.drop_duplicates("candidate")
    surrogate.save(tmp_path / "sur")
    loaded = Surrogate.load(tmp_path / "sur")
    pd.testing.assert_frame_equal(surrogate.predict(params, ["12B", "37B"]), loaded.predict(params, ["12B", "37B"]))
    assert loaded.metrics == metrics
    small = data[data["candidate"].isin(params["candidate"].head(12))]
    a, ma = train(small, config, seed=5)
    b, mb = train(small, config, seed=5)
    assert ma == mb
    assert np.array_equal(a.predict_members(np.full((2, D), 0.5), ["37B"]),
                          b.predict_members(np.full((2, D), 0.5), ["37B"]))


def test_nan_values_do_not_break_training(config):
    data = make_dataset(config, qmc.Sobol(D, seed=2).random(16), seed=2)
    data.loc[data.index[::7], ["density_g_cm3_mean", "B4_mean"]] = np.nan  # failed runs
    data.loc[data.index[1::5], "B4_mean"] = np.nan
    surrogate, metrics = train(data, config, seed=0)
    assert np.isfinite(metrics["density_g_cm3_rmse_train"]) and np.isfinite(metrics["B4_rmse_train"])
    pred = surrogate.predict(data.drop_duplicates("candidate"), ["12B", "37B", "62B"])
    assert np.isfinite(pred[["density_g_cm3_mean", "B4_mean"]].to_numpy()).all()


def test_no_usable_rows_is_a_clear_error(config):
    data = make_dataset(config, np.full((2, D), 0.5)).assign(density_g_cm3_mean=np.nan, B4_mean=np.nan)
    with pytest.raises(ValueError, match="nothing to train"):
        train(data, config, seed=0)


def test_a_mean_of_fewer_replicas_pulls_the_fit_less(config):
    """One candidate's means are off by 0.1 g/cm3: from 6 replicas the fit follows them more than from 1."""
    unit = qmc.Sobol(D, seed=3).random(16)
    data = make_dataset(config, unit, seed=3)
    bad = data["candidate"] == "i00c05"
    data.loc[bad, "density_g_cm3_mean"] += 0.1
    quick = toy.config(surrogate=dict(FAST["surrogate"], val_fraction=0.0, bootstrap=False))
    pulled = {}
    for n_ok in (6, 1):
        data.loc[bad, "n_ok"] = n_ok
        surrogate, _ = train(data, quick, seed=0)
        truth = toy.truth(unit[[5]])[0]
        pulled[n_ok] = float(surrogate.predict_members(unit[[5]], [g for g, _ in toy.GLASSES])[..., 0].mean(axis=0).mean() - truth.mean())
    assert pulled[1] < pulled[6] - 0.01
