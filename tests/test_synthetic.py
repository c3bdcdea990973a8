"""Tests of the synthetic borosilicate landscape: published B4 cliff, inert 0B, failure region, optimum."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

from landscapes import synthetic

from glassfit.learn import objective
from glassfit.learn.settings import denormalise, inert_glasses, modelled_glasses, param_names

GLASSES_CSV = Path(__file__).resolve().parents[1] / "config" / "glasses.csv"


@pytest.fixture(scope="module")
def config():
    return synthetic.toy_problem()


def start_values(config):
    return np.array([t.start for t in config.tunables])


def with_changes(config, **pct):
    """Absolute parameter set (1, 5) with the given per-cent changes from the start (a, s, c, b, r)."""
    x = np.array([pct.get(k, 0.0) for k in "ascbr"])
    return (start_values(config) * (1 + x / 100))[None, :]


def frame(values, config, prefix="c"):
    out = pd.DataFrame(np.atleast_2d(values), columns=param_names(config))
    out["candidate"] = [f"{prefix}{i}" for i in range(len(out))]
    out["iteration"] = 0
    return out


def test_config_is_the_real_campaign(config):
    assert param_names(config) == ["BO_A_eV", "BO_rho_A", "BO_C_eVA6", "BB_A_eV", "BB_rho_A"]
    rho = config.tunables[1]
    assert rho.start == 0.1240 and rho.low == pytest.approx(0.1240 * 0.95)
    assert rho.high == pytest.approx(0.1240 * 1.10)
    assert inert_glasses(config) == ["0B"]
    assert modelled_glasses(config) == ["6B", "12B", "24B", "37B", "50B", "62B", "75B"]
    table = pd.read_csv(GLASSES_CSV, comment="#").set_index("id")
    for g in config.glasses:
        row = table.loc[g.id]
        assert g.role == row["role"]
        assert g.composition == {ox: float(row[ox]) for ox in ["SiO2", "B2O3", "Na2O", "CaO"]}
        for key in ("density_g_cm3", "B4"):
            assert (g.value(key) is None) == bool(pd.isna(row[key]))
            if g.value(key) is not None:
                assert g.value(key) == pytest.approx(float(row[key]))


@pytest.mark.parametrize("s, expected", [(-3, 0.0), (-1, 0.3), (0, 0.66), (1, 0.78), (3, 0.92), (5, 0.97)])
def test_b4_cliff_in_rho_bo_at_24b(config, s, expected):
    _, b4 = synthetic.truth(with_changes(config, s=s), config, ["24B"])
    assert b4[0, 0] == pytest.approx(expected, abs=0.05)


def test_a_bo_moves_b4_like_a_tenth_of_rho_bo_and_the_rest_little(config):
    b4 = lambda **pct: synthetic.truth(with_changes(config, **pct), config, ["24B"])[1][0, 0]  # noqa: E731
    assert b4(a=10) == pytest.approx(0.79, abs=0.05)
    assert b4(a=-10) == pytest.approx(0.30, abs=0.05)
    for key in "cbr":
        assert abs(b4(**{key: 10}) - b4(**{key: -10})) < 0.15


def test_b4_falls_with_b2o3_but_not_like_experiment(config):
    fitted = [g.id for g in config.glasses if g.role == "fit"]
    _, b4 = synthetic.truth(start_values(config)[None, :], config, fitted)
    assert np.all(np.diff(b4[0]) < 0)
    exp = np.array([g.value("B4") for g in config.glasses if g.role == "fit"])
    # flatter than experiment: too low in boron-poor, too high in boron-rich glasses
    assert b4[0, 0] < exp[0] - 0.05 and b4[0, -2] > exp[-2] + 0.02


def test_density_rises_with_b4_and_responds_with_boron_content(config):
    ids = ["6B", "24B", "75B"]
    low, _ = synthetic.truth(with_changes(config, s=-3), config, ids)
    high, _ = synthetic.truth(with_changes(config, s=0), config, ids)
    assert np.all(high > low)  # across the cliff: more four-fold boron, denser glass
    ranges = []
    for key in "ascbr":
        lo, hi = (-5, 10) if key == "s" else (-10, 10)
        values = np.vstack([with_changes(config, **{key: v}) for v in np.linspace(lo, hi, 41)])
        rho, _ = synthetic.truth(values, config, ids)
        ranges.append(rho.max(0) - rho.min(0))
    ranges = np.array(ranges)  # (parameter, glass)
    assert np.all(ranges[:, 2] >= 0.05) and np.all(ranges[:, 2] <= 0.26)  # 75B
    assert np.argmax(ranges[:, 2]) == 1  # rho_BO strongest
    assert np.all(ranges[:, 0] < ranges[:, 1]) and np.all(ranges[:, 1] < ranges[:, 2])


def test_0b_cannot_respond(config):
    unit = qmc.Sobol(5, seed=0).random(64)
    values = denormalise(unit, config)
    rho, b4 = synthetic.truth(values, config, ["0B", "24B"])
    assert np.ptp(rho[:, 0]) == 0.0 and np.ptp(rho[:, 1]) > 0.05
    assert np.all(np.isnan(b4[:, 0]))
    data = synthetic.evaluate(frame(values, config), config, np.random.default_rng(0), glasses=["0B"])
    assert (data["n_failed"] == 0).all() and data["B4_mean"].isna().all() and data["B4_std"].isna().all()


def test_failure_region_high_c_low_rho_about_a_tenth_of_the_box(config):
    unit = np.random.default_rng(0).random((50_000, 5))
    x = synthetic.changes(denormalise(unit, config), config)
    p = synthetic.p_fail(x)
    failed = p > 0.5
    assert 0.05 <= failed.mean() <= 0.15
    assert x[failed, 2].mean() > 3 and x[failed, 1].mean() < -2  # high C_BO, low rho_BO
    assert ((p > 0.01) & (p < 0.99)).mean() < 0.05  # sharp: from ~0 to ~1 within a few % of the box
    # a set in the region: all replicas fail, NaN means, scored as failed
    bad = with_changes(config, s=-4, c=9)
    data = synthetic.evaluate(frame(bad, config), config, np.random.default_rng(1), glasses=["0B", "24B"])
    row = data.set_index("glass").loc["24B"]
    assert row["n_ok"] == 0 and row["n_failed"] == 6 and np.isnan(row["density_g_cm3_mean"])
    assert data.set_index("glass").loc["0B", "n_ok"] == 6
    assert synthetic.true_objective(bad, config)[0] > 7 * 1000


def test_evaluate_format_and_statistics(config):
    values = np.vstack([start_values(config), with_changes(config, s=2, c=-5)[0]])
    a = synthetic.evaluate(frame(values, config), config, np.random.default_rng(3))
    b = synthetic.evaluate(frame(values, config), config, np.random.default_rng(3))
    pd.testing.assert_frame_equal(a, b)  # deterministic given the generator
    assert list(a.columns) == ["iteration", "candidate", *param_names(config), "glass", "density_g_cm3_mean",
                               "density_g_cm3_std", "B4_mean", "B4_std", "n_ok", "n_failed"]
    assert len(a) == 2 * 8 and (a["n_ok"] == 6).all()
    boron = a[a["glass"] != "0B"]
    assert boron["density_g_cm3_std"].between(0.004, 0.035).all()
    assert boron["B4_std"].between(0.003, 0.05).all()
    one = synthetic.evaluate(frame(values, config), config, np.random.default_rng(3), replicas=1)
    assert (one.loc[one["glass"] != "0B", ["density_g_cm3_std", "B4_std"]] == 0.0).all().all()


def test_true_objective_matches_the_library_objective_on_noise_free_data(config):
    values = denormalise(qmc.Sobol(5, seed=2).random(8), config)
    values = values[synthetic.p_fail(synthetic.changes(values, config)) < 1e-6]
    data = synthetic.evaluate(frame(values, config), config, np.random.default_rng(0),
                              noise_density_g_cm3=0.0, noise_B4=0.0)
    observed = objective(data, config).to_numpy()
    np.testing.assert_allclose(observed, synthetic.true_objective(values, config), rtol=1e-9)


def test_optimum_well_above_zero_start_much_worse_failure_nearby(config):
    params, best = synthetic.optimum(config)
    assert 20 < best < 100
    assert synthetic.true_objective(params[None, :], config)[0] == pytest.approx(best)
    start = synthetic.true_objective(start_values(config)[None, :], config)[0]
    assert start >= 3 * best
    x = synthetic.changes(params[None, :], config)
    margin = synthetic.stability_margin(x)[0]
    assert 0.5 <= margin < 1.5  # next to the failure region, not in it
    # random search over the box rarely comes close
    values = denormalise(np.random.default_rng(0).random((2000, 5)), config)
    assert np.all(synthetic.true_objective(values, config) >= best - 1e-6)
    assert np.mean(synthetic.true_objective(values, config) < 1.15 * best) < 0.01
    # density and B4 pull against each other: the density-best and B4-best sets are far worse overall
    d_opt, b_opt = (t.sum() for t in synthetic._scorer(config)(params[None, :]).values())
    assert d_opt > 10 and b_opt > 10
