"""Figures of the structural validation, drawn from the CSV/JSON files the suite writes.

Every function takes data keyed by a composition label (e.g. "24B"), draws one figure, saves it to
``path`` (format from the suffix) and returns the path. Matplotlib runs headless (Agg).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def _col(df: pd.DataFrame, name: str) -> np.ndarray | None:
    """A column by plain name or as ``<name>_mean`` (gathered replica files)."""
    for c in (name, f"{name}_mean"):
        if c in df:
            return df[c].to_numpy()
    return None


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


def plot_partial_pdfs(
    pdfs: Mapping[str, pd.DataFrame], path: str | Path, pairs: Sequence[str] = ("Si-O", "B-O", "Na-O", "Ca-O"), r_max_A: float = 6.0
) -> Path:
    """Partial g(r) of the given pairs, one panel per pair, one line per composition."""
    fig, axes = plt.subplots(1, len(pairs), figsize=(3.2 * len(pairs), 3.0), squeeze=False)
    for ax, pair in zip(axes[0], pairs):
        for label, df in pdfs.items():
            g = _col(df, f"g_{pair}")
            if g is not None:
                ax.plot(df["r_A"], g, lw=1, label=label)
        ax.set(xlim=(0, r_max_A), xlabel="r (Å)", ylabel=f"g$_{{{pair}}}$(r)", title=pair)
    axes[0][0].legend(fontsize=7)
    return _save(fig, path)


def plot_bond_angles(
    angles: Mapping[str, pd.DataFrame], path: str | Path, kinds: Sequence[str] = ("O-Si-O", "O-BIII-O", "O-BIV-O", "X-O-X")
) -> Path:
    """Bond angle distributions, one panel per angle kind, one line per composition."""
    fig, axes = plt.subplots(1, len(kinds), figsize=(3.2 * len(kinds), 3.0), squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        for label, df in angles.items():
            p = _col(df, f"{kind}_pdf_per_deg")
            if p is not None and np.isfinite(p).any():
                ax.plot(df["angle_deg"], p, lw=1, label=label)
        ax.set(xlim=(60, 180), xlabel="angle (°)", ylabel="P(θ) (1/°)", title=kind)
    axes[0][0].legend(fontsize=7)
    return _save(fig, path)


def plot_vs_b2o3(
    b2o3_mol: Sequence[float], values: Sequence[float | None], path: str | Path, ylabel: str, errors: Sequence[float | None] | None = None
) -> Path:
    """A scalar (e.g. mean X–O–X angle, mean ring size) against B2O3 content, with error bars."""
    x = np.asarray(b2o3_mol, float)
    y = np.array([np.nan if v is None else v for v in values], float)
    e = None if errors is None else np.array([np.nan if v is None else v for v in errors], float)
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.errorbar(x, y, yerr=e, marker="o", capsize=3)
    ax.set(xlabel="B$_2$O$_3$ (mol%)", ylabel=ylabel)
    return _save(fig, path)


def plot_mean_angle_vs_b2o3(b2o3_mol, mean_deg, path, std_deg=None) -> Path:
    """Mean X–O–X (X = Si, B) angle against B2O3 content."""
    return plot_vs_b2o3(b2o3_mol, mean_deg, path, "mean X–O–X angle (°)", std_deg)


def plot_mean_ring_size_vs_b2o3(b2o3_mol, mean_size, path, std=None) -> Path:
    """Mean ring size (T atoms) against B2O3 content."""
    return plot_vs_b2o3(b2o3_mol, mean_size, path, "mean ring size (T atoms)", std)


def plot_ring_distribution(rings: Mapping[str, dict], path: str | Path) -> Path:
    """Ring size distributions (fraction of rings per size), one line per composition; rings.json dicts."""
    fig, ax = plt.subplots(figsize=(4.5, 3))
    for label, r in rings.items():
        frac = r.get("fraction", r.get("fraction_mean"))
        if frac is not None:
            ax.plot(r["size"], frac, marker="o", ms=3, label=label)
    ax.set(xlabel="ring size (T atoms)", ylabel="fraction of rings")
    ax.legend(fontsize=7)
    return _save(fig, path)


def plot_structure_factor(
    sq: Mapping[str, pd.DataFrame],
    path: str | Path,
    kind: str = "neutron",
    measured: Mapping[str, pd.DataFrame] | None = None,
    offset: float = 0.5,
) -> Path:
    """Total S(Q) (``kind`` neutron or xray) per composition, stacked with an offset; measured S(Q) as dots."""
    fig, ax = plt.subplots(figsize=(5, 1.0 + 0.9 * max(len(sq), 2)))
    for k, (label, df) in enumerate(sq.items()):
        s = _col(df, f"S_{kind}")
        line = ax.plot(df["Q_inv_A"], s + k * offset, lw=1, label=label)[0]
        if measured and label in measured:
            m = measured[label]
            ax.plot(m["Q_inv_A"], m["S"] + k * offset, ".", ms=2, color=line.get_color())
    ax.set(xlabel="Q (Å$^{-1}$)", ylabel=f"S(Q) {kind} (offset)")
    ax.legend(fontsize=7)
    return _save(fig, path)


def plot_density_vs_angle(
    angle_deg: Sequence[float], density_g_cm3: Sequence[float], b4: Sequence[float | None], labels: Sequence[str], path: str | Path
) -> Path:
    """Density against mean X–O–X angle; marker area proportional to B4."""
    b = np.nan_to_num(np.array([np.nan if v is None else v for v in b4], float))  # no B4 (no boron): smallest marker
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    ax.scatter(angle_deg, density_g_cm3, s=20 + 300 * b, alpha=0.7)
    for x, y, t in zip(angle_deg, density_g_cm3, labels):
        ax.annotate(t, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set(xlabel="mean X–O–X angle (°)", ylabel="density (g/cm$^3$)", title="marker size ∝ B4")
    return _save(fig, path)
