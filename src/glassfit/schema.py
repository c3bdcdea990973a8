"""The config schema (workflow/schemas: the one source of every key and default), its validation, and ConfigError.

A leaf of the import graph: glassfit.config builds the campaign on it, and the analysis package reads its section's
defaults from it without importing the builder.
"""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema

from glassfit.files import read_yaml_once

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
LEARN_SCHEMA = ROOT / "workflow" / "schemas" / "learn.schema.yaml"
ANALYSIS_SCHEMA = ROOT / "workflow" / "schemas" / "analysis.schema.yaml"


class ConfigError(ValueError):
    """A configuration problem, explained in one line."""


def schema() -> dict:
    """The config schema, with the learn and analysis sections merged in."""
    main = read_yaml_once(SCHEMA)
    for name, path in (("learn", LEARN_SCHEMA), ("analysis", ANALYSIS_SCHEMA)):
        section = read_yaml_once(path)
        section.pop("$schema", None)
        section.setdefault("default", {})
        main["properties"][name] = section
    return main


def _key(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _fill_defaults(validator_class):
    """A validator that also writes schema defaults into the instance (as Snakemake's validate does)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def validate(config: dict, source: str = "config", against: dict | None = None) -> dict:
    """Check ``config`` against the schema (``against``: a section's) and fill in defaults (in place); returns it."""
    validator = _fill_defaults(jsonschema.Draft202012Validator)(against or schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        if e.validator == "additionalProperties":
            extra = sorted(set(e.instance) - set(e.schema.get("properties", {})))
            raise ConfigError(f"{source}: {_key(list(e.absolute_path) + extra[:1])}: unknown key (allowed: {', '.join(e.schema.get('properties', {}))})")
        raise ConfigError(f"{source}: {_key(e.absolute_path)}: {e.message}")
    return config
