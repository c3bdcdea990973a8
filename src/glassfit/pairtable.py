"""LAMMPS ``pair_style table`` files for pair functions without a native style (SHIK's form, smoothing).

The function is the form's own Lepton expression (glassfit.forms), parsed and differentiated exactly by sympy, and
tabulated on :data:`POINTS` points linear in r from :data:`R_MIN_A` to the cutoff; LAMMPS interpolates it with
cubic splines. Accuracy and speed against the analytic ``pair_style lepton`` are measured by bench/bench_forms.py
and stated in :data:`ACCURACY`; tests/test_forms_lammps.py holds LAMMPS to it.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np

#: points of every table, linear in r (spacing 0.00095 A for a 10 A cutoff)
POINTS = 10000
#: the table's inner end (A): closer pairs stop LAMMPS; SHIK's r^-24 wall costs tens of eV at 1 A already
R_MIN_A = 0.5
#: how LAMMPS interpolates between the points
STYLE = "spline"
#: what the table guarantees for r >= 1.3 A (energy eV, force relative above 1 eV/A), measured by bench/bench_forms.py
ACCURACY = {"energy_eV": 1e-3, "force_relative": 1e-3}
#: e^2/(4 pi eps0) in eV A, LAMMPS's qqr2e for units metal (the charge product of lepton/coul expressions)
COULOMB_EV_A = 14.399645


@lru_cache(maxsize=None)
def _functions(expression: str):
    """Energy and minus its derivative (force) of a Lepton expression in r, as numpy functions (exact derivative)."""
    import sympy

    r = sympy.Symbol("r", positive=True)
    text = expression.replace("^", "**")
    parsed = sympy.sympify(text, locals={"r": r, "step": lambda x: sympy.Heaviside(x, 1), "erfc": sympy.erfc, "exp": sympy.exp})
    energy = sympy.lambdify(r, parsed, modules=["numpy", "scipy"])
    # a cut-off step has no force (its derivative, a delta at the cutoff, is dropped, as Lepton drops it)
    derivative = sympy.diff(parsed, r).replace(sympy.DiracDelta, lambda *args: 0)
    force = sympy.lambdify(r, -derivative, modules=["numpy", "scipy"])
    return energy, force


def _with_charges(expression: str, qi: float, qj: float) -> str:
    """A lepton/coul expression with its charge product made a number (in eV A, as lepton/coul scales qi*qj)."""
    return re.sub(r"qi\*qj", f"({COULOMB_EV_A * qi * qj!r})", expression)


def section(key: str, expression: str, cutoff_A: float, qi: float = 0.0, qj: float = 0.0) -> str:
    """One keyword section of a table file: the expression (charges qi, qj where it uses them) on POINTS points."""
    energy, force = _functions(_with_charges(expression, qi, qj))
    r = np.linspace(R_MIN_A, cutoff_A, POINTS)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        e = np.array(np.broadcast_to(np.asarray(energy(r), dtype=float), r.shape))
        f = np.array(np.broadcast_to(np.asarray(force(r), dtype=float), r.shape))
    e[-1], f[-1] = (0.0, 0.0) if not np.isfinite([e[-1], f[-1]]).all() else (e[-1], f[-1])  # smoothing: 0 at its cutoff, the limit
    if not (np.isfinite(e).all() and np.isfinite(f).all()):
        raise ValueError(f"table {key}: the pair function is not finite between {R_MIN_A} and {cutoff_A} A")
    rows = "\n".join(f"{i + 1} {x:.10f} {y:.12e} {z:.12e}" for i, (x, y, z) in enumerate(zip(r, e, f)))
    return f"{key}\nN {POINTS} R {R_MIN_A!r} {cutoff_A!r}\n\n{rows}\n"


def digest(text: str) -> str:
    """A short fingerprint of a table file, written into the LAMMPS input so that a changed table changes the input."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]
