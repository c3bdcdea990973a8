"""Learn-section settings: defaults from the schema, and helpers that read tunables and glasses from a config."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

from glassfit.files import read_yaml_once

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "learn.schema.yaml"
FIT_ROLES = ("fit", "fit-density-only")


def _schema() -> dict:
    """The learn schema: the single source of truth for the defaults."""
    return read_yaml_once(SCHEMA_PATH)


def _walk_defaults(node: dict) -> Any:
    """Collect the 'default' entries of a schema node, descending into object properties."""
    if node.get("type") == "object" and "properties" in node:
        return {key: _walk_defaults(sub) for key, sub in node["properties"].items()}
    return copy.deepcopy(node.get("default"))


def defaults() -> dict:
    """Return the default learn section, read from workflow/schemas/learn.schema.yaml."""
    return _walk_defaults(_schema())


def _merge(base: dict, override: dict) -> dict:
    """Deep-merge override into a copy of base (dicts merge, everything else replaces)."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def settings(config: dict) -> dict:
    """Return config['learn'] with every missing key filled from the defaults, so partial configs work."""
    return _merge(defaults(), config.get("learn") or {})


def param_names(config: dict) -> list[str]:
    """Names of the tunable parameters, in config order."""
    return [p["name"] for p in config["tunable"]]


def bounds(config: dict) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the tunable parameters (absolute values), in config order."""
    low = np.array([float(p["low"]) for p in config["tunable"]])
    high = np.array([float(p["high"]) for p in config["tunable"]])
    if np.any(high <= low):
        bad = [p["name"] for p in config["tunable"] if float(p["high"]) <= float(p["low"])]
        raise ValueError(f"config 'tunable': high must exceed low for {bad}")
    return low, high


def normalise(values: np.ndarray, config: dict) -> np.ndarray:
    """Map absolute parameter values to the [0,1] box spanned by the bounds."""
    low, high = bounds(config)
    return (np.asarray(values, dtype=float) - low) / (high - low)


def denormalise(unit: np.ndarray, config: dict) -> np.ndarray:
    """Map points of the normalised [0,1] box back to absolute parameter values."""
    low, high = bounds(config)
    return low + np.asarray(unit, dtype=float) * (high - low)


def fitted_glasses(config: dict) -> list[dict]:
    """Glasses that enter the objective (roles fit and fit-density-only), in config order."""
    return [g for g in config["glasses"] if g.get("role", "fit") in FIT_ROLES]


def _elements(glass: dict) -> set[str]:
    """Elements present in a glass (oxides with a positive amount)."""
    from glassfit.chemistry import parse_formula

    return {el for ox, x in glass["composition"].items() if float(x) > 0 for el in parse_formula(ox)}


def responds(glass: dict, config: dict) -> bool:
    """Whether a glass contains both elements of at least one tuned pair, so its properties can respond.

    A glass without boron cannot feel B-O or B-B parameters: it is simulated once per campaign as a
    reference, and its objective term is the same for every candidate.
    """
    present = _elements(glass)
    return any(set(p.get("pair", "").split("-")) <= present for p in config["tunable"])


def inert_glasses(config: dict) -> list[str]:
    """Ids of fitted glasses that no tuned pair acts on (see responds())."""
    return [str(g["id"]) for g in fitted_glasses(config) if not responds(g, config)]


def modelled_glasses(config: dict) -> list[str]:
    """Ids of fitted glasses whose properties depend on the tunable parameters: the ones a surrogate models."""
    return [str(g["id"]) for g in fitted_glasses(config) if responds(g, config)]


def oxides(config: dict) -> list[str]:
    """All oxides appearing in the config's glasses, sorted, with B2O3 always present."""
    names = {ox for g in config["glasses"] for ox in g["composition"]}
    names.add("B2O3")
    return sorted(names)


def mol_fractions(glass: dict, oxide_names: list[str]) -> list[float]:
    """Mol fractions (0-1) of the given oxides in a glass whose composition is in mol %."""
    comp = glass["composition"]
    total = float(sum(comp.values())) or 1.0
    return [float(comp.get(ox, 0.0)) / total for ox in oxide_names]
