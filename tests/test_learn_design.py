"""Tests of the initial design: bounds, start point, one-at-a-time moves, clipping, Sobol reproducibility."""
import numpy as np
import pytest

from glassfit import config as glassfit_config
from glassfit.learn import initial_design

TUNABLE = [
    {"name": "BO_A_eV", "pair": "B-O", "coefficient": "A_eV", "start": 206941.81, "low": 186247.63, "high": 227635.99},
    {"name": "BO_rho_A", "pair": "B-O", "coefficient": "rho_A", "start": 0.124, "low": 0.1178, "high": 0.1364},
    {"name": "BO_C_eVA6", "pair": "B-O", "coefficient": "C_eVA6", "start": 35.0018, "low": 31.50162, "high": 38.50198},
    {"name": "BB_A_eV", "pair": "B-B", "coefficient": "A_eV", "start": 484.4, "low": 435.96, "high": 532.84},
    {"name": "BB_rho_A", "pair": "B-B", "coefficient": "rho_A", "start": 0.35, "low": 0.315, "high": 0.385},
]
NAMES = [p["name"] for p in TUNABLE]


def config(**design):
    return glassfit_config.problem(TUNABLE, [], {"design": design})


def oat_design(**design):
    """The published one-at-a-time scan alone (no Sobol points)."""
    return config(one_at_a_time=True, sobol_points=0, **design)


def test_start_included_and_all_within_bounds():
    table = initial_design(config(sobol_points=8), seed=1)
    start = np.array([p["start"] for p in TUNABLE])
    assert table["candidate_kind"].iloc[0] == "start"
    assert np.allclose(table[NAMES].iloc[0].to_numpy(), start)
    low = np.array([p["low"] for p in TUNABLE])
    high = np.array([p["high"] for p in TUNABLE])
    values = table[NAMES].to_numpy()
    assert np.all(values >= low) and np.all(values <= high)
    assert list(table.columns) == ["candidate_kind", *NAMES]


def test_default_design_is_start_plus_three_sobol_points_per_parameter():
    table = initial_design(config(), seed=0)
    assert list(table["candidate_kind"]) == ["start"] + ["sobol"] * 15
    unit = (table[NAMES].to_numpy()[1:] - [p["low"] for p in TUNABLE]) / np.subtract([p["high"] for p in TUNABLE], [p["low"] for p in TUNABLE])
    # space-filling: every parameter's range is covered, every fifth of it holds at least one point
    for j in range(len(NAMES)):
        assert len(np.unique(np.floor(unit[:, j] * 5))) == 5


def test_oat_moves_exactly_one_parameter_by_the_perturbation():
    table = initial_design(oat_design(), seed=0)
    start = table[NAMES].iloc[0].to_numpy()
    oat = table[table["candidate_kind"].str.startswith("oat")]
    assert len(oat) == 2 * len(NAMES)  # default bounds are +/-10 % (rho_BO -5 %): nothing collapses
    assert len(table) == 1 + 2 * len(NAMES)
    for _, row in oat.iterrows():
        kind = row["candidate_kind"]
        name = kind[4:]
        changed = [n for n, v, s in zip(NAMES, row[NAMES].to_numpy(dtype=float), start) if v != s]
        assert changed == [name]
        sign = 1 if kind[3] == "+" else -1
        expected = np.clip(start[NAMES.index(name)] * (1 + sign * 0.10),
                           TUNABLE[NAMES.index(name)]["low"], TUNABLE[NAMES.index(name)]["high"])
        assert row[name] == pytest.approx(expected)


def test_rho_bo_minus_is_clipped_to_the_minus_5_percent_bound():
    table = initial_design(oat_design(), seed=0).set_index("candidate_kind")
    assert table.loc["oat-BO_rho_A", "BO_rho_A"] == pytest.approx(0.1178)
    assert table.loc["oat+BO_rho_A", "BO_rho_A"] == pytest.approx(0.1364)


def test_points_collapsing_onto_start_or_each_other_are_dropped():
    tunable = [dict(TUNABLE[0]), dict(TUNABLE[1], low=0.124)]  # rho cannot go down at all
    cfg = glassfit_config.problem(tunable, [], {"design": {"perturbation": 0.5, "one_at_a_time": True, "sobol_points": 0}})
    table = initial_design(cfg, seed=0)
    # A: +50 % and -50 % both clip, onto different bounds (kept); rho: - clips onto start (dropped)
    assert list(table["candidate_kind"]) == ["start", "oat+BO_A_eV", "oat-BO_A_eV", "oat+BO_rho_A"]
    assert not table[["BO_A_eV", "BO_rho_A"]].duplicated().any()


def test_sobol_points_are_reproducible_with_seed_and_differ_between_seeds():
    a = initial_design(config(sobol_points=8), seed=3)
    b = initial_design(config(sobol_points=8), seed=3)
    c = initial_design(config(sobol_points=8), seed=4)
    assert (a["candidate_kind"] == "sobol").sum() == 8
    assert a.equals(b)
    assert not np.allclose(a[NAMES].to_numpy(), c[NAMES].to_numpy())
