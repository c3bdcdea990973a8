"""Resuming a killed MD run from its restart files: a real LAMMPS run is SIGKILLed mid-quench and resumed.

The resumed run must follow the same protocol on the same timestep axis as an uninterrupted run of the
same spec: identical stage boundaries, thermo steps and trajectory frames, and properties within the scatter
of uninterrupted replicas. Resumed from a periodic restart inside a stage it is not bit-identical after the
restart step: PPPM re-derives its Ewald parameter and grid from the box at the restart step (the box changes
under NPT), and neighbour lists are rebuilt there, so the two trajectories agree to round-off at first and
then diverge chaotically, like two replicas. Resumed from a stage-boundary restart, where the uninterrupted
run re-initialises both too, it is the same run bit for bit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from glassfit import campaign as gc, config, md, protocol
from glassfit.properties import read_thermo
from glassfit.trajectory import read_dump
from conftest import tiny

TESTS = Path(__file__).resolve().parent

#: restart every 0.2 ps of the tiny 3 ps protocol: periodic restarts at steps 200, 400, ... (quench: 1000-2000)
RESTART_PS = 0.2
KILL_AFTER_STEP = 1250  # the periodic restart at 1200, inside the quench, is complete once thermo logs 1200


def spec_of(cfg: dict, root: Path, replica: int = 0) -> md.RunSpec:
    """The tiny run's spec (structure built under ``root``, run directory ``root/run``)."""
    campaign = config.resolve(cfg, "tiny")
    start = {t.name: t.start for t in campaign.tunables}
    structure = root / "structure-in.data"
    if not structure.exists():
        gc.build_structure(campaign, "50B", replica, structure)
    return gc.run_spec(campaign, {"candidate": "i00c00", **start}, "50B", replica, structure, root / "run")


def child(cfg_file: str, root: str) -> None:
    """Entry point of the child process that the test kills: simulate() as a Snakemake job would run it."""
    cfg = json.loads(Path(cfg_file).read_text())
    md.simulate(spec_of(cfg, Path(root)), gc.launcher(config.resolve(cfg, "tiny")))


def last_logged_step(log: Path) -> int:
    steps = read_thermo(log)
    return int(steps["step"].max()) if len(steps) else -1


def kill_mid_quench(cfg: dict, root: Path) -> None:
    """Start simulate() in its own process group and SIGKILL the whole group (Python and LAMMPS) mid-quench."""
    root.mkdir(parents=True, exist_ok=True)
    spec_of(cfg, root)  # build the structure before the clock starts
    (root / "config.json").write_text(json.dumps(cfg))
    code = f"import sys; sys.path.insert(0, {str(TESTS)!r}); import test_restart; test_restart.child({str(root / 'config.json')!r}, {str(root)!r})"
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = root / "run" / "log.lammps"
    deadline = time.monotonic() + 120
    try:
        while last_logged_step(log) < KILL_AFTER_STEP:
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "the run did not reach the quench in time"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def stage_markers(logs: list[Path]) -> list[str]:
    """The distinct ``glassfit stage NAME BEGIN END`` lines of a run's logs, in order."""
    seen: list[str] = []
    for log in logs:
        for line in log.read_text().splitlines():
            if line.startswith("glassfit stage") and line not in seen:
                seen.append(line)
    return seen


def simulate(cfg: dict, root: Path, replica: int = 0) -> dict:
    return md.simulate(spec_of(cfg, root, replica), gc.launcher(config.resolve(cfg, "tiny")))


#: the tiny protocol with restarts every 0.2 ps, and the same keeping its restart files
CFG = tiny(**{"md.restart_every_ps": RESTART_PS})
KEPT = tiny(**{"md.restart_every_ps": RESTART_PS, "md.keep_restarts": True})
BOUNDARY_FILES = {f"md.{end}.restart" for end in (500, 1000, 2000, 2500, 3000)}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[dict, Path]:
    """An uninterrupted run of the tiny spec that keeps its restart files: its properties and run directory."""
    root = tmp_path_factory.mktemp("reference")
    return simulate(KEPT, root), root / "run"


