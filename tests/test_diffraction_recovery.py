"""Diffraction data as a fitting target, proved by recovery: fit two PMMCS parameters to a T(r) made at known values.

Data: the "measured" neutron T(r) of NS25 (config/silicate_glasses.csv) is made by one real LAMMPS run of PMMCS at
KNOWN parameters, Si-O r0 = start x 1.025 = 2.1525 A and Na-O r0 = start x 0.96 = 2.8861 A (:data:`TRUTH_REL`), on a
larger glass than the campaign's (1200 atoms, its own structure and velocity seeds), same protocol: its partial g(r)
broadened to an experiment's resolution (Q_max 16 1/A, Lorch; glassfit.analysis.measured.simulated_t) plus Gaussian
noise of 1 % of the largest T(r), written on 0.02 A steps as a two-column r, T(r) file.

Campaign: real Snakemake, LAMMPS and BoTorch, with that data set as its ONLY target (Wright's R_chi over 1.0-3.5 A, the
first shells: Si-O 1.6 A, Na-O 2.3 A, O-O 2.6 A), tuning Si-O r0 in +/-5 % and Na-O r0 in +/-8 % of the start: start
+ 5 Sobol points, then 5 iterations of 3 proposed candidates (the last led by the posterior's minimiser), no early
stop; one 600-atom replica each, tests/conftest.py's SHORT_PROTOCOL melting at 4000 K with 0.5 ps of production (1.5
ps in all): 21 MD runs, about 4 minutes on 2 free cores (5-6 with the cores shared).

Tolerance: the reported set (final/best.csv, first row: what a user gets) lies within :data:`TOLERANCE` of the truth
per parameter, as a fraction of its box width: 0.05 for Si-O r0 (0.25 % of r0, 0.005 A), 0.125 for Na-O r0 (2 % of
r0, 0.06 A). The start set is 0.25 box widths off in both (outside both tolerances, by 5x and 2x), and so is the
nearest box edge, so neither the start nor an optimiser that runs into a bound passes. Why these: against data made
the same way at Na-O r0 = start x 0.97, single 600-atom runs at the Si-O truth (4 seeds per point, spread +/-0.004)
give R_chi 0.050-0.052 at the Na-O truth, 0.055-0.063 at 2 % off it and 0.069-0.076 at 4 % off: the data resolve
Na-O r0 to about 2 % (its peak is broad and overlaps O-O); Si-O r0 1 % off more than doubles R_chi (the tallest peak). A narrower Na-O box (+/-5 %, truth 2 % from its edge) let the campaign
park on the bound.

Measured while developing (tolerance-free figures, box widths off truth, Si-O / Na-O, 21 runs each): campaign seed
20260301 (this test's) 0.001 / 0.000; 777: 0.018 / 0.028; 2024: 0.013 / 0.010; 42: 0.018 / 0.034; 11: 0.003 / 0.019.
Worst 0.018 / 0.034 (Na-O 0.5 % of r0), against tolerances 0.05 / 0.125. Reported set's R_chi 0.046-0.056, start
set's 0.235-0.254. Earlier designs that did not hold: 300-atom runs with 1 ps production (R_chi noise as large as
the Na-O signal); 15 runs (one seed of eight never sampled the Na-O valley: 0.28 box off).
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from glassfit import campaign as gc, config, md
from glassfit.analysis.core import FrameContext, resolve_settings
from glassfit.analysis.measured import MeasuredSet, simulated_t
from glassfit.analysis.pdf import PDFAccumulator
from glassfit.trajectory import iter_dump
from conftest import ROOT, SHORT_PROTOCOL, shipped

pytestmark = [pytest.mark.workflow, pytest.mark.lammps]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"

GLASS = "NS25"
#: the tunables: their box (+/- fraction of the start) and the generating values (fraction of the start)
BOX_REL = {"Si-O": 0.05, "Na-O": 0.08}
TRUTH_REL = {"SiO_r0_A": 0.025, "NaO_r0_A": -0.04}
#: the largest distance from the truth of the reported set, as a fraction of the box width, per parameter
TOLERANCE = {"SiO_r0_A": 0.05, "NaO_r0_A": 0.125}
Q_MAX, NOISE, R_RANGE = 16.0, 0.01, (1.0, 3.5)
CAMPAIGN_ATOMS, TRUTH_ATOMS, PRODUCTION_PS = 600, 1200, 0.5
SEED = 20260301
#: start + 5 Sobol points, then 5 iterations of 3 proposed candidates (the last batch led by the posterior's minimiser,
#: learn.proposer.confirm_last); patience = iterations: no early stop, so the cost is fixed
LEARN = {"iterations": 6, "candidates_per_iteration": 3, "design": {"sobol_points": 5}, "convergence": {"patience": 6}}


def glass_table(path: Path) -> Path:
    """NS25's composition alone: a campaign refuses measured columns (density, Q4, Q3) that none of its targets names."""
    table = pd.read_csv(ROOT / "config/silicate_glasses.csv", comment="#")
    table[table["id"] == GLASS][["id", "SiO2", "Na2O", "role"]].to_csv(path, index=False)
    return path


