"""Structures for testing and benchmarking the analyses: dump writing, crystals, quick MD glasses.

The analyses read trajectories only through :func:`glassfit.trajectory.read_dump`; writing test
structures as LAMMPS dumps here means tests exercise that same reader path.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Sequence

import numpy as np

from glassfit import campaign as gc, config as cfg, md


def write_dump(
    path: str | Path,
    frames: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    timesteps: Sequence[int] | None = None,
) -> Path:
    """Write frames ``(box_len (3,), types (N,) 1-based, positions (N, 3))`` as a LAMMPS text dump.

    The box is orthogonal with its lower corner at the origin; ids are 1..N.
    """
    path = Path(path)
    with path.open("w") as fh:
        for k, (box_len, types, pos) in enumerate(frames):
            box_len = np.asarray(box_len, float)
            n = len(types)
            fh.write(f"ITEM: TIMESTEP\n{timesteps[k] if timesteps else k}\nITEM: NUMBER OF ATOMS\n{n}\n")
            fh.write("ITEM: BOX BOUNDS pp pp pp\n")
            for length in box_len:
                fh.write(f"0.0 {length:.10f}\n")
            fh.write("ITEM: ATOMS id type x y z\n")
            data = np.column_stack([np.arange(1, n + 1), types, pos])
            np.savetxt(fh, data, fmt=["%d", "%d", "%.8f", "%.8f", "%.8f"])
    return path


def orthogonal_supercell(atoms, elements: Sequence[str], reps: tuple[int, int, int]):
    """Turn an ASE ``Atoms`` crystal into an orthogonal supercell: ``(box_len, types, positions)``.

    Hexagonal cells (a, b at 120°) are first made orthogonal with the rectangular
    cell a' = a, b' = a + 2b (twice the atoms); orthorhombic and tetragonal cells are used as they are.
    """
    from ase.build import make_supercell

    cell = atoms.cell.cellpar()
    if abs(cell[5] - 120.0) < 1e-6:
        atoms = make_supercell(atoms, [[1, 0, 0], [1, 2, 0], [0, 0, 1]])
    sc = atoms.repeat(reps)
    m = np.array(sc.cell)
    if np.abs(m - np.diag(np.diag(m))).max() > 1e-6:
        raise ValueError(f"cell is not orthogonal after transformation: {m}")
    box_len = np.diag(m).copy()
    pos = np.mod(sc.get_positions(), box_len)
    types = np.array([list(elements).index(s) + 1 for s in sc.get_chemical_symbols()])
    return box_len, types, pos


def quick_glass_config(
    glass: str, atoms: int, seed: int, density_g_cm3: float, cutoff_A: float, melt_ps: float, quench_ps: float,
    n_frames: int, frame_every_ps: float, kspace_accuracy: float,
) -> dict:
    """A one-glass campaign config with a short NVT melt-quench protocol and the project's data tables."""
    data = cfg.ROOT / "config"
    return {
        "campaign": "quick-glass",
        "seed": seed,
        "glasses": {"table": str(data / "glasses.csv"), "use": [glass]},
        "potential": {
            "species": str(data / "species.csv"),
            "table": str(data / "potential.csv"),
            "start": "wang2018",
            "cutoff_A": cutoff_A,
            "kspace_accuracy": kspace_accuracy,
            "tunable": [{"pair": "B-O", "term": "rho", "bounds_rel": [-0.05, 0.1]}],
        },
        "system": {"atoms": atoms, "replicas": 1, "start_density_g_cm3": density_g_cm3, "min_separation_A": 1.6},
        "learn": {"iterations": 1},  # a single run, nothing to propose
        "md": {
            "thermo_every_ps": 0.05,
            "protocol": [
                {"name": "melt", "ensemble": "nvt", "T_start_K": 3000, "duration_ps": melt_ps},
                {"name": "quench", "ensemble": "nvt", "T_start_K": 3000, "T_end_K": 300, "duration_ps": quench_ps},
                {"name": "relax", "ensemble": "nvt", "T_start_K": 300, "duration_ps": frame_every_ps, "role": "density"},
                {"name": "production", "ensemble": "nvt", "T_start_K": 300, "duration_ps": n_frames * frame_every_ps,
                 "dump_every_ps": frame_every_ps, "role": "production"},
            ],
        },
    }


def quick_glass_dump(
    path: str | Path,
    glass: str = "24B",
    atoms: int = 338,
    density_g_cm3: float = 2.5,
    seed: int = 1,
    cutoff_A: float = 7.0,
    melt_ps: float = 1.0,
    quench_ps: float = 1.0,
    n_frames: int = 5,
    frame_every_ps: float = 0.1,
    kspace_accuracy: float = 1e-4,
) -> Path:
    """Melt-quench glass ``glass`` of the glass table at fixed volume (not converged) and dump frames at 300 K.

    A deliberately short protocol that gives a realistic network (TO4/BO3 units, rings) in seconds to
    minutes for tests and benchmarks. It runs through the campaign's own machinery (config resolution,
    random initial structure, LAMMPS input rendering, runner), with the project's potential tables; the
    LAMMPS files are kept in ``<path stem>_lammps/`` next to ``path``.
    """
    path = Path(path).resolve()
    campaign = cfg.resolve(
        quick_glass_config(glass, atoms, seed, density_g_cm3, cutoff_A, melt_ps, quench_ps, n_frames, frame_every_ps, kspace_accuracy),
        "quick_glass_dump",
    )
    work = path.parent / f"{path.stem}_lammps"
    structure = work / "structure-in.data"
    gc.build_structure(campaign, glass, 0, structure)
    start = {"candidate": "start", **{t.name: t.start for t in campaign.tunables}}
    props = md.simulate(gc.run_spec(campaign, start, glass, 0, structure, work), gc.launcher(campaign))
    if props["status"] != "ok":
        raise RuntimeError(f"LAMMPS run in {work} failed: {props['reason']}")
    shutil.copyfile(work / "trajectory.dump", path)
    return path
