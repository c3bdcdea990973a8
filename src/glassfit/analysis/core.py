"""Settings, per-frame neighbour search and helpers shared by the analyses.

Neighbour search uses :class:`scipy.spatial.cKDTree` with a periodic ``boxsize``: on one core it
found all pairs of a 3000-atom glass within 16 Å in ~0.1 s, five to twenty times faster than
freud's AABB/LinkCell queries on the same machine (see ``bench/bench_analysis.py``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Sequence

import jsonschema
import numpy as np

from glassfit.schema import schema as config_schema
from glassfit.trajectory import Frame

#: The analysis section of the config schema (workflow/schemas/analysis.schema.yaml): the single source
#: of the analysis names, the settings' defaults and their allowed values.
_CONFIG_SCHEMA: dict[str, Any] = config_schema()
SECTION_SCHEMA: dict[str, Any] = _CONFIG_SCHEMA["properties"]["analysis"]
SETTINGS_SCHEMA: dict[str, Any] = SECTION_SCHEMA["properties"]["settings"]
ALL_ANALYSES: tuple[str, ...] = tuple(SECTION_SCHEMA["properties"]["validation_analyses"]["items"]["enum"])
#: Keys of one run's settings that are not analysis definitions: which analyses run, and the measured
#: data sets of the run's glass to compare with (glassfit.analysis.measured.as_dicts; [] = none).
RUN_KEYS: tuple[str, ...] = ("analyses", "measured")


def schema_defaults(node: dict) -> Any:
    """The defaults a schema node declares: an object's own default overlaid with its properties' defaults."""
    if node.get("type") == "object" and "properties" in node:
        out = copy.deepcopy(node.get("default", {}))
        for key, sub in node["properties"].items():
            if "default" in sub or "properties" in sub:
                out[key] = schema_defaults(sub)
        return out
    return copy.deepcopy(node.get("default"))


def default_settings(b4_cutoff_A: float | None = None) -> dict[str, Any]:
    """Settings defaults from the schema; the B-O coordination cutoff is the MD run's B4 cutoff (md.b4_cutoff_A)."""
    settings = schema_defaults(SETTINGS_SCHEMA)
    if b4_cutoff_A is None:
        b4_cutoff_A = _CONFIG_SCHEMA["properties"]["md"]["properties"]["b4_cutoff_A"]["default"]
    settings["coordination_cutoffs_A"].setdefault("B-O", b4_cutoff_A)
    return {"analyses": list(ALL_ANALYSES), **settings, "measured": []}


#: Default analysis settings (keys carry units), derived from the schema. See :func:`resolve_settings`.
DEFAULT_SETTINGS: dict[str, Any] = default_settings()


class AnalysisSettingsError(ValueError):
    """A bad analysis setting: the message names the key and what to do."""


def resolve_settings(settings: dict | None = None) -> dict[str, Any]:
    """Defaults overlaid with ``settings``; unknown keys and bad values raise one clear error."""
    out = copy.deepcopy(DEFAULT_SETTINGS)
    for key, value in (settings or {}).items():
        if key not in out:
            raise AnalysisSettingsError(f"analysis setting '{key}' is unknown; known keys: {', '.join(sorted(out))}")
        if isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    bad = [a for a in out["analyses"] if a not in ALL_ANALYSES]
    if bad:
        raise AnalysisSettingsError(f"analysis setting 'analyses' has unknown {bad}; choose from {list(ALL_ANALYSES)}")
    definitions = {k: v for k, v in out.items() if k not in RUN_KEYS}
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SETTINGS_SCHEMA).iter_errors(definitions))
    if error is not None:
        key = "/".join(str(p) for p in error.absolute_path)
        raise AnalysisSettingsError(f"analysis setting '{key}': {error.message} (see workflow/schemas/analysis.schema.yaml)")
    return out


def pdf_r_max(box_len: np.ndarray, settings: dict) -> float:
    """The g(r) range, Å: the setting, or just below half the smallest box edge; beyond it is an error."""
    half = 0.5 * float(np.min(box_len))
    dr = float(settings["pdf_bin_A"])
    r_max = settings["pdf_r_max_A"]
    if r_max is None:
        return dr * np.floor((half - 1e-9) / dr)
    if r_max >= half:
        raise AnalysisSettingsError(
            f"analysis setting 'pdf_r_max_A' = {r_max} Å is not below half the smallest box edge ({half:.3f} Å); "
            f"lower it or leave it null for automatic"
        )
    return float(r_max)


def symbols_of(frame: Frame, elements: Sequence[str]) -> np.ndarray:
    """Element symbol of every atom from its 1-based LAMMPS type."""
    types = np.asarray(frame.types)
    if types.min() < 1 or types.max() > len(elements):
        raise ValueError(f"atom types {types.min()}..{types.max()} do not fit the element list {list(elements)}")
    return np.asarray(elements, dtype=object)[types - 1]


