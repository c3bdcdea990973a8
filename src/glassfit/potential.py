"""Buckingham + long-range Coulomb potentials: parameter tables, tunable parameters and LAMMPS rendering.

E(r) = A exp(-r/rho) - C/r^6 + q_i q_j / r in LAMMPS metal units (eV, Å). Pairs absent from the table
interact by Coulomb only.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from glassfit import tables

#: an element symbol as the tables write it
ELEMENT = re.compile(r"[A-Z][a-z]?")

#: parameter term -> (column of the potential table, unit suffix of the tunable's name)
TERMS = {"A": ("A_eV", "eV"), "rho": ("rho_A", "A"), "C": ("C_eVA6", "eVA6")}


@dataclass(frozen=True)
class Species:
    element: str
    charge_e: float
    mass_g_mol: float


@dataclass(frozen=True)
class Buckingham:
    A_eV: float
    rho_A: float
    C_eVA6: float


@dataclass(frozen=True)
class Tunable:
    """One parameter the campaign may change, with absolute bounds."""

    name: str
    pair: str
    term: str
    start: float
    low: float
    high: float


def tunable_name(pair: str, term: str) -> str:
    """Column name of a tunable parameter, unit included, e.g. ``BO_rho_A``."""
    return f"{pair.replace('-', '')}_{term}_{TERMS[term][1]}"


def read_species(path: str | Path) -> list[Species]:
    """The species table (element, charge_e, mass_g_mol), checked cell by cell (tables.TableError naming file, line, column)."""
    table = tables.read(path, "species table", ("element", "charge_e", "mass_g_mol"), numeric=("charge_e", "mass_g_mol"))
    for i, r in enumerate(table.itertuples()):
        if not ELEMENT.fullmatch(r.element):
            raise tables.TableError(f"{tables.where(table, i, 'element')}: {r.element!r} is not an element symbol (e.g. Si, O)")
        if r.mass_g_mol <= 0:
            raise tables.TableError(f"{tables.where(table, i, 'mass_g_mol')}: the mass of {r.element} must be positive")
    if (i := tables.duplicate(table, ["element"])) is not None:
        raise tables.TableError(f"{tables.where(table, i, 'element')}: element {table['element'][i]!r} is defined twice")
    return [Species(r.element, float(r.charge_e), float(r.mass_g_mol)) for r in table.itertuples()]


def read_parameter_sets(path: str | Path) -> dict[str, dict[str, Buckingham]]:
    """All parameter sets of a potential table: ``{set name: {pair: Buckingham}}`` (``fixed`` included), checked cell by cell."""
    table = tables.read(path, "potential table", ("set", "pair", "A_eV", "rho_A", "C_eVA6"), numeric=("A_eV", "rho_A", "C_eVA6"))
    if (i := tables.duplicate(table, ["set", "pair"])) is not None:
        raise tables.TableError(f"{tables.where(table, i, 'pair')}: pair {table['pair'][i]} of set {table['set'][i]!r} is defined twice")
    sets: dict[str, dict[str, Buckingham]] = {}
    for i, r in enumerate(table.itertuples()):
        a, sep, b = r.pair.partition("-")
        if not (sep and ELEMENT.fullmatch(a) and ELEMENT.fullmatch(b)):
            raise tables.TableError(f"{tables.where(table, i, 'pair')}: {r.pair!r} is not two element symbols joined by '-', e.g. B-O")
        if r.rho_A <= 0:
            raise tables.TableError(f"{tables.where(table, i, 'rho_A')}: rho must be positive (got {r.rho_A:g})")
        sets.setdefault(r.set, {})[r.pair] = Buckingham(float(r.A_eV), float(r.rho_A), float(r.C_eVA6))
    return sets


def complete_set(sets: dict[str, dict[str, Buckingham]], name: str) -> dict[str, Buckingham]:
    """The fixed pairs plus the pairs of the named set."""
    if name not in sets or name == "fixed":
        named = ", ".join(s for s in sets if s != "fixed")
        raise KeyError(f"unknown parameter set {name!r}; the table defines: {named}")
    return {**sets.get("fixed", {}), **sets[name]}


def apply_values(pairs: dict[str, Buckingham], tunables: list[Tunable], values: dict[str, float]) -> dict[str, Buckingham]:
    """A copy of ``pairs`` with the tunable parameters set to ``values`` (keyed by tunable name)."""
    out = dict(pairs)
    for t in tunables:
        if t.name in values:
            out[t.pair] = dataclasses.replace(out[t.pair], **{TERMS[t.term][0]: float(values[t.name])})
    return out


def values_of(pairs: dict[str, Buckingham], tunables: list[Tunable]) -> dict[str, float]:
    """The tunable parameters' values in a parameter set."""
    return {t.name: getattr(pairs[t.pair], TERMS[t.term][0]) for t in tunables}


def lammps_lines(species: list[Species], pairs: dict[str, Buckingham], cutoff_A: float, kspace_accuracy: float, kspace_order: int = 5) -> list[str]:
    """LAMMPS commands (after the box exists) for masses, charges and the complete pair potential.

    LAMMPS type i is ``species[i-1]``. Every type pair gets a coefficient: Buckingham where the table has
    one, A = 0 (Coulomb only) otherwise. ``kspace_order`` is PPPM's stencil order (LAMMPS default 5): it
    changes the grid LAMMPS picks for the accuracy, not the accuracy.
    """
    index = {s.element: i + 1 for i, s in enumerate(species)}
    lines = [f"pair_style buck/coul/long {cutoff_A:g}", f"kspace_style pppm {kspace_accuracy:g}"]
    if kspace_order != 5:
        lines.append(f"kspace_modify order {int(kspace_order)}")
    for s in species:
        lines.append(f"mass {index[s.element]} {s.mass_g_mol:.6f}  # {s.element}")
        lines.append(f"set type {index[s.element]} charge {s.charge_e:.6f}  # {s.element}")
    terms = {}
    for pair, term in pairs.items():
        a, b = pair.split("-")
        if a not in index or b not in index:
            continue
        terms[tuple(sorted((index[a], index[b])))] = (pair, term)
    for i in range(1, len(species) + 1):
        for j in range(i, len(species) + 1):
            if (i, j) in terms:
                pair, t = terms[(i, j)]
                lines.append(f"pair_coeff {i} {j} {t.A_eV:.8g} {t.rho_A:.8g} {t.C_eVA6:.8g}  # {pair}")
            else:
                lines.append(f"pair_coeff {i} {j} 0.0 1.0 0.0  # {species[i - 1].element}-{species[j - 1].element} Coulomb only")
    return lines


def include_file(species: list[Species], pairs: dict[str, Buckingham], cutoff_A: float, kspace_accuracy: float, header: list[str], kspace_order: int = 5) -> str:
    """A complete LAMMPS include file for the potential, with units and provenance in comments."""
    comments = [
        "# Buckingham + long-range Coulomb, LAMMPS 'units metal' (eV, Angstrom), 'atom_style charge'.",
        "# E(r) = A exp(-r/rho) - C/r^6 + qi qj/r ; type order: " + " ".join(f"{i + 1}={s.element}" for i, s in enumerate(species)),
        *(f"# {h}" for h in header),
    ]
    return "\n".join(comments + lammps_lines(species, pairs, cutoff_A, kspace_accuracy, kspace_order)) + "\n"
