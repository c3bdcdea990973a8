"""Total neutron and X-ray structure factors (Faber–Ziman) from partial g(r), total PDFs, and a Q-space R_chi_FQ.

S_ab(Q) − 1 = 4πρ₀ ∫₀^rmax r² [g_ab(r) − 1] sin(Qr)/(Qr) M(r) dr, with the Lorch window
M(r) = sin(πr/rmax)/(πr/rmax) (or 1). Totals: S(Q) − 1 = Σ_ab c_a c_b w_a w_b [S_ab(Q) − 1] / (Σ_a c_a w_a)²
with w = coherent neutron scattering length b (periodictable; natural B or ¹¹B) or the X-ray form
factor f(Q) of the neutral atom (Waasmaier & Kirfel, Acta Cryst. A51 (1995) 416, via xraydb).
Total PDFs are G(r) = 4πρ₀r[g(r) − 1] = (2/π) ∫_{Qmin}^{Qmax} Q[S(Q) − 1] M(Q) sin(Qr) dQ (Å⁻², the
PDFgui convention), with M(Q) the Lorch window in Q when enabled — the transform an experiment does.
R_chi_FQ compares F(Q) = Q[S(Q) − 1] with a measured S(Q)/F(Q) set weighted as that set says; Wright's
R_chi proper is in real space (glassfit.analysis.measured), computed on the replica mean when gathering.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .measured import MeasuredSet, from_dicts
from .radiation import neutron_lengths_fm, xray_form_factors  # noqa: F401  (re-exported: the tests read them here)


#: the settings S(Q) depends on, recorded in scattering.json so that gathering can recompute it at a common r_max
SQ_SETTINGS = ("q_min_inv_A", "q_max_inv_A", "q_step_inv_A", "lorch", "boron_isotope")


def lorch(x: np.ndarray, x_max: float) -> np.ndarray:
    """Lorch window sin(πx/x_max)/(πx/x_max)."""
    return np.sinc(np.asarray(x) / x_max)


def partial_structure_factors(
    r: np.ndarray, g: dict[str, np.ndarray], rho0: float, q: np.ndarray, r_max: float, use_lorch: bool
) -> dict[str, np.ndarray]:
    """S_ab(Q) for each ``"a-b"`` partial g(r) given on bin centres ``r`` (uniform spacing)."""
    dr = r[1] - r[0]
    window = lorch(r, r_max) if use_lorch else np.ones_like(r)
    kernel = np.sinc(np.outer(q, r) / np.pi) * (r**2 * window * dr)[None, :]  # sin(Qr)/(Qr) r² M dr
    return {k: 1.0 + 4 * np.pi * rho0 * kernel @ (np.nan_to_num(v, nan=1.0) - 1.0) for k, v in g.items()}


def faber_ziman_total(
    s_ab: dict[str, np.ndarray], conc: dict[str, float], weights: dict[str, np.ndarray | float], normalisation: str = "<f>^2"
) -> np.ndarray:
    """Faber–Ziman total S(Q) from unordered partials ``"a-b"`` (both orders weighted), normalised by <w>^2 or <w^2>."""
    if normalisation == "<f^2>":
        norm = sum(conc[e] * np.asarray(weights[e]) ** 2 for e in conc)
    else:
        norm = sum(conc[e] * np.asarray(weights[e]) for e in conc) ** 2
    total = 0.0
    for key, s in s_ab.items():
        a, b = key.split("-")
        mult = 1.0 if a == b else 2.0
        total = total + mult * conc[a] * conc[b] * np.asarray(weights[a]) * np.asarray(weights[b]) * (s - 1.0)
    return 1.0 + total / norm


def total_pdf(q: np.ndarray, s: np.ndarray, r: np.ndarray, use_lorch: bool) -> np.ndarray:
    """G(r) = (2/π) ∫ Q[S(Q) − 1] M(Q) sin(Qr) dQ over the given Q grid (trapezoid rule), Å⁻²."""
    window = lorch(q, q[-1]) if use_lorch else np.ones_like(q)
    f = q * (s - 1.0) * window
    return (2 / np.pi) * np.trapezoid(f[None, :] * np.sin(np.outer(r, q)), q, axis=1)


def structure_factors(pdf_result: dict, settings: dict, r_max: float | None = None) -> dict:
    """Neutron and X-ray S(Q) (with partials) and total G(r) from a :class:`PDFAccumulator` result, g(r) cut at ``r_max``."""
    table, meta = pdf_result["table"], dict(pdf_result["meta"])
    if r_max is not None:
        table, meta["r_max_A"] = table[table["r_A"] < r_max], float(r_max)
    r = table["r_A"].to_numpy()
    q = np.arange(settings["q_min_inv_A"], settings["q_max_inv_A"] + 1e-9, settings["q_step_inv_A"])
    g = {c[2:]: table[c].to_numpy() for c in table.columns if c.startswith("g_")}
    conc = meta["concentrations"]
    rho0 = meta["number_density_inv_A3"]
    s_ab = partial_structure_factors(r, g, rho0, q, meta["r_max_A"], settings["lorch"])
    b = neutron_lengths_fm(list(conc), settings["boron_isotope"])
    f = xray_form_factors(list(conc), q)
    s_n = faber_ziman_total(s_ab, conc, b)
    s_x = faber_ziman_total(s_ab, conc, f)
    sq = pd.DataFrame({"Q_inv_A": q, "S_neutron": s_n, "S_xray": s_x, **{f"S_{k}": v for k, v in s_ab.items()}})
    r_out = r[r <= meta["r_max_A"]]
    gr = pd.DataFrame(
        {
            "r_A": r_out,
            "G_neutron_inv_A2": total_pdf(q, s_n, r_out, settings["lorch"]),
            "G_xray_inv_A2": total_pdf(q, s_x, r_out, settings["lorch"]),
        }
    )
    out_meta = {
        "analysis": "scattering",
        "definition": "Faber-Ziman total S(Q) from partial g(r) (Lorch window in r when lorch=true); "
        "G(r) = 4 pi rho0 r [g(r)-1] from the Fourier transform of Q[S(Q)-1] over the Q range (Lorch in Q when lorch=true)",
        "lorch": bool(settings["lorch"]),
        "boron_isotope": settings["boron_isotope"],
        "neutron_b_fm": b,
        "xray_form_factors": "neutral atoms, Waasmaier-Kirfel (xraydb)",
        "q_range_inv_A": [float(q[0]), float(q[-1])],
        "number_density_inv_A3": rho0,
        "r_max_A": meta["r_max_A"],
        "settings": {k: settings[k] for k in SQ_SETTINGS},
    }
    out_meta["comparison"] = {m.name: {"file": m.path, "R_chi_FQ": r_chi_fq(q, s_ab, conc, m)} for m in from_dicts(settings.get("measured", []))
                              if m.quantity in ("S(Q)", "F(Q)")}
    out_meta["R_chi_FQ_definition"] = (
        "sqrt(sum[F_sim - F_exp]^2 / sum F_exp^2) with F(Q) = Q[S(Q)-1] weighted as the measured set says, over its Q points "
        "inside the simulated Q range (simulation interpolated); Wright's R_chi proper (T(r)) is in the gathered summary"
    )
    return {"sq": sq, "gr": gr, "meta": out_meta}


def r_chi_fq(q: np.ndarray, s_ab: dict[str, np.ndarray], conc: dict[str, float], data: MeasuredSet) -> float:
    """R_chi_FQ of the simulated partials against one measured S(Q)/F(Q) set, weighted by its radiation, isotope and normalisation."""
    from .measured import measured_sq

    if data.radiation == "neutron":
        w, norm = neutron_lengths_fm(list(conc), data.boron_isotope), "<f>^2"
    else:
        w, norm = xray_form_factors(list(conc), q), data.xray_normalisation
    try:
        return r_chi(q, faber_ziman_total(s_ab, conc, w, norm), measured_sq(data))
    except ValueError as error:
        raise ValueError(f"{data.path}: {error}") from None


def r_chi(q_sim: np.ndarray, s_sim: np.ndarray, measured: pd.DataFrame) -> float:
    """R_chi_FQ between simulated and measured S(Q) (see module docstring for the definition)."""
    qe, se = measured["Q_inv_A"].to_numpy(), measured["S"].to_numpy()
    m = (qe >= q_sim[0]) & (qe <= q_sim[-1])
    if m.sum() < 2:
        raise ValueError("measured S(Q) does not overlap the simulated Q range")
    fe = qe[m] * (se[m] - 1)
    fs = qe[m] * (np.interp(qe[m], q_sim, s_sim) - 1)
    return float(np.sqrt(((fs - fe) ** 2).sum() / (fe**2).sum()))
