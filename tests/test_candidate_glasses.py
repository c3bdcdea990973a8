"""Which glasses a candidate of an iteration runs on: modelled glasses always, inert ones once, validation ones never."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from glassfit import campaign as gc, config
from glassfit.model import Glass, Tunable
from conftest import ROOT, tiny


def glass(gid: str, b2o3: float, role: str = "fit") -> Glass:
    return Glass(gid, {"SiO2": 75 - b2o3, "B2O3": b2o3, "Na2O": 15, "CaO": 10}, role, {})


def tunable(name: str, pair: str) -> Tunable:
    return Tunable(name, 1.0, 0.9, 1.1, pair=pair, coefficient=name[len(pair) :])


#: 0B has no boron (inert for B-O / B-B parameters), 10B is validation only
CAMPAIGN = dataclasses.replace(
    config.resolve(tiny(**{"system.replicas": 2}), "tiny"),
    glasses=(glass("0B", 0, "fit-density-only"), glass("12B", 12), glass("50B", 50), glass("10B", 10, "validation")),
    tunables=(tunable("BO_rho_A", "B-O"), tunable("BB_A_eV", "B-B")),
)


def test_inert_glass_only_for_the_start_set_of_iteration_zero():
    assert gc.candidate_glasses(CAMPAIGN, "start", 0) == ["0B", "12B", "50B"]
    for kind, iteration in (("sobol", 0), ("oat+BO_rho_A", 0), ("set:yang2026_bo", 0), ("proposed", 1), ("start", 2)):
        assert gc.candidate_glasses(CAMPAIGN, kind, iteration) == ["12B", "50B"], (kind, iteration)
    # a candidates.csv row works as well as its kind
    assert gc.candidate_glasses(CAMPAIGN, pd.Series({"candidate": "i00c00", "kind": "start", "BO_rho_A": 1.0}), 0)[0] == "0B"


def test_a_glass_that_a_tuned_pair_acts_on_is_never_inert():
    """Tuning a pair that 0B contains (Si-O) makes it a modelled glass: every candidate runs it."""
    campaign = dataclasses.replace(CAMPAIGN, tunables=(tunable("SiO_A_eV", "Si-O"), tunable("BO_rho_A", "B-O")))
    assert gc.candidate_glasses(campaign, "proposed", 3) == ["0B", "12B", "50B"]


def test_iteration_runs_every_replica_of_each_candidate_glass():
    design = pd.DataFrame({"candidate": ["i00c00", "i00c01", "i00c02"], "kind": ["start", "sobol", "sobol"]})
    runs = gc.iteration_runs(CAMPAIGN, design, 0)
    assert len(runs) == (3 * 2 + 1) * 2
    assert [r for r in runs if r[1] == "0B"] == [("i00c00", "0B", 0), ("i00c00", "0B", 1)]
    assert not [r for r in runs if r[1] == "10B"]
    assert gc.iteration_runs(CAMPAIGN, design.assign(kind="proposed").iloc[:0], 1) == []  # a stopped campaign: no runs


def test_published_campaign_runs_the_boron_free_glass_once():
    campaign = config.load(ROOT / "config/config.yaml")
    fitted = ["0B", "6B", "12B", "24B", "37B", "50B", "62B", "75B"]
    assert gc.candidate_glasses(campaign, "start", 0) == fitted
    assert gc.candidate_glasses(campaign, "sobol", 0) == gc.candidate_glasses(campaign, "proposed", 1) == fitted[1:]
    design = pd.DataFrame({"candidate": [f"i00c{i:02d}" for i in range(16)], "kind": ["start"] + ["sobol"] * 15})
    # 16 candidates x 7 boron-bearing glasses + the start set on 0B, x 6 replicas (README's dry run)
    assert len(gc.iteration_runs(campaign, design, 0)) == (16 * 7 + 1) * 6 == 678


@pytest.mark.parametrize("iteration", [0, 1])
def test_validation_glass_never_runs_in_an_iteration(iteration):
    only_validation = dataclasses.replace(CAMPAIGN, glasses=(glass("12B", 12), glass("10B", 10, "validation")))
    assert gc.candidate_glasses(only_validation, "start", iteration) == ["12B"]
