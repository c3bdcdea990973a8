"""Measured diffraction data and Wright's R_chi in real space (A.C. Wright, J. Non-Cryst. Solids 159, 264 (1993)).

A measured data set is a two- or multi-column whitespace (or comma) file, with or without a header line,
'#' or '!' comment lines; the first column is Q (1/Å) or r (Å), the second the quantity: S(Q), F(Q) =
Q[S(Q) − 1], T(r) or D(r) = T(r) − 4πρ₀r. Each set states its radiation, boron isotope (neutron; default
¹¹B, as borate glasses are measured enriched), X-ray normalisation (⟨f⟩² or ⟨f²⟩), Q_max and
modification function (Lorch or none): the experiment's real-space resolution.

The simulated T(r) = 4πρ₀r Σ c_a c_b w_a w_b g_ab(r) / N_w (N_w = ⟨w⟩² or ⟨w²⟩) is broadened by that
resolution, T'(r) = 4πρ₀r + ∫ D(r') [P(r − r') − P(r + r')] dr' with P(r) = (1/π) ∫₀^Qmax M(Q) cos(Qr) dQ,
which is what transforming a perfect S(Q) up to Q_max with M(Q) gives. Measured S(Q) or F(Q) are transformed
to T(r) the same way (ρ₀ of the simulation). R_chi = sqrt(Σ[T_exp − T_sim]² / Σ T_exp²) over r_range_A
(default 1–8 Å) on the measured r points. X-ray weights are the form factors at Q = 0 (atomic numbers).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .radiation import neutron_lengths_fm, xray_form_factors

QUANTITIES = ("S(Q)", "F(Q)", "T(r)", "D(r)")
RADIATIONS = ("neutron", "xray")


@dataclass
class MeasuredSet:
    """One measured data set and how it was measured (see module docstring)."""

    path: str
    name: str = ""
    quantity: str = "S(Q)"
    radiation: str = "neutron"
    boron_isotope: str = "11B"
    xray_normalisation: str = "<f>^2"
    q_max_inv_A: float | None = None  # None: the largest Q of a Q-space file; required for T(r)/D(r) files
    modification: str = "lorch"
    r_range_A: tuple[float, float] = (1.0, 8.0)


def measured_sets(entry: dict[str, Any], key: str) -> list[MeasuredSet]:
    """The data sets of one glass (config ``analysis.measured_sq.<glass>``): ``{name: path | {file, quantity, ...}}``.

    A plain path is an S(Q) file of the radiation its name says (``neutron`` or ``xray``); any other name needs
    an object with ``radiation``. Raises one ValueError naming ``key.<name>``.
    """
    out = []
    for name, value in entry.items():
        spec = {"file": value} if isinstance(value, str) else dict(value)
        if "radiation" not in spec and name not in RADIATIONS:
            raise ValueError(f"{key}.{name}: say which radiation (radiation: neutron or xray), or name the set neutron or xray")
        spec.setdefault("radiation", name)
        if "r_range_A" in spec:
            spec["r_range_A"] = tuple(spec["r_range_A"])
        try:
            out.append(MeasuredSet(path=str(spec.pop("file")), name=name, **spec))
        except (KeyError, TypeError) as error:
            raise ValueError(f"{key}.{name}: needs 'file' and only the keys of a measured set ({error})") from None
    return out


def as_dicts(sets: list[MeasuredSet]) -> list[dict[str, Any]]:
    """Measured sets as plain dicts (JSON, Snakemake params); :func:`from_dicts` reverses it."""
    return [{**asdict(m), "r_range_A": list(m.r_range_A)} for m in sets]


def from_dicts(items: list[dict[str, Any]]) -> list[MeasuredSet]:
    """Measured sets from :func:`as_dicts` output."""
    names = {f.name for f in fields(MeasuredSet)}
    return [MeasuredSet(**{**{k: v for k, v in d.items() if k in names}, "r_range_A": tuple(d.get("r_range_A", (1.0, 8.0)))}) for d in items]


def measured_sq(data: MeasuredSet) -> pd.DataFrame | None:
    """A Q-space set as S(Q) (columns Q_inv_A, S) for plots and the Q-space R_chi_FQ; None for T(r)/D(r) sets."""
    if data.quantity not in ("S(Q)", "F(Q)"):
        return None
    q, y = read_columns(data.path).T
    return pd.DataFrame({"Q_inv_A": q, "S": y if data.quantity == "S(Q)" else 1.0 + y / np.where(q > 0, q, np.nan)})


def read_columns(path: str | Path) -> np.ndarray:
    """The first two numeric columns of a whitespace/comma file (comments '#'/'!', optional header line): array (n, 2)."""
    rows = []
    for k, line in enumerate(Path(path).read_text().splitlines(), 1):
        text = line.split("#")[0].split("!")[0].replace(",", " ").strip()
        if not text:
            continue
        fields = text.split()
        try:
            values = [float(v) for v in fields[:2]]
        except ValueError:
            if rows:
                raise ValueError(f"{path}, line {k}: not a number in {line.strip()!r}") from None
            continue  # a header line before the data
        if len(values) < 2:
            raise ValueError(f"{path}, line {k}: needs at least two columns, found {line.strip()!r}")
        rows.append(values)
    if len(rows) < 2:
        raise ValueError(f"{path}: fewer than two data rows")
    return np.array(rows)


def weights(conc: dict[str, float], data: MeasuredSet) -> dict[str, float]:
    """Normalised pair weights c_a c_b w_a w_b / N_w (both orders summed for a != b) of every unordered pair 'a-b'."""
    elements = list(conc)
    if data.radiation == "neutron":
        w = neutron_lengths_fm(elements, data.boron_isotope)
        norm = sum(conc[e] * w[e] for e in elements) ** 2
    elif data.radiation == "xray":
        w = {e: float(v[0]) for e, v in xray_form_factors(elements, np.zeros(1)).items()}
        if data.xray_normalisation == "<f>^2":
            norm = sum(conc[e] * w[e] for e in elements) ** 2
        elif data.xray_normalisation == "<f^2>":
            norm = sum(conc[e] * w[e] ** 2 for e in elements)
        else:
            raise ValueError(f"{data.path}: xray_normalisation must be '<f>^2' or '<f^2>', not {data.xray_normalisation!r}")
    else:
        raise ValueError(f"{data.path}: radiation must be 'neutron' or 'xray', not {data.radiation!r}")
    return {f"{a}-{b}": (1 if a == b else 2) * conc[a] * conc[b] * w[a] * w[b] / norm
            for i, a in enumerate(elements) for b in elements[i:]}


def modification(q: np.ndarray, q_max: float, kind: str) -> np.ndarray:
    """The experiment's modification function M(Q) up to Q_max: Lorch or none (step)."""
    if kind == "lorch":
        return np.sinc(q / q_max)
    if kind == "none":
        return np.ones_like(q)
    raise ValueError(f"modification must be 'lorch' or 'none', not {kind!r}")


