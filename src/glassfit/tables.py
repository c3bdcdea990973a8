"""The CSV tables a config names (glasses, species, potential, measured data), read with one-line errors naming file, line and column.

Lines are counted in the file as it is written ('#' comment lines and blank lines included), so an error points at
the line a person opens in an editor.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Sequence

import pandas as pd


class TableError(ValueError):
    """A missing or malformed table, explained in one line."""


def read(path: str | Path, what: str, required: Sequence[str], numeric: Sequence[str] = (), optional: Sequence[str] = ()) -> pd.DataFrame:
    """The table at ``path`` (a ``what``, e.g. "glass table"): every ``required`` column present, ``numeric`` cells numbers.

    ``optional`` numeric columns may be empty (NaN). The frame's ``attrs`` hold ``lines`` (the file line of each row)
    and ``header_line``, for later errors that name a row.
    """
    path = Path(path)
    header, header_line, rows, lines = None, 0, [], []
    for number, line in enumerate(read_text(path, what).splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in next(csv.reader([line]))]
        if header is None:
            header, header_line = cells, number
            continue
        if len(cells) != len(header):
            raise TableError(f"{path}: line {number}: {len(cells)} cells, but the header (line {header_line}) has {len(header)} columns")
        rows.append(cells)
        lines.append(number)
    if header is None:
        raise TableError(f"{path}: the {what} is empty (no header line)")
    if not rows:
        raise TableError(f"{path}: line {header_line}: the {what} has a header but no rows")
    missing = [c for c in required if c not in header]
    if missing:
        raise TableError(f"{path}: line {header_line}: header lacks column {missing[0]!r} (a {what} needs: {', '.join(required)})")
    if len(set(header)) != len(header):
        raise TableError(f"{path}: line {header_line}: column {next(c for c in header if header.count(c) > 1)!r} appears twice in the header")
    table = pd.DataFrame(rows, columns=header, dtype=object)
    for column in [*numeric, *optional]:
        if column in table:
            table[column] = [number_cell(path, lines[i], column, text, empty_ok=column in optional) for i, text in enumerate(table[column])]
    table.attrs.update(lines=lines, header_line=header_line, path=str(path))
    return table


def read_text(path: str | Path, what: str) -> str:
    """A table file's UTF-8 text; a missing file, a folder, other bytes or an unreadable file is one TableError line."""
    path = Path(path)
    if path.is_dir():
        raise TableError(f"{path}: a folder, not a {what} file")
    if not path.is_file():
        raise TableError(f"{path}: {what} not found (relative paths are relative to the working directory, {Path.cwd()})")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise TableError(f"{path}: not UTF-8 text (byte {e.start}: {e.object[e.start:e.start + 1]!r}); save the {what} as UTF-8") from None
    except OSError as e:
        raise TableError(f"{path}: cannot read the {what} ({e.strerror})") from None


def number_cell(path: str | Path, line: int, column: str, text: str, empty_ok: bool = False) -> float:
    """One numeric cell; empty is NaN where allowed."""
    if text == "" and empty_ok:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise TableError(f"{path}: line {line}, column {column}: {text!r} is not a number")
    return value


def where(table: pd.DataFrame, row: int, column: str | None = None) -> str:
    """'<file>: line N[, column C]' of a row (by position) of a table from :func:`read`."""
    out = f"{table.attrs['path']}: line {table.attrs['lines'][row]}"
    return f"{out}, column {column}" if column else out


def duplicate(table: pd.DataFrame, columns: Sequence[str]) -> int | None:
    """Position of the first row that repeats an earlier row's values in ``columns``, or None."""
    dup = table.duplicated(list(columns)).to_numpy().nonzero()[0]
    return int(dup[0]) if len(dup) else None
