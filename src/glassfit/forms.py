"""Pair forms: the short-range functions glass modellers use, each with its coefficients and its LAMMPS rendering.

A form is defined here once: its coefficients (short name, potential-table column with unit, sign rule), its
published formula as a Lepton expression in ``r`` (Å, energy in eV: LAMMPS ``units metal``), and, where LAMMPS
has one, the native pair style that computes the same function faster. Adding a form is one :class:`Form` in
:data:`FORMS` and one test of its energy and force against the published formula (tests/test_forms_lammps.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping


@dataclass(frozen=True)
class Coefficient:
    """One coefficient of a form: its short name (``A``), table column with unit (``A_eV``), and whether it must be positive."""

    name: str
    column: str
    positive: bool = False


@dataclass(frozen=True)
class Form:
    """A named pair form: coefficients, formula (Lepton expression), native LAMMPS style and fused Coulomb styles.

    ``native`` is (pair style, coefficient arguments) of a LAMMPS style computing exactly this form, or None (then
    the Lepton expression is evaluated by ``pair_style lepton``, analytically, no table). ``fused`` maps an
    electrostatics family (``long``, ``wolf``, ``dsf``) to a LAMMPS style that computes this form and that Coulomb
    in one loop, with its coefficient arguments; used when every pair of a potential has this form.
    """

    name: str
    formula: str
    coefficients: tuple[Coefficient, ...]
    lepton: Callable[[Mapping[str, float]], str]
    native: tuple[str, Callable[[Mapping[str, float]], list[float]]] | None = None
    fused: Mapping[str, tuple[str, Callable[[Mapping[str, float]], list[float]]]] | None = None
    zero: Mapping[str, float] | None = None  # coefficients of "no short-range interaction" (Coulomb-only pairs in a fused style)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.coefficients)

    def column(self, name: str) -> str:
        """The table column of a coefficient given by short name or column (``rho`` or ``rho_A``); KeyError if the form lacks it."""
        for c in self.coefficients:
            if name in (c.name, c.column):
                return c.column
        raise KeyError(name)


def _g(value: float) -> str:
    """A coefficient inside a Lepton expression: exact (shortest repr), in parentheses so that signs compose."""
    return f"({float(value)!r})"


def _buck_args(c: Mapping[str, float]) -> list[float]:
    return [c["A_eV"], c["rho_A"], c["C_eVA6"]]


def _born_args(c: Mapping[str, float]) -> list[float]:
    return [c["A_eV"], c["rho_A"], c["sigma_A"], c["C_eVA6"], c["D_eVA8"]]


def _buck_as_born(c: Mapping[str, float]) -> list[float]:
    """Buckingham is Born-Mayer-Huggins with sigma = 0 and D = 0 (for LAMMPS's born/coul/wolf and born/coul/dsf)."""
    return [c["A_eV"], c["rho_A"], 0.0, c["C_eVA6"], 0.0]


BUCKINGHAM = Form(
    "buckingham",
    "A exp(-r/rho) - C/r^6",
    (Coefficient("A", "A_eV", positive=True), Coefficient("rho", "rho_A", positive=True), Coefficient("C", "C_eVA6")),
    lambda c: f"{_g(c['A_eV'])}*exp(-r/{_g(c['rho_A'])})-{_g(c['C_eVA6'])}/r^6",
    native=("buck", _buck_args),
    fused={"long": ("buck/coul/long", _buck_args), "wolf": ("born/coul/wolf", _buck_as_born), "dsf": ("born/coul/dsf", _buck_as_born)},
    zero={"A_eV": 0.0, "rho_A": 1.0, "C_eVA6": 0.0},
)

BORN_MAYER_HUGGINS = Form(
    "born_mayer_huggins",
    "A exp((sigma - r)/rho) - C/r^6 + D/r^8  (LAMMPS pair_style born's signs)",
    (Coefficient("A", "A_eV", positive=True), Coefficient("rho", "rho_A", positive=True), Coefficient("sigma", "sigma_A"),
     Coefficient("C", "C_eVA6"), Coefficient("D", "D_eVA8")),
    lambda c: f"{_g(c['A_eV'])}*exp(({_g(c['sigma_A'])}-r)/{_g(c['rho_A'])})-{_g(c['C_eVA6'])}/r^6+{_g(c['D_eVA8'])}/r^8",
    native=("born", _born_args),
    fused={"long": ("born/coul/long", _born_args), "wolf": ("born/coul/wolf", _born_args), "dsf": ("born/coul/dsf", _born_args)},
    zero={"A_eV": 0.0, "rho_A": 1.0, "sigma_A": 0.0, "C_eVA6": 0.0, "D_eVA8": 0.0},
)

MORSE_R12 = Form(
    "morse_r12",
    "D0 [(1 - exp(-alpha (r - r0)))^2 - 1] + C12/r^12  (PMMCS, Pedone et al. 2006)",
    (Coefficient("D0", "D0_eV", positive=True), Coefficient("alpha", "alpha_invA", positive=True), Coefficient("r0", "r0_A", positive=True),
     Coefficient("C12", "C12_eVA12")),
    lambda c: f"{_g(c['D0_eV'])}*((1-exp(-{_g(c['alpha_invA'])}*(r-{_g(c['r0_A'])})))^2-1)+{_g(c['C12_eVA12'])}/r^12",
    native=("pedone", lambda c: [c["D0_eV"], c["alpha_invA"], c["r0_A"], c["C12_eVA12"]]),
)

SHIK = Form(
    "shik",
    "A exp(-B r) - C/r^6 + D/r^24  (SHIK, Sundararaman et al. 2018-2020, Shih et al. 2021)",
    (Coefficient("A", "A_eV", positive=True), Coefficient("B", "B_invA", positive=True), Coefficient("C", "C_eVA6"), Coefficient("D", "D_eVA24")),
    lambda c: f"{_g(c['A_eV'])}*exp(-{_g(c['B_invA'])}*r)-{_g(c['C_eVA6'])}/r^6+{_g(c['D_eVA24'])}/r^24",
)

#: every pair form glassfit knows, by name (the potential table's ``form`` column)
FORMS: dict[str, Form] = {f.name: f for f in (BUCKINGHAM, BORN_MAYER_HUGGINS, MORSE_R12, SHIK)}

#: every coefficient column any form has, in a stable order (the potential table's coefficient columns)
COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(col for f in FORMS.values() for col in f.columns))
