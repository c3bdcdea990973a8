"""What one MD run yields: thermo tables from the LAMMPS log, density, B4, and why a run failed."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from glassfit.trajectory import Frame, iter_dump

_STAGE = re.compile(r"^glassfit stage (\S+) (\d+) (\d+)")

#: LAMMPS error text -> reason recorded for the run
_REASONS = [
    ("Lost atoms", "lost atoms (blow-up)"),
    ("Out of range atoms", "out-of-range atoms in PPPM (blow-up)"),
    ("Fix halt condition", "volume diverged past md.max_volume_factor"),
    ("Non-numeric", "non-finite energy"),
]


def read_thermo(log: str | Path) -> pd.DataFrame:
    """Thermo rows of a glassfit LAMMPS log, with the protocol stage of each row (column ``stage``); empty if no log."""
    rows, header, columns, stage = [], None, None, None
    text = Path(log).read_text(errors="replace") if Path(log).exists() else ""
    for line in text.splitlines():
        m = _STAGE.match(line)
        if m:
            stage = m.group(1)
            continue
        tokens = line.split()
        if tokens[:1] == ["Step"]:
            header = columns = tokens
            continue
        if line.startswith("Loop time"):
            header = None
            continue
        if header and len(tokens) == len(header):
            try:
                values = [float(t) for t in tokens]
            except ValueError:
                continue
            rows.append([stage, *values])
    if not rows:
        return pd.DataFrame(columns=["stage"])
    table = pd.DataFrame(rows, columns=["stage", *columns])
    table["Step"] = table["Step"].astype(int)
    return table.rename(
        columns={"Step": "step", "Time": "time_ps", "Temp": "T_K", "Press": "P_bar", "PotEng": "pe_eV", "TotEng": "etotal_eV", "Volume": "volume_A3", "Density": "density_g_cm3"}
    )


def failure_reason(log: str | Path, screen: str | Path | None, returncode: int, thermo: pd.DataFrame) -> str | None:
    """Why a LAMMPS run failed, in words, or None when it looks healthy."""
    text = ""
    for f in (log, screen):
        if f and Path(f).exists():
            text += Path(f).read_text(errors="replace")
    errors = [line.strip() for line in text.splitlines() if line.startswith("ERROR")]
    for needle, reason in _REASONS:
        if any(needle in e for e in errors):
            return reason
    if errors:
        return errors[0][:200]
    if returncode != 0:
        return f"LAMMPS exited with code {returncode}"
    numeric = thermo.drop(columns=["stage"]).to_numpy(dtype=float) if len(thermo) else np.empty((0, 0))
    if numeric.size and not np.isfinite(numeric).all():
        return "non-finite thermo values (energy, pressure or volume)"
    return None


def stage_rows(thermo: pd.DataFrame, stage: str) -> pd.DataFrame:
    """Rows of one stage, without the first row that repeats the previous stage's last state."""
    rows = thermo[thermo["stage"] == stage]
    return rows.iloc[1:] if len(rows) > 1 else rows


def mean_std(values: np.ndarray | pd.Series) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return math.nan, math.nan
    return float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else 0.0


def coordination(frame: Frame, center_type: int, neighbour_type: int, cutoff_A: float) -> np.ndarray:
    """Number of ``neighbour_type`` atoms within ``cutoff_A`` of each ``center_type`` atom (periodic)."""
    rel = np.mod(frame.positions - frame.box_lo, frame.box_len)
    rel[rel >= frame.box_len] = 0.0
    centers = rel[frame.types == center_type]
    others = rel[frame.types == neighbour_type]
    if len(centers) == 0:
        return np.zeros(0, dtype=int)
    tree = cKDTree(others, boxsize=frame.box_len)
    return np.array([len(n) for n in tree.query_ball_point(centers, r=cutoff_A)], dtype=int)


def b4_series(dump: str | Path, boron_type: int, oxygen_type: int, cutoff_A: float) -> np.ndarray:
    """Fraction of B atoms with exactly four O within ``cutoff_A``, one value per frame (empty if no boron)."""
    values = []
    for frame in iter_dump(dump):
        cn = coordination(frame, boron_type, oxygen_type, cutoff_A)
        if cn.size == 0:
            return np.zeros(0)
        values.append(float(np.mean(cn == 4)))
    return np.array(values)
