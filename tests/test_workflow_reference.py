"""No wasted MD: an inert glass runs once per campaign, a validation glass never in an iteration (real Snakemake).

A tiny campaign on 0B (fitted, no boron: the B-O parameters cannot change it), 12B (fitted) and 10B (validation
only), two replicas, two iterations (start + 2 Sobol points, then one proposed candidate): 10 MD runs of 150 atoms
and a 1.2 ps protocol, with the iterations' coordination analysis; about a minute and a half on a busy 2-core machine.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from glassfit import campaign as gc, config, learn
from conftest import ROOT, SHORT_PROTOCOL, tiny

pytestmark = [pytest.mark.workflow, pytest.mark.lammps]
REPLICAS = ["r0", "r1"]
OBJECTIVE = {"density_scale_g_cm3": 0.01, "B4_scale": 0.05, "density_weight": 1.0, "B4_weight": 2.0}


def reference_config() -> dict:
    cfg = tiny(**{"glasses.use": ["0B", "12B", "10B"], "system.replicas": len(REPLICAS)})
    cfg["potential"]["tunable"] = [{"pair": "B-O", "term": term, "bounds_rel": [0.0, 0.1]} for term in ("A", "rho")]
    cfg["md"]["protocol"] = copy.deepcopy(SHORT_PROTOCOL)
    cfg["learn"] = {
        "iterations": 2,
        "candidates_per_iteration": 1,
        "design": {"sobol_points": 2, "one_at_a_time": False},
        "surrogate": {"ensemble_size": 3},
        "objective": OBJECTIVE,
    }
    # the final validation (which runs 10B) has its own test; the iterations' structural analysis follows their runs
    cfg["analysis"] = {"validation_analyses": [], "iteration_analyses": ["coordination"]}
    return cfg


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("reference")
    (workdir / "config.yaml").write_text(yaml.safe_dump(reference_config(), sort_keys=False))
    cmd = [str(Path(sys.executable).parent / "snakemake"), "--snakefile", str(ROOT / "Snakefile"), "--profile", str(ROOT / "profiles/local"),
           "--configfile", str(workdir / "config.yaml"), "--directory", str(workdir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return workdir / "results" / "tiny"


def run_dirs(results: Path) -> set[str]:
    """Every MD run of every iteration, as iter-NN/<candidate>/<glass>/r<k>."""
    dirs = (p.parent.relative_to(results).parts for p in results.glob("iter-*/runs/*/*/r*/properties.json"))
    return {"/".join((iteration, *rest)) for iteration, _runs, *rest in dirs}


def test_inert_glass_runs_once_and_validation_glass_never(results):
    runs = run_dirs(results)
    # the boron-free glass: once per replica in the whole campaign, by the start set of iteration 0
    assert sorted(r for r in runs if "/0B/" in r) == [f"iter-00/i00c00/0B/{r}" for r in REPLICAS]
    # the validation glass: never in an iteration (nor its initial structures)
    assert not [r for r in runs if "/10B/" in r] and not (results / "structures/10B").exists()
    # every candidate of every iteration: every replica of the modelled glass
    candidates = {it: pd.read_csv(results / f"iter-{it}/candidates.csv") for it in ("00", "01")}
    assert list(candidates["00"]["kind"]) == ["start", "sobol", "sobol"] and len(candidates["01"]) == 1
    expected = {f"iter-{it}/{c}/12B/{r}" for it, table in candidates.items() for c in table["candidate"] for r in REPLICAS}
    assert runs == expected | {f"iter-00/i00c00/0B/{r}" for r in REPLICAS}
    # the library plans exactly these runs (the same function the workflow's input functions use)
    campaign = config.resolve(reference_config(), "tiny")
    planned = {f"iter-{it}/{c}/{g}/r{r}" for it, table in candidates.items() for c, g, r in gc.iteration_runs(campaign, table, int(it))}
    assert planned == runs
    # evaluations and dataset: one row per candidate x glass that ran
    dataset = pd.read_csv(results / "iter-01/dataset.csv")
    assert sorted(zip(dataset["candidate"], dataset["glass"])) == sorted(
        [(c, "12B") for table in candidates.values() for c in table["candidate"]] + [("i00c00", "0B")]
    )
    assert (dataset["n_ok"] + dataset["n_failed"] == len(REPLICAS)).all()
    # the structural analysis of the iterations: the same candidate x glass pairs
    analysed = pd.read_csv(results / "final/structure/iterations.csv")
    assert sorted(zip(analysed["candidate"], analysed["glass"])) == sorted(zip(dataset["candidate"], dataset["glass"]))


def test_later_candidate_objective_includes_the_reference_glass(results):
    campaign = config.resolve(reference_config(), "tiny")
    dataset = pd.read_csv(results / "iter-01/dataset.csv")
    later = pd.read_csv(results / "iter-01/candidates.csv")["candidate"].iloc[0]
    assert dataset.loc[dataset["candidate"] == later, "glass"].tolist() == ["12B"]  # it never ran 0B
    # the reference: mean over the start set's 0B replicas
    densities = [json.loads((results / f"iter-00/runs/i00c00/0B/{r}/properties.json").read_text())["density_g_cm3_mean"] for r in REPLICAS]
    reference = sum(densities) / len(densities)
    row = dataset[(dataset["candidate"] == later) & (dataset["glass"] == "12B")].iloc[0]
    exp = {g.id: g.measured for g in campaign.glasses}
    inert_term = OBJECTIVE["density_weight"] * ((reference - exp["0B"]["density_g_cm3"]) / OBJECTIVE["density_scale_g_cm3"]) ** 2
    by_hand = (
        inert_term
        + OBJECTIVE["density_weight"] * ((row["density_g_cm3_mean"] - exp["12B"]["density_g_cm3"]) / OBJECTIVE["density_scale_g_cm3"]) ** 2
        + OBJECTIVE["B4_weight"] * ((row["B4_mean"] - exp["12B"]["B4"]) / OBJECTIVE["B4_scale"]) ** 2
    )
    assert learn.objective(dataset, campaign)[later] == pytest.approx(by_hand, rel=1e-9)
    errors = learn.glass_errors(dataset, campaign).set_index(["candidate", "glass"])
    assert errors.loc[(later, "0B"), "density_g_cm3_sim"] == pytest.approx(reference, rel=1e-12)
    assert errors.loc[(later, "0B"), "density_term"] == pytest.approx(inert_term, rel=1e-9)  # not the missing-value penalty
