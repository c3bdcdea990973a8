"""One melt-quench MD run: render the input, run LAMMPS, resume it after a kill, retry once pre-conditioned, measure.

A run always ends with ``properties.json``: measured properties when it succeeded, the reason when it
failed. Files of a failed first attempt are kept under ``attempt-1/`` for inspection.

A job killed mid-protocol (walltime, node failure, scancel) leaves restart files under ``restart/`` and
the attempt's state in ``restart/state.json``; the next :func:`simulate` of the same run continues the
same attempt from the newest readable restart file instead of starting over.
"""

from __future__ import annotations

import hashlib
import math
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from glassfit import lammps
from glassfit.files import read_json, write_json
from glassfit.model import Observable
from glassfit.properties import failure_reason, mean_std, read_thermo, stage_rows
from glassfit.protocol import TOGGLE_RESTARTS, MDSettings, Stage, render, render_resume, total_ps

#: files one attempt writes in the run directory (a resumed attempt adds in/log.resume<N>.lammps)
ATTEMPT_FILES = ("in.lammps", "log.lammps", "screen.txt", "thermo.csv", "trajectory.dump", "final.data")
RESTART_DIR = "restart"
STATE = "restart/state.json"
_BOUNDARY = re.compile(r"^md\.(\d+)\.restart$")
PROBE_TIMEOUT_S = 300  # reading one restart file takes well under a second; a hang means it is unusable
_PROBED = re.compile(r"^glassfit restart step (\d+)\s*$", re.M)


@dataclass
class RunSpec:
    """Everything one run needs; built by the workflow from the config and the job's wildcards."""

    run_id: str
    workdir: Path
    structure: Path
    potential_lines: list[str]
    protocol: list[Stage]
    fallback: list[Stage]
    settings: MDSettings
    velocity_seed: int
    elements: list[str]
    observables: dict[str, Observable] = field(default_factory=dict)  # what the run measures for its targets, by target name
    analysis: dict = field(default_factory=dict)  # the campaign's analysis settings (g(r) binning for diffraction targets)
    measured: dict[str, dict] = field(default_factory=dict)  # the glass's measured diffraction data sets by name (as_dicts)
    ranks: int = 1
    keep_restarts: bool = False
    metadata: dict = field(default_factory=dict)
    potential_files: dict[str, str] = field(default_factory=dict)  # files the potential lines name (tables), by name


@dataclass(frozen=True)
class Checkpoint:
    """A readable restart file: its path in the run directory, its timestep, and whether it was written inside a stage."""

    path: str
    step: int
    inside_stage: bool  # periodic restart (holds the stage's thermostat state), not a stage-boundary one


def _plans(spec: RunSpec) -> list[tuple[str, list[Stage]]]:
    """The attempts in order: the protocol, then the pre-conditioned protocol when a fallback exists."""
    plans = [("standard", spec.protocol)]
    if spec.fallback:
        plans.append(("preconditioned", spec.fallback + spec.protocol))
    return plans


def _segment_files(n: int) -> tuple[str, str]:
    """Input and log of the n-th LAMMPS launch of an attempt (0: the first, n: the n-th resumption)."""
    return ("in.lammps", "log.lammps") if n == 0 else (f"in.resume{n}.lammps", f"log.resume{n}.lammps")


def _attempt_files(wd: Path) -> list[Path]:
    """The files of the current attempt that exist in the run directory."""
    resumed = sorted(wd.glob("*.resume*.lammps"))
    return [wd / name for name in ATTEMPT_FILES if (wd / name).exists()] + resumed


def data_volume_A3(path: Path) -> float | None:
    """Box volume of a LAMMPS data file (orthogonal box) from its header; None without one (LAMMPS then says why)."""
    lengths = {}
    for line in path.read_text(errors="replace").splitlines()[:50]:
        tokens = line.split()
        if len(tokens) >= 4 and tokens[2:4] in (["xlo", "xhi"], ["ylo", "yhi"], ["zlo", "zhi"]):
            lengths[tokens[2]] = float(tokens[1]) - float(tokens[0])
    return math.prod(lengths.values()) if len(lengths) == 3 else None


def _original_input(spec: RunSpec, stages: list[Stage], label: str) -> str:
    header = f"glassfit run {spec.run_id}, protocol {label}"
    volume = data_volume_A3(spec.structure)
    return render(stages, spec.settings, spec.potential_lines, "structure.data", spec.velocity_seed, header, volume)


def _fingerprint(spec: RunSpec, stages: list[Stage], label: str) -> str:
    """What makes restart files reusable: the attempt's input and its initial structure."""
    digest = hashlib.sha256(_original_input(spec, stages, label).encode())
    digest.update(spec.structure.read_bytes())
    return digest.hexdigest()


