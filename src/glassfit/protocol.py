"""Melt-quench protocols: stages from the config rendered into one LAMMPS input, or into its continuation.

Every stage runs ``run <end> upto start <begin> stop <end>`` on one cumulative timestep axis, so
temperature ramps are defined by absolute timesteps and a stage can be continued from a restart file:
:func:`render_resume` writes the input that reads a restart file and finishes the protocol exactly as
:func:`render` would have.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the two restart files that ``restart N`` toggles between (only the newest two periodic restarts exist)
TOGGLE_RESTARTS = ("restart/md.a.restart", "restart/md.b.restart")

#: potential commands re-issued after ``read_restart``: kspace settings are not stored in a restart file;
#: pair_coeff is (for buck/coul/long) but re-stating it costs nothing and covers styles that do not store
#: theirs. Masses and charges are stored; a ``set`` command would also discard the saved thermostat state.
_NOT_RESTORED = ("kspace_style", "kspace_modify", "pair_coeff")


@dataclass(frozen=True)
class Stage:
    """One protocol stage, as in the config's ``md.protocol`` list."""

    name: str
    ensemble: str  # "nvt" or "npt"
    T_start_K: float
    T_end_K: float
    duration_ps: float
    pressure_bar: float = 0.0
    pressure_end_bar: float | None = None  # npt: ramp the pressure to this value over the stage (None: constant)
    dump_every_ps: float | None = None  # write trajectory frames during this stage
    role: str | None = None  # "density" (average density here) or "production" (B4 and structure here)

    @classmethod
    def from_config(cls, entry: dict) -> "Stage":
        return cls(
            name=entry["name"],
            ensemble=entry["ensemble"],
            T_start_K=float(entry["T_start_K"]),
            T_end_K=float(entry.get("T_end_K", entry["T_start_K"])),
            duration_ps=float(entry["duration_ps"]),
            pressure_bar=float(entry.get("pressure_bar", 0.0)),
            pressure_end_bar=None if entry.get("pressure_end_bar") is None else float(entry["pressure_end_bar"]),
            dump_every_ps=entry.get("dump_every_ps"),
            role=entry.get("role"),
        )


@dataclass(frozen=True)
class Minimize:
    """An energy minimisation of the initial structure before the protocol (LAMMPS ``minimize etol ftol maxiter maxeval``)."""

    etol: float
    ftol: float
    maxiter: int
    maxeval: int


@dataclass(frozen=True)
class MDSettings:
    """Integration and control settings shared by all stages (config ``md``)."""

    timestep_fs: float = 1.0
    thermostat_damp_ps: float = 0.1
    barostat_damp_ps: float = 1.0
    thermo_every_ps: float = 0.1
    neighbor_skin_A: float = 2.0
    max_volume_factor: float = 2.0
    restart_every_ps: float | None = None
    minimize: Minimize | None = None  # relax the random structure first (potentials with steep short-range walls: SHIK)


def steps(ps: float, settings: MDSettings) -> int:
    return max(1, round(ps * 1000.0 / settings.timestep_fs))


def boundaries(stages: list[Stage], settings: MDSettings) -> list[tuple[int, int]]:
    """(first, last) cumulative timestep of each stage."""
    out, t = [], 0
    for s in stages:
        out.append((t, t + steps(s.duration_ps, settings)))
        t = out[-1][1]
    return out


def total_ps(stages: list[Stage]) -> float:
    return sum(s.duration_ps for s in stages)


def boundary_restart(step: int) -> str:
    """The restart file written at the end of the stage that ends at ``step`` (it holds no thermostat state)."""
    return f"restart/md.{step}.restart"


def render(
    stages: list[Stage],
    settings: MDSettings,
    potential_lines: list[str],
    data_file: str,
    velocity_seed: int,
    header: str,
    volume_A3: float | None = None,
) -> str:
    """The complete LAMMPS input of a protocol, starting from ``data_file``.

    ``volume_A3`` is the initial volume the blow-up guard compares with; None measures it in LAMMPS.
    """
    lines = [
        *_header(header),
        "units metal",
        "atom_style charge",
        "boundary p p p",
        f"read_data {data_file}",
        *potential_lines,
        *_controls(settings, volume_A3),
        *_minimize(settings.minimize),
        f"velocity all create {stages[0].T_start_K:g} {velocity_seed} dist gaussian mom yes rot yes",
        *_restart_command(settings, None),
    ]
    for stage, (begin, end) in zip(stages, boundaries(stages, settings)):
        lines += _stage(stage, begin, end, settings)
    lines.append("write_data final.data")
    return "\n".join(lines) + "\n"


