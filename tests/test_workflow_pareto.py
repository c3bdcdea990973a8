"""Pareto mode end to end through real Snakemake and LAMMPS: qLogNEHVI proposals, final/pareto.csv and its figure.

A tiny campaign on 12B and 50B with the published Bayesian-optimised set (yang2026_bo) evaluated in iteration 0
beside the start set and two Sobol points, then one proposed candidate: 10 MD runs of 150 atoms.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from glassfit import config
from conftest import ROOT, SHORT_PROTOCOL, tiny

pytestmark = [pytest.mark.workflow, pytest.mark.lammps]


def pareto_config() -> dict:
    cfg = tiny()
    # a named set evaluated in iteration 0 must lie in the search space (no hybrids): tune every parameter it changes
    cfg["potential"]["tunable"] = [{"pair": pair, "term": term, "bounds_rel": bounds} for pair, term, bounds in (
        ("B-O", "A", [-0.1, 0.1]), ("B-O", "rho", [-0.05, 0.1]), ("B-O", "C", [-0.1, 0.1]), ("B-B", "A", [-0.1, 0.15]), ("B-B", "rho", [-0.1, 0.1]))]
    cfg["potential"]["initial_sets"] = ["yang2026_bo"]
    cfg["md"]["protocol"] = copy.deepcopy(SHORT_PROTOCOL)
    cfg["learn"] = {"mode": "pareto", "iterations": 2, "candidates_per_iteration": 1,
                    "design": {"sobol_points": 2}, "proposer": {"num_restarts": 2, "raw_samples": 64}}
    cfg["analysis"] = {"validation_analyses": []}
    return cfg


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("pareto")
    (workdir / "config.yaml").write_text(yaml.safe_dump(pareto_config(), sort_keys=False))
    cmd = [str(Path(sys.executable).parent / "snakemake"), "--snakefile", str(ROOT / "Snakefile"), "--profile",
           str(ROOT / "profiles/local"), "--configfile", str(workdir / "config.yaml"), "--directory", str(workdir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return workdir / "results" / "tiny"


def test_pareto_campaign_ends_with_a_front_and_a_figure(results):
    campaign = config.resolve(pareto_config(), "tiny")
    design = pd.read_csv(results / "iter-00/candidates.csv")
    assert list(design["kind"]) == ["start", "sobol", "sobol", "set:yang2026_bo"]
    proposed = pd.read_csv(results / "iter-01/candidates.csv")
    assert len(proposed) == 1
    for t in campaign.tunables:
        assert proposed[t.name].between(t.low, t.high).all()
    front = pd.read_csv(results / "final/pareto.csv")
    assert set(front["candidate"]) == set(design["candidate"]) | set(proposed["candidate"])
    assert front.set_index("candidate").loc[design["candidate"].iloc[3], "kind"] == "set:yang2026_bo"
    usable = front[front["usable"]]
    assert usable["pareto_optimal"].any()
    terms = usable[["predicted_density_term", "predicted_B4_term"]].to_numpy()
    for (d, b), optimal in zip(terms, usable["pareto_optimal"]):
        dominated = np.any((terms[:, 0] <= d) & (terms[:, 1] <= b) & ((terms[:, 0] < d) | (terms[:, 1] < b)))
        assert dominated != optimal
    assert (results / "final/pareto.png").stat().st_size > 10_000
    assert "pareto.csv" in (results / "final/summary.md").read_text()
