"""What one MD run's LAMMPS output says: its thermo table (density) and why a run failed (targets: glassfit.analysis.observables)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd


_STAGE = re.compile(r"^glassfit stage (\S+) (\d+) (\d+)")

#: LAMMPS error text -> reason recorded for the run
_REASONS = [
    ("Lost atoms", "lost atoms (blow-up)"),
    ("Out of range atoms", "out-of-range atoms in PPPM (blow-up)"),
    ("Fix halt condition", "volume diverged past md.max_volume_factor"),
    ("Non-numeric", "non-finite energy"),
]


def read_thermo(logs: str | Path | Sequence[str | Path]) -> pd.DataFrame:
    """Thermo rows of a glassfit run, one per timestep, with the protocol stage of each row (column ``stage``).

    ``logs`` is one LAMMPS log or, for a run resumed from restart files, its logs in order: each log
    supersedes what earlier ones logged after its first timestep (a killed run logs past its last
    restart). A timestep logged twice (a run's last step and the next run's first) keeps its first row,
    which belongs to the stage that ended there. Empty if there is no log.
    """
    columns, rows = None, []
    for log in [logs] if isinstance(logs, (str, Path)) else logs:
        header, segment = _log_rows(log)
        if segment:
            columns = header
            rows = [r for r in rows if r[1] <= segment[0][1]]
        rows += _increasing(segment, rows[-1][1] if rows else None)
    if not rows:
        return pd.DataFrame(columns=["stage"])
    table = pd.DataFrame(rows, columns=["stage", *columns])
    table["Step"] = table["Step"].astype(int)
    return table.rename(
        columns={"Step": "step", "Time": "time_ps", "Temp": "T_K", "Press": "P_bar", "PotEng": "pe_eV", "TotEng": "etotal_eV", "Volume": "volume_A3", "Density": "density_g_cm3"}
    )


def _log_rows(log: str | Path) -> tuple[list[str] | None, list[list]]:
    """Thermo header and rows ``[stage, step, ...]`` of one LAMMPS log (the last header seen wins)."""
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
    return columns, rows


def _increasing(rows: list[list], after: float | None) -> list[list]:
    """The rows whose step exceeds every earlier one (and ``after``)."""
    out = []
    for r in rows:
        if after is None or r[1] > after:
            out.append(r)
            after = r[1]
    return out


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
    """Rows of one stage (the state at its first step is the previous stage's last row, see :func:`read_thermo`)."""
    return thermo[thermo["stage"] == stage]


def mean_std(values: np.ndarray | pd.Series) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return math.nan, math.nan
    return float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else 0.0
