"""Tests of the objective: hand-computed value, missing-value penalty, validation glasses ignored."""
import numpy as np
import pandas as pd
import pytest

from glassfit import config
from glassfit.learn import best_observed, glass_errors, objective

GLASSES = [
    {"id": "0B", "composition": {"SiO2": 75, "B2O3": 0, "Na2O": 15, "CaO": 10}, "density_g_cm3": 2.475,
     "B4": None, "role": "fit-density-only"},
    {"id": "24B", "composition": {"SiO2": 51, "B2O3": 24, "Na2O": 15, "CaO": 10}, "density_g_cm3": 2.537,
     "B4": 0.623, "role": "fit"},
    {"id": "75B", "composition": {"SiO2": 0, "B2O3": 75, "Na2O": 15, "CaO": 10}, "density_g_cm3": 2.319,
     "B4": 0.426, "role": "fit"},
    {"id": "10B", "composition": {"SiO2": 60, "B2O3": 10, "Na2O": 15, "CaO": 15}, "density_g_cm3": None,
     "B4": None, "role": "validation"},
]
TUNABLE = [{"name": "p", "pair": "B-O", "coefficient": "A_eV", "start": 1.0, "low": 0.9, "high": 1.1}]
CONFIG = config.problem(TUNABLE, GLASSES)


def table(rows):
    return pd.DataFrame(rows, columns=["candidate", "glass", "density_g_cm3_mean", "B4_mean"])


def test_hand_computed_objective_with_default_scales_and_weights():
    data = table([
        ("c1", "0B", 2.485, np.nan),      # density +0.01 -> 1
        ("c1", "24B", 2.517, 0.673),      # density -0.02 -> 4 ; B4 +0.05 -> 2 x 1 = 2
        ("c1", "75B", 2.319, 0.326),      # density 0 ; B4 -0.10 -> 2 x 4 = 8
        ("c1", "10B", 9.9, 0.0),          # validation: ignored whatever its value
    ])
    assert objective(data, CONFIG)["c1"] == pytest.approx(1 + 4 + 2 + 8)
    errors = glass_errors(data, CONFIG).set_index("glass")
    assert list(errors.index) == ["0B", "24B", "75B"]
    assert errors.loc["24B", "density_g_cm3_error"] == pytest.approx(-0.02)
    assert errors.loc["75B", "B4_term"] == pytest.approx(8.0)
    assert errors.loc["0B", "B4_term"] == 0.0  # boron-free glass: no B4 target


def test_custom_scales_weights_and_the_authors_b2o3_weighting():
    learn = {"objective": {"density_scale_g_cm3": 0.02, "B4_scale": 0.1, "B4_weight": 1.0, "B4_weighting": "B2O3_fraction"}}
    cfg = config.problem(TUNABLE, GLASSES, learn)
    data = table([("c", "0B", 2.475, np.nan), ("c", "24B", 2.537, 0.723), ("c", "75B", 2.359, 0.526)])
    # 75B density +0.04 / 0.02 -> 4 ; 24B B4 +0.1 / 0.1 -> 1 x 0.24 / 0.75 ; 75B B4 +0.1 / 0.1 -> 1 x 0.75 / 0.75
    assert objective(data, cfg)["c"] == pytest.approx(4 + 0.24 / 0.75 + 1.0)
    equal = config.problem(TUNABLE, GLASSES, {"objective": {**learn["objective"], "B4_weighting": "equal"}})
    assert objective(data, equal)["c"] == pytest.approx(4 + 1 + 1)


def test_an_inert_glass_missing_for_a_candidate_takes_the_reference_value():
    # 0B has no boron: no B-O or B-B parameter acts on it, so it is simulated once (here by "start") for all
    data = table([("start", "0B", 2.4951, np.nan), ("start", "24B", 2.537, 0.623), ("start", "75B", 2.319, 0.426),
                  ("other", "24B", 2.537, 0.623), ("other", "75B", 2.319, 0.426)])
    obj = objective(data, CONFIG)
    assert obj["other"] == pytest.approx(obj["start"]) == pytest.approx(((2.4951 - 2.475) / 0.01) ** 2)
    errors = glass_errors(data, CONFIG).set_index(["candidate", "glass"])
    assert errors.loc[("other", "0B"), "density_g_cm3_sim"] == pytest.approx(2.4951)


def test_missing_values_get_the_penalty_never_a_good_score():
    data = table([
        ("good", "0B", 2.475, np.nan), ("good", "24B", 2.537, 0.623), ("good", "75B", 2.319, 0.426),
        ("failed", "0B", 2.475, np.nan), ("failed", "24B", np.nan, np.nan), ("failed", "75B", 2.319, 0.426),
        ("partial", "0B", 2.475, np.nan), ("partial", "24B", 2.537, 0.623),  # 75B never simulated
    ])
    obj = objective(data, CONFIG)
    assert obj["good"] == pytest.approx(0.0)
    assert obj["failed"] == pytest.approx(2 * 1000.0)  # density and B4 of 24B missing
    assert obj["partial"] == pytest.approx(2 * 1000.0)
    cfg = config.problem(TUNABLE, GLASSES, {"objective": {"missing_penalty": 50.0}})
    assert objective(data, cfg)["failed"] == pytest.approx(100.0)


def test_validation_glasses_ignored_and_prediction_columns_accepted():
    data = table([("c", "0B", 2.475, np.nan), ("c", "24B", 2.537, 0.623), ("c", "75B", 2.319, 0.426)])
    with_validation = pd.concat([data, table([("c", "10B", np.nan, np.nan)])])
    assert objective(with_validation, CONFIG)["c"] == pytest.approx(0.0)
    # surrogate predictions carry extra *_std columns; they are ignored
    pred = data.assign(density_g_cm3_std=0.1, B4_std=0.1)
    assert objective(pred, CONFIG)["c"] == pytest.approx(0.0)


def test_best_observed_sorted_with_per_glass_errors():
    data = table([
        ("a", "0B", 2.485, np.nan), ("a", "24B", 2.537, 0.623), ("a", "75B", 2.319, 0.426),
        ("b", "0B", 2.475, np.nan), ("b", "24B", 2.537, 0.623), ("b", "75B", 2.319, 0.426),
    ]).assign(iteration=0, p=1.0)
    best = best_observed(data, CONFIG)
    assert list(best["candidate"]) == ["b", "a"]
    assert best["objective"].tolist() == pytest.approx([0.0, 1.0])
    assert best.loc[best["candidate"] == "a", "density_g_cm3_error_0B"].item() == pytest.approx(0.01)
    assert {"iteration", "p", "B4_error_24B"} <= set(best.columns)
