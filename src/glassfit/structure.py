"""Initial structures: atoms placed at random in a cubic box, no pair closer than a minimum separation."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glassfit.chemistry import Realised, box_length_A
from glassfit.potential import Species


@dataclass(frozen=True)
class Structure:
    box_A: float  # cubic box edge, box spans [0, box_A)
    types: np.ndarray  # (N,) 1-based LAMMPS types
    positions: np.ndarray  # (N, 3) Å


def seed_for(campaign_seed: int, glass: str, replica: int) -> np.random.SeedSequence:
    """Random stream of one (glass, replica): same on every rerun and every machine, independent of candidate."""
    return np.random.SeedSequence([int(campaign_seed), zlib.crc32(glass.encode()), int(replica)])


def random_structure(
    realised: Realised, species: list[Species], density_g_cm3: float, min_separation_A: float, seed: np.random.SeedSequence
) -> Structure:
    """Random non-overlapping positions at ``density_g_cm3``; cations first, then oxygen fills the gaps.

    Raises ValueError when the box is too crowded for the minimum separation.
    """
    masses = {s.element: s.mass_g_mol for s in species}
    index = {s.element: i + 1 for i, s in enumerate(species)}
    missing = set(realised.atoms) - set(index)
    if missing:
        raise ValueError(f"no species entry (charge, mass) for element(s) {', '.join(sorted(missing))}")
    box = box_length_A(realised.mass_g(masses), density_g_cm3)
    rng = np.random.default_rng(seed)
    order = sorted(realised.atoms, key=lambda el: (el == "O", index[el]))
    types = np.concatenate([np.full(realised.atoms[el], index[el]) for el in order])
    positions = np.empty((types.size, 3))
    cell = min_separation_A
    grid: dict[tuple[int, int, int], list[int]] = {}
    ncell = max(1, int(box // cell))
    size = box / ncell
    offsets = [(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)]
    for n in range(types.size):
        for _ in range(20000):
            trial = rng.random(3) * box
            c = tuple((trial // size).astype(int) % ncell)
            neighbours = [m for d in offsets for m in grid.get(tuple((np.add(c, d)) % ncell), ())]
            if neighbours:
                delta = positions[neighbours] - trial
                delta -= box * np.round(delta / box)
                if np.min(np.einsum("ij,ij->i", delta, delta)) < min_separation_A**2:
                    continue
            positions[n] = trial
            grid.setdefault(c, []).append(n)
            break
        else:
            raise ValueError(
                f"could not place atom {n + 1} of {types.size} with minimum separation {min_separation_A} Å "
                f"at {density_g_cm3} g/cm3; lower system.start_density_g_cm3 or system.min_separation_A"
            )
    return Structure(box_A=box, types=types, positions=positions)


def min_distance_A(structure: Structure) -> float:
    """Smallest periodic pair distance (used to check structures)."""
    from scipy.spatial import cKDTree  # scipy.spatial: ~0.2 s to import, not while parsing the workflow

    tree = cKDTree(structure.positions % structure.box_A, boxsize=structure.box_A)
    d, _ = tree.query(structure.positions % structure.box_A, k=2)
    return float(d[:, 1].min())


def write_data(path: str | Path, structure: Structure, species: list[Species], comment: str) -> None:
    """LAMMPS data file (atom_style charge) with masses and charges from ``species``."""
    lines = [
        f"# {comment}",
        "",
        f"{structure.types.size} atoms",
        f"{len(species)} atom types",
        "",
        f"0.0 {structure.box_A:.10f} xlo xhi",
        f"0.0 {structure.box_A:.10f} ylo yhi",
        f"0.0 {structure.box_A:.10f} zlo zhi",
        "",
        "Masses",
        "",
        *(f"{i + 1} {s.mass_g_mol:.6f}  # {s.element}" for i, s in enumerate(species)),
        "",
        "Atoms # charge",
        "",
    ]
    charges = np.array([s.charge_e for s in species])
    for i, (t, p) in enumerate(zip(structure.types, structure.positions), start=1):
        lines.append(f"{i} {t} {charges[t - 1]:.6f} {p[0]:.8f} {p[1]:.8f} {p[2]:.8f}")
    Path(path).write_text("\n".join(lines) + "\n")