@dataclass
class Pairs:
    """Unique atom pairs ``i < j`` within ``r_max_A`` in one frame, with distances (float32)."""

    i: np.ndarray
    j: np.ndarray
    d: np.ndarray
    r_max_A: float


def find_pairs(frame: Frame, r_max: float) -> Pairs:
    """All pairs within ``r_max`` under minimum image (``r_max`` < L/2 guaranteed by the caller)."""
    box = np.asarray(frame.box_len, float)
    pos = np.mod(np.asarray(frame.positions, float) - frame.box_lo, box)
    pos[pos >= box] = 0.0  # mod can round up to L exactly; cKDTree requires [0, L)
    from scipy.spatial import cKDTree  # scipy.spatial: ~0.2 s to import, not while parsing the workflow

    tree = cKDTree(pos, boxsize=box)
    p = tree.query_pairs(r_max, output_type="ndarray")
    i, j = p[:, 0], p[:, 1]
    d2 = np.zeros(len(p), np.float32)
    for k in range(3):  # float32 per axis: ~3x faster than float64 (N, 3) gathers, ample for binning
        x = pos[:, k].astype(np.float32)
        dx = x[j] - x[i]
        dx -= np.float32(box[k]) * np.rint(dx * np.float32(1.0 / box[k]))
        d2 += dx * dx
    return Pairs(i=i, j=j, d=np.sqrt(d2), r_max_A=r_max)


@dataclass
class Bonds:
    """Directed short pairs (both directions) with exact float64 vectors ``vec = r_j - r_i`` (min. image)."""

    i: np.ndarray
    j: np.ndarray
    d: np.ndarray
    vec: np.ndarray


def short_bonds(frame: Frame, pairs: Pairs | None, r_cut: float) -> Bonds:
    """Pairs within ``r_cut`` in both directions, sorted by ``i``, with float64 min-image vectors."""
    if pairs is None or pairs.r_max_A < r_cut:
        pairs = find_pairs(frame, r_cut)
    m = pairs.d <= r_cut + 1e-4
    i, j = pairs.i[m], pairs.j[m]
    box = np.asarray(frame.box_len, float)
    v = frame.positions[j] - frame.positions[i]
    v -= box * np.rint(v / box)
    d = np.sqrt((v * v).sum(1))
    keep = d <= r_cut
    i, j, v, d = i[keep], j[keep], v[keep], d[keep]
    ii = np.concatenate([i, j])
    jj = np.concatenate([j, i])
    vv = np.concatenate([v, -v])
    dd = np.concatenate([d, d])
    order = np.argsort(ii, kind="stable")
    return Bonds(i=ii[order], j=jj[order], d=dd[order], vec=vv[order])


def pair_key(a: str, b: str) -> str:
    """Canonical pair label ``"a-b"`` as given in cutoff settings (cation first: ``Si-O``)."""
    return f"{a}-{b}"


def cutoff_lookup(cutoffs: dict[str, float], a: str, b: str) -> float | None:
    """Cutoff for the unordered pair a, b from a ``{"A-B": r}`` dict, or None."""
    return cutoffs.get(f"{a}-{b}", cutoffs.get(f"{b}-{a}"))


def mean_std(values: Sequence[float | None]) -> dict[str, float | int | None]:
    """Mean, sample standard deviation and n of the non-None values (std None for n < 2)."""
    v = np.array([x for x in values if x is not None and np.isfinite(x)], float)
    if len(v) == 0:
        return {"mean": None, "std": None, "n": 0}
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else None, "n": int(len(v))}


class FrameContext:
    """One frame with its symbols and lazily computed, shared neighbour data."""

    def __init__(self, frame: Frame, elements: Sequence[str], settings: dict, bond_cut_A: float, pair_cut_A: float | None):
        self.frame = frame
        self.elements = list(elements)
        self.settings = settings
        self.symbols = symbols_of(frame, elements)
        self.type_index = np.asarray(frame.types) - 1  # 0-based index into elements
        self._bond_cut = bond_cut_A
        self._pair_cut = pair_cut_A
        self._pairs: Pairs | None = None
        self._bonds: Bonds | None = None

    @property
    def pairs(self) -> Pairs:
        if self._pairs is None:
            self._pairs = find_pairs(self.frame, self._pair_cut or self._bond_cut)
        return self._pairs

    @property
    def bonds(self) -> Bonds:
        if self._bonds is None:
            self._bonds = short_bonds(self.frame, self._pairs, self._bond_cut)
        return self._bonds

    def bonds_between(self, center: str, neighbour: str, r_cut: float) -> Bonds:
        """Directed bonds center→neighbour (by element) within ``r_cut``."""
        b = self.bonds
        t = self.type_index
        m = (t[b.i] == self.index(center)) & (t[b.j] == self.index(neighbour)) & (b.d <= r_cut)
        return Bonds(i=b.i[m], j=b.j[m], d=b.d[m], vec=b.vec[m])

    def index(self, element: str) -> int:
        """0-based type index of ``element``, or -1 when it is not in the element list."""
        return self.elements.index(element) if element in self.elements else -1