def base_config(atoms: int, seed: int = SEED) -> dict:
    """config/pmmcs.yaml shrunk as in tests/test_workflow_forms.py, tuning Si-O r0 and Na-O r0, on NS25 alone."""
    cfg = shipped("pmmcs")
    cfg.update(campaign="rchi-recovery", seed=seed)
    cfg["glasses"]["use"] = [GLASS]
    cfg["potential"].update(cutoff_A=5.0, kspace_accuracy=1e-4,
                            tunable=[{"pair": p, "term": "r0", "bounds_rel": [-b, b]} for p, b in BOX_REL.items()])
    cfg["potential"]["electrostatics"]["cutoff_A"] = 5.5
    cfg["system"] = {"atoms": atoms, "replicas": 1, "start_density_g_cm3": 2.2, "min_separation_A": 1.6}
    cfg["md"].update(thermo_every_ps=0.05, restart_every_ps=None, protocol=copy.deepcopy(SHORT_PROTOCOL))
    for stage in cfg["md"]["protocol"][:3]:
        stage["T_start_K"] = 4000
    cfg["md"]["protocol"][2]["T_end_K"] = 300
    cfg["md"]["protocol"][4]["duration_ps"] = PRODUCTION_PS
    cfg["analysis"] = {"validation_sets": []}
    return cfg


def fit_config(table: Path, data: Path, seed: int = SEED) -> dict:
    """The campaign: the diffraction distance to ``data`` its only target."""
    cfg = base_config(CAMPAIGN_ATOMS, seed)
    cfg["glasses"]["table"] = str(table)
    # noise: the spread of one set's R_chi over MD seeds at this size (measured +/-0.004 near the truth)
    cfg["targets"] = [{"name": "Rchi", "kind": "diffraction", "measured": "neutron", "scale": 0.02, "noise": 0.005}]
    cfg["learn"] = copy.deepcopy(LEARN)
    cfg["analysis"]["measured_sq"] = {GLASS: {"neutron": {"file": str(data), "quantity": "T(r)", "radiation": "neutron",
                                                          "q_max_inv_A": Q_MAX, "modification": "lorch", "r_range_A": list(R_RANGE)}}}
    return cfg


def truth_values(campaign) -> dict[str, float]:
    return {t.name: t.start * (1 + TRUTH_REL[t.name]) for t in campaign.tunables}


def measured_data(workdir: Path, seed: int = SEED) -> tuple[Path, dict]:
    """One real LAMMPS run at the truth (TRUTH_ATOMS atoms, replica 7), its neutron T(r) at Q_MAX with noise: the data file."""
    campaign = config.resolve(base_config(TRUTH_ATOMS, seed))
    values = truth_values(campaign)
    run = workdir / "truth"
    gc.build_structure(campaign, GLASS, 7, workdir / "truth.data")
    spec = gc.run_spec(campaign, {"candidate": "truth", **values}, GLASS, 7, workdir / "truth.data", run)
    props = md.simulate(spec, gc.launcher(campaign))
    assert props["status"] == "ok", props.get("reason")
    elements = gc.elements(campaign)
    settings = resolve_settings(None)
    pdf = PDFAccumulator(settings, elements)
    for frame in iter_dump(run / "trajectory.dump"):
        pdf.add(FrameContext(frame, elements, settings, 2.0, None))
    result = pdf.result()
    r = np.arange(0.5, result["table"]["r_A"].max() - 0.5, 0.02)
    t = simulated_t(result["table"], result["meta"]["concentrations"], result["meta"]["number_density_inv_A3"],
                    MeasuredSet(path="", radiation="neutron", quantity="T(r)", q_max_inv_A=Q_MAX, modification="lorch"), r)
    t += np.random.default_rng(seed).normal(0.0, NOISE * t.max(), t.shape)
    path = workdir / "t_neutron.dat"
    np.savetxt(path, np.column_stack([r, t]), fmt="%.5f", header=f"r_A T(r): PMMCS {GLASS} at {values}, Q_max {Q_MAX} lorch, noise {NOISE} x max")
    return path, props