def _unfinished(spec: RunSpec) -> dict | None:
    """The state of an unfinished attempt of this run's protocol, when there is one to resume."""
    wd = spec.workdir
    if (wd / "properties.json").exists() or not (wd / STATE).exists():
        return None
    state = read_json(wd / STATE)
    stages = dict(_plans(spec)).get(state.get("protocol"))
    if stages is None or state.get("fingerprint") != _fingerprint(spec, stages, state["protocol"]):
        return None
    return state


def restart_step(launcher: lammps.Launcher, wd: Path, path: str) -> int | None:
    """Timestep of a restart file as LAMMPS reads it, or None when LAMMPS cannot read it (e.g. cut short by a kill)."""
    probe = wd / RESTART_DIR / "probe"
    shutil.rmtree(probe, ignore_errors=True)
    probe.mkdir()
    (probe / "in.probe").write_text(f"read_restart {Path('../..', path)}\nprint 'glassfit restart step $(step)'\n")
    try:
        code = lammps.run(launcher, 1, "in.probe", probe, log="log.probe", timeout_s=PROBE_TIMEOUT_S)
        text = (probe / "log.probe").read_text(errors="replace") if (probe / "log.probe").exists() else ""
    except subprocess.TimeoutExpired:
        code, text = -1, ""
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    m = _PROBED.search(text)
    return int(m.group(1)) if code == 0 and m else None


def newest_checkpoint(launcher: lammps.Launcher, wd: Path) -> Checkpoint | None:
    """The restart file with the largest timestep that LAMMPS can read; at a tie the stage-boundary one."""
    found = []
    for name in TOGGLE_RESTARTS:
        if (wd / name).exists() and (step := restart_step(launcher, wd, name)) is not None:
            found.append(Checkpoint(name, step, inside_stage=True))
    for f in (wd / RESTART_DIR).glob("md.*.restart"):
        if m := _BOUNDARY.match(f.name):
            found.append(Checkpoint(f"{RESTART_DIR}/{f.name}", int(m.group(1)), inside_stage=False))
    for cp in sorted(found, key=lambda c: (c.step, not c.inside_stage), reverse=True):
        if cp.inside_stage or restart_step(launcher, wd, cp.path) == cp.step:
            return cp
    return None


def truncate_dump(path: Path, step: int) -> None:
    """Keep only the frames of a dump file up to ``step`` (a killed run may have written later or partial ones)."""
    if not path.exists():
        return
    with path.open("r+b") as fh:
        while line := fh.readline():
            if line.startswith(b"ITEM: TIMESTEP"):
                offset = fh.tell() - len(line)
                value = fh.readline().strip()
                if not value.isdigit() or int(value) > step:
                    fh.truncate(offset)
                    return


def _begin(spec: RunSpec, stages: list[Stage], label: str, earlier: list[dict]) -> dict:
    """Clear the run directory, write the attempt's input and state; returns the state."""
    wd = spec.workdir
    for f in _attempt_files(wd):
        f.unlink()
    shutil.rmtree(wd / RESTART_DIR, ignore_errors=True)
    shutil.copyfile(spec.structure, wd / "structure.data")
    for name, text in spec.potential_files.items():
        (wd / name).write_text(text)
    (wd / "in.lammps").write_text(_original_input(spec, stages, label))
    if spec.settings.restart_every_ps:
        (wd / RESTART_DIR).mkdir()
    return {
        "protocol": label,
        "fingerprint": _fingerprint(spec, stages, label),
        "volume_A3": data_volume_A3(spec.structure),
        "earlier_attempts": earlier,
        "segments": [{"input": "in.lammps", "log": "log.lammps", "from_step": None}],
    }


def _continue(spec: RunSpec, stages: list[Stage], state: dict, checkpoint: Checkpoint) -> dict:
    """Write the input that continues the attempt from ``checkpoint``; returns the updated state."""
    wd = spec.workdir
    n = len(state["segments"])
    name, log = _segment_files(n)
    header = f"glassfit run {spec.run_id}, protocol {state['protocol']}, resumed from step {checkpoint.step} ({checkpoint.path})"
    text = render_resume(stages, spec.settings, spec.potential_lines, checkpoint.path, checkpoint.step, checkpoint.inside_stage, header, state["volume_A3"])
    (wd / name).write_text(text)
    (wd / "final.data").unlink(missing_ok=True)
    truncate_dump(wd / "trajectory.dump", checkpoint.step)
    segment = {"input": name, "log": log, "from_step": checkpoint.step, "restart": checkpoint.path}
    return {**state, "segments": [*state["segments"], segment]}


def _segment_wall_s(wd: Path, segment: dict) -> float:
    """Wall time of an earlier, killed launch: from its start to the last write of its log."""
    log = wd / segment["log"]
    if "started_unix" not in segment or not log.exists():
        return 0.0
    return max(0.0, log.stat().st_mtime - segment["started_unix"])


