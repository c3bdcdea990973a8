"""End to end: a tiny campaign through real Snakemake and LAMMPS, with structural analysis and the final validation.

One fitted glass (12B), one tunable (2 candidates in iteration 0: the start set and rho_BO +10 %), two replicas, one
iteration; the final validation re-runs the best and the start set on the validation glass 10B (which the campaign does
not fit), compared with a synthetic "measured" neutron S(Q). 8 MD runs in all: about 3 minutes on a busy 2-core machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT, tiny

pytestmark = [pytest.mark.workflow, pytest.mark.lammps]

VALIDATION_GLASSES = ["10B"]
REPLICAS = [0, 1]
RUN_FILES = ("coordination.json", "pdf.csv", "angles.csv", "rings.json", "sq.csv", "scattering.json", "summary.json")
GLASS_FIGURES = ("partial_pdfs", "bond_angles", "ring_sizes", "sq_neutron", "sq_xray")  # per glass, every set on one plot
TREND_FIGURES = ("mean_XOX_vs_B2O3", "mean_ring_size_vs_B2O3", "density_vs_XOX")  # across glasses, one line per set


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Run the tiny campaign once; returns its results folder."""
    tmp = tmp_path_factory.mktemp("campaign")
    q = np.arange(0.5, 15, 0.05)
    (tmp / "10B_neutron.csv").write_text("# synthetic 'measured' S(Q)\nQ,S\n" + "\n".join(f"{x:.3f},{1 + np.sin(2.8 * x) * np.exp(-0.1 * x) / x:.5f}" for x in q))
    config = tiny(**{"glasses.use": ["12B"], "system.replicas": len(REPLICAS), "potential.tunable": [{"pair": "B-O", "term": "rho", "bounds_rel": [0.0, 0.1]}]})
    # one iteration: the loop stops at once; half the 2 candidates validate the surrogate (the default 0.2 leaves
    # none, and report.summary cannot yet format a missing validation RMSE)
    config["learn"] = {"iterations": 1, "surrogate": {"val_fraction": 0.5}, "design": {"one_at_a_time": True, "sobol_points": 0}}
    config["analysis"] = {
        "iteration_analyses": ["coordination"],
        "validation_sets": ["best", "start"],
        "validation_glasses": VALIDATION_GLASSES,
        "measured_sq": {"10B": {"neutron": "10B_neutron.csv"}},
        "settings": {"ring_max_size": 8, "q_step_inv_A": 0.05},
    }
    (tmp / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    cmd = [str(Path(sys.executable).parent / "snakemake"), "--snakefile", str(ROOT / "Snakefile"), "--profile", str(ROOT / "profiles/local"),
           "--configfile", str(tmp / "config.yaml"), "--directory", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return tmp / "results" / "tiny"


def runs(results: Path, stage: str, candidate: str, glass: str) -> list[Path]:
    return [results / stage / "runs" / candidate / glass / f"r{r}" for r in REPLICAS]


def test_validation_sets_are_best_and_start(results):
    validated = pd.read_csv(results / "validation/candidates.csv")
    best = pd.read_csv(results / "final/best.csv").iloc[0]
    assert list(validated["candidate"]) == ["best", "start"]
    assert validated["source"].tolist() == [best["candidate"], "set:wang2018"]
    assert validated.loc[0, "BO_rho_A"] == pytest.approx(best["BO_rho_A"])
    assert sorted(p.name for p in (results / "validation/structures").iterdir()) == VALIDATION_GLASSES


def test_every_validation_run_is_analysed(results):
    for label in ("best", "start"):
        for glass in VALIDATION_GLASSES:
            for run in runs(results, "validation", label, glass):
                props = json.loads((run / "properties.json").read_text())
                assert (props["candidate"], props["glass"]) == (label, glass)
                if props["status"] != "ok":
                    assert (run / "analysis/NOT_ANALYSED.txt").read_text().startswith("not analysed: run failed")
                    continue
                for name in RUN_FILES:
                    assert (run / "analysis" / name).is_file(), run / "analysis" / name
                summary = json.loads((run / "analysis/summary.json").read_text())
                # the analysis counts B4 as the MD run does (B-O cutoff = md.b4_cutoff_A)
                assert summary["B4_fraction"] == pytest.approx(props["B4_mean"], abs=1e-9)
                assert summary["md_density_g_cm3"] == props["density_g_cm3_mean"]


def test_gathered_values_are_replica_means(results):
    for label in ("best", "start"):
        for glass in VALIDATION_GLASSES:
            gathered = json.loads((results / "validation/structure" / label / glass / "summary.json").read_text())
            summaries = [json.loads((run / "analysis/summary.json").read_text()) for run in runs(results, "validation", label, glass)
                         if (run / "analysis/summary.json").exists()]
            for key in ("B4_fraction", "md_density_g_cm3", "mean_angle_X-O-X_deg", "mean_ring_size_T"):
                values = [s[key] for s in summaries]
                assert gathered[key]["n"] == len(values)
                assert gathered[key]["mean"] == pytest.approx(np.mean(values), rel=1e-12)
                if len(values) > 1:
                    assert gathered[key]["std"] == pytest.approx(np.std(values, ddof=1), rel=1e-9, abs=1e-12)
            pdf = pd.read_csv(results / "validation/structure" / label / glass / "pdf.csv")
            assert {"r_A", "g_Si-O_mean", "g_Si-O_std", "g_B-O_mean"} <= set(pdf.columns)


def test_validation_table_and_figures(results):
    table = pd.read_csv(results / "final/structure/validation.csv")
    assert table[["set", "glass"]].values.tolist() == [["best", "10B"], ["start", "10B"]]
    assert table["role"].eq("validation").all() and table["B4_exp"].isna().all()
    gathered = json.loads((results / "validation/structure/best/10B/summary.json").read_text())
    assert table.loc[0, "B4_fraction_mean"] == pytest.approx(gathered["B4_fraction"]["mean"])
    assert table.loc[0, "B2O3_mol_percent"] == 10.0
    assert np.isfinite(table["R_chi_neutron_mean"]).all()  # compared with the measured S(Q)
    for png in [results / "final/structure/10B" / f"{name}.png" for name in GLASS_FIGURES] + [results / "final/structure" / f"{name}.png" for name in TREND_FIGURES]:
        assert png.is_file() and png.stat().st_size > 5000, png
    assert "Validation (best, start side by side on 10B" in (results / "final/summary.md").read_text()  # the summary points there


def test_iteration_runs_get_the_iteration_analyses(results):
    evaluations = pd.read_csv(results / "iter-00/evaluations.csv")
    table = pd.read_csv(results / "final/structure/iterations.csv")
    assert len(table) == len(evaluations) == 2  # the start set and rho_BO +10 %
    run = runs(results, "iter-00", "i00c00", "12B")[0] / "analysis"
    assert (run / "coordination.json").is_file() and not (run / "pdf.csv").exists()
    merged = table.merge(evaluations, on=["candidate", "glass"])
    np.testing.assert_allclose(merged["B4_fraction_mean"], merged["B4_mean"], atol=1e-9)
    np.testing.assert_allclose(merged["md_density_g_cm3_mean"], merged["density_g_cm3_mean"], rtol=1e-12)


def test_the_html_report_holds_every_final_figure(results):
    """`make report` for this campaign: Snakemake's report.zip with every figure of final/, under its category."""
    workdir = results.parents[1]
    proc = subprocess.run(["make", "-C", str(ROOT), "report", f"CONFIG={workdir / 'config.yaml'}", f"WORKDIR={workdir}"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with zipfile.ZipFile(results / "report.zip") as archive:
        names = archive.namelist()
        html = archive.read(next(n for n in names if n.endswith("report.html"))).decode()
        sizes = {n: archive.getinfo(n).file_size for n in names if n.endswith(".png")}
    figures = sorted((results / "final").rglob("*.png"))
    # convergence, properties_vs_B2O3, the parameter ensemble; density and B4 vs B2O3 of the validated sets; structure;
    # pictures of the best and the start set's structures (one per validation glass and a montage each)
    assert len(figures) == 3 + 2 + len(GLASS_FIGURES) + len(TREND_FIGURES) + 2 * (len(VALIDATION_GLASSES) + 1)
    for png in figures:  # each figure, byte for byte (same name and size)
        assert any(n.endswith(f"/{png.name}") and size == png.stat().st_size for n, size in sizes.items()), (png, sorted(sizes))
    for category in ("convergence", "properties", "structure", "validation"):
        assert category in html
