"""Cation–oxygen coordination: CN distributions, B3/B4/B5 fractions, mean bond lengths, Q^n of the network formers.

B4 is the fraction of B atoms with exactly four O within the B–O cutoff (1.8 Å by default), the
definition used for the fitted target; it is averaged over frames. Q^n of a network former T is the fraction of T
with n bridging anions among its anions within the T–O network bond cutoff; an anion is bridging when it lies
within those cutoffs of two or more network formers (the qn_fraction target's definition).
"""

from __future__ import annotations

import numpy as np

from glassfit.model import Observable

from .core import FrameContext, cutoff_lookup
from .observables import bridging_counts

MAX_CN = 12


class CoordinationAccumulator:
    """Collects per-frame coordination numbers and bond lengths; :meth:`result` averages over frames."""

    name = "coordination"

    def __init__(self, settings: dict, elements: list[str]):
        self.cutoffs = {k: float(v) for k, v in settings["coordination_cutoffs_A"].items()}
        self.elements = elements
        self.hist: dict[str, np.ndarray] = {k: np.zeros(MAX_CN + 1, np.int64) for k in self.cutoffs}
        self.b_fractions: list[dict[str, float]] = []
        self.bond_sum = {"Si-O": 0.0, "BIII-O": 0.0, "BIV-O": 0.0}
        self.bond_n = {"Si-O": 0, "BIII-O": 0, "BIV-O": 0}
        self.n_frames = 0
        formers, anion = list(settings["network_formers"]), settings["bridging_anion"]
        cuts = {t: cutoff_lookup(settings["network_bond_cutoffs_A"], t, anion) for t in formers}
        # Q^n per former, bridging through any former; one cutoff per observable: the formers' largest
        self.qn = {t: Observable("qn_fraction", center=t, neighbour=anion, cutoff_A=max(c for c in cuts.values() if c),
                                 formers=tuple(f for f in formers if cuts[f])) for t in formers if cuts[t]}
        self.qn_sum = {t: np.zeros(7) for t in self.qn}
        self.qn_frames = dict.fromkeys(self.qn, 0)

    def cn_of(self, ctx: FrameContext, pair: str) -> tuple[np.ndarray, np.ndarray, "object"]:
        """Atoms of the pair's cation, their CN, and the bonds counted."""
        cation, anion = pair.split("-")
        atoms = np.flatnonzero(ctx.type_index == ctx.index(cation))
        b = ctx.bonds_between(cation, anion, self.cutoffs[pair])
        cn = np.bincount(b.i, minlength=len(ctx.type_index))[atoms]
        return atoms, cn, b

    def add(self, ctx: FrameContext) -> None:
        self.n_frames += 1
        for t, o in self.qn.items():
            counts = bridging_counts(ctx, o)
            if len(counts):
                self.qn_sum[t] += np.bincount(np.minimum(counts, 6), minlength=7) / len(counts)
                self.qn_frames[t] += 1
        for pair in self.cutoffs:
            atoms, cn, b = self.cn_of(ctx, pair)
            self.hist[pair] += np.bincount(np.minimum(cn, MAX_CN), minlength=MAX_CN + 1)
            if pair == "Si-O":
                self.bond_sum["Si-O"] += float(b.d.sum())
                self.bond_n["Si-O"] += len(b.d)
            if pair == "B-O" and len(atoms):
                self.b_fractions.append({f"B{k}": float(np.mean(cn == k)) for k in (3, 4, 5)})
                cn_all = np.bincount(b.i, minlength=len(ctx.type_index))
                for label, k in (("BIII-O", 3), ("BIV-O", 4)):
                    m = cn_all[b.i] == k
                    self.bond_sum[label] += float(b.d[m].sum())
                    self.bond_n[label] += int(m.sum())

    def result(self) -> dict:
        out: dict = {
            "analysis": "coordination",
            "n_frames": self.n_frames,
            "definition": "number of anions within the pair cutoff of each cation; fractions averaged over frames; "
            "B3/B4/B5 = fraction of B with exactly 3/4/5 O within the B-O cutoff",
            "cutoffs_A": self.cutoffs,
            "cn_distribution": {},
            "mean_cn": {},
        }
        for pair, h in self.hist.items():
            n = h.sum()
            out["cn_distribution"][pair] = {str(k): float(h[k] / n) for k in range(MAX_CN + 1) if h[k]} if n else None
            out["mean_cn"][pair] = float((h * np.arange(MAX_CN + 1)).sum() / n) if n else None
        if "B-O" not in self.cutoffs:
            reason = "no B-O coordination cutoff configured"
        elif not self.b_fractions:
            reason = "no boron atoms in the trajectory"
        else:
            reason = None
        for k in (3, 4, 5):
            vals = [f[f"B{k}"] for f in self.b_fractions]
            out[f"B{k}_fraction"] = float(np.mean(vals)) if vals else None
        out["B4_fraction_per_frame"] = [f["B4"] for f in self.b_fractions]
        out["qn_distribution"] = {t: {f"Q{n}": float(v / self.qn_frames[t]) for n, v in enumerate(self.qn_sum[t])} if self.qn_frames[t] else None
                                  for t in self.qn}
        out["boron_undefined_reason"] = reason
        out["mean_bond_length_A"] = {
            k: (self.bond_sum[k] / self.bond_n[k] if self.bond_n[k] else None) for k in self.bond_sum
        }
        return out
