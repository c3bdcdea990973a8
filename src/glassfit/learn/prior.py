"""Warm starts: data from earlier campaigns or from publications joined to the surrogate's training data (learn.prior_data).

Two forms are read:

* glassfit's own ``dataset.csv`` (one row per parameter set x glass: the tunables, ``<target>_mean``/``_std``, n_ok);
* the wide table people publish: one row per parameter set, a column per tunable and ``<glass>_<target>`` columns, with
  optional ``<glass>_<target>_std`` and ``<glass>_<target>_n`` (replicas), as CSV or XLSX. Energy coefficients may be
  in kcal/mol (``units: real``, as LAMMPS ``real`` units write them): they are converted to eV.

Rows become data-set rows with candidate ids ``<source>:<row>`` that never name a campaign's own set: the sets of
prior data are not ranked, recommended or counted against the MD budget. Data of the campaign's own protocol
(``fidelity: same``) are pooled with the campaign's; any other fidelity label is another protocol or system size,
which the Gaussian processes see as an input of their own (glassfit.learn.gp), so that they learn how far it carries.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from glassfit.model import LearningProblem, PriorData

from .settings import bounds, param_names

#: 1 eV in kcal/mol: e x N_A / 4184 J (the thermochemical kcal of LAMMPS ``real`` units; e and N_A exact in SI 2019).
EV_IN_KCAL_PER_MOL = 1.602176634e-19 * 6.02214076e23 / 4184.0
SAME = "same"  # the fidelity label of data from the campaign's own protocol


class PriorDataError(ValueError):
    """A prior data table that cannot be used; the message names the file, row and column."""


def energy_unit(column: str) -> bool:
    """Whether a coefficient's table column (A_eV, C_eVA6, D0_eV ...) carries an energy, which the unit style converts."""
    return "_" in column and column.split("_", 1)[1].startswith("eV")


def energy_factor(units: str) -> float:
    """What multiplies an energy coefficient in the given LAMMPS unit style to give eV."""
    return {"metal": 1.0, "real": 1.0 / EV_IN_KCAL_PER_MOL}[units]


def read_table(path: str | Path, sheet: str | None = None) -> pd.DataFrame:
    """A CSV or XLSX table (its first sheet, or `sheet`), with one-line errors naming the file."""
    path = Path(path)
    if not path.is_file():
        raise PriorDataError(f"{path}: no such file")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return pd.read_excel(path, sheet_name=sheet or 0)
        return pd.read_csv(path, comment="#")
    except ValueError as error:  # a sheet not in the workbook, an unreadable file
        raise PriorDataError(f"{path}: {str(error).splitlines()[0]}") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as error:
        raise PriorDataError(f"{path}: cannot read it as a table ({str(error).splitlines()[0]})") from None


def _numbers(table: pd.DataFrame, column: str, path: Path, required: bool = True) -> np.ndarray:
    """A column as floats; a cell that is not a number is an error naming its row (1 = the first data row) and column."""
    values = pd.to_numeric(table[column], errors="coerce")
    bad = values.isna() if required else values.isna() & table[column].notna()  # an empty cell is allowed where optional
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise PriorDataError(f"{path}: row {row + 1}, column {column}: {table[column].iloc[row]!r} is not a number")
    return values.to_numpy(dtype=float)


def from_wide(table: pd.DataFrame, problem: LearningProblem, units: str = "metal", path: str | Path = "table") -> pd.DataFrame:
    """Data-set rows (candidate row<k> x glass) of a wide table: parameters converted to the campaign's units (eV, Å).

    Every tunable needs a column; each ``<glass>_<target>`` column of a fitted glass and target gives a mean, with
    ``_std`` and ``_n`` beside it where the table has them (n defaults to 1 replica, std to unknown).
    """
    path = Path(path)
    table = table.rename(columns=lambda c: str(c).strip())
    missing = [n for n in param_names(problem) if n not in table.columns]
    if missing:
        raise PriorDataError(f"{path}: no column {missing[0]} (every tunable needs a column: {', '.join(param_names(problem))})")
    factor = energy_factor(units)
    params = {t.name: _numbers(table, t.name, path) * (factor if t.coefficient and energy_unit(t.coefficient) else 1.0)
              for t in problem.tunables}
    glass_ids, names = {g.id for g in problem.glasses}, [t.name for t in problem.targets]
    found: dict[str, dict[str, str]] = {}
    for column in table.columns:
        for name in names:
            if column.endswith(f"_{name}") and column[: -len(name) - 1] in glass_ids:
                found.setdefault(column[: -len(name) - 1], {})[name] = column
    unknown = [c for c in table.columns if c not in params and not any(
        c in {col, f"{col}_std", f"{col}_n"} for cols in found.values() for col in cols.values())]
    if unknown:
        raise PriorDataError(f"{path}: column {unknown[0]} is neither a tunable nor <glass>_<target>[_std|_n] of this campaign "
                             f"(glasses {', '.join(sorted(glass_ids))}; targets {', '.join(names)})")
    if not found:
        raise PriorDataError(f"{path}: no <glass>_<target> column (e.g. {problem.glasses[0].id}_{names[0]})")
    rows = []
    for glass, columns in found.items():
        part = pd.DataFrame({"candidate": [f"row{i + 1}" for i in range(len(table))], "iteration": -1, **params, "glass": glass})
        counts = []
        for name, column in columns.items():
            part[f"{name}_mean"] = _numbers(table, column, path, required=False)
            part[f"{name}_std"] = (_numbers(table, f"{column}_std", path, required=False) if f"{column}_std" in table
                                   else np.nan)
            if f"{column}_n" in table:
                counts.append(_numbers(table, f"{column}_n", path, required=False))
        has = part[[f"{n}_mean" for n in columns]].notna().any(axis=1).to_numpy()
        n_ok = np.fmax.reduce(counts) if counts else np.ones(len(table))  # the most replicas any target reports
        part["n_ok"] = np.where(has, np.nan_to_num(n_ok, nan=1.0), 0.0)
        part["n_failed"] = 0.0
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


