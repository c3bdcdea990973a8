"""Shortest-path rings of the network-former (T = Si, B) network.

Graph: nodes are T atoms; two T are linked when they are bonded (within the network bond cutoffs,
2.0 Å) to a common O. Rings are Franzblau's shortest-path (SP) rings (D.S. Franzblau, Phys. Rev. B 44,
4925 (1991)): closed paths such that no two ring members are joined by a shorter path through the
network than along the ring. Size = number of T atoms. The search is matscipy's C implementation
(``matscipy.rings.find_sp_rings``), fed with the T–T graph and its periodic bond vectors so rings that
wind through the periodic boundary are not counted. Two T sharing two or more O (edge sharing) form
a 2-ring, counted separately because the T–T graph has a single link for them.

matscipy measures graph distances on the periodic (quotient) graph, which equal the true distances only
if no short path winds through the boundary. In a small box that makes large rings look short-circuited
and drops them (seen for a 16 Å box). Boxes with an edge below ``MIN_BOX_PER_RING_SIZE_A`` × max size
(30 Å for 12) are therefore replicated before the search and the counts divided by the number of copies;
a 33 Å glass gave identical counts alone and as a 2×2×2 replica.
"""

from __future__ import annotations

import numpy as np
from matscipy.rings import distances_on_graph, find_sp_rings

from glassfit.trajectory import Frame

from .core import Bonds, FrameContext, cutoff_lookup

MIN_BOX_PER_RING_SIZE_A = 2.5

DEFINITION = (
    "Franzblau shortest-path rings of the T-T graph (T = network formers, linked when bonded to a common "
    "bridging O within the network bond cutoffs); size = number of T atoms; counts per frame averaged over frames; "
    "rings_per_T = distinct rings of that size / number of T atoms; 2-rings = T pairs sharing >= 2 O"
)


