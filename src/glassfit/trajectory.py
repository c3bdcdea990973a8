"""LAMMPS text dumps (``id type x y z``, orthogonal periodic box) as numpy frames.

The MD runs write their production trajectory in this one format; every analysis reads it through
:func:`read_dump`, so the format is defined in a single place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One snapshot: positions wrapped into [lo, lo + L) and sorted by atom id."""

    timestep: int
    box_lo: np.ndarray  # (3,) Å
    box_len: np.ndarray  # (3,) Å, orthogonal box edge lengths
    ids: np.ndarray  # (N,) int
    types: np.ndarray  # (N,) int, LAMMPS type numbers (1-based)
    positions: np.ndarray  # (N, 3) Å

    @property
    def volume_A3(self) -> float:
        return float(np.prod(self.box_len))


def iter_dump(path: str | Path) -> Iterator[Frame]:
    """Yield the frames of a LAMMPS ``dump atom/custom`` text file with columns id type x y z."""
    path = Path(path)
    with path.open() as fh:
        while True:
            line = fh.readline()
            if not line:
                return
            if not line.startswith("ITEM: TIMESTEP"):
                continue
            timestep = int(fh.readline())
            if not fh.readline().startswith("ITEM: NUMBER OF ATOMS"):
                raise ValueError(f"{path}: malformed dump header at timestep {timestep}")
            n = int(fh.readline())
            header = fh.readline()
            if "xy" in header:
                raise ValueError(f"{path}: triclinic boxes are not supported (timestep {timestep})")
            bounds = np.array([[float(v) for v in fh.readline().split()[:2]] for _ in range(3)])
            cols = fh.readline().split()[2:]
            try:
                idx = [cols.index(c) for c in ("id", "type", "x", "y", "z")]
            except ValueError:
                raise ValueError(f"{path}: dump needs columns id type x y z, found {' '.join(cols)}") from None
            data = np.loadtxt(fh, max_rows=n, ndmin=2)
            if data.shape[0] != n:
                raise ValueError(f"{path}: frame at timestep {timestep} is truncated ({data.shape[0]} of {n} atoms)")
            order = np.argsort(data[:, idx[0]])
            data = data[order]
            lo, hi = bounds[:, 0], bounds[:, 1]
            length = hi - lo
            pos = lo + np.mod(data[:, idx[2:]] - lo, length)
            yield Frame(
                timestep=timestep,
                box_lo=lo,
                box_len=length,
                ids=data[:, idx[0]].astype(int),
                types=data[:, idx[1]].astype(int),
                positions=pos,
            )


def read_dump(path: str | Path) -> list[Frame]:
    """All frames of a dump file (see :func:`iter_dump`)."""
    return list(iter_dump(path))
