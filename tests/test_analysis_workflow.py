"""The analysis section of the config and the workflow helpers of glassfit.analysis.workflow (no MD)."""

from __future__ import annotations

import json

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
