"""What a run measures for its campaign's targets, in the run's own job: one pass over its production frames.

Each structural observable (glassfit.model.Observable) is computed on every frame with the structure suite's
neighbour search (glassfit.analysis.core: bonds within a cutoff, both directions) and averaged over frames (its
``_std`` is the spread over frames); a diffraction target is Wright's R_chi of the run's frame-averaged g(r)
against the glass's measured data set (glassfit.analysis.measured), one value per run. Density comes from the
thermo output (glassfit.md), not from here.
"""

from __future__ import annotations

import time
from typing import Iterable, Mapping, Sequence

import numpy as np

from glassfit.model import Observable
from glassfit.trajectory import Frame

from .angles import angles_at_centres
from .core import FrameContext, resolve_settings
from .measured import MeasuredSet, r_chi_real_space
from .pdf import PDFAccumulator


def _atoms(ctx: FrameContext, element: str) -> np.ndarray:
    return np.flatnonzero(ctx.type_index == ctx.index(element)) if ctx.index(element) >= 0 else np.zeros(0, int)


def coordination_fraction(ctx: FrameContext, o: Observable) -> float | None:
    """Fraction of ``center`` atoms with exactly ``n`` ``neighbour`` atoms within ``cutoff_A``; None without centres."""
    atoms = _atoms(ctx, o.center)
    if not len(atoms):
        return None
    cn = np.bincount(ctx.bonds_between(o.center, o.neighbour, o.cutoff_A).i, minlength=len(ctx.type_index))[atoms]
    return float(np.mean(cn == o.n))


def bridging(ctx: FrameContext, o: Observable) -> np.ndarray:
    """Per atom: whether it is a ``neighbour`` atom within ``cutoff_A`` of two or more atoms of ``formers``."""
    count = np.zeros(len(ctx.type_index), int)
    for former in o.formers:
        count += np.bincount(ctx.bonds_between(o.neighbour, former, o.cutoff_A).i, minlength=len(ctx.type_index))
    return count >= 2


def bridging_counts(ctx: FrameContext, o: Observable) -> np.ndarray:
    """Per ``center`` atom: how many bridging ``neighbour`` atoms it has within ``cutoff_A`` (its n of Q^n)."""
    b = ctx.bonds_between(o.center, o.neighbour, o.cutoff_A)
    counts = np.bincount(b.i, weights=bridging(ctx, o)[b.j].astype(float), minlength=len(ctx.type_index))
    return np.rint(counts[_atoms(ctx, o.center)]).astype(int)


def qn_fraction(ctx: FrameContext, o: Observable) -> float | None:
    """Fraction of ``center`` atoms with exactly ``n`` bridging ``neighbour`` atoms within ``cutoff_A`` (Q^n)."""
    counts = bridging_counts(ctx, o)
    return float(np.mean(counts == o.n)) if len(counts) else None


def mean_bond_length(ctx: FrameContext, o: Observable) -> float | None:
    """Mean ``center``-``neighbour`` distance (Å) of the bonds within ``cutoff_A``; None without such bonds."""
    d = ctx.bonds_between(o.center, o.neighbour, o.cutoff_A).d
    return float(d.mean()) if len(d) else None


def mean_angle(ctx: FrameContext, o: Observable) -> float | None:
    """Mean ``neighbour``-``center``-``neighbour`` angle (degrees) of bonds within ``cutoff_A``; None without angles."""
    angles, _ = angles_at_centres(ctx.bonds_between(o.center, o.neighbour, o.cutoff_A), len(ctx.type_index))
    return float(angles.mean()) if len(angles) else None


#: the per-frame observables by kind
PER_FRAME = {"coordination_fraction": coordination_fraction, "qn_fraction": qn_fraction,
             "mean_bond_length": mean_bond_length, "mean_angle": mean_angle}


def _undefined(o: Observable) -> str:
    if o.kind == "mean_angle":
        return f"undefined: no {o.neighbour}-{o.center}-{o.neighbour} angle within {o.cutoff_A:g} A"
    if o.kind == "mean_bond_length":
        return f"undefined: no {o.center}-{o.neighbour} bond within {o.cutoff_A:g} A"
    return f"undefined: the glass has no {o.center}"


def measure(frames: Iterable[Frame], elements: Sequence[str], observables: Mapping[str, Observable], settings: dict | None = None,
            measured: Mapping[str, MeasuredSet] | None = None) -> dict:
    """``<name>_mean`` and ``<name>_std`` of every structural observable (``<name>_note`` where undefined), ``n_frames``,
    and ``analysis_s`` (seconds spent per observable, and on neighbour search): what a run records in properties.json.

    ``settings``: the campaign's analysis settings (the g(r) binning of diffraction); ``measured``: the glass's
    measured data sets by name (those its diffraction targets name).
    """
    wanted = {name: o for name, o in observables.items() if o.kind != "density"}
    per_frame = {name: o for name, o in wanted.items() if o.per_frame}
    diffraction = {name: o for name, o in wanted.items() if o.kind == "diffraction"}
    s = resolve_settings(settings)
    pdf = PDFAccumulator(s, list(elements)) if diffraction else None
    bond_cut = max([o.cutoff_A for o in per_frame.values()] or [2.0])
    values: dict[str, list[float | None]] = {name: [] for name in per_frame}
    seconds = dict.fromkeys(["neighbours", *wanted], 0.0)
    n_frames = 0
    for frame in frames:
        n_frames += 1
        t0 = time.perf_counter()
        ctx = FrameContext(frame, elements, s, bond_cut, None)
        if per_frame:
            ctx.bonds
        seconds["neighbours"] += time.perf_counter() - t0
        for name, o in per_frame.items():
            t0 = time.perf_counter()
            values[name].append(PER_FRAME[o.kind](ctx, o))
            seconds[name] += time.perf_counter() - t0
        if pdf is not None:
            t0 = time.perf_counter()
            pdf.add(ctx)
            for name in diffraction:
                seconds[name] += (time.perf_counter() - t0) / len(diffraction)
    out: dict = {"n_frames": n_frames}
    for name, o in per_frame.items():
        v = np.array([x for x in values[name] if x is not None], float)
        out[f"{name}_mean"] = float(v.mean()) if len(v) else None
        out[f"{name}_std"] = (float(v.std(ddof=1)) if len(v) > 1 else 0.0) if len(v) else None
        if not len(v):
            out[f"{name}_note"] = _undefined(o)
    if diffraction:
        t0 = time.perf_counter()
        result = pdf.result() if n_frames else None
        for name, o in diffraction.items():
            data = (measured or {}).get(o.measured)
            if result is None or data is None:
                out[f"{name}_mean"], out[f"{name}_std"] = None, None
                out[f"{name}_note"] = "undefined: no frames" if result is None else f"undefined: the glass has no measured data set {o.measured!r}"
                continue
            meta = result["meta"]
            out[f"{name}_mean"] = r_chi_real_space(result["table"], meta["concentrations"], meta["number_density_inv_A3"], data)["R_chi"]
            out[f"{name}_std"] = None  # one value per run: its spread is the replicas'
        for name in diffraction:
            seconds[name] += (time.perf_counter() - t0) / len(diffraction)
    out["analysis_s"] = {k: round(v, 4) for k, v in seconds.items()}
    return out
