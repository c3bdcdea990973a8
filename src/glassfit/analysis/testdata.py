"""Structures for testing and benchmarking the analyses: dump writing, crystals, quick MD glasses.

The analyses read trajectories only through :func:`glassfit.trajectory.read_dump`; writing test
structures as LAMMPS dumps here means tests exercise that same reader path.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

POTENTIAL_CSV = Path(__file__).resolve().parents[4] / "shared" / "data" / "borosilicate_potential.csv"


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


def read_potential_csv(path: str | Path = POTENTIAL_CSV, bo_set: str = "wang2018"):
    """Pair terms ``{(a, b): (A_eV, rho_A, C_eVA6)}``, charges_e and masses_g_mol from the potential CSV.

    Charges and masses are parsed from the CSV's comment lines, the single place they are stated.
    """
    text = Path(path).read_text()
    pairs: dict[tuple[str, str], tuple[float, float, float]] = {}
    for line in text.splitlines():
        if line.startswith("#") or line.startswith("set,") or not line.strip():
            continue
        s, pair, a, rho, c = line.split(",")
        if s in ("fixed", bo_set):
            e1, e2 = pair.split("-")
            pairs[(e1, e2)] = (float(a), float(rho), float(c))
    charges = {m[0]: float(m[1]) for m in re.findall(r"([A-Z][a-z]?) (-?\d+\.\d+)", _comment(text, "Charges"))}
    masses = {m[0]: float(m[1]) for m in re.findall(r"([A-Z][a-z]?) (\d+\.\d+)", _comment(text, "Masses"))}
    return pairs, charges, masses


def _comment(text: str, key: str) -> str:
    for line in text.splitlines():
        if line.startswith("#") and key in line:
            return line[line.index(key):]
    raise ValueError(f"potential CSV has no '{key}' comment line")


def random_glass_atoms(
    counts: dict[str, int], density_g_cm3: float, masses: dict[str, float], seed: int, min_dist_A: float = 1.7
) -> tuple[float, list[str], np.ndarray]:
    """Random non-overlapping positions in a cubic box of the given density: ``(L, symbols, positions)``."""
    mass_g = sum(masses[e] * n for e, n in counts.items()) / 6.02214076e23
    box = (mass_g / density_g_cm3 * 1e24) ** (1 / 3)
    rng = np.random.default_rng(seed)
    symbols = [e for e, n in counts.items() for _ in range(n)]
    rng.shuffle(symbols)
    pos = np.empty((len(symbols), 3))
    k = 0
    while k < len(symbols):
        trial = rng.random(3) * box
        if k:
            d = pos[:k] - trial
            d -= box * np.round(d / box)
            if (d * d).sum(1).min() < min_dist_A**2:
                continue
        pos[k] = trial
        k += 1
    return box, symbols, pos


def quick_glass_dump(
    path: str | Path,
    counts: dict[str, int],
    elements: Sequence[str] = ("O", "Si", "B", "Na", "Ca"),
    density_g_cm3: float = 2.5,
    seed: int = 1,
    cutoff_A: float = 7.0,
    melt_steps: int = 3000,
    quench_steps: int = 3000,
    n_frames: int = 5,
    frame_every: int = 100,
    kspace_accuracy: float = 1e-4,
    timeout_s: float = 1200,
) -> Path:
    """Melt-quench a random configuration with buck/coul/long (not converged) and dump frames at 300 K.

    A deliberately short protocol that gives a realistic network (TO4/BO3 units, rings) in seconds to
    minutes for tests and benchmarks; the glassfit MD module runs the real protocol.
    """
    path = Path(path).resolve()
    pairs, charges, masses = read_potential_csv()
    box, symbols, pos = random_glass_atoms(counts, density_g_cm3, masses, seed)
    if cutoff_A >= box / 2:
        raise ValueError(f"cutoff_A={cutoff_A} must be below half the box ({box / 2:.2f} Å)")
    work = path.parent / (path.stem + "_lammps")
    work.mkdir(parents=True, exist_ok=True)
    types = [list(elements).index(s) + 1 for s in symbols]
    lines = ["glassfit test glass", "", f"{len(symbols)} atoms", f"{len(elements)} atom types", ""]
    lines += [f"0 {box:.8f} {ax}lo {ax}hi" for ax in "xyz"] + ["", "Masses", ""]
    lines += [f"{i + 1} {masses[e]}" for i, e in enumerate(elements)] + ["", "Atoms # charge", ""]
    lines += [f"{k + 1} {t} {charges[s]} {p[0]:.6f} {p[1]:.6f} {p[2]:.6f}" for k, (t, s, p) in enumerate(zip(types, symbols, pos))]
    (work / "data.lmp").write_text("\n".join(lines) + "\n")
    coeffs = []
    for i, ei in enumerate(elements):
        for j in range(i, len(elements)):
            ej = elements[j]
            a, rho, c = pairs.get((ei, ej)) or pairs.get((ej, ei)) or (0.0, 1.0, 0.0)
            coeffs.append(f"pair_coeff {i + 1} {j + 1} {a} {rho} {c}")
    script = f"""units metal
atom_style charge
boundary p p p
read_data data.lmp
pair_style buck/coul/long {cutoff_A}
{chr(10).join(coeffs)}
kspace_style pppm {kspace_accuracy}
neighbor 2.0 bin
neigh_modify every 1 delay 0 check yes
velocity all create 3000 {seed} dist gaussian
timestep 0.0005
fix lim all nve/limit 0.05
fix lan all langevin 3000 3000 0.05 {seed}
run 1000
unfix lim
unfix lan
timestep 0.001
fix md all nvt temp 3000 3000 0.1
run {melt_steps}
unfix md
fix md all nvt temp 3000 300 0.1
run {quench_steps}
unfix md
fix md all nvt temp 300 300 0.1
dump d all custom {frame_every} {path} id type x y z
dump_modify d sort id
run {n_frames * frame_every - 1}
"""
    (work / "in.lmp").write_text(script)
    lmp = shutil.which("lmp", path=str(Path(sys.executable).parent)) or shutil.which("lmp")
    if lmp is None:
        raise FileNotFoundError("LAMMPS executable 'lmp' not found next to the Python interpreter or on PATH")
    res = subprocess.run([lmp, "-in", "in.lmp", "-log", "log.lammps"], cwd=work, capture_output=True, text=True, timeout=timeout_s)
    if res.returncode != 0 or not path.exists():
        raise RuntimeError(f"LAMMPS failed in {work}: {res.stdout[-2000:]}{res.stderr[-2000:]}")
    return path


def glass_counts(sio2: float, b2o3: float, na2o: float, cao: float, formula_units: int = 100) -> dict[str, int]:
    """Atom counts for ``formula_units`` mol of oxides given in mol% (rounded to whole oxide units)."""
    units = {k: int(round(v * formula_units / 100)) for k, v in dict(SiO2=sio2, B2O3=b2o3, Na2O=na2o, CaO=cao).items()}
    return {
        "O": 2 * units["SiO2"] + 3 * units["B2O3"] + units["Na2O"] + units["CaO"],
        "Si": units["SiO2"],
        "B": 2 * units["B2O3"],
        "Na": 2 * units["Na2O"],
        "Ca": units["CaO"],
    }