def _attempt(spec: RunSpec, launcher: lammps.Launcher, stages: list[Stage], label: str, earlier: list[dict], state: dict | None) -> dict:
    """Run one attempt to its end: continue it from its newest restart file when ``state`` is given, else start it."""
    wd = spec.workdir
    checkpoint = newest_checkpoint(launcher, wd) if state else None
    state = _continue(spec, stages, state, checkpoint) if checkpoint else _begin(spec, stages, label, earlier)
    state["segments"][-1]["started_unix"] = time.time()
    if spec.settings.restart_every_ps:
        write_json(wd / STATE, state)
    current = state["segments"][-1]
    start = time.perf_counter()
    code = lammps.run(launcher, spec.ranks, current["input"], wd, log=current["log"])
    wall = time.perf_counter() - start + sum(_segment_wall_s(wd, s) for s in state["segments"][:-1])
    thermo = read_thermo([wd / s["log"] for s in state["segments"]])
    thermo.to_csv(wd / "thermo.csv", index=False)
    reason = failure_reason(wd / current["log"], wd / "screen.txt", code, thermo)
    if reason is None and not (wd / "final.data").exists():
        reason = "LAMMPS stopped before the end of the protocol"
    resumed = [s["from_step"] for s in state["segments"][1:]]
    return {
        "protocol": label,
        "status": "failed" if reason else "ok",
        "reason": reason,
        "wall_time_s": round(wall, 3),
        "simulated_ps": total_ps(stages),
        "resumed_from_steps": resumed,
        "thermo": thermo,
    }


def _measure(spec: RunSpec, thermo, stages: list[Stage]) -> dict:
    """Density over the ``density`` stage; every other target's observable over the ``production`` stage's frames."""
    from glassfit.analysis import measured, observables  # numpy/scipy analysis: imported when a run has finished
    from glassfit.trajectory import iter_dump

    out: dict = {}
    density_stage = next((s.name for s in stages if s.role == "density"), None)
    if density_stage:  # measured whether or not it is a target (the density target is always density_g_cm3)
        out["density_g_cm3_mean"], out["density_g_cm3_std"] = mean_std(stage_rows(thermo, density_stage)["density_g_cm3"])
    dump = spec.workdir / "trajectory.dump"
    structural = {name: o for name, o in spec.observables.items() if o.kind != "density"}
    if structural and dump.exists():
        sets = {m.name: m for m in measured.from_dicts(list(spec.measured.values()))}
        out.update(observables.measure(iter_dump(dump), spec.elements, structural, spec.analysis, sets))
    return out


def _set_aside(wd: Path, number: int) -> None:
    """Move a failed attempt's files to ``attempt-<number>/`` for inspection."""
    keep = wd / f"attempt-{number}"
    shutil.rmtree(keep, ignore_errors=True)
    keep.mkdir()
    for f in _attempt_files(wd):
        shutil.move(f, keep / f.name)


def simulate(spec: RunSpec, launcher: lammps.Launcher) -> dict:
    """Run the protocol (and the pre-conditioned protocol if the first attempt fails); write properties.json.

    An unfinished attempt left by a killed job is resumed from its restart files: it stays the same
    attempt, and attempts that had already failed before the kill are not run again.
    """
    spec.workdir.mkdir(parents=True, exist_ok=True)
    plans = _plans(spec)
    state = _unfinished(spec)
    attempts: list[dict] = list(state["earlier_attempts"]) if state else []
    first = [label for label, _ in plans].index(state["protocol"]) if state else 0
    result: dict = {}
    for i in range(first, len(plans)):
        label, stages = plans[i]
        attempt = _attempt(spec, launcher, stages, label, list(attempts), state if i == first else None)
        thermo = attempt.pop("thermo")
        attempts.append(attempt)
        if attempt["status"] == "ok":
            result = _measure(spec, thermo, stages)
            break
        if i + 1 < len(plans):
            _set_aside(spec.workdir, i + 1)
    ok = attempts[-1]["status"] == "ok"
    wall = sum(a["wall_time_s"] for a in attempts)
    resumed = [step for a in attempts for step in a.get("resumed_from_steps", [])]
    props = {
        "run": spec.run_id,
        "status": "ok" if ok else "failed",
        "reason": None if ok else "; ".join(f"{a['protocol']}: {a['reason']}" for a in attempts),
        **({f"{name}_{k}": None for name in ["density_g_cm3", *spec.observables] for k in ("mean", "std")} if not ok else {}),
        **result,
        "attempts": attempts,
        "n_resumes": len(resumed),
        "resumed_from_steps": resumed,
        "mpi_ranks": spec.ranks,
        "wall_time_s": round(wall, 3),
        "ns_per_day": round(attempts[-1]["simulated_ps"] / 1000.0 / (attempts[-1]["wall_time_s"] / 86400.0), 3)
        if attempts[-1]["wall_time_s"] > 0
        else math.nan,
        "elements": spec.elements,
        **spec.metadata,
    }
    write_json(spec.workdir / "properties.json", props)
    if not spec.keep_restarts:
        shutil.rmtree(spec.workdir / RESTART_DIR, ignore_errors=True)
    return props