def render_resume(
    stages: list[Stage],
    settings: MDSettings,
    potential_lines: list[str],
    restart_file: str,
    step: int,
    inside_stage: bool,
    header: str,
    volume_A3: float | None,
) -> str:
    """The LAMMPS input that continues :func:`render`'s protocol from ``restart_file``, written at ``step``.

    A periodic restart (``inside_stage``) holds the thermostat state of the stage it was written in, so
    that stage is re-created under the same fix ID and continued; a stage-boundary restart was written
    after ``unfix``, so the next stage starts fresh, as in the uninterrupted run.
    """
    lines = [
        *_header(header),
        f"read_restart {restart_file}",
        *(line for line in potential_lines if line.split()[0] in _NOT_RESTORED),
        *_controls(settings, volume_A3),
        *_restart_command(settings, restart_file),
    ]
    for stage, (begin, end) in zip(stages, boundaries(stages, settings)):
        if end < step or (end == step and not inside_stage):
            continue  # finished before the restart file was written
        lines += _stage(stage, begin, end, settings, resume_step=step if begin <= step else None)
    lines.append("write_data final.data")
    return "\n".join(lines) + "\n"


def _header(header: str) -> list[str]:
    return [f"# {header}", "# generated by glassfit: do not edit; the config's md section defines it"]


def _controls(settings: MDSettings, volume_A3: float | None) -> list[str]:
    """Neighbour lists, time step, thermo output and the blow-up guard: none of them is in a restart file."""
    every = steps(settings.thermo_every_ps, settings)
    return [
        f"neighbor {settings.neighbor_skin_A:g} bin",
        "neigh_modify every 1 delay 0 check yes",
        f"timestep {settings.timestep_fs / 1000.0:g}",
        "thermo_style custom step time temp press pe etotal vol density",
        "thermo_modify flush yes lost error",
        f"thermo {every}",
        # the initial volume as a literal, so that a resumed run guards against the same volume
        f"variable V0 equal {'$(vol)' if volume_A3 is None else f'{volume_A3:.17g}'}",
        "variable vratio equal vol/v_V0",
        # Blow-up guard: a volume past the factor stops LAMMPS with an error that the runner recognises.
        f"fix guard all halt {every} v_vratio > {settings.max_volume_factor:g} error hard message yes",
    ]


def _minimize(m: Minimize | None) -> list[str]:
    """Relax the initial structure (conjugate gradients), then restart the step count so the protocol's steps stay absolute."""
    if m is None:
        return []
    return [f"minimize {m.etol:g} {m.ftol:g} {m.maxiter} {m.maxeval}", "reset_timestep 0"]


def _restart_command(settings: MDSettings, resumed_from: str | None) -> list[str]:
    """Periodic restarts toggling between two files; a resumed run overwrites the one it did not start from first."""
    if not settings.restart_every_ps:
        return []
    files = TOGGLE_RESTARTS[::-1] if resumed_from == TOGGLE_RESTARTS[0] else TOGGLE_RESTARTS
    return [f"restart {steps(settings.restart_every_ps, settings)} {' '.join(files)}"]


def _stage(stage: Stage, begin: int, end: int, settings: MDSettings, resume_step: int | None = None) -> list[str]:
    """The commands of one stage; ``resume_step`` continues it from a restart file written at that step."""
    at = begin if resume_step is None else resume_step
    lines = [
        f"# stage {stage.name}: {stage.ensemble} {stage.T_start_K:g} -> {stage.T_end_K:g} K, {stage.duration_ps:g} ps",
        f"print 'glassfit stage {stage.name} {begin} {end}'",
    ]
    if stage.ensemble == "nvt":
        lines.append(f"fix md all nvt temp {stage.T_start_K:g} {stage.T_end_K:g} {settings.thermostat_damp_ps:g}")
    else:
        lines.append(
            f"fix md all npt temp {stage.T_start_K:g} {stage.T_end_K:g} {settings.thermostat_damp_ps:g} "
            f"iso {stage.pressure_bar:g} {stage.pressure_bar if stage.pressure_end_bar is None else stage.pressure_end_bar:g} {settings.barostat_damp_ps:g}"
        )
    if stage.dump_every_ps:
        # The dump starts one interval into the stage, so it holds exactly duration / interval frames.
        every = steps(stage.dump_every_ps, settings)
        if at < begin + every:
            lines.append(f"run {begin + every} upto start {begin} stop {end}")
        lines.append(f"dump traj all custom {every} trajectory.dump id type x y z")
        lines.append("dump_modify traj sort id")
        if resume_step is not None:
            # frames up to the restart step are already in the file: append only later ones
            lines.append(f"dump_modify traj append yes delay {resume_step + 1}")
    lines.append(f"run {end} upto start {begin} stop {end}")
    if stage.dump_every_ps:
        lines.append("undump traj")
    lines.append("unfix md")
    if settings.restart_every_ps:
        lines.append(f"write_restart {boundary_restart(end)}")
    return lines
