"""What each element scatters: coherent neutron scattering lengths and neutral-atom X-ray form factors.

A leaf of the analysis package: the structure factors (glassfit.analysis.scattering) and the measured data sets'
weights (glassfit.analysis.measured) both read it.
"""

from __future__ import annotations

import numpy as np


def neutron_lengths_fm(elements: list[str], boron_isotope: str = "11B") -> dict[str, float]:
    """Coherent neutron scattering lengths b_c (fm) from periodictable (Sears 1992 tables)."""
    import periodictable as pt

    out = {}
    for e in elements:
        el = getattr(pt, e)
        if e == "B" and boron_isotope == "11B":
            el = el[11]
        out[e] = float(el.neutron.b_c)
    return out


def xray_form_factors(elements: list[str], q_inv_A: np.ndarray) -> dict[str, np.ndarray]:
    """Neutral-atom X-ray form factors f(Q) (electrons), Waasmaier–Kirfel via xraydb (argument sinθ/λ = Q/4π)."""
    import xraydb

    return {e: np.asarray(xraydb.f0(e, q_inv_A / (4 * np.pi)), float) for e in elements}
