"""Oxide glass compositions: mol % of oxides → integer, charge-neutral atom counts.

Counts are built from whole oxide formula units, so any set of charges that makes each oxide neutral (as
the potential's scaled formal charges do) makes the whole system exactly neutral.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

AVOGADRO = 6.02214076e23
A3_PER_CM3 = 1e24

_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*)")


def parse_formula(formula: str) -> dict[str, int]:
    """Element counts of a simple formula such as ``B2O3``."""
    if not formula or _TOKEN.sub("", formula):
        raise ValueError(f"cannot parse oxide formula {formula!r}")
    counts: dict[str, int] = {}
    for element, n in _TOKEN.findall(formula):
        counts[element] = counts.get(element, 0) + (int(n) if n else 1)
    return counts


@dataclass(frozen=True)
class Realised:
    """A composition as realised with whole formula units."""

    formula_units: dict[str, int]  # oxide -> number of formula units
    atoms: dict[str, int]  # element -> number of atoms

    @property
    def n_atoms(self) -> int:
        return sum(self.atoms.values())

    @property
    def mol_percent(self) -> dict[str, float]:
        total = sum(self.formula_units.values())
        return {ox: 100.0 * n / total for ox, n in self.formula_units.items()}

    def mass_g(self, masses: dict[str, float]) -> float:
        """Total mass in grams, from atomic weights in g/mol."""
        return sum(n * masses[el] for el, n in self.atoms.items()) / AVOGADRO

    def charge_e(self, charges: dict[str, float]) -> float:
        return sum(n * charges[el] for el, n in self.atoms.items())


def realise(composition: dict[str, float], n_atoms: int) -> Realised:
    """Whole formula units whose atom total is close to ``n_atoms`` and whose ratios are close to ``composition``.

    The number of formula units per oxide is rounded with the largest-remainder method, which keeps the
    oxide ratios as close to the request as integers allow.
    """
    present = {ox: float(x) for ox, x in composition.items() if x > 0}
    if not present:
        raise ValueError("composition has no oxide with a positive amount")
    if n_atoms <= 0:
        raise ValueError(f"atom count must be positive, got {n_atoms}")
    total = sum(present.values())
    fractions = {ox: x / total for ox, x in present.items()}
    formulas = {ox: parse_formula(ox) for ox in present}
    atoms_per_unit = sum(fractions[ox] * sum(formulas[ox].values()) for ox in present)
    n_units = max(1, round(n_atoms / atoms_per_unit))
    exact = {ox: fractions[ox] * n_units for ox in present}
    units = {ox: int(v) for ox, v in exact.items()}
    for ox in sorted(present, key=lambda o: exact[o] - units[o], reverse=True)[: n_units - sum(units.values())]:
        units[ox] += 1
    atoms: dict[str, int] = {}
    for ox, n in units.items():
        for el, k in formulas[ox].items():
            atoms[el] = atoms.get(el, 0) + n * k
    return Realised(formula_units=units, atoms=atoms)


def box_length_A(mass_g: float, density_g_cm3: float) -> float:
    """Edge of the cubic box that holds ``mass_g`` at ``density_g_cm3``."""
    return (mass_g / density_g_cm3 * A3_PER_CM3) ** (1.0 / 3.0)


def composition_axis(compositions: Iterable[Mapping[str, float]]) -> str:
    """The oxide figures put on their x axis: B2O3 where it varies (the borosilicate series), else the one varying most."""
    compositions = list(compositions)
    oxides = sorted({ox for c in compositions for ox in c})
    spread = {ox: max(c.get(ox, 0.0) for c in compositions) - min(c.get(ox, 0.0) for c in compositions) for ox in oxides}
    if spread.get("B2O3", 0.0) > 0 or not spread:
        return "B2O3"
    return max(oxides, key=lambda ox: spread[ox])


def axis_label(oxide: str) -> str:
    """An oxide's axis label with subscripts: B$_2$O$_3$ (mol %)."""
    return re.sub(r"(\d+)", r"$_{\1}$", oxide) + " (mol %)"
