"""Files that are complete or absent: every output is written under a temporary name and renamed."""

from __future__ import annotations

import copy
import json
import os
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

#: libyaml's parser where PyYAML was built with it (about 10x faster than the pure-Python one).
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def read_yaml(path: str | Path):
    """A YAML file's content, parsed with the C loader where available."""
    return yaml.load(Path(path).read_text(), Loader=YAML_LOADER)


@lru_cache(maxsize=None)
def _cached_yaml(path: Path, mtime_ns: int):
    return read_yaml(path)


def read_yaml_once(path: str | Path):
    """A YAML file read again and again by one process (the schemas), parsed once (again if it changed); a copy."""
    path = Path(path).resolve()
    return copy.deepcopy(_cached_yaml(path, path.stat().st_mtime_ns))
