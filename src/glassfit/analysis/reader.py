"""Trajectories of any MD code as glassfit frames, read by MDAnalysis.

:func:`open_trajectory` (or :func:`read_frames`) reads what MDAnalysis reads — LAMMPS text dumps
(``LAMMPSDUMP``), LAMMPS data files (``DATA``), DCD (with a topology, e.g. the data file), XYZ and extended
XYZ — and turns every time step into a :class:`glassfit.trajectory.Frame`, the input of the analyses
(:func:`glassfit.analysis.suite.run_suite`). MDAnalysis does the reading only; the analyses keep their own
neighbour search and histograms.

Conventions of the frames:

- ``types`` are 1-based indices into :attr:`Trajectory.elements` (not the file's type numbers).
- Elements come from the file where it names them (XYZ atom names, a dump's ``element`` column, the
  ``# Element`` comments glassfit writes after each mass of a data file), else from a type map
  ``{label: element}`` (``--types 1=O,2=Si``: LAMMPS type numbers, or any atom label of the file). With a map,
  its order (duplicates removed) is the element order, and several labels may map to one element;
  without, elements are in order of first appearance.
- Boxes are orthogonal; the box origin is 0 (MDAnalysis shifts LAMMPS dumps to the origin and keeps no
  lower bound), positions are wrapped into [0, L) and atoms sorted by id. Positions are MDAnalysis'
  float32, as float64. XYZ files have no box: it comes from extended XYZ's ``Lattice=`` or from ``box``.

Every problem is a one-line :class:`TrajectoryError` (a ValueError) naming the file or the option.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np

from glassfit.trajectory import Frame

#: formats guessed from a file's suffix when none is given (anything else: MDAnalysis' own guess)
SUFFIX_FORMATS = {
    ".dump": "LAMMPSDUMP", ".lammpstrj": "LAMMPSDUMP", ".lammpsdump": "LAMMPSDUMP",
    ".data": "DATA", ".lmp": "DATA",
    ".dcd": "DCD",
    ".xyz": "XYZ", ".extxyz": "XYZ",
}
#: formats whose atom labels are LAMMPS type numbers
LAMMPS_FORMATS = ("LAMMPSDUMP", "DATA")
#: columns of a data file's Atoms section per atom style (what MDAnalysis' DATAParser can read)
ATOM_STYLES = {
    "atomic": "id type x y z",
    "charge": "id type charge x y z",
    "molecular": "id resid type x y z",
    "bond": "id resid type x y z",
    "angle": "id resid type x y z",
    "full": "id resid type charge x y z",
}
#: formats that need a separate topology (they hold coordinates only)
NEEDS_TOPOLOGY = ("DCD", "XTC", "TRR", "NCDF", "TRJ", "TRZ")


class TrajectoryError(ValueError):
    """A trajectory that cannot be analysed: one line naming the file or the option and what to do."""


def element_symbol(name: str) -> str | None:
    """The properly capitalised element symbol of ``name`` (``si`` → ``Si``), or None when it is no element."""
    import periodictable

    text = str(name).strip()
    if not text.isalpha() or len(text) > 2:
        return None
    sym = text[0].upper() + text[1:].lower()
    try:
        el = periodictable.elements.symbol(sym)
    except ValueError:
        return None
    return sym if getattr(el, "number", 0) >= 1 and el.symbol == sym else None


def parse_type_map(text: str, option: str = "--types") -> dict[str, str]:
    """``"1=O,2=Si,3=B"`` → ``{"1": "O", "2": "Si", "3": "B"}``; one-line errors naming the option."""
    out: dict[str, str] = {}
    for item in [p.strip() for p in str(text).split(",") if p.strip()]:
        label, sep, element = (s.strip() for s in item.partition("="))
        if not sep or not label or not element:
            raise TrajectoryError(f"{option}: {item!r} is not LABEL=ELEMENT (e.g. {option} 1=O,2=Si,3=Na)")
        sym = element_symbol(element)
        if sym is None:
            raise TrajectoryError(f"{option}: {element!r} (for {label}) is not an element symbol")
        if label in out:
            raise TrajectoryError(f"{option}: {label} is given twice")
        out[label] = sym
    if not out:
        raise TrajectoryError(f"{option}: empty; give LABEL=ELEMENT pairs, e.g. {option} 1=O,2=Si,3=Na")
    return out


def parse_box(text: str, option: str = "--box") -> np.ndarray:
    """``"Lx,Ly,Lz"`` (or one length for a cube) → box edge lengths (Å), all positive."""
    try:
        values = [float(v) for v in str(text).replace(" ", ",").split(",") if v.strip()]
    except ValueError:
        raise TrajectoryError(f"{option}: {text!r} is not Lx,Ly,Lz in Å (numbers)") from None
    if len(values) == 1:
        values *= 3
    if len(values) != 3 or not all(np.isfinite(v) and v > 0 for v in values):
        raise TrajectoryError(f"{option}: {text!r} is not three positive lengths Lx,Ly,Lz in Å")
    return np.array(values, float)


def parse_frames(text: str, option: str = "--frames") -> slice:
    """``"start:stop:step"`` (Python slice syntax, parts optional; one number = that frame) → slice."""
    parts = str(text).split(":")
    try:
        values = [int(p) if p.strip() else None for p in parts]
    except ValueError:
        raise TrajectoryError(f"{option}: {text!r} is not start:stop:step (integers, each optional)") from None
    if len(values) == 1:
        if values[0] is None:
            raise TrajectoryError(f"{option}: empty; give start:stop:step, e.g. {option} 10::2")
        k = values[0]
        return slice(k, k + 1 if k != -1 else None)
    if len(values) > 3:
        raise TrajectoryError(f"{option}: {text!r} is not start:stop:step")
    if len(values) == 3 and values[2] is not None and values[2] <= 0:
        raise TrajectoryError(f"{option}: step must be positive, not {values[2]}")
    return slice(*values)


def guess_format(path: str | Path) -> str | None:
    """The MDAnalysis format of a file from its suffix, or None (MDAnalysis guesses)."""
    return SUFFIX_FORMATS.get(Path(path).suffix.lower())


def data_file_info(path: Path) -> tuple[str | None, int | None, dict[str, str]]:
    """A LAMMPS data file's atom style (from ``Atoms # style``), the number of columns of its first atom line,
    and the elements its ``Masses`` comments name (``1 15.9994  # O``: what glassfit writes), by type."""
    style, ncols, elements, section = None, None, {}, None
    with path.open() as fh:
        for k, line in enumerate(fh):
            text, _, comment = line.partition("#")
            words = text.split()
            if k == 0 or not words:
                continue
            if words[0][0].isalpha():  # a section title (Masses, Pair Coeffs, Atoms, ...); data lines start with numbers
                section = " ".join(words)
                if section == "Atoms" and comment.strip():
                    style = comment.split()[0]
                continue
            if section == "Masses" and comment.strip():
                sym = element_symbol(comment.split()[0])
                if sym:
                    elements[words[0]] = sym
            elif section == "Atoms":
                ncols = len(words)
                break
    return style, ncols, elements


def data_atom_style(path: Path, atom_style: str | None) -> str:
    """The MDAnalysis ``atom_style`` columns of a data file: given, from its ``Atoms # style`` comment, or by its columns."""
    style, ncols, _ = data_file_info(path)
    if atom_style:
        columns = ATOM_STYLES.get(atom_style, atom_style)
        m = len(columns.split())
        if ncols is not None and ncols not in (m, m + 3):  # optionally followed by image flags
            raise TrajectoryError(f"{path}: its Atoms lines have {ncols} columns, atom style {atom_style!r} has {m} ({columns}); check --atom-style")
        return columns
    if style in ATOM_STYLES:
        return ATOM_STYLES[style]
    if ncols in (5, 8):  # id type x y z [ix iy iz]
        return ATOM_STYLES["atomic"]
    if ncols in (7, 10):
        return ATOM_STYLES["full"]
    raise TrajectoryError(
        f"{path}: cannot tell the atom style of its Atoms section ({'comment ' + repr(style) if style else 'no style comment'}, "
        f"{ncols} columns); give --atom-style (one of {', '.join(ATOM_STYLES)}, or the columns, e.g. 'id type charge x y z')"
    )


_LATTICE = re.compile(r"""\bLattice\s*=\s*"([^"]*)"|\bLattice\s*=\s*'([^']*)'""", re.IGNORECASE)
_PROPERTIES = re.compile(r"\bProperties\s*=\s*(\S+)", re.IGNORECASE)


def xyz_lattices(path: Path, n_atoms: int) -> list[np.ndarray | None]:
    """Per frame of an (extended) XYZ file the ``Lattice="..."`` of its comment line as a 3x3 matrix (rows = cell vectors), or None."""
    out: list[np.ndarray | None] = []
    per_frame = n_atoms + 2
    with path.open() as fh:
        for k, line in enumerate(fh):
            if k % per_frame != 1:
                continue
            props = _PROPERTIES.search(line)
            if props and not props.group(1).lower().startswith(("species:s:1:pos:r:3", "element:s:1:pos:r:3")):
                raise TrajectoryError(f"{path}: extended XYZ columns {props.group(1)} are not species then pos (species:S:1:pos:R:3:...)")
            m = _LATTICE.search(line)
            if not m:
                out.append(None)
                continue
            try:
                values = [float(v) for v in (m.group(1) or m.group(2)).split()]
            except ValueError:
                values = []
            if len(values) != 9:
                raise TrajectoryError(f"{path}, frame {len(out)}: Lattice= needs nine numbers (three cell vectors), found {m.group(0)!r}")
            out.append(np.array(values).reshape(3, 3))
    return out


@dataclass
class Trajectory:
    """A trajectory opened with MDAnalysis: its elements, atoms and selected frames; iterate for :class:`Frame` s."""

    path: Path
    format: str | None
    elements: list[str]
    n_atoms: int
    n_frames: int  # frames selected (after start:stop:step)
    n_frames_file: int
    topology: Path | None = None
    _universe: object = field(default=None, repr=False)
    _frames: slice = field(default_factory=lambda: slice(None), repr=False)
    _order: np.ndarray = field(default=None, repr=False)
    _ids: np.ndarray = field(default=None, repr=False)
    _types: np.ndarray = field(default=None, repr=False)
    _box: np.ndarray | None = field(default=None, repr=False)
    _lattices: list | None = field(default=None, repr=False)

    def __iter__(self) -> Iterator[Frame]:
        traj = self._universe.trajectory
        indices = range(*self._frames.indices(self.n_frames_file))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for index in indices:
                try:
                    ts = traj[index]
                except Exception as error:  # noqa: BLE001 - a reader's own error, reported in one line
                    raise TrajectoryError(f"{self.path}, frame {index}: cannot be read ({_one_line(error)})") from None
                yield self._frame(ts, index)

    def _frame(self, ts, index: int) -> Frame:
        box = self._box_of(ts, index)
        pos = np.asarray(ts.positions, dtype=np.float64)[self._order]
        if pos.shape != (self.n_atoms, 3) or not np.isfinite(pos).all():
            raise TrajectoryError(f"{self.path}, frame {index}: positions are missing or not finite")
        pos = np.mod(pos, box)
        pos[pos >= box] = 0.0  # mod can round up to L exactly
        step = ts.data.get("step") if self.format == "LAMMPSDUMP" else None
        return Frame(timestep=int(step if step is not None else index), box_lo=np.zeros(3), box_len=box,
                     ids=self._ids, types=self._types, positions=pos)

    def _box_of(self, ts, index: int) -> np.ndarray:
        dims = ts.dimensions
        own = None
        if self._lattices is not None and index < len(self._lattices) and self._lattices[index] is not None:
            cell = self._lattices[index]
            if np.abs(cell - np.diag(np.diag(cell))).max() > 1e-6:
                raise TrajectoryError(f"{self.path}, frame {index}: the Lattice is not orthogonal; only orthogonal boxes are supported")
            own = np.abs(np.diag(cell))
        elif dims is not None and np.all(np.asarray(dims[:3]) > 0):
            if np.abs(np.asarray(dims[3:], float) - 90.0).max() > 1e-4:
                raise TrajectoryError(f"{self.path}, frame {index}: the box is triclinic (angles {_fmt(dims[3:])}); only orthogonal boxes are supported")
            own = np.asarray(dims[:3], float)
        if own is None:
            if self._box is None:
                raise TrajectoryError(f"{self.path}, frame {index}: no box in the file; give --box Lx,Ly,Lz (Å)")
            return self._box.copy()
        if self._box is not None and not np.allclose(own, self._box, rtol=1e-5, atol=1e-5):
            raise TrajectoryError(f"{self.path}, frame {index}: --box {_fmt(self._box)} disagrees with the file's box {_fmt(own)}; leave --box out")
        if not np.all(np.isfinite(own)) or np.any(own <= 0):
            raise TrajectoryError(f"{self.path}, frame {index}: box lengths {_fmt(own)} are not positive")
        return own

    def close(self) -> None:
        if self._universe is not None:
            self._universe.trajectory.close()


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:300]}" if text else type(error).__name__


