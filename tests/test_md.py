"""Real LAMMPS runs through the real runner: physics sanity, failure handling, and B4's response to rho_BO."""

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from glassfit import campaign as gc, config
from glassfit.trajectory import read_dump
from conftest import tiny

pytestmark = pytest.mark.lammps


def run(campaign: dict, workdir, glass="50B", replica=0, **values):
    start = {t.name: t.start for t in campaign.tunables}
    candidate = {"candidate": "i00c00", **start, **values}
    structure = workdir / "structure-in.data"
    gc.build_structure(campaign, glass, replica, structure)
    spec = gc.run_spec(campaign, candidate, glass, replica, structure, workdir / "run")
    return gc.md.simulate(spec, gc.launcher(campaign))


def test_tiny_run_is_physically_sane(tmp_path):
    campaign = config.resolve(tiny(), "tiny")
    props = run(campaign, tmp_path)
    wd = tmp_path / "run"
    assert props["status"] == "ok", props["reason"]
    assert json.loads((wd / "properties.json").read_text()) == json.loads(json.dumps(props))
    assert props["charge_e"] == 0 and props["n_atoms"] == sum(props["atoms"].values())
    assert 1.5 < props["density_g_cm3_mean"] < 3.5 and np.isfinite(props["density_g_cm3_std"])
    assert 0.0 <= props["B4_mean"] <= 1.0
    assert props["ns_per_day"] > 0 and props["wall_time_s"] > 0
    frames = read_dump(wd / "trajectory.dump")
    assert len(frames) == props["n_frames"] == 5  # 0.5 ps production, a frame every 0.1 ps
    assert [f.timestep for f in frames] == [2600, 2700, 2800, 2900, 3000]
    assert all(len(f.ids) == props["n_atoms"] for f in frames)
    thermo = pd.read_csv(wd / "thermo.csv")
    assert list(thermo["stage"].unique()) == ["melt_nvt", "melt_npt", "quench", "relax_npt", "production"]
    assert np.isfinite(thermo.drop(columns="stage").to_numpy()).all()
    temperature = thermo.groupby("stage")["T_K"].mean()
    assert temperature["melt_npt"] > 2000 and temperature["production"] < 600  # melted, then quenched
    for name in ("in.lammps", "log.lammps", "final.data"):
        assert (wd / name).exists()
    assert "stencil order = 7" in (wd / "log.lammps").read_text()  # potential.kspace_order reaches LAMMPS
    assert thermo["step"].is_monotonic_increasing and thermo["step"].is_unique  # one row per thermo step
    # restart files (md.restart_every_ps defaults to 10 ps: here only the stage ends) are gone after success
    assert props["n_resumes"] == 0 and props["resumed_from_steps"] == [] and not (wd / "restart").exists()


def test_blow_up_is_retried_then_recorded(tmp_path):
    campaign = config.resolve(tiny(**{"md.max_volume_factor": 1.0001}), "tiny")
    props = run(campaign, tmp_path)
    assert props["status"] == "failed"
    assert [a["protocol"] for a in props["attempts"]] == ["standard", "preconditioned"]
    assert "volume diverged" in props["reason"] and props["density_g_cm3_mean"] is None
    assert (tmp_path / "run" / "attempt-1" / "log.lammps").exists()


def test_lammps_error_is_recorded(tmp_path):
    campaign = config.resolve(tiny(**{"md.fallback": []}), "tiny")
    structure = tmp_path / "s.data"
    structure.write_text("not a data file\n")
    start = {t.name: t.start for t in campaign.tunables}
    spec = gc.run_spec(campaign, {"candidate": "i00c00", **start}, "50B", 0, structure, tmp_path / "run")
    props = gc.md.simulate(spec, gc.launcher(campaign))
    assert props["status"] == "failed" and props["reason"].startswith("standard: ERROR")


def test_b4_follows_rho_BO(tmp_path):
    """Published MD: rho_BO -5 % gives B4 = 0, +10 % gives B4 ~ 0.9; a short quench must show the same order."""
    cfg = tiny(**{"system.atoms": 300, "potential.cutoff_A": 6.5, "glasses.use": ["24B"]})
    cfg["md"]["protocol"][2]["duration_ps"] = 4.0
    cfg["md"]["protocol"][4].update(duration_ps=2.0, dump_every_ps=0.2)
    campaign = config.resolve(cfg, "tiny")
    rho = next(t for t in campaign.tunables if t.name == "BO_rho_A")
    variants = {"low": rho.start * 0.95, "start": rho.start, "high": rho.start * 1.10}
    with ThreadPoolExecutor(2) as pool:
        futures = {k: pool.submit(run, campaign, tmp_path / k, "24B", 0, BO_rho_A=v) for k, v in variants.items()}
        for k in variants:
            (tmp_path / k).mkdir(exist_ok=True)
        b4 = {k: f.result()["B4_mean"] for k, f in futures.items()}
    assert b4["low"] < b4["start"] < b4["high"], b4
    assert b4["low"] < 0.2 and b4["high"] > 0.6, b4
