"""The analysis section of the config and the workflow helpers of glassfit.analysis.workflow (no MD)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from glassfit import config
from glassfit.analysis import DEFAULT_SETTINGS, resolve_settings, workflow
from glassfit.analysis.core import ALL_ANALYSES, RUN_KEYS
from conftest import tiny


def resolved(**analysis) -> dict:
    return config.resolve({**tiny(), "analysis": analysis}, "tiny.yaml")


def test_defaults_come_from_the_schema():
    a = resolved()["analysis"]
    assert a["iteration_analyses"] == [] and a["validation_analyses"] == list(ALL_ANALYSES) == DEFAULT_SETTINGS["analyses"]
    assert a["validation_glasses"] is None and a["measured_sq"] == {}
    assert set(DEFAULT_SETTINGS) == set(a["settings"]) | set(RUN_KEYS)
    for key, value in a["settings"].items():
        expected = DEFAULT_SETTINGS[key]
        if key == "coordination_cutoffs_A":  # B-O defaults to md.b4_cutoff_A, outside the section
            expected = {k: v for k, v in expected.items() if k != "B-O"}
        assert value == expected, key
    assert DEFAULT_SETTINGS["coordination_cutoffs_A"]["B-O"] == 1.8


def test_run_settings_follow_the_campaign(tmp_path):
    sq = tmp_path / "sq.csv"
    sq.write_text("Q,S\n1,1\n2,1\n")
    campaign = config.resolve(
        {**tiny(**{"md.b4_cutoff_A": 1.9}), "analysis": {"measured_sq": {"12B": {"xray": str(sq)}}, "settings": {"coordination_cutoffs_A": {"Na-O": 3.4}}}}, "tiny.yaml"
    )
    s = workflow.run_settings(campaign, "12B", ["coordination"])
    assert s["coordination_cutoffs_A"] == {"Si-O": 2.0, "Na-O": 3.4, "Ca-O": 3.1, "B-O": 1.9}
    assert s["experimental_sq_xray_csv"] == str(sq) and s["experimental_sq_neutron_csv"] is None
    assert resolve_settings(s)["analyses"] == ["coordination"]
    assert workflow.run_settings(campaign, "50B", [])["experimental_sq_xray_csv"] is None


def test_validation_campaign_has_every_glass_and_its_own_seed():
    campaign = resolved()
    validation = workflow.validation_campaign(campaign, "tiny.yaml")
    ids = [g["id"] for g in validation["glasses"]]
    assert ids == list(config.read_glasses(campaign["glasses_table"]).index) and "10B" in ids
    assert validation["seed"] != campaign["seed"] and validation["tunable"] == campaign["tunable"]
    assert workflow.simulated_glasses(campaign) == ["12B", "50B", *[g for g in ids if g not in ("12B", "50B")]]
    only = resolved(validation_glasses=["10B"])
    assert [g["id"] for g in workflow.validation_campaign(only, "tiny.yaml")["glasses"]] == ["10B"]
    assert workflow.validation_campaign(resolved(validation_analyses=[]), "tiny.yaml") is None
    assert workflow.simulated_glasses(resolved(validation_analyses=[])) == ["12B", "50B"]


@pytest.mark.parametrize(
    "analysis, message",
    [
        ({"validation_glasses": ["12B", "99B"]}, "tiny.yaml: analysis.validation_glasses[1]: glass '99B' is not defined"),
        ({"measured_sq": {"12B": {"neutron": "nowhere.csv"}}}, "tiny.yaml: analysis.measured_sq.12B.neutron: file nowhere.csv not found"),
        ({"validation_glasses": ["10B"], "measured_sq": {"24B": {"xray": "x.csv"}}}, "analysis.measured_sq.24B: glass '24B' is neither fitted nor validated"),
    ],
)
def test_bad_analysis_sections_are_explained(analysis, message):
    with pytest.raises(config.ConfigError, match=message.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")):
        workflow.validation_campaign(resolved(**analysis), "tiny.yaml")


@pytest.mark.parametrize(
    "analysis, key",
    [
        ({"validation_analyses": ["rdf"]}, "analysis.validation_analyses[0]"),
        ({"settings": {"ring_size_max": 8}}, "analysis.settings.ring_size_max: unknown key"),
        ({"settings": {"boron_isotope": "10B"}}, "analysis.settings.boron_isotope"),
    ],
)
def test_schema_rejects_bad_values(analysis, key):
    with pytest.raises(config.ConfigError, match=key.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")):
        resolved(**analysis)


def test_small_boxes_of_validation_glasses_are_caught():
    campaign = resolved()
    campaign["potential"]["cutoff_A"] = 6.5  # above half the ~12 A box of 150 atoms
    with pytest.raises(config.ConfigError, match="potential.cutoff_A: .*in the final validation on analysis.validation_glasses"):
        workflow.validation_campaign(campaign, "tiny.yaml")


def test_validation_candidates():
    campaign = resolved()
    best = pd.DataFrame([{"candidate": "i03c01", "objective": 1.0, "BO_A_eV": 1.0, "BO_rho_A": 2.0}, {"candidate": "i00c00", "objective": 2.0, "BO_A_eV": 3.0, "BO_rho_A": 4.0}])
    table = workflow.validation_candidates(best, campaign)
    assert table["candidate"].tolist() == ["best", "start"] and table["source"].tolist() == ["i03c01", "set:wang2018"]
    start = {t["name"]: t["start"] for t in campaign["tunable"]}
    assert table.iloc[0][["BO_A_eV", "BO_rho_A"]].tolist() == [1.0, 2.0]
    assert table.iloc[1][["BO_A_eV", "BO_rho_A"]].tolist() == [start["BO_A_eV"], start["BO_rho_A"]]


def test_failed_runs_are_marked_and_skipped_when_gathering(tmp_path):
    run = tmp_path / "r0"
    run.mkdir()
    (run / "properties.json").write_text(json.dumps({"status": "failed", "reason": "standard: volume diverged"}))
    out = workflow.analyse_run(run / "properties.json", {"analyses": []}, run / "analysis")
    assert out["status"] == "not analysed"
    assert (run / "analysis/NOT_ANALYSED.txt").read_text() == "not analysed: run failed (standard: volume diverged)\n"
    assert workflow.gather_replicas([run / "analysis"], tmp_path / "gathered") == {}
    assert "every run failed" in (tmp_path / "gathered/NOT_ANALYSED.txt").read_text()
    ok = tmp_path / "r1/analysis"
    ok.mkdir(parents=True)
    (ok / "summary.json").write_text(json.dumps({"n_frames": 5, "B4_fraction": 0.5, "md_density_g_cm3": 2.5}))
    g = workflow.gather_replicas([run / "analysis", ok], tmp_path / "two")
    assert g["B4_fraction"] == {"mean": 0.5, "std": None, "n": 1} and g["n_runs"] == 2 and g["runs_not_analysed"] == [str(run / "analysis")]


def test_final_targets_follow_the_section():
    assert workflow.final_targets(resolved(validation_analyses=[]), "R") == []
    targets = workflow.final_targets(resolved(validation_analyses=["coordination", "angles"], iteration_analyses=["rings"]), "R")
    assert targets == [
        "R/final/structure/validation.csv",
        *[f"R/final/structure/{label}/{name}.png" for label in ("best", "start") for name in ("bond_angles", "mean_XOX_vs_B2O3", "density_vs_XOX")],
        "R/final/structure/iterations.csv",
    ]
