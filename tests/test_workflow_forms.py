"""Potentials other than Buckingham through real Snakemake: the SHIK validation's dry run, and a PMMCS fit end to end.

The PMMCS campaign is config/pmmcs.yaml shrunk until it runs in a few minutes: two sodium silicate glasses fitted
(NS20, NS25), one replica of 150 atoms, a 1.2 ps protocol, 5 A short-range and 5.5 A real-space cutoffs; iteration 0
(start + 3 Sobol points) and one proposed pair of candidates, then the validation of best and start on NS25 and the
validation-only NS40: 14 MD runs.
"""
from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from glassfit import config
from conftest import ROOT, SHORT_PROTOCOL, shipped

pytestmark = [pytest.mark.workflow, pytest.mark.lammps]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [str(SNAKEMAKE), "--snakefile", str(ROOT / "Snakefile"), "--profile", str(ROOT / "profiles/local"),
           "--configfile", str(workdir / "config.yaml"), "--directory", str(workdir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


def job_stats(stdout: str) -> dict[str, int]:
    block = stdout.split("Job stats:")[1].split("Reasons:")[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", block, re.M)}


def test_shik_validation_dry_run_lists_its_runs(tmp_path):
    """config/shik.yaml: SHIK and the two published Buckingham sets on the nine glasses, six replicas: 162 MD runs."""
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(shipped("shik")))
    dry = snakemake(tmp_path, "-n")
    assert dry.returncode == 0, dry.stderr[-3000:]
    stats = job_stats(dry.stdout)
    assert stats["validate_simulate"] == 3 * 9 * 6 and stats["validate_structure"] == 9 * 6
    assert "simulate" not in stats and "propose" not in stats  # validation only


def pmmcs_config() -> dict:
    cfg = shipped("pmmcs")
    cfg["campaign"] = "pmmcs-tiny"
    cfg["glasses"]["use"] = ["NS20", "NS25"]
    cfg["potential"]["cutoff_A"] = 5.0
    cfg["potential"]["electrostatics"]["cutoff_A"] = 5.5
    cfg["potential"]["kspace_accuracy"] = 1e-4
    cfg["system"] = {"atoms": 150, "replicas": 1, "start_density_g_cm3": 2.2, "min_separation_A": 1.6}
    cfg["md"].update(thermo_every_ps=0.05, restart_every_ps=None, protocol=copy.deepcopy(SHORT_PROTOCOL))
    for stage in cfg["md"]["protocol"][:3]:
        stage["T_start_K"] = 4000
    cfg["md"]["protocol"][2]["T_end_K"] = 300
    cfg["learn"] = {"iterations": 2, "candidates_per_iteration": 2, "design": {"sobol_points": 3}, "noise": {"density_g_cm3": 0.03}}
    cfg["analysis"] = {"validation_sets": ["best", "start"], "validation_glasses": ["NS25", "NS40"], "validation_analyses": ["pdf"]}
    return cfg


@pytest.fixture(scope="module")
def pmmcs(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("pmmcs")
    (workdir / "config.yaml").write_text(yaml.safe_dump(pmmcs_config(), sort_keys=False))
    proc = snakemake(workdir)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return workdir / "results" / "pmmcs-tiny"


def test_pmmcs_campaign_fits_two_morse_coefficients_end_to_end(pmmcs):
    campaign = config.resolve(pmmcs_config(), "pmmcs")
    runs = sorted(p.parent.relative_to(pmmcs).as_posix() for p in pmmcs.glob("iter-*/runs/*/*/r0/properties.json"))
    assert len(runs) == (4 + 2) * 2  # start + 3 Sobol points, then 2 proposed, on NS20 and NS25
    props = [json.loads((pmmcs / r / "properties.json").read_text()) for r in runs]
    assert all(p["status"] == "ok" and 1.5 < p["density_g_cm3_mean"] < 3.5 for p in props), [(p["run"], p.get("reason")) for p in props]
    assert all("B4_mean" not in p for p in props)  # no boron: B4 is not a target here
    # the configured Q^n targets are measured in the run's own job, on every production frame
    assert all(0 <= p["Q4_mean"] <= 1 and 0 <= p["Q3_mean"] <= 1 and p["Q4_mean"] + p["Q3_mean"] <= 1 + 1e-9 for p in props)
    assert all(p["n_frames"] >= 2 and set(p["analysis_s"]) == {"neighbours", "Q4", "Q3"} for p in props)
    dataset = pd.read_csv(pmmcs / "iter-01/dataset.csv")
    assert {"NaO_D0_eV", "NaO_r0_A", "density_g_cm3_mean", "Q4_mean", "Q3_mean"} <= set(dataset.columns) and "B4_mean" not in dataset.columns
    proposed = pd.read_csv(pmmcs / "iter-01/candidates.csv")
    for t in campaign.tunables:
        assert proposed[t.name].between(t.low, t.high).all()
    # the proposed values reached LAMMPS: the Na-O pedone coefficients of its in.lammps are the candidate's
    row = proposed.iloc[0]
    line = next(l for l in (pmmcs / f"iter-01/runs/{row['candidate']}/NS20/r0/in.lammps").read_text().splitlines() if l.endswith("# Na-O"))
    d0, alpha, r0, c12 = map(float, line.split()[4:8])
    assert d0 == pytest.approx(row["NaO_D0_eV"], rel=1e-7) and r0 == pytest.approx(row["NaO_r0_A"], rel=1e-7) and alpha == 1.763867
    assert line.split()[:4] == ["pair_coeff", "1", "3", "pedone"]


def test_pmmcs_campaign_reports_and_validates(pmmcs):
    final = pmmcs / "final"
    best = pd.read_csv(final / "best.csv")
    assert {"NaO_D0_eV", "NaO_r0_A", "predicted_objective"} <= set(best.columns)
    assert "pedone" in (final / "potential.lammps").read_text()
    table = pd.read_csv(final / "validation/properties.csv")
    assert set(table["set"]) == {"best", "start"} and set(table["glass"]) == {"NS25", "NS40"}
    assert (final / "validation/density_vs_B2O3.png").is_file() and not (final / "validation/B4_vs_B2O3.png").exists()
    summary = (final / "summary.md").read_text()
    assert "NaO_D0_eV" in summary and "B4" not in summary and "Q4" in summary
    campaign = json.loads((pmmcs / "campaign.json").read_text())
    assert campaign["potential"]["sets"]["pedone2006"]["Na-O"]["form"] == "morse_r12"
