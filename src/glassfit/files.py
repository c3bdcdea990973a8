"""Files that are complete or absent: every output is written under a temporary name and renamed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd


def write_text(path: str | Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_json(path: str | Path, data: dict) -> None:
    write_text(path, json.dumps(data, indent=2, allow_nan=True) + "\n")


def read_json(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


def write_csv(path: str | Path, table: pd.DataFrame) -> None:
    write_text(path, table.to_csv(index=False))