def resolution_kernel(r_out: np.ndarray, r_in: np.ndarray, q_max: float, kind: str) -> np.ndarray:
    """Matrix K with (K @ D)(r) = ∫ D(r') [P(r − r') − P(r + r')] dr' on a uniform r_in grid."""
    q = np.linspace(0.0, q_max, 1001)
    m = modification(q, q_max, kind)
    dr = r_in[1] - r_in[0]
    x = np.arange(0.0, r_out.max() + r_in.max() + dr, 0.002)  # P on a fine grid, then interpolated (P is even)
    p_grid = np.concatenate([np.trapezoid(m[None, :] * np.cos(np.outer(c, q)), q, axis=1) for c in np.array_split(x, len(x) // 500 + 1)]) / np.pi

    def p(y):
        return np.interp(np.abs(y), x, p_grid)

    return (p(r_out[:, None] - r_in[None, :]) - p(r_out[:, None] + r_in[None, :])) * dr


def simulated_t(pdf: pd.DataFrame, conc: dict[str, float], rho0: float, data: MeasuredSet, r_out: np.ndarray, suffix: str = "") -> np.ndarray:
    """Broadened simulated T(r) at ``r_out`` from partial g(r) columns ``g_a-b<suffix>`` (``_mean`` for a gathered table)."""
    r = pdf["r_A"].to_numpy()
    g_total = np.zeros_like(r)
    for pair, w in weights(conc, data).items():
        a, b = pair.split("-")
        col = next((c for c in (f"g_{a}-{b}{suffix}", f"g_{b}-{a}{suffix}") if c in pdf), None)
        if col is None:
            raise ValueError(f"partial g(r) of {pair} missing from the simulated table")
        g_total += w * np.nan_to_num(pdf[col].to_numpy(), nan=1.0)
    d = 4 * np.pi * rho0 * r * (g_total - 1.0)
    q_max = data.q_max_inv_A
    if q_max is None:
        raise ValueError(f"{data.path}: q_max_inv_A is needed to broaden the simulation")
    return 4 * np.pi * rho0 * r_out + resolution_kernel(r_out, r, q_max, data.modification) @ d


def measured_t(data: MeasuredSet, rho0: float, r_out: np.ndarray) -> tuple[np.ndarray, float]:
    """Measured T(r) on ``r_out`` and the Q_max used (Q-space data transformed with the set's modification function)."""
    x, y = read_columns(data.path).T
    if data.quantity in ("T(r)", "D(r)"):
        if data.q_max_inv_A is None:
            raise ValueError(f"{data.path}: real-space data need q_max_inv_A (the experiment's Q_max)")
        t = y + (4 * np.pi * rho0 * x if data.quantity == "D(r)" else 0.0)
        return np.interp(r_out, x, t), float(data.q_max_inv_A)
    if data.quantity not in ("S(Q)", "F(Q)"):
        raise ValueError(f"{data.path}: quantity must be one of {QUANTITIES}, not {data.quantity!r}")
    q_max = float(data.q_max_inv_A or x.max())
    keep = x <= q_max
    q, f = x[keep], (y if data.quantity == "F(Q)" else x * (y - 1.0))[keep]
    f = f * modification(q, q_max, data.modification)
    return 4 * np.pi * rho0 * r_out + (2 / np.pi) * np.trapezoid(f[None, :] * np.sin(np.outer(r_out, q)), q, axis=1), q_max


def r_chi_real_space(pdf: pd.DataFrame, conc: dict[str, float], rho0: float, data: MeasuredSet, suffix: str = "") -> dict:
    """Wright's R_chi of the simulated partials against one measured set, on T(r) over ``data.r_range_A``."""
    lo, hi = data.r_range_A
    r = np.arange(lo, hi + 1e-9, 0.01)
    t_exp, q_max = measured_t(data, rho0, r)
    sim = MeasuredSet(**{**data.__dict__, "q_max_inv_A": q_max})
    t_sim = simulated_t(pdf, conc, rho0, sim, r, suffix)
    return {"R_chi": float(np.sqrt(((t_sim - t_exp) ** 2).sum() / (t_exp**2).sum())), "r_range_A": [lo, hi], "q_max_inv_A": q_max,
            "modification": data.modification, "radiation": data.radiation, "quantity": data.quantity, "path": str(data.path)}
