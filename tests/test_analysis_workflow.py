"""The analysis section of the config and the workflow helpers of glassfit.analysis.workflow (no MD)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from glassfit import config
from glassfit.analysis import DEFAULT_SETTINGS, resolve_settings, workflow
from glassfit.analysis.core import ALL_ANALYSES, RUN_KEYS
from glassfit.analysis.measured import as_dicts, from_dicts, measured_sets, simulated_t
from glassfit.analysis.scattering import structure_factors
from glassfit.analysis.suite import comparable_sq, gather
from conftest import tiny


def resolved(**analysis) -> config.Campaign:
    return config.resolve({**tiny(), "analysis": analysis}, "tiny.yaml")


def test_defaults_come_from_the_schema():
    a = resolved().analysis
    assert a.iteration_analyses == () and list(a.validation_analyses) == list(ALL_ANALYSES) == DEFAULT_SETTINGS["analyses"]
    assert len(a.validation_glasses) == 9 and a.measured_sq == {}  # default: every glass of the table
    assert set(DEFAULT_SETTINGS) == set(a.settings) | set(RUN_KEYS)
    for key, value in a.settings.items():
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
    assert [(m["name"], m["path"], m["radiation"], m["quantity"]) for m in s["measured"]] == [("xray", str(sq), "xray", "S(Q)")]
    assert resolve_settings(s)["analyses"] == ["coordination"]
    assert workflow.run_settings(campaign, "50B", [])["measured"] == []


def test_measured_sets_plain_path_or_object():
    """A plain path is an S(Q) of the radiation its name says; other names need an object; neutron defaults to 11B."""
    sets = measured_sets({"neutron": "n.csv", "hannon": {"file": "t.dat", "radiation": "neutron", "quantity": "T(r)", "q_max_inv_A": 40,
                                                         "r_range_A": [1.2, 6]}}, "analysis.measured_sq.12B")
    assert [(m.name, m.path, m.radiation, m.quantity, m.boron_isotope) for m in sets] == [
        ("neutron", "n.csv", "neutron", "S(Q)", "11B"), ("hannon", "t.dat", "neutron", "T(r)", "11B")]
    assert sets[1].r_range_A == (1.2, 6) and from_dicts(as_dicts(sets)) == sets
    with pytest.raises(ValueError, match=r"^analysis\.measured_sq\.12B\.mine: say which radiation"):
        measured_sets({"mine": "a.csv"}, "analysis.measured_sq.12B")
    with pytest.raises(config.ConfigError, match=r"analysis\.measured_sq\.12B\.neutron"):
        resolved(measured_sq={"12B": {"neutron": {"file": "a.csv", "quantity": "G(r)"}}})


def _fake_run(folder, height: float, r_max: float, measured: list) -> None:
    """One replica's pdf.csv/pdf.json/scattering.json/sq.csv of an SiO2-like g(r) (peak ``height``) to ``r_max``."""
    r = np.arange(0.01, r_max, 0.02)
    peak = lambda r0, h: np.where(r > 1.0, 1 + h * np.exp(-((r - r0) ** 2) / 0.005) - np.exp(-r + 1) * 0.5, 0.0)
    table = pd.DataFrame({"r_A": r, "g_Si-O": peak(1.61, height), "g_O-O": peak(2.63, height / 3), "g_Si-Si": peak(3.1, height / 4)})
    meta = {"r_max_A": r_max, "number_density_inv_A3": 0.066, "concentrations": {"Si": 1 / 3, "O": 2 / 3}, "measured": measured}
    folder.mkdir(parents=True)
    table.to_csv(folder / "pdf.csv", index=False)
    (folder / "pdf.json").write_text(json.dumps(meta))
    res = structure_factors({"table": table, "meta": meta}, DEFAULT_SETTINGS)
    res["sq"].to_csv(folder / "sq.csv", index=False)
    (folder / "scattering.json").write_text(json.dumps(res["meta"]))
    (folder / "summary.json").write_text(json.dumps({"n_frames": 1}))


def test_gather_cuts_replicas_to_a_common_r_max_and_computes_r_chi_on_their_mean(tmp_path):
    """Replicas with different half boxes: the gathered S(Q) is the mean of each replica's S(Q) at the smallest r_max, and
    Wright's R_chi is computed on the replica-mean g(r): 0 against T(r) made from that mean, not the mean of per-replica R_chi."""
    measured = [{"name": "neutron", "path": str(tmp_path / "t.dat"), "radiation": "neutron", "quantity": "T(r)", "q_max_inv_A": 25.0}]
    _fake_run(tmp_path / "r0", 5.0, 8.0, measured)
    _fake_run(tmp_path / "r1", 7.0, 10.0, measured)
    tabs = [pd.read_csv(tmp_path / f"r{k}/pdf.csv") for k in (0, 1)]
    n = len(tabs[0])
    mean = pd.DataFrame({"r_A": tabs[0]["r_A"], **{c: (tabs[0][c] + tabs[1][c][:n]) / 2 for c in tabs[0] if c != "r_A"}})
    r = np.arange(0.5, 9.0, 0.01)
    t = simulated_t(mean, {"Si": 1 / 3, "O": 2 / 3}, 0.066, from_dicts(measured)[0], r)
    (tmp_path / "t.dat").write_text("".join(f"{x:.4f} {y:.8f}\n" for x, y in zip(r, t)))
    out = gather([tmp_path / "r0", tmp_path / "r1"], tmp_path / "g")
    assert out["R_chi_neutron"]["mean"] < 1e-6 and out["R_chi_neutron"]["n"] == 2
    assert json.loads((tmp_path / "g/pdf.json").read_text())["r_max_A"] == 8.0
    cut = [structure_factors({"table": t_, "meta": json.loads((tmp_path / f"r{k}/pdf.json").read_text())}, DEFAULT_SETTINGS, 8.0)["sq"]
           for k, t_ in enumerate(tabs)]
    sq = pd.read_csv(tmp_path / "g/sq.csv")
    assert np.allclose(sq["S_neutron_mean"], (cut[0]["S_neutron"] + cut[1]["S_neutron"]) / 2, atol=2e-5)
    uncut = pd.read_csv(tmp_path / "r1/sq.csv")["S_neutron"]
    assert not np.allclose(uncut, cut[1]["S_neutron"], atol=1e-3)  # r_max does change S(Q): the cut matters
    # the per-glass figures compare sets the same way: the mean g(r) at their common r_max
    (tmp_path / "h").mkdir()
    _fake_run(tmp_path / "h/r0", 5.0, 9.0, [])
    gather([tmp_path / "h/r0"], tmp_path / "h/g")
    both = comparable_sq({"a": tmp_path / "g", "b": tmp_path / "h/g"})
    assert np.allclose(both["a"]["S_neutron"], sq["S_neutron_mean"], atol=2e-5)
    assert np.allclose(both["b"]["S_neutron"], cut[0]["S_neutron"], atol=2e-5)


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