def snakemake(workdir: Path) -> subprocess.CompletedProcess:
    cmd = [str(SNAKEMAKE), "--snakefile", str(ROOT / "Snakefile"), "--profile", str(ROOT / "profiles/local"),
           "--configfile", str(workdir / "config.yaml"), "--directory", str(workdir)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


def recover(workdir: Path, seed: int = SEED) -> dict:
    """Make the data, run the campaign; the figures of the recovery."""
    t0 = time.perf_counter()
    data, truth_props = measured_data(workdir, seed)
    t_data = time.perf_counter() - t0
    cfg = fit_config(glass_table(workdir / "glasses.csv"), data, seed)
    (workdir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    proc = snakemake(workdir)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    campaign = config.resolve(cfg)
    results = workdir / "results" / campaign.name
    props = [json.loads(p.read_text()) for p in sorted(results.glob("iter-*/runs/*/*/r*/properties.json"))]
    best = pd.read_csv(results / "final/best.csv")
    dataset = pd.read_csv(sorted(results.glob("iter-*/dataset.csv"))[-1]).set_index("candidate")
    truth = truth_values(campaign)
    width = {t.name: t.high - t.low for t in campaign.tunables}
    reported = best.iloc[0]
    start = dataset.loc["i00c00"]
    return {
        "campaign": campaign, "props": props, "best": best, "dataset": dataset, "truth": truth, "truth_run": truth_props,
        "reported": reported, "start": start,
        "distance": {n: abs(reported[n] - truth[n]) / width[n] for n in truth},
        "start_distance": {n: abs(start[n] - truth[n]) / width[n] for n in truth},
        "wall_s": time.perf_counter() - t0, "data_s": t_data,
    }


@pytest.fixture(scope="module")
def recovery(tmp_path_factory):
    return recover(tmp_path_factory.mktemp("rchi"))


def report(r: dict) -> str:
    rec, start = r["reported"], r["start"]
    lines = [f"diffraction recovery: {len(r['props'])} campaign MD runs + 1 data run ({r['data_s']:.0f} s), {r['wall_s']:.0f} s in all"]
    for n, truth in r["truth"].items():
        lines.append(f"  {n}: truth {truth:.4f}, reported {rec[n]:.4f} ({r['distance'][n]:.3f} box widths off, tolerance {TOLERANCE[n]}), "
                     f"start {start[n]:.4f} ({r['start_distance'][n]:.3f} off)")
    lines.append(f"  R_chi: reported set {r['dataset'].loc[rec['candidate'], 'Rchi_mean']:.4f} ({rec['candidate']}), start {start['Rchi_mean']:.4f}")
    return "\n".join(lines)


def test_campaign_fitting_only_r_chi_recovers_the_generating_parameters(recovery):
    print("\n" + report(recovery))
    props = recovery["props"]
    # start + Sobol points, then the proposed candidates of each later iteration; one glass, one replica
    assert len(props) == 1 + LEARN["design"]["sobol_points"] + (LEARN["iterations"] - 1) * LEARN["candidates_per_iteration"]
    assert all(p["status"] == "ok" for p in props), [(p["run"], p.get("reason")) for p in props]
    assert all(p["Rchi_mean"] is not None and p["Rchi_mean"] > 0 for p in props)
    assert [t.name for t in recovery["campaign"].targets] == ["Rchi"]
    # finding the truth is not free: the start set is outside the tolerance in both parameters
    assert all(recovery["start_distance"][n] > TOLERANCE[n] for n in TOLERANCE)
    assert all(recovery["distance"][n] <= TOLERANCE[n] for n in TOLERANCE), report(recovery)
    rchi = recovery["dataset"]["Rchi_mean"]
    assert rchi[recovery["reported"]["candidate"]] < recovery["start"]["Rchi_mean"] / 3  # measured: 0.046-0.056 vs 0.235-0.254
