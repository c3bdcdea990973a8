"""Rings of the network-former (T = Si, B) network, counted on the T–O bond graph.

Graph: nodes are T atoms and the O atoms bonded to at least two T (within the network bond cutoffs,
2.0 Å); edges are T–O bonds. A ring alternates T and O, its size is its number of T atoms. Building
the search on this graph rather than on a reduced T–T graph means an O bonded to three T (a
tricluster) cannot close a T–T–T "3-ring" through one O, and two T sharing two O (edge sharing) form
an ordinary 2-ring (T2O2 square).

Criteria (``ring_criterion``):

- ``primitive``: Franzblau's shortest-path rings (D.S. Franzblau, Phys. Rev. B 44, 4925 (1991)): closed
  paths such that no two members are joined by a shorter path through the network than along the
  ring; matscipy's C implementation (``matscipy.rings.find_sp_rings``) with periodic bond vectors, so
  rings that wind through the boundary are not counted.
- ``king`` (S.V. King, Nature 213, 1112 (1967)): for each T atom and each pair of its O neighbours,
  the shortest rings through that O–T–O pair; ``guttman`` (L. Guttman, J. Non-Cryst. Solids 116, 145
  (1990)): for each T–O bond, the shortest rings through it. Both as in the RINGS code (S. Le Roux,
  P. Jund, Comput. Mater. Sci. 49, 70 (2010)), on the infinite periodic graph (breadth-first search
  over atoms and their periodic images), every distinct ring counted once. Quartz: King gives 6- and
  8-rings, Guttman 6-rings only.

matscipy measures graph distances on the periodic (quotient) graph, which equal the true distances only
if no short path winds through the boundary, so boxes with an edge below ``MIN_BOX_PER_RING_SIZE_A``
× max size are replicated before the primitive search and the counts divided by the number of copies
(a 33 Å, 3042-atom glass gave identical counts up to 16-rings alone and as a 2×2×2 replica). Rings are
topology and change slowly at 300 K, so only every ``ring_every_n_frames``-th frame is searched.
The fraction of rings at the size limit is reported: a large one means the limit cuts the distribution.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from matscipy.rings import distances_on_graph, find_sp_rings

from glassfit.trajectory import Frame

from .core import Bonds, FrameContext, cutoff_lookup

MIN_BOX_PER_RING_SIZE_A = 2.0
CRITERIA = ("primitive", "king", "guttman")

DEFINITION = (
    "rings of the T-O bond graph (T = network formers, O bonded to >= 2 T within the network bond cutoffs); "
    "size = number of T atoms; criterion: {criterion}; counts per frame averaged over frames; "
    "rings_per_T = distinct rings of that size / number of T atoms; fraction_at_max_size = share of rings at the size limit"
)


def to_graph(t_o: Bonds, n_atoms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """T–O links in both directions (sorted by source) with vectors r_j − r_i, keeping O bonded to >= 2 T."""
    keep = np.bincount(t_o.j, minlength=n_atoms)[t_o.j] >= 2
    t, o, v = t_o.i[keep], t_o.j[keep], t_o.vec[keep]  # v = r_O - r_T
    i, j, r = np.concatenate([t, o]), np.concatenate([o, t]), np.concatenate([v, -v])
    order = np.lexsort((j, i))
    return i[order], j[order], r[order]


def primitive_ring_counts(i: np.ndarray, j: np.ndarray, vec: np.ndarray, max_size: int) -> np.ndarray:
    """Number of Franzblau SP rings with 0..max_size T atoms on a T–O graph given as sorted directed links."""
    out = np.zeros(max_size + 1, np.int64)
    if len(i) == 0:
        return out
    nodes, inv = np.unique(np.concatenate([i, j]), return_inverse=True)
    ii = inv[: len(i)].astype(np.int32)
    jj = inv[len(i):].astype(np.int32)
    dist = distances_on_graph(ii, jj)
    # matscipy returns sizes below maxlength (and some at it): ask one more and truncate
    rs = np.asarray(find_sp_rings(ii, jj, np.ascontiguousarray(vec, float), dist, 2 * max_size + 1))
    n = min(len(rs), 2 * max_size + 1)
    out[: (n + 1) // 2] = rs[:n:2]  # rings of the bipartite graph have an even number of atoms
    return out


def shortest_path_ring_counts(
    i: np.ndarray, j: np.ndarray, vec: np.ndarray, positions: np.ndarray, box: np.ndarray, is_t: np.ndarray,
    max_size: int, criterion: str,
) -> np.ndarray:
    """Distinct King or Guttman rings with 0..max_size T atoms, by breadth-first search on the infinite periodic graph."""
    out = np.zeros(max_size + 1, np.int64)
    if len(i) == 0:
        return out
    image = np.rint((positions[i] + vec - positions[j]) / box).astype(int)  # periodic image of j seen from i
    start = np.searchsorted(i, np.arange(len(positions) + 1))
    nbrs = [[(int(j[k]), tuple(image[k])) for k in range(start[u], start[u + 1])] for u in range(len(positions))]
    limit = 2 * max_size - 1  # edges of a ring of max_size T atoms minus the closing one (Guttman) or two (King)
    seen: set[tuple] = set()

    def bfs(src, banned_node, banned_edge, targets):
        """Shortest-path predecessors from ``src`` until every target is reached (or the depth limit)."""
        dist, pred = {src: 0}, {src: []}
        queue, left, depth_found = deque([src]), set(targets), None
        while queue:
            u = queue.popleft()
            d = dist[u]
            if depth_found is not None and d >= depth_found or d >= limit:
                break
            for v, img in nbrs[u[0]]:
                w = (v, (u[1][0] + img[0], u[1][1] + img[1], u[1][2] + img[2]))
                if w == banned_node or (u, w) == banned_edge:
                    continue
                if w not in dist:
                    dist[w], pred[w] = d + 1, [u]
                    queue.append(w)
                    left.discard(w)
                    if not left and depth_found is None:
                        depth_found = d + 1
                elif dist[w] == d + 1:
                    pred[w].append(u)
        return dist, pred

    def paths(pred, src, dst):
        """Every shortest path src → dst from the predecessor lists."""
        if dst == src:
            return [[src]]
        return [p + [dst] for u in pred[dst] for p in paths(pred, src, u)]

    def add(ring):
        anchor = min(ring)
        key = frozenset((n, (im[0] - anchor[1][0], im[1] - anchor[1][1], im[2] - anchor[1][2])) for n, im in ring)
        if key not in seen:
            seen.add(key)
            size = len(ring) // 2
            if size <= max_size:
                out[size] += 1

    zero = (0, 0, 0)
    for t in np.flatnonzero(is_t):
        centre = (int(t), zero)
        oxygens = [(v, img) for v, img in nbrs[t]]
        for k, a in enumerate(oxygens):
            if criterion == "guttman":
                dist, pred = bfs(a, None, (a, centre), [centre])
                if centre in dist:
                    for p in paths(pred, a, centre):
                        add(p)
            else:
                targets = oxygens[k + 1:]
                if not targets:
                    continue
                dist, pred = bfs(a, centre, None, targets)
                for b in targets:
                    if b in dist:
                        for p in paths(pred, a, b):
                            add([centre] + p)
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
    """Per-frame ring statistics, averaged over frames."""

    name = "rings"

    def __init__(self, settings: dict, elements: list[str]):
        self.settings = settings
        self.max_size = int(settings["ring_max_size"])
        self.criterion = settings["ring_criterion"]
        self.formers = list(settings["network_formers"])
        self.anion = settings["bridging_anion"]
        self.every = int(settings["ring_every_n_frames"])
        self.seen = 0
        self.per_frame: list[np.ndarray] = []
        self.n_t: list[int] = []

    def add(self, ctx: FrameContext) -> None:
        self.seen += 1
        if (self.seen - 1) % self.every:
            return
        box = np.asarray(ctx.frame.box_len, float)
        reps = np.ones(3, int)
        if self.criterion == "primitive":
            reps = np.maximum(1, np.ceil(MIN_BOX_PER_RING_SIZE_A * self.max_size / box)).astype(int)
            if reps.prod() > 1:
                ctx = replicated_context(ctx, reps)
        parts = []
        for t in self.formers:
            rc = cutoff_lookup(self.settings["network_bond_cutoffs_A"], t, self.anion)
            if rc is not None and ctx.index(t) >= 0:
                parts.append(ctx.bonds_between(t, self.anion, rc))
        is_t = np.isin(ctx.type_index, [ctx.index(t) for t in self.formers if ctx.index(t) >= 0])
        n_t = int(is_t.sum())
        counts = np.zeros(self.max_size + 1, np.int64)
        if parts:
            b = Bonds(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("i", "j", "d", "vec")))
            i, j, r = to_graph(b, len(ctx.type_index))
            if self.criterion == "primitive":
                counts = primitive_ring_counts(i, j, r, self.max_size)
            else:
                pos = np.mod(ctx.frame.positions - ctx.frame.box_lo, box)
                counts = shortest_path_ring_counts(i, j, r, pos, box, is_t, self.max_size, self.criterion)
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
            "definition": DEFINITION.format(criterion=self.criterion),
            "criterion": self.criterion,
            "n_frames": len(self.per_frame),
            "every_n_frames": self.every,
            "max_size": self.max_size,
            "network_formers": self.formers,
            "network_bond_cutoffs_A": self.settings["network_bond_cutoffs_A"],
            "n_T_mean": float(n_t.mean()) if len(n_t) else None,
            "size": sizes[2:].tolist(),
            "rings_per_frame_mean": mean_counts[2:].tolist(),
            "rings_per_T": per_t[2:].tolist() if per_t is not None else None,
            "fraction": (mean_counts[2:] / total).tolist() if total else None,
            "fraction_at_max_size": float(mean_counts[-1] / total) if total else None,
            "mean_ring_size": float((sizes * mean_counts).sum() / total) if total else None,
            "mean_ring_size_undefined_reason": None if total else "no rings found (no network formers or no links)",
        }