def from_dataset(table: pd.DataFrame, problem: LearningProblem, path: str | Path) -> pd.DataFrame:
    """The rows of a glassfit dataset.csv that this campaign can use (its tunables, glasses and targets)."""
    need = [*param_names(problem), "candidate", "glass", "n_ok"]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise PriorDataError(f"{path}: no column {missing[0]} (a glassfit dataset.csv has {', '.join(need)} and <target>_mean)")
    table = table.assign(glass=table["glass"].astype(str), candidate=table["candidate"].astype(str))
    for name in param_names(problem):
        _numbers(table, name, Path(path))
    table = table[table["glass"].isin({g.id for g in problem.glasses})]
    for t in problem.targets:
        for suffix in ("_mean", "_std"):
            if f"{t.name}{suffix}" not in table:
                table = table.assign(**{f"{t.name}{suffix}": np.nan})
    return table.assign(n_failed=table.get("n_failed", 0.0))


def load(entry: PriorData, problem: LearningProblem, index: int = 1) -> pd.DataFrame:
    """One learn.prior_data entry as data-set rows, candidates renamed ``prior<index>:<id>``, with its fidelity label."""
    table = read_table(entry.path, entry.sheet)
    rows = (from_dataset(table, problem, entry.path) if "glass" in table.columns
            else from_wide(table, problem, entry.units, entry.path))
    return rows.assign(candidate=f"prior{index}:" + rows["candidate"].astype(str), fidelity=entry.fidelity)


def outside_box(rows: pd.DataFrame, problem: LearningProblem) -> pd.DataFrame:
    """The parameter sets of data-set rows that lie outside the campaign's bounds: candidate and the first parameter out."""
    low, high = bounds(problem)
    sets = rows.drop_duplicates("candidate")
    values = sets[param_names(problem)].to_numpy(dtype=float)
    out = (values < low - 1e-12 * np.abs(low)) | (values > high + 1e-12 * np.abs(high))
    names = param_names(problem)
    return pd.DataFrame({"candidate": sets["candidate"].to_numpy()[out.any(axis=1)],
                         "parameter": [names[int(np.argmax(r))] for r in out[out.any(axis=1)]],
                         "value": [float(v[int(np.argmax(r))]) for v, r in zip(values[out.any(axis=1)], out[out.any(axis=1)])]})


def training_rows(problem: LearningProblem) -> pd.DataFrame | None:
    """Every learn.prior_data entry's rows inside the search box (a set outside says little about it), or None."""
    entries = problem.learn.prior_data
    if not entries:
        return None
    rows = pd.concat([load(e, problem, i + 1) for i, e in enumerate(entries)], ignore_index=True)
    out = set(outside_box(rows, problem)["candidate"])
    return rows[~rows["candidate"].isin(out)].reset_index(drop=True)


def fidelities(rows: pd.DataFrame | None) -> list[str]:
    """The fidelity labels other than the campaign's own, in first-seen order: one GP input each."""
    if rows is None or "fidelity" not in rows:
        return []
    return [f for f in dict.fromkeys(rows["fidelity"].astype(str)) if f != SAME]


def summary(rows: pd.DataFrame, problem: LearningProblem) -> str:
    """What a table holds for the campaign, in a few lines: sets, glasses, values per target, sets outside the box."""
    sets = rows["candidate"].nunique()
    lines = [f"{sets} parameter set(s) on {rows['glass'].nunique()} glass(es): {', '.join(dict.fromkeys(rows['glass']))}"]
    for t in problem.targets:
        column = f"{t.name}_mean"
        if column in rows:
            lines.append(f"  {t.name}: {int(np.isfinite(rows[column].to_numpy(dtype=float)).sum())} value(s)")
    out = outside_box(rows, problem)
    if len(out):
        listed = "; ".join(f"{c.split(':', 1)[-1]} ({p} = {v:.6g})" for c, p, v in out.head(20).itertuples(index=False))
        more = f" and {len(out) - 20} more" if len(out) > 20 else ""
        lines.append(f"{len(out)} set(s) outside the search box, not used: {listed}{more}")
    else:
        lines.append("every set lies inside the search box")
    return "\n".join(lines)

