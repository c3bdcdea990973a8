"""A cost-aware campaign (learn.cost mode screen) through real Snakemake and LAMMPS: only the planned glasses and replicas run.

Tiny campaign, 2 glasses x 2 replicas, screened with 1: iteration 0 runs the start set in full and its four
one-at-a-time steps with one replica each; iteration 1 proposes two new sets (one replica each) and tops up the
screened sets that beat the start set to two replicas (only replica 1 runs: replica 0 is done). 16-20 runs of 1.2 ps.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, SHORT_PROTOCOL, tiny
from test_workflow import snakemake

from glassfit import campaign as gc, config

pytestmark = pytest.mark.workflow


def screen_config() -> dict:
    cfg = tiny()
    cfg["system"]["replicas"] = 2
    cfg["md"]["protocol"] = SHORT_PROTOCOL
    cfg["learn"] = {"iterations": 2, "candidates_per_iteration": 2, "design": {"one_at_a_time": True, "sobol_points": 0},
                    "cost": {"mode": "screen", "screen_replicas": 1, "topups": 2}, "proposer": {"confirm_last": False}}
    cfg["analysis"] = {"validation_analyses": []}
    return cfg


def test_a_screening_campaign_runs_exactly_its_plan(tmp_path):
    cfg = screen_config()
    snakemake(tmp_path, cfg)
    results = tmp_path / "results" / "tiny"
    campaign = config.resolve(cfg, "test")
    found = {(p.parts[-6], *p.parts[-4:-1]) for p in results.glob("iter-*/runs/*/*/r*/properties.json")}
    design = pd.read_csv(results / "iter-00/candidates.csv")
    planned = {(f"iter-00", c, g, f"r{r}") for c, g, r in gc.iteration_runs(campaign, design, 0)}
    assert {x for x in found if x[0] == "iter-00"} == planned
    assert {(c, r) for _, c, g, r in planned} == {("i00c00", "r0"), ("i00c00", "r1"), *((c, "r0") for c in design["candidate"][1:])}
    proposed = pd.read_csv(results / "iter-01/candidates.csv")
    topups = proposed[proposed["kind"] == "topup"]
    confirmed = set(proposed[proposed["kind"] == "confirm"]["candidate"])  # the posterior's best point, in full at once
    assert len(proposed[proposed["kind"] != "topup"]) == 2 and len(topups) >= 1  # the oat steps near the optimum beat the start set
    assert set(proposed["kind"]) <= {"topup", "confirm", "proposed"} and len(confirmed) <= 1
    assert set(topups["candidate"]) <= set(design["candidate"][1:])
    expected = {("iter-01", c, g, f"r{r}") for c, g, r in gc.iteration_runs(campaign, proposed, 1, results)}
    assert {x for x in found if x[0] == "iter-01"} == expected
    assert {r for _, c, g, r in expected if c in set(topups["candidate"])} == {"r1"}  # replica 0 ran in iteration 0
    assert {r for _, c, g, r in expected if c in confirmed} == ({"r0", "r1"} if confirmed else set())
    assert {r for _, c, g, r in expected if c not in set(topups["candidate"]) | confirmed} == {"r0"}
    # the data set pools a topped-up set's runs: one row per set x glass with both replicas
    dataset = pd.read_csv(results / "iter-01/dataset.csv")
    assert not dataset.duplicated(["candidate", "glass"]).any()
    assert (dataset.set_index("candidate").loc[list(topups["candidate"]), "n_ok"] + dataset.set_index("candidate").loc[list(topups["candidate"]), "n_failed"] == 2).all()
    # only a fully run set is reported
    best = pd.read_csv(results / "final/best.csv")
    full = set(topups["candidate"]) | {"i00c00"} | confirmed
    assert best["candidate"].iloc[0] in full and set(best[best["usable"]]["candidate"]) <= full
    status = subprocess.run([str(Path(sys.executable).parent / "glassfit"), "status", "results/tiny"], cwd=tmp_path, capture_output=True, text=True)
    assert f"MD runs: {len(found)} done, 0 failed, 0 pending" in status.stdout, status.stdout + status.stderr
    verify = subprocess.run([str(Path(sys.executable).parent / "glassfit"), "verify", "results/tiny", "--configfile", str(tmp_path / "config.yaml")],
                            cwd=tmp_path, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    # a dry run of the finished campaign plans no MD
    dry = subprocess.run([str(Path(sys.executable).parent / "snakemake"), "-n", "--snakefile", str(ROOT / "Snakefile"), "--configfile",
                          str(tmp_path / "config.yaml"), "--directory", str(tmp_path), "--cores", "1"], capture_output=True, text=True)
    assert dry.returncode == 0 and "simulate" not in dry.stdout, dry.stdout[-2000:]