@pytest.mark.lammps
def test_killed_run_resumes_from_its_last_restart(tmp_path, reference):
    ref, ref_wd = reference
    kill_mid_quench(CFG, tmp_path)
    wd = tmp_path / "run"
    assert not (wd / "properties.json").exists() and (wd / md.STATE).exists()
    resumed = simulate(CFG, tmp_path)

    # the same attempt, continued from a periodic restart inside the quench (steps 1000-2000)
    assert resumed["status"] == ref["status"] == "ok", (resumed["reason"], ref["reason"])
    assert [a["protocol"] for a in resumed["attempts"]] == ["standard"]
    assert resumed["n_resumes"] == 1 and ref["n_resumes"] == 0
    (step,) = resumed["resumed_from_steps"]
    assert 1200 <= step < 2000 and step % 200 == 0

    # restart files: deleted after success, kept with md.keep_restarts
    assert not (wd / "restart").exists()
    assert {p.name for p in (ref_wd / "restart").glob("*.restart")} == {"md.a.restart", "md.b.restart", *BOUNDARY_FILES}

    # stage boundaries: the same stage markers and the same step range per stage
    logs = [wd / "log.lammps", wd / "log.resume1.lammps"]
    assert stage_markers(logs) == stage_markers([ref_wd / "log.lammps"])
    thermo, ref_thermo = pd.read_csv(wd / "thermo.csv"), pd.read_csv(ref_wd / "thermo.csv")
    ranges = lambda t: t.groupby("stage", sort=False)["step"].agg(["min", "max"])  # noqa: E731
    pd.testing.assert_frame_equal(ranges(thermo), ranges(ref_thermo))

    # one continuous thermo series: every 50 steps from 0 to 3000, none twice, none missing
    assert thermo["step"].tolist() == list(range(0, 3001, 50)) == ref_thermo["step"].tolist()

    # before the restart step the two runs are the same run, bit for bit
    before = thermo["step"] <= step
    pd.testing.assert_frame_equal(thermo[before], ref_thermo[before])
    # at the restart step the resumed LAMMPS sees the state of the restart file: same velocities and box;
    # energy to PPPM accuracy (its Ewald parameter is re-derived from the box at the restart step)
    setup = read_thermo(wd / "log.resume1.lammps").iloc[0]
    ref_at = ref_thermo.set_index("step")
    assert setup["step"] == step and setup["T_K"] == pytest.approx(ref_at.loc[step, "T_K"], rel=1e-9)
    assert setup["volume_A3"] == pytest.approx(ref_at.loc[step, "volume_A3"], rel=1e-9)
    assert setup["pe_eV"] == pytest.approx(ref_at.loc[step, "pe_eV"], rel=1e-5)
    # the Nose-Hoover chain and barostat state came back from the restart file (same fix ID): one thermo
    # interval later T and V agree to ~1e-4 (a fresh fix in its place is off by ~4 % in T, ~1 % in V)
    later = thermo.set_index("step").loc[step + 50]
    assert later["T_K"] == pytest.approx(ref_at.loc[step + 50, "T_K"], rel=1e-3)
    assert later["volume_A3"] == pytest.approx(ref_at.loc[step + 50, "volume_A3"], rel=3e-3)
    assert "Resetting global fix info from restart file" in (wd / "log.resume1.lammps").read_text()

    # trajectory: the same frames, each once
    frames, ref_frames = read_dump(wd / "trajectory.dump"), read_dump(ref_wd / "trajectory.dump")
    assert [f.timestep for f in frames] == [f.timestep for f in ref_frames] == [2600, 2700, 2800, 2900, 3000]
    assert resumed["n_frames"] == ref["n_frames"] == 5

    # properties within replica noise: the runs diverge after the restart (module docstring), so the
    # density means must agree within 3 standard deviations of the density's fluctuation in the stage,
    # and B4 within 0.15 (about 6 of the 38 boron atoms of this 150-atom glass)
    noise_rho = 3 * max(resumed["density_g_cm3_std"], ref["density_g_cm3_std"])
    assert abs(resumed["density_g_cm3_mean"] - ref["density_g_cm3_mean"]) < noise_rho
    assert abs(resumed["B4_mean"] - ref["B4_mean"]) < 0.15

    # ... and within the scatter of uninterrupted replicas (own structures and seeds), which is what a resumed
    # run is: the same glass, an independent sample of it
    runs = [ref, *(simulate(CFG, tmp_path / f"replica-{r}", r) for r in (1, 2, 3))]
    for key in ("density_g_cm3_mean", "B4_mean"):
        values = pd.Series([r[key] for r in runs])
        assert abs(resumed[key] - values.mean()) <= 3 * values.std(), (key, resumed[key], values.tolist())


def killed_copy(reference: tuple[dict, Path], root: Path, remove: list[str]) -> Path:
    """A copy of the finished reference run as a kill would have left it, less the restart files in ``remove``."""
    shutil.copytree(reference[1], root / "run")
    shutil.copyfile(reference[1].parent / "structure-in.data", root / "structure-in.data")
    for name in ("properties.json", "final.data", "thermo.csv", *remove):
        (root / "run" / name).unlink()
    return root / "run"