def tt_graph(t_o: Bonds, n_atoms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """T–T links (both directions, sorted) with vectors r_j − r_i, from directed T→O bonds.

    Returns ``(i, j, vec, n_two_rings)``; duplicate links (edge-sharing T pairs) are merged and counted.
    """
    order = np.argsort(t_o.j, kind="stable")  # group by O
    t, o, v = t_o.i[order], t_o.j[order], t_o.vec[order]  # v = r_O - r_T
    counts = np.bincount(o, minlength=n_atoms)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    I, J, R = [], [], []
    for k in np.unique(counts):
        if k < 2:
            continue
        oxy = np.flatnonzero(counts == k)
        idx = start[oxy][:, None] + np.arange(k)[None, :]
        for a in range(k):
            for b in range(k):
                if a != b:
                    I.append(t[idx[:, a]])
                    J.append(t[idx[:, b]])
                    R.append(v[idx[:, a]] - v[idx[:, b]])  # (r_O - r_Ta) - (r_O - r_Tb) = r_Tb - r_Ta
    if not I:
        return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros((0, 3)), 0
    i, j, r = np.concatenate(I), np.concatenate(J), np.concatenate(R)
    # merge links between the same T pair through the same periodic image (edge sharing)
    shift = np.round(r, 1)
    key = np.column_stack([i, j, shift])
    _, first, mult = np.unique(key, axis=0, return_index=True, return_counts=True)
    n_two = int(((mult >= 2) & (i[first] < j[first])).sum())
    i, j, r = i[first], j[first], r[first]
    order = np.lexsort((j, i))
    return i[order], j[order], r[order], n_two


def sp_ring_counts(i: np.ndarray, j: np.ndarray, vec: np.ndarray, max_size: int) -> np.ndarray:
    """Number of distinct SP rings of each size 0..max_size on a graph given as sorted directed links."""
    out = np.zeros(max_size + 1, np.int64)
    if len(i) == 0:
        return out
    nodes, inv = np.unique(np.concatenate([i, j]), return_inverse=True)
    ii = inv[: len(i)].astype(np.int32)
    jj = inv[len(i):].astype(np.int32)
    dist = distances_on_graph(ii, jj)
    # matscipy returns sizes below maxlength (and some at it): ask one more and truncate
    rs = np.asarray(find_sp_rings(ii, jj, np.ascontiguousarray(vec, float), dist, max_size + 1))
    n = min(len(rs), max_size + 1)
    out[:n] = rs[:n]
    return out


def replicated_context(ctx: FrameContext, reps: np.ndarray) -> FrameContext:
    """The frame of ``ctx`` repeated ``reps`` times along x, y, z, as a new context."""
    f = ctx.frame
    shifts = np.array([(a, b, c) for a in range(reps[0]) for b in range(reps[1]) for c in range(reps[2])]) * f.box_len
    n = len(shifts)
    big = Frame(timestep=f.timestep, box_lo=f.box_lo, box_len=f.box_len * reps, ids=np.arange(n * len(f.ids)) + 1,
                types=np.tile(f.types, n), positions=np.concatenate([f.positions + s for s in shifts]))
    return FrameContext(big, ctx.elements, ctx.settings, ctx._bond_cut, None)


class RingsAccumulator:
    """Per-frame SP ring statistics, averaged over frames."""

    name = "rings"

    def __init__(self, settings: dict, elements: list[str]):
        self.settings = settings
        self.max_size = int(settings["ring_max_size"])
        self.formers = list(settings["network_formers"])
        self.anion = settings["bridging_anion"]
        self.per_frame: list[np.ndarray] = []
        self.n_t: list[int] = []

    def add(self, ctx: FrameContext) -> None:
        box = np.asarray(ctx.frame.box_len, float)
        reps = np.maximum(1, np.ceil(MIN_BOX_PER_RING_SIZE_A * self.max_size / box)).astype(int)
        if reps.prod() > 1:
            ctx = replicated_context(ctx, reps)
        parts = []
        for t in self.formers:
            rc = cutoff_lookup(self.settings["network_bond_cutoffs_A"], t, self.anion)
            if rc is not None and ctx.index(t) >= 0:
                parts.append(ctx.bonds_between(t, self.anion, rc))
        n_t = int(sum((ctx.type_index == ctx.index(t)).sum() for t in self.formers if ctx.index(t) >= 0))
        counts = np.zeros(self.max_size + 1, np.int64)
        if parts:
            b = Bonds(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("i", "j", "d", "vec")))
            i, j, r, n_two = tt_graph(b, len(ctx.type_index))
            counts = sp_ring_counts(i, j, r, self.max_size)
            counts[2] = n_two
        if reps.prod() > 1:
            counts = counts // reps.prod()
            n_t //= int(reps.prod())
        self.per_frame.append(counts)
        self.n_t.append(n_t)

    def result(self) -> dict:
        counts = np.array(self.per_frame, float)  # (frames, size)
        n_t = np.array(self.n_t, float)
        mean_counts = counts.mean(0)
        sizes = np.arange(self.max_size + 1)
        total = mean_counts.sum()
        per_t = (counts / np.where(n_t > 0, n_t, np.nan)[:, None]).mean(0) if len(n_t) and n_t.max() > 0 else None
        return {
            "analysis": "rings",
            "definition": DEFINITION,
            "n_frames": len(self.per_frame),
            "max_size": self.max_size,
            "network_formers": self.formers,
            "network_bond_cutoffs_A": self.settings["network_bond_cutoffs_A"],
            "n_T_mean": float(n_t.mean()) if len(n_t) else None,
            "size": sizes[2:].tolist(),
            "rings_per_frame_mean": mean_counts[2:].tolist(),
            "rings_per_T": per_t[2:].tolist() if per_t is not None else None,
            "fraction": (mean_counts[2:] / total).tolist() if total else None,
            "mean_ring_size": float((sizes * mean_counts).sum() / total) if total else None,
            "mean_ring_size_undefined_reason": None if total else "no rings found (no network formers or no links)",
        }
