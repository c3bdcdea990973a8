"""Entry points: analyse one run's trajectory (:func:`run_suite`) and average replicas (:func:`gather`).

Files written by :func:`run_suite` into ``outdir`` (each complete or absent: written to a temporary
name and renamed):

- ``coordination.json``  CN distributions, B3/B4/B5 fractions, mean bond lengths
- ``pdf.csv`` / ``pdf.json``  partial g(r) and running CNs / metadata
- ``angles.csv`` / ``angles.json``  bond angle distributions / means
- ``rings.json``  ring size distribution and mean ring size
- ``sq.csv``, ``gr_total.csv``, ``scattering.json``  S(Q) (neutron, X-ray, partials), total G(r), R_chi_FQ
- ``comparison.json``  only with ``real_space_r_chi`` (``glassfit analyse``): Wright's R_chi of this run against each measured set

The trajectory is a LAMMPS text dump (the campaign's runs) or any iterable of frames, e.g. a trajectory of another MD
code read by MDAnalysis (:mod:`glassfit.analysis.reader`, the ``glassfit analyse`` command).

:func:`gather` recomputes every replica's S(Q) and G(r) from its g(r) cut at the smallest r_max of the replicas
(one resolution), and computes Wright's real-space R_chi on the replica-mean g(r) (``R_chi_<set>``).
- ``summary.json``  the scalars of all analyses as one flat dict (keys with units)
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from glassfit.trajectory import Frame, iter_dump

from .angles import AnglesAccumulator
from .coordination import CoordinationAccumulator
from .core import FrameContext, mean_std, resolve_settings
from .pdf import PDFAccumulator
from .measured import from_dicts, r_chi_real_space
from .rings import RingsAccumulator
from .scattering import structure_factors

ACCUMULATORS = {
    "coordination": CoordinationAccumulator,
    "pdf": PDFAccumulator,
    "angles": AnglesAccumulator,
    "rings": RingsAccumulator,
}
CURVE_FILES = {"pdf.csv": "r_A", "angles.csv": "angle_deg", "sq.csv": "Q_inv_A", "gr_total.csv": "r_A"}


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _json_default(o: Any):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o)}")


def _finite(o: Any) -> Any:
    """Replace non-finite floats by None (JSON has no NaN), recursively."""
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    if isinstance(o, np.ndarray):
        return _finite(o.tolist())
    if isinstance(o, float) and not np.isfinite(o):
        return None
    return o


def write_json(path: str | Path, data: dict) -> None:
    """Write ``data`` as indented JSON (NaN → null), atomically."""
    _atomic_write(Path(path), json.dumps(_finite(data), indent=1, default=_json_default, allow_nan=False) + "\n")


def write_csv(path: str | Path, df: pd.DataFrame) -> None:
    """Write a table as CSV, atomically."""
    _atomic_write(Path(path), df.to_csv(index=False, float_format="%.6g"))


def analyse_frames(frames: Iterable, elements: Sequence[str], settings: dict | None = None, analyses: Sequence[str] | None = None) -> dict:
    """Run the per-frame analyses over ``frames`` and return their results (nothing written).

    Returns ``{"coordination": {...}, "pdf": {...}, "angles": {...}, "rings": {...}, "scattering": {...},
    "timing_s": {...}}`` for the requested analyses.
    """
    s = resolve_settings(settings)
    wanted = list(analyses if analyses is not None else s["analyses"])
    per_frame = [a for a in ACCUMULATORS if a in wanted or (a == "pdf" and "scattering" in wanted)]
    elements = list(elements)
    accs = {a: ACCUMULATORS[a](s, elements) for a in per_frame}
    cuts = [*s["coordination_cutoffs_A"].values(), *s["network_bond_cutoffs_A"].values()]
    bond_cut = max(cuts) if cuts else 2.0
    timing = dict.fromkeys([*per_frame, "neighbours", "read"], 0.0)
    n = 0
    it = iter(frames)
    while True:
        t0 = time.perf_counter()
        frame = next(it, None)
        timing["read"] += time.perf_counter() - t0
        if frame is None:
            break
        n += 1
        t0 = time.perf_counter()
        ctx = FrameContext(frame, elements, s, bond_cut, None)
        if set(per_frame) - {"pdf"}:
            ctx.bonds
        timing["neighbours"] += time.perf_counter() - t0
        for name, acc in accs.items():
            t0 = time.perf_counter()
            acc.add(ctx)
            timing[name] += time.perf_counter() - t0
    if n == 0:
        raise ValueError("the trajectory has no frames")
    out: dict[str, Any] = {name: acc.result() for name, acc in accs.items()}
    if "scattering" in wanted:
        t0 = time.perf_counter()
        out["scattering"] = structure_factors(out["pdf"], s)
        timing["scattering"] = time.perf_counter() - t0
    if "pdf" not in wanted:
        out.pop("pdf", None)
    out["timing_s"] = timing
    out["n_frames"] = n
    return out


def summarize(results: dict) -> dict[str, float | None | str]:
    """Flat dict of the scalar results (keys carry units; None = undefined, with a ``*_reason`` key)."""
    out: dict[str, Any] = {"n_frames": results.get("n_frames")}
    c = results.get("coordination")
    if c:
        for k in (3, 4, 5):
            out[f"B{k}_fraction"] = c[f"B{k}_fraction"]
        out["B4_fraction_undefined_reason"] = c["boron_undefined_reason"]
        for pair, v in c["mean_cn"].items():
            out[f"mean_cn_{pair}"] = v
        for pair, v in c["mean_bond_length_A"].items():
            out[f"mean_bond_length_{pair}_A"] = v
        for former, qn in c.get("qn_distribution", {}).items():
            for label, v in (qn or {}).items():
                out[f"{label}_{former}"] = v
    a = results.get("angles")
    if a:
        for k, v in a["meta"]["mean_angle_deg"].items():
            out[f"mean_angle_{k}_deg"] = v
    r = results.get("rings")
    if r:
        out["mean_ring_size_T"] = r["mean_ring_size"]
        for size, frac in zip(r["size"], r["fraction"] or [None] * len(r["size"])):
            out[f"ring_fraction_{size}"] = frac
    sc = results.get("scattering")
    if sc:
        for name, comp in sc["meta"]["comparison"].items():
            out[f"R_chi_FQ_{name}"] = comp["R_chi_FQ"]
    p = results.get("pdf")
    if p:
        out["number_density_inv_A3"] = p["meta"]["number_density_inv_A3"]
    return out


def run_suite(
    dump_path: str | Path | Iterable[Frame],
    elements: Sequence[str],
    settings: dict | None,
    outdir: str | Path,
    analyses: Sequence[str] | None = None,
    extra: dict | None = None,
    real_space_r_chi: bool = False,
) -> dict:
    """Analyse one run's production trajectory and write one file per analysis into ``outdir``.

    ``dump_path`` is a LAMMPS text dump (read by :func:`glassfit.trajectory.iter_dump`) or any iterable of
    :class:`~glassfit.trajectory.Frame` (e.g. :func:`glassfit.analysis.reader.open_trajectory`: other formats).
    ``elements[i-1]`` is the element of type i. Returns the flat summary (also written as ``summary.json``),
    with the scalars of ``extra`` (e.g. the run's MD density) added; ``summary["trajectory"]`` is the dump's path
    (for frames: ``extra["trajectory"]``, else None). With ``real_space_r_chi`` (and measured sets and the pdf),
    Wright's R_chi of this run's g(r) against each set is added as ``R_chi_<set>`` (details in ``comparison.json``),
    as :func:`gather` does for the replica mean.
    """
    outdir = Path(outdir)
    s = resolve_settings(settings)
    frames = iter_dump(dump_path) if isinstance(dump_path, (str, os.PathLike)) else dump_path
    res = analyse_frames(frames, elements, s, analyses)
    if "coordination" in res:
        write_json(outdir / "coordination.json", res["coordination"])
    if "pdf" in res:
        write_csv(outdir / "pdf.csv", res["pdf"]["table"])
        write_json(outdir / "pdf.json", {**res["pdf"]["meta"], "measured": s["measured"]})
    if "angles" in res:
        write_csv(outdir / "angles.csv", res["angles"]["table"])
        write_json(outdir / "angles.json", res["angles"]["meta"])
    if "rings" in res:
        write_json(outdir / "rings.json", res["rings"])
    if "scattering" in res:
        write_csv(outdir / "sq.csv", res["scattering"]["sq"])
        write_csv(outdir / "gr_total.csv", res["scattering"]["gr"])
        write_json(outdir / "scattering.json", res["scattering"]["meta"])
    summary = {**summarize(res), **(extra or {})}
    if "pdf" in res and real_space_r_chi:
        summary.update(r_chi_of_run(res["pdf"], s, outdir))
    if isinstance(dump_path, (str, os.PathLike)):
        summary["trajectory"] = str(dump_path)
    else:
        summary.setdefault("trajectory", None)
    summary["elements"] = list(elements)
    summary["timing_s"] = res["timing_s"]
    write_json(outdir / "summary.json", summary)
    return summary


def r_chi_of_run(pdf: dict, settings: dict, outdir: Path) -> dict:
    """Wright's R_chi of one run's g(r) against each measured set (``R_chi_<set>``), details in ``comparison.json``; {} without sets."""
    sets = from_dicts(settings.get("measured", []))
    if not sets:
        return {}
    meta = pdf["meta"]
    details = {m.name: r_chi_real_space(pdf["table"], meta["concentrations"], meta["number_density_inv_A3"], m) for m in sets}
    write_json(outdir / "comparison.json", {"definition": "Wright's R_chi on T(r) of this trajectory's g(r), broadened by each set's Q_max "
                                            "and modification function (glassfit.analysis.measured)", "r_max_A": meta["r_max_A"], "sets": details})
    return {f"R_chi_{name}": d["R_chi"] for name, d in details.items()}


def gather(run_dirs: Sequence[str | Path], outdir: str | Path, extra: dict | None = None) -> dict:
    """Average replica runs: scalars of ``summary.json`` → mean/std/n; curves → ``<name>`` with _mean/_std columns.

    Writes ``summary.json`` (``{key: {"mean", "std", "n"}}``, plus ``extra``), ``rings.json`` (mean ± std per
    size) and the averaged curve CSVs into ``outdir``; returns the summary.
    """
    run_dirs = [Path(d) for d in run_dirs]
    if not run_dirs:
        raise ValueError("gather needs at least one run directory")
    summaries = [json.loads((d / "summary.json").read_text()) for d in run_dirs]
    keys = [k for k in summaries[0] if k not in ("trajectory", "elements", "timing_s") and not k.endswith("_reason")]
    out: dict[str, Any] = {}
    for k in keys:
        vals = [s.get(k) for s in summaries]
        if all(v is None or isinstance(v, (int, float)) for v in vals):
            out[k] = mean_std(vals)
    for k in summaries[0]:
        if k.endswith("_reason"):
            reasons = sorted({s.get(k) for s in summaries if s.get(k)})
            out[k] = "; ".join(reasons) if reasons else None
    out["runs"] = [str(d) for d in run_dirs]
    out.update(extra or {})
    outdir = Path(outdir)
    curves = {name: [pd.read_csv(d / name) for d in run_dirs if (d / name).exists()] for name in CURVE_FILES}
    curves.update(common_r_max_scattering(run_dirs))
    for name, x in CURVE_FILES.items():
        if curves[name]:
            write_csv(outdir / name, average_curves(curves[name], x))
    if (outdir / "pdf.csv").exists():
        write_json(outdir / "pdf.json", gathered_pdf_meta(run_dirs))
        out.update(r_chi_of_mean(run_dirs, pd.read_csv(outdir / "pdf.csv"), outdir))
    write_json(outdir / "summary.json", out)
    rings = [json.loads((d / "rings.json").read_text()) for d in run_dirs if (d / "rings.json").exists()]
    if rings:
        per_t = [r["rings_per_T"] for r in rings if r["rings_per_T"] is not None]
        frac = [r["fraction"] for r in rings if r["fraction"] is not None]
        write_json(
            outdir / "rings.json",
            {
                "definition": rings[0]["definition"],
                "size": rings[0]["size"],
                "rings_per_T_mean": np.mean(per_t, 0).tolist() if per_t else None,
                "rings_per_T_std": np.std(per_t, 0, ddof=1).tolist() if len(per_t) > 1 else None,
                "fraction_mean": np.mean(frac, 0).tolist() if frac else None,
                "fraction_std": np.std(frac, 0, ddof=1).tolist() if len(frac) > 1 else None,
                "mean_ring_size": mean_std([r["mean_ring_size"] for r in rings]),
                "n_runs": len(rings),
            },
        )
    return out


def average_curves(tabs: Sequence[pd.DataFrame], x: str) -> pd.DataFrame:
    """Replica curves → ``<column>_mean`` / ``<column>_std`` on the shortest common ``x`` grid."""
    n = min(len(t) for t in tabs)
    cols = [c for c in tabs[0].columns if c != x and all(c in t for t in tabs)]
    stack = np.stack([t[cols].to_numpy()[:n] for t in tabs])  # (runs, n, cols)
    data = {x: tabs[0][x].to_numpy()[:n]}
    with np.errstate(invalid="ignore"):
        for k, c in enumerate(cols):
            data[f"{c}_mean"] = np.nanmean(stack[:, :, k], axis=0)
            data[f"{c}_std"] = np.nanstd(stack[:, :, k], axis=0, ddof=1) if len(tabs) > 1 else np.full(n, np.nan)
    return pd.DataFrame(data)


def common_r_max(pdf_metas: Sequence[dict]) -> float:
    """The r_max curves compared with each other share: the smallest of theirs (pdf_r_max_A when set, else the smallest half box)."""
    return min(float(m["r_max_A"]) for m in pdf_metas)


def common_r_max_scattering(run_dirs: Sequence[Path]) -> dict[str, list[pd.DataFrame]]:
    """Every replica's S(Q) and G(r) recomputed from its g(r) cut at the replicas' common r_max ({} if they share it already)."""
    runs = [d for d in run_dirs if (d / "scattering.json").exists() and (d / "pdf.csv").exists()]
    metas = [json.loads((d / "pdf.json").read_text()) for d in runs]
    if len(runs) < len(run_dirs) or len({m["r_max_A"] for m in metas}) <= 1:
        return {}
    r_max = common_r_max(metas)
    res = [structure_factors({"table": pd.read_csv(d / "pdf.csv"), "meta": m}, json.loads((d / "scattering.json").read_text())["settings"], r_max)
           for d, m in zip(runs, metas)]
    return {"sq.csv": [r["sq"] for r in res], "gr_total.csv": [r["gr"] for r in res]}


def gathered_pdf_meta(run_dirs: Sequence[Path]) -> dict:
    """pdf.json of the replica mean: the first run's, with the mean number density, the common r_max and the S(Q) settings."""
    metas = [json.loads((d / "pdf.json").read_text()) for d in run_dirs if (d / "pdf.json").exists()]
    scattering = [json.loads((d / "scattering.json").read_text()) for d in run_dirs if (d / "scattering.json").exists()]
    return {**metas[0], "number_density_inv_A3": float(np.mean([m["number_density_inv_A3"] for m in metas])), "r_max_A": common_r_max(metas),
            "sq_settings": scattering[0]["settings"] if scattering else None, "n_runs": len(metas)}


def comparable_sq(structure_dirs: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """Gathered S(Q) of the compared folders (label → gathered dir), recomputed from the mean g(r) at their common r_max when theirs differ."""
    folders = {k: Path(v) for k, v in structure_dirs.items() if (Path(v) / "sq.csv").exists()}
    metas = {k: json.loads((d / "pdf.json").read_text()) for k, d in folders.items() if (d / "pdf.json").exists()}
    if len(metas) < len(folders) or len({m["r_max_A"] for m in metas.values()}) <= 1:
        return {k: pd.read_csv(d / "sq.csv") for k, d in folders.items()}
    r_max = common_r_max(list(metas.values()))
    out = {}
    for k, d in folders.items():
        mean = pd.read_csv(d / "pdf.csv")
        table = mean[["r_A"] + [c for c in mean if c.startswith("g_") and c.endswith("_mean")]].rename(columns=lambda c: c.removesuffix("_mean"))
        out[k] = structure_factors({"table": table, "meta": metas[k]}, metas[k]["sq_settings"], r_max)["sq"]
    return out


def r_chi_of_mean(run_dirs: Sequence[Path], mean_pdf: pd.DataFrame, outdir: Path) -> dict:
    """Wright's R_chi of the replica-mean g(r) against each measured set (``R_chi_<set>``), details in ``comparison.json``."""
    metas = [json.loads((d / "pdf.json").read_text()) for d in run_dirs if (d / "pdf.json").exists()]
    sets = from_dicts(metas[0].get("measured", [])) if metas else []
    if not sets:
        return {}
    rho0 = float(np.mean([m["number_density_inv_A3"] for m in metas]))
    details = {m.name: r_chi_real_space(mean_pdf, metas[0]["concentrations"], rho0, m, suffix="_mean") for m in sets}
    write_json(outdir / "comparison.json", {"definition": "Wright's R_chi on T(r) of the replica-mean g(r), broadened by each set's Q_max "
                                            "and modification function (glassfit.analysis.measured)", "r_max_A": common_r_max(metas), "sets": details})
    return {f"R_chi_{name}": {"mean": d["R_chi"], "std": None, "n": len(metas)} for name, d in details.items()}