@pytest.mark.lammps
@pytest.mark.parametrize(
    "case, expected_step, expected_lines",
    [
        # newest restart: the periodic one at the very end (zero-step continuation, no frame written again)
        ("end", 3000, ["run 3000 upto start 2500 stop 3000", "dump_modify traj append yes delay 3001"]),
        # the newest periodic restart is cut short: the one before it, in production past the first frame
        ("cut", 2800, ["run 3000 upto start 2500 stop 3000", "dump_modify traj append yes delay 2801"]),
        # only stage-boundary files: production starts afresh from the end of relax_npt
        ("boundary", 2500, ["run 2600 upto start 2500 stop 3000", "dump_modify traj append yes delay 2501"]),
    ],
)
def test_resume_in_production_writes_each_frame_once(tmp_path, reference, case, expected_step, expected_lines):
    ref, ref_wd = reference
    launcher = gc.launcher(config.resolve(KEPT, "tiny"))
    newest, older = sorted(protocol.TOGGLE_RESTARTS, key=lambda name: md.restart_step(launcher, ref_wd, name), reverse=True)
    remove = {"end": ["restart/md.3000.restart"], "cut": ["restart/md.3000.restart"], "boundary": ["restart/md.3000.restart", *protocol.TOGGLE_RESTARTS]}[case]
    wd = killed_copy(reference, tmp_path, remove)
    if case == "cut":
        data = (wd / newest).read_bytes()
        (wd / newest).write_bytes(data[: len(data) // 2])
    props = simulate(KEPT, tmp_path)
    assert props["status"] == "ok" and props["resumed_from_steps"] == [expected_step], props
    text = (wd / "in.resume1.lammps").read_text()
    assert all(line in text for line in expected_lines), text
    assert [f.timestep for f in read_dump(wd / "trajectory.dump")] == [2600, 2700, 2800, 2900, 3000]
    assert props["n_frames"] == 5 and pd.read_csv(wd / "thermo.csv")["step"].tolist() == list(range(0, 3001, 50))
    if case == "cut":
        assert f"read_restart {older}" in text  # the older toggle file
    if case == "boundary":
        # resumed from a stage boundary, where the uninterrupted run also re-initialised PPPM and rebuilt its
        # neighbour lists: the same run, bit for bit (a periodic restart inside a stage gives a replica instead)
        pd.testing.assert_frame_equal(pd.read_csv(wd / "thermo.csv"), pd.read_csv(ref_wd / "thermo.csv"))
        assert (props["density_g_cm3_mean"], props["B4_mean"]) == (ref["density_g_cm3_mean"], ref["B4_mean"])


def _log(rows: list[tuple[str, list[int]]], partial: str = "") -> str:
    """A LAMMPS-like log: for each (stage, steps) a stage marker and one run's thermo block."""
    out = []
    for stage, steps in rows:
        out += [f"print 'glassfit stage {stage} 0 0'", f"glassfit stage {stage} 0 0", "   Step          Time          Temp"]
        out += [f"{s:8d} {s / 1000:8.3f} {1000.0 + s:12.4f}" for s in steps]
        out.append("Loop time of 1.0 on 1 procs for 1 steps with 150 atoms")
    return "\n".join(out) + "\n" + partial


def test_thermo_of_resumed_logs_is_one_series(tmp_path):
    """Each log supersedes the rows its predecessor wrote after its first step; repeated steps keep the first row."""
    first = tmp_path / "log.lammps"
    first.write_text(_log([("melt", [0, 50, 100]), ("quench", [100, 150, 200, 250])], partial="     300  0.3  13"))
    second = tmp_path / "log.resume1.lammps"
    second.write_text(_log([("quench", [200, 250, 300]), ("relax", [300, 350])]))
    third = tmp_path / "log.resume2.lammps"  # resumed from an older restart than the second
    third.write_text(_log([("quench", [250, 300]), ("relax", [300, 350, 400])]))
    thermo = read_thermo([first, second, third])
    assert thermo["step"].tolist() == [0, 50, 100, 150, 200, 250, 300, 350, 400]
    assert thermo["stage"].tolist() == ["melt"] * 3 + ["quench"] * 4 + ["relax"] * 2
    assert read_thermo(first)["step"].tolist() == [0, 50, 100, 150, 200, 250]  # the cut-short line is no row
    assert read_thermo([tmp_path / "missing.lammps"]).empty


def test_truncate_dump_keeps_frames_up_to_the_step(tmp_path):
    dump = tmp_path / "trajectory.dump"
    frame = "ITEM: TIMESTEP\n{}\nITEM: NUMBER OF ATOMS\n1\nITEM: BOX BOUNDS pp pp pp\n0 1\n0 1\n0 1\nITEM: ATOMS id type x y z\n1 1 0.5 0.5 0.5\n"
    dump.write_text("".join(frame.format(s) for s in (100, 200, 300)) + "ITEM: TIMESTEP\n4")
    md.truncate_dump(dump, 200)
    assert [f.timestep for f in read_dump(dump)] == [100, 200] and dump.read_text().endswith("0.5\n")
    md.truncate_dump(dump, 50)
    assert dump.read_text() == ""


def test_state_of_another_protocol_is_not_resumed(tmp_path):
    spec = spec_of(CFG, tmp_path)
    spec.workdir.mkdir()
    state = md._begin(spec, spec.protocol, "standard", [])
    md.write_json(spec.workdir / md.STATE, state)
    assert md._unfinished(spec) == state
    changed = spec_of(tiny(**{"md.restart_every_ps": RESTART_PS, "md.thermostat_damp_ps": 0.2}), tmp_path)
    assert md._unfinished(changed) is None  # a changed config: its restart files are not this protocol's
    (spec.workdir / "properties.json").write_text("{}")
    assert md._unfinished(spec) is None  # a finished run is not resumed
