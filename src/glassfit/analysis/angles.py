"""Bond angle distributions: O–Si–O, O–B–O (split into B^III, B^IV), and T–O–T bridges (T = Si, B).

O–T–O angles use the coordination cutoffs (so O–B^IV–O is an angle inside a BO4 counted as B4);
T–O–T angles use the network bond cutoffs (2.0 Å), the same bonds as the rings.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from .core import Bonds, FrameContext, cutoff_lookup


def angles_at_centres(bonds: Bonds, n_atoms: int) -> tuple[np.ndarray, np.ndarray]:
    """All angles (deg) between pairs of bonds sharing a centre atom, and the centre of each angle.

    ``bonds`` must be sorted by centre ``i``. Vectorised per neighbour count.
    """
    ang, cen, _, _ = _angles_with_ends(bonds, n_atoms)
    return ang, cen


class AnglesAccumulator:
    """Histograms of bond angles per kind; exact means from running sums."""

    name = "angles"
    KINDS = ("O-Si-O", "O-B-O", "O-BIII-O", "O-BIV-O", "Si-O-Si", "Si-O-B", "B-O-B", "X-O-X")

    def __init__(self, settings: dict, elements: list[str]):
        self.settings = settings
        self.dtheta = float(settings["angle_bin_deg"])
        self.nb = int(round(180.0 / self.dtheta))
        self.hist = {k: np.zeros(self.nb) for k in self.KINDS}
        self.sum = dict.fromkeys(self.KINDS, 0.0)
        self.n_frames = 0
        self.formers = [e for e in settings["network_formers"]]
        self.anion = settings["bridging_anion"]

    def _add(self, kind: str, ang: np.ndarray) -> None:
        self.hist[kind] += np.bincount(np.minimum((ang / self.dtheta).astype(int), self.nb - 1), minlength=self.nb)
        self.sum[kind] += float(ang.sum())

    def add(self, ctx: FrameContext) -> None:
        self.n_frames += 1
        n = len(ctx.type_index)
        s = self.settings
        for t in ("Si", "B"):
            rc = cutoff_lookup(s["coordination_cutoffs_A"], t, self.anion)
            if rc is None or ctx.index(t) < 0:
                continue
            b = ctx.bonds_between(t, self.anion, rc)
            ang, cen = angles_at_centres(b, n)
            self._add(f"O-{t}-O", ang)
            if t == "B":
                cn = np.bincount(b.i, minlength=n)
                self._add("O-BIII-O", ang[cn[cen] == 3])
                self._add("O-BIV-O", ang[cn[cen] == 4])
        # T-O-T: bonds from O to network formers within the network cutoffs
        parts = []
        for t in self.formers:
            rc = cutoff_lookup(s["network_bond_cutoffs_A"], t, self.anion)
            if rc is not None and ctx.index(t) >= 0:
                parts.append(ctx.bonds_between(self.anion, t, rc))
        if not parts:
            return
        i = np.concatenate([p.i for p in parts])
        order = np.argsort(i, kind="stable")
        b = Bonds(*(np.concatenate([getattr(p, f) for p in parts])[order] for f in ("i", "j", "d", "vec")))
        # angles with the pair of T atoms: recompute which T pair each angle has via the same grouping
        ang, cen, tj_a, tj_b = _angles_with_ends(b, n)
        ti = ctx.type_index
        self._add("X-O-X", ang)
        si, bo = ctx.index("Si"), ctx.index("B")
        ea, eb = ti[tj_a], ti[tj_b]
        self._add("Si-O-Si", ang[(ea == si) & (eb == si)])
        self._add("B-O-B", ang[(ea == bo) & (eb == bo)])
        self._add("Si-O-B", ang[((ea == si) & (eb == bo)) | ((ea == bo) & (eb == si))])

    def result(self) -> dict:
        centres = (np.arange(self.nb) + 0.5) * self.dtheta
        cols = {"angle_deg": centres}
        means, counts = {}, {}
        for k in self.KINDS:
            n = self.hist[k].sum()
            cols[f"{k}_pdf_per_deg"] = self.hist[k] / (n * self.dtheta) if n else np.full(self.nb, np.nan)
            means[k] = self.sum[k] / n if n else None
            counts[k] = int(n)
        meta = {
            "analysis": "angles",
            "n_frames": self.n_frames,
            "mean_angle_deg": means,
            "n_angles": counts,
            "definition": "O-T-O with the coordination cutoffs (BIII/BIV: B with 3/4 O within the B-O cutoff); "
            "T-O-T with the network bond cutoffs; X = any network former; distributions normalised to unit area",
        }
        return {"table": pd.DataFrame(cols), "meta": meta}


def _angles_with_ends(bonds: Bonds, n_atoms: int):
    """Like :func:`angles_at_centres` but also returns the two end atoms of each angle."""
    if len(bonds.i) == 0:
        z = np.zeros(0, int)
        return np.zeros(0), z, z, z
    counts = np.bincount(bonds.i, minlength=n_atoms)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    unit = bonds.vec / bonds.d[:, None]
    A, C, JA, JB = [], [], [], []
    for k in np.unique(counts):
        if k < 2:
            continue
        centres = np.flatnonzero(counts == k)
        idx = start[centres][:, None] + np.arange(k)[None, :]
        ia, ib = np.array(list(combinations(range(k), 2))).T
        u = unit[idx]
        cos = np.einsum("nkd,nkd->nk", u[:, ia], u[:, ib])
        A.append(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))).ravel())
        C.append(np.repeat(centres, len(ia)))
        JA.append(bonds.j[idx[:, ia]].ravel())
        JB.append(bonds.j[idx[:, ib]].ravel())
    if not A:
        z = np.zeros(0, int)
        return np.zeros(0), z, z, z
    return tuple(np.concatenate(x) for x in (A, C, JA, JB))