def _fmt(values) -> str:
    return ",".join(f"{float(v):g}" for v in values)


def open_trajectory(
    path: str | Path,
    *,
    topology: str | Path | None = None,
    format: str | None = None,
    topology_format: str | None = None,
    atom_style: str | None = None,
    type_map: Mapping[str, str] | None = None,
    box: Sequence[float] | None = None,
    frames: slice | None = None,
) -> Trajectory:
    """Open ``path`` (with ``topology`` for formats without one) and check it can be analysed; see the module docstring."""
    import MDAnalysis as mda

    path = Path(path)
    if not path.is_file():
        raise TrajectoryError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise TrajectoryError(f"{path}: the file is empty")
    if topology is not None:
        topology = Path(topology)
        if not topology.is_file():
            raise TrajectoryError(f"{topology}: no such file (--topology)")
    fmt = (format or guess_format(path) or "").upper() or None
    top_path = topology or path
    top_fmt = (topology_format or (guess_format(topology) if topology else fmt) or "").upper() or None
    if topology is None and fmt in NEEDS_TOPOLOGY:
        raise TrajectoryError(f"{path}: {fmt} holds coordinates only; give --topology (e.g. the LAMMPS data file of the run)")
    kwargs = {}
    data_elements: dict[str, str] = {}
    if top_fmt == "DATA":
        kwargs["atom_style"] = data_atom_style(top_path, atom_style)
        data_elements = data_file_info(top_path)[2]
    files = [str(top_path)] if topology is None else [str(topology), str(path)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            u = mda.Universe(*files, topology_format=top_fmt, format=fmt, **kwargs)
        except TrajectoryError:
            raise
        except Exception as error:  # noqa: BLE001 - MDAnalysis raises many kinds; the user gets one line
            what = f"{path} (topology {topology})" if topology else str(path)
            raise TrajectoryError(f"{what}: MDAnalysis cannot read it as {fmt or 'its guessed format'} ({_one_line(error)})") from None
        n_frames = len(u.trajectory)
    if n_frames == 0 or u.atoms.n_atoms == 0:
        raise TrajectoryError(f"{path}: no frames or no atoms")
    atoms = u.atoms
    lammps = top_fmt in LAMMPS_FORMATS
    has_elements = hasattr(atoms, "elements") and all(str(e).strip() for e in atoms.elements)
    if lammps and hasattr(atoms, "types") and (type_map or not has_elements):
        labels = atoms.types  # LAMMPS type numbers
    elif has_elements:
        labels = atoms.elements  # XYZ atom names, a dump's element column
    elif hasattr(atoms, "names"):
        labels = atoms.names
    elif hasattr(atoms, "types"):
        labels = atoms.types
    else:
        raise TrajectoryError(f"{top_path}: its atoms have neither element names nor types")
    labels = np.asarray([str(e).strip() for e in labels], dtype=object)
    elements, types = _elements_of(labels, type_map, data_elements, top_path)
    ids = np.asarray(atoms.ids, dtype=int) if hasattr(atoms, "ids") else np.arange(1, atoms.n_atoms + 1)
    order = np.argsort(ids, kind="stable")
    if len(np.unique(ids)) != len(ids):
        raise TrajectoryError(f"{top_path}: atom ids are not unique")
    lattices = None
    if fmt == "XYZ":
        lattices = xyz_lattices(path, atoms.n_atoms)
        if not any(c is not None for c in lattices):
            lattices = None
    box_arr = None if box is None else np.asarray(box, float)
    selected = frames or slice(None)
    n_selected = len(range(*selected.indices(n_frames)))
    if n_selected == 0:
        raise TrajectoryError(f"{path}: --frames {_slice_text(selected)} selects none of its {n_frames} frames")
    t = Trajectory(path=path, format=fmt, elements=elements, n_atoms=int(atoms.n_atoms), n_frames=n_selected, n_frames_file=n_frames,
                   topology=topology, _universe=u, _frames=selected, _order=order, _ids=ids[order], _types=types[order], _box=box_arr,
                   _lattices=lattices)
    if box_arr is None and lattices is None and u.trajectory.ts.dimensions is None:
        raise TrajectoryError(f"{path}: no box in the file; give --box Lx,Ly,Lz (Å)")
    return t


def _slice_text(s: slice) -> str:
    return ":".join("" if v is None else str(v) for v in (s.start, s.stop, s.step))


def _elements_of(labels: np.ndarray, type_map: Mapping[str, str] | None, data_elements: Mapping[str, str], source: Path) -> tuple[list[str], np.ndarray]:
    """Elements (ordered) and every atom's 1-based index into them, from its labels and the type map."""
    present = list(dict.fromkeys(labels.tolist()))
    if type_map:
        mapping = {str(k).strip(): v for k, v in type_map.items()}
        missing = [lab for lab in present if lab not in mapping]
        if missing:
            raise TrajectoryError(f"--types: {source} has atom type(s) {', '.join(missing)} that the map ({_map_text(mapping)}) does not name")
        elements = list(dict.fromkeys(mapping.values()))
    elif data_elements and all(lab in data_elements for lab in present):
        mapping = dict(data_elements)
        elements = list(dict.fromkeys(mapping[k] for k in sorted(mapping, key=_type_key)))
    else:
        mapping = {}
        bad = []
        for lab in present:
            sym = element_symbol(lab)
            if sym is None:
                bad.append(lab)
            mapping[lab] = sym
        if bad:
            raise TrajectoryError(f"{source}: atom type(s) {', '.join(bad[:8])} are not element names; give --types, e.g. --types "
                                  + ",".join(f"{lab}=El" for lab in bad[:3]))
        elements = list(dict.fromkeys(mapping.values()))
    index = {e: k + 1 for k, e in enumerate(elements)}
    lookup = {lab: index[mapping[lab]] for lab in present}
    return elements, np.array([lookup[lab] for lab in labels.tolist()], dtype=int)


def _type_key(label: str):
    return (0, int(label), "") if label.isdigit() else (1, 0, label)


def _map_text(mapping: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in mapping.items())


def read_frames(path: str | Path, **options) -> tuple[list[str], Iterator[Frame]]:
    """``(elements, frames)`` of a trajectory: :func:`open_trajectory` with the same options, and an iterator over its frames."""
    t = open_trajectory(path, **options)
    return t.elements, iter(t)
