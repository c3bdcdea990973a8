"""One melt-quench MD run: render the input, run LAMMPS, detect failure, retry once pre-conditioned, measure.

A run always ends with ``properties.json``: measured properties when it succeeded, the reason when it
failed. Files of a failed first attempt are kept under ``attempt-1/`` for inspection.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from glassfit import lammps
from glassfit.files import write_json
from glassfit.properties import b4_series, failure_reason, mean_std, read_thermo, stage_rows
from glassfit.protocol import MDSettings, Stage, render, total_ps

#: files one attempt writes in the run directory
ATTEMPT_FILES = ("in.lammps", "log.lammps", "screen.txt", "thermo.csv", "trajectory.dump", "final.data")


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
    b4_cutoff_A: float = 1.8
    ranks: int = 1
    keep_restarts: bool = False
    metadata: dict = field(default_factory=dict)


def _attempt(spec: RunSpec, launcher: lammps.Launcher, stages: list[Stage], label: str) -> dict:
    wd = spec.workdir
    for name in ATTEMPT_FILES:
        (wd / name).unlink(missing_ok=True)
    shutil.copyfile(spec.structure, wd / "structure.data")
    if spec.settings.restart_every_ps:
        (wd / "restart").mkdir(exist_ok=True)
    header = f"glassfit run {spec.run_id}, protocol {label}"
    (wd / "in.lammps").write_text(render(stages, spec.settings, spec.potential_lines, "structure.data", spec.velocity_seed, header))
    start = time.perf_counter()
    code = lammps.run(launcher, spec.ranks, "in.lammps", wd)
    wall = time.perf_counter() - start
    thermo = read_thermo(wd / "log.lammps")
    thermo.to_csv(wd / "thermo.csv", index=False)
    reason = failure_reason(wd / "log.lammps", wd / "screen.txt", code, thermo)
    if reason is None and not (wd / "final.data").exists():
        reason = "LAMMPS stopped before the end of the protocol"
    return {"protocol": label, "status": "failed" if reason else "ok", "reason": reason, "wall_time_s": round(wall, 3), "simulated_ps": total_ps(stages), "thermo": thermo}


def _measure(spec: RunSpec, thermo, stages: list[Stage]) -> dict:
    """Density over the ``density`` stage, B4 over the ``production`` stage's frames."""
    out: dict = {}
    density_stage = next((s.name for s in stages if s.role == "density"), None)
    if density_stage:
        rho = stage_rows(thermo, density_stage)["density_g_cm3"]
        out["density_g_cm3_mean"], out["density_g_cm3_std"] = mean_std(rho)
    dump = spec.workdir / "trajectory.dump"
    if "B" in spec.elements and dump.exists():
        series = b4_series(dump, spec.elements.index("B") + 1, spec.elements.index("O") + 1, spec.b4_cutoff_A)
        out["n_frames"] = int(series.size)
        if series.size:
            out["B4_mean"], out["B4_std"] = mean_std(series)
        else:
            out["B4_mean"], out["B4_std"] = None, None
            out["B4_note"] = "undefined: the glass has no boron"
    return out


def simulate(spec: RunSpec, launcher: lammps.Launcher) -> dict:
    """Run the protocol (and the pre-conditioned protocol if the first attempt fails); write properties.json."""
    spec.workdir.mkdir(parents=True, exist_ok=True)
    attempts = []
    plans = [("standard", spec.protocol)]
    if spec.fallback:
        plans.append(("preconditioned", spec.fallback + spec.protocol))
    result: dict = {}
    for i, (label, stages) in enumerate(plans, start=1):
        attempt = _attempt(spec, launcher, stages, label)
        thermo = attempt.pop("thermo")
        attempts.append(attempt)
        if attempt["status"] == "ok":
            result = _measure(spec, thermo, stages)
            break
        if i < len(plans):
            keep = spec.workdir / f"attempt-{i}"
            shutil.rmtree(keep, ignore_errors=True)
            keep.mkdir()
            for name in ATTEMPT_FILES:
                if (spec.workdir / name).exists():
                    shutil.move(spec.workdir / name, keep / name)
    ok = attempts[-1]["status"] == "ok"
    wall = sum(a["wall_time_s"] for a in attempts)
    props = {
        "run": spec.run_id,
        "status": "ok" if ok else "failed",
        "reason": None if ok else "; ".join(f"{a['protocol']}: {a['reason']}" for a in attempts),
        **({k: None for k in ("density_g_cm3_mean", "density_g_cm3_std", "B4_mean", "B4_std")} if not ok else {}),
        **result,
        "attempts": attempts,
        "mpi_ranks": spec.ranks,
        "wall_time_s": round(wall, 3),
        "ns_per_day": round(attempts[-1]["simulated_ps"] / 1000.0 / (attempts[-1]["wall_time_s"] / 86400.0), 3)
        if attempts[-1]["wall_time_s"] > 0
        else math.nan,
        "elements": spec.elements,
        **spec.metadata,
    }
    if not spec.keep_restarts:
        shutil.rmtree(spec.workdir / "restart", ignore_errors=True)
    write_json(spec.workdir / "properties.json", props)
    return props
