"""Campaign configuration: schema validation with defaults, cross-checks, and the resolved campaign dict.

Every problem becomes one :class:`ConfigError` whose message names the file and key, e.g.
``config/demo.yaml: md.protocol[2].duration_ps: stage 'quench' must last longer than 0 ps``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import pandas as pd
import yaml

from glassfit import chemistry, lammps, tables
from glassfit.tables import TableError
from glassfit.files import read_yaml, read_yaml_once
from glassfit.potential import TERMS, Tunable, complete_set, read_parameter_sets, read_species, tunable_name

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
LEARN_SCHEMA = ROOT / "workflow" / "schemas" / "learn.schema.yaml"
ANALYSIS_SCHEMA = ROOT / "workflow" / "schemas" / "analysis.schema.yaml"
TARGET_COLUMNS = ("density_g_cm3", "B4")
ROLES = ("fit", "fit-density-only", "validation")


class ConfigError(ValueError):
    """A configuration problem, explained in one line."""


def schema() -> dict:
    """The config schema, with the learn and analysis sections merged in when they exist."""
    main = read_yaml_once(SCHEMA)
    for name, path in (("learn", LEARN_SCHEMA), ("analysis", ANALYSIS_SCHEMA)):
        if path.exists():
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


def validate(config: dict, source: str = "config") -> dict:
    """Check ``config`` against the schema and fill in defaults (in place); returns it."""
    validator = _fill_defaults(jsonschema.Draft202012Validator)(schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        if e.validator == "additionalProperties":
            extra = sorted(set(e.instance) - set(e.schema.get("properties", {})))
            raise ConfigError(f"{source}: {_key(list(e.absolute_path) + extra[:1])}: unknown key (allowed: {', '.join(e.schema.get('properties', {}))})")
        raise ConfigError(f"{source}: {_key(e.absolute_path)}: {e.message}")
    return config


def read_glasses(path: str | Path) -> pd.DataFrame:
    """The glass table: id, oxide mol % columns, targets and role, indexed by id; checked cell by cell (TableError: file, line, column)."""
    table = tables.read(path, "glass table", ("id", "role"), optional=TARGET_COLUMNS)
    oxides = [c for c in table.columns if c not in ("id", "role", *TARGET_COLUMNS)]
    for ox in oxides:
        try:
            chemistry.parse_formula(ox)
        except ValueError:
            raise TableError(f"{path}: line {table.attrs['header_line']}, column {ox}: neither an oxide formula nor one of id, role, {', '.join(TARGET_COLUMNS)}") from None
    for ox in oxides:
        table[ox] = [tables.number_cell(path, line, ox, text, empty_ok=True) for line, text in zip(table.attrs["lines"], table[ox])]
    for i, row in enumerate(table.to_dict("records")):
        gid = row["id"]
        amounts = {ox: row[ox] for ox in oxides}
        if all(pd.isna(v) or v == 0 for v in amounts.values()):
            if any(not pd.isna(row.get(t)) for t in TARGET_COLUMNS if t in row):
                raise TableError(f"{tables.where(table, i)}: glass {gid!r} has a target but no composition (the glass is not defined)")
            raise TableError(f"{tables.where(table, i)}: glass {gid!r} has no composition")
        negative = [ox for ox, v in amounts.items() if v < 0]
        if negative:
            raise TableError(f"{tables.where(table, i, negative[0])}: glass {gid!r}: a negative amount")
        total = sum(0.0 if pd.isna(v) else float(v) for v in amounts.values())
        if abs(total - 100.0) > 0.01:
            raise TableError(f"{tables.where(table, i)}, columns {', '.join(oxides)}: glass {gid!r}: oxides sum to {total:g} mol %, not 100")
        if row["role"] not in ROLES:
            raise TableError(f"{tables.where(table, i, 'role')}: glass {gid!r}: role {row['role']!r} is not one of {', '.join(ROLES)}")
    if (i := tables.duplicate(table, ["id"])) is not None:
        raise TableError(f"{tables.where(table, i, 'id')}: glass id {table['id'][i]!r} appears twice")
    return table.set_index("id")


def _glasses(config: dict, source: str) -> list[dict]:
    table = read_glasses(config["glasses"]["table"])
    use = config["glasses"].get("use") or list(table.index)
    for i, gid in enumerate(use):
        if gid not in table.index:
            raise ConfigError(f"{source}: glasses.use[{i}]: glass {gid!r} is not defined in {config['glasses']['table']}")
    oxides = [c for c in table.columns if c not in ("role", *TARGET_COLUMNS)]
    out = []
    for gid in use:
        row = table.loc[gid]
        target = {t: (None if t not in row or pd.isna(row[t]) else float(row[t])) for t in TARGET_COLUMNS}
        out.append(
            {
                "id": gid,
                "composition": {ox: float(row[ox]) for ox in oxides if not pd.isna(row[ox]) and row[ox] > 0},
                **target,
                "role": row["role"],
            }
        )
    return out


def _tunables(config: dict, source: str) -> list[Tunable]:
    pot = config["potential"]
    sets = read_parameter_sets(pot["table"])
    try:
        start = complete_set(sets, pot["start"])
    except KeyError as e:
        raise ConfigError(f"{source}: potential.start: {e.args[0]}") from None
    out = []
    for i, t in enumerate(pot["tunable"]):
        if t["pair"] not in start:
            raise ConfigError(f"{source}: potential.tunable[{i}].pair: {t['pair']!r} names no pair of set {pot['start']!r} in {pot['table']}")
        lo, hi = t["bounds_rel"]
        if lo >= hi:
            raise ConfigError(f"{source}: potential.tunable[{i}].bounds_rel: low ({lo:g}) must be below high ({hi:g})")
        if not lo <= 0 <= hi:
            raise ConfigError(f"{source}: potential.tunable[{i}].bounds_rel: the start value must lie inside [{lo:g}, {hi:g}]")
        value = getattr(start[t["pair"]], {"A": "A_eV", "rho": "rho_A", "C": "C_eVA6"}[t["term"]])
        bounds = sorted((value * (1 + lo), value * (1 + hi)))
        out.append(Tunable(tunable_name(t["pair"], t["term"]), t["pair"], t["term"], value, bounds[0], bounds[1]))
    names = [t.name for t in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: potential.tunable: a parameter is listed twice")
    return out


def _named_set(sets: dict, name: str, start: str, key: str, source: str) -> dict:
    """The complete named set, after checking that it defines every pair the start set does (no silent Coulomb-only pair)."""
    try:
        pairs = complete_set(sets, name)
    except KeyError as e:
        raise ConfigError(f"{source}: {key}: {e.args[0]}") from None
    missing = sorted(set(complete_set(sets, start)) - set(pairs))
    if missing:
        raise ConfigError(f"{source}: {key}: set {name!r} lacks pair(s) {', '.join(missing)} that the campaign needs (defined by the start set {start!r}); add them to the table or leave the set out")
    return pairs


def _named_sets(config: dict, tunables: list[Tunable], source: str) -> list[str]:
    """Check potential.initial_sets (never a hybrid) and resolve analysis.validation_sets (default: best, start, every named set)."""
    pot = config["potential"]
    sets = read_parameter_sets(pot["table"])
    start = complete_set(sets, pot["start"])
    tuned = {(t.pair, TERMS[t.term][0]) for t in tunables}
    for i, name in enumerate(pot.get("initial_sets", [])):
        pairs = _named_set(sets, name, pot["start"], f"potential.initial_sets[{i}]", source)
        fixed = [f"{pair} {column}" for pair in sorted(set(pairs) | set(start)) for column, _ in TERMS.values()
                 if (pair, column) not in tuned and getattr(pairs.get(pair), column, None) != getattr(start.get(pair), column, None)]
        if fixed:
            raise ConfigError(
                f"{source}: potential.initial_sets[{i}]: set {name!r} differs from the start set {pot['start']!r} in {', '.join(fixed)}, "
                "which the campaign does not tune: it can only evaluate sets inside its parameter space (tune those too, or compare the "
                "set in the final validation: analysis.validation_sets)"
            )
    wanted = config["analysis"].get("validation_sets")
    if wanted is None:
        wanted = ["best"] * bool(config["fit"]) + ["start"] + [s for s in sets if s not in ("fixed", pot["start"])]
    for i, label in enumerate(wanted):
        if label == "best" and not config["fit"]:
            raise ConfigError(f"{source}: analysis.validation_sets[{i}]: 'best' needs a campaign that fits (fit: true); name the sets to validate")
        if label not in ("best", "start"):
            _named_set(sets, label, pot["start"], f"analysis.validation_sets[{i}]", source)
    return list(wanted)


def _check_md(config: dict, glasses: list[dict], source: str) -> None:
    md = config["md"]
    for section in ("protocol", "fallback"):
        for i, stage in enumerate(md.get(section, [])):
            if stage["duration_ps"] <= 0:
                raise ConfigError(f"{source}: md.{section}[{i}].duration_ps: stage {stage['name']!r} must last longer than 0 ps (got {stage['duration_ps']:g})")
            if stage["ensemble"] == "nvt" and "pressure_bar" in stage:
                raise ConfigError(f"{source}: md.{section}[{i}].pressure_bar: an nvt stage has no pressure")
    roles = [s.get("role") for s in md["protocol"]]
    for role in ("density", "production"):
        if roles.count(role) != 1:
            raise ConfigError(f"{source}: md.protocol: exactly one stage needs role: {role} (found {roles.count(role)})")
    production = md["protocol"][roles.index("production")]
    if not production.get("dump_every_ps"):
        raise ConfigError(f"{source}: md.protocol[{roles.index('production')}].dump_every_ps: the production stage must write frames")
    species = {s.element: s for s in read_species(config["potential"]["species"])}
    masses = {el: s.mass_g_mol for el, s in species.items()}
    charges = {el: s.charge_e for el, s in species.items()}
    cutoff = config["potential"]["cutoff_A"]
    for g in glasses:
        realised = chemistry.realise(g["composition"], config["system"]["atoms"])
        for ox in g["composition"]:
            unknown = sorted(set(chemistry.parse_formula(ox)) - set(species))
            if unknown:
                raise ConfigError(f"{config['glasses']['table']}: glass {g['id']!r}, column {ox}: element {unknown[0]} is not defined in {config['potential']['species']} (named in {source})")
        if abs(realised.charge_e(charges)) > 1e-6:
            raise ConfigError(f"{source}: glass {g['id']!r} is not charge-neutral with the charges of {config['potential']['species']}")
        density = g["density_g_cm3"] or config["system"]["start_density_g_cm3"]
        half_box = chemistry.box_length_A(realised.mass_g(masses), density) / 2
        if cutoff >= half_box:
            raise ConfigError(
                f"{source}: potential.cutoff_A: {cutoff:g} Å is not below half the box ({half_box:.2f} Å) of glass {g['id']!r} "
                f"with system.atoms = {config['system']['atoms']}; use more atoms or a shorter cutoff"
            )
    try:
        lammps.find(md.get("lammps"), md.get("launcher"))
    except lammps.LammpsNotFound as e:
        raise ConfigError(f"{source}: {e}") from None


def resolve(config: dict, source: str = "config") -> dict:
    """Validate ``config`` and return the campaign: the config plus resolved ``glasses`` and ``tunable`` lists."""
    try:
        return _resolve(config, source)
    except TableError as error:  # a table the config names is missing or malformed: the error names file, line, column
        raise ConfigError(f"{error} (named in {source})") from None


def _resolve(config: dict, source: str) -> dict:
    config = validate(copy.deepcopy(config), source)
    glasses = _glasses(config, source)
    tunables = _tunables(config, source)
    if config["fit"] and not tunables:
        raise ConfigError(f"{source}: potential.tunable: a campaign that fits needs at least one tunable parameter (or set fit: false to only validate)")
    validation_sets = _named_sets(config, tunables, source)
    if config["fit"] and len(tunables) < 2 and config.get("learn", {}).get("iterations", 1) > 1:
        raise ConfigError(f"{source}: potential.tunable: proposing candidates needs at least 2 parameters (CMA-ES searches 2 or more dimensions); with one, set learn.iterations: 1")
    learn = config.get("learn", {})
    if learn.get("mode") == "pareto" and learn.get("proposer", {}).get("kind") == "mlp":
        raise ConfigError(f"{source}: learn.mode: pareto needs learn.proposer.kind: botorch (qLogNEHVI); the MLP ensemble optimises the scalar objective only")
    _check_md(config, glasses, source)
    campaign = copy.deepcopy(config)
    campaign["glasses_table"] = config["glasses"]["table"]
    campaign["glasses"] = glasses
    campaign["tunable"] = [t.__dict__.copy() for t in tunables]
    campaign["analysis"]["validation_sets"] = validation_sets
    campaign["results"] = str(Path(config["results_dir"]) / config["campaign"])
    return campaign


def load(path: str | Path, overrides: dict | None = None) -> dict:
    """Read, validate and resolve a config file."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    try:
        config = read_yaml(path) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise ConfigError(f"{path}: {at}not valid YAML ({getattr(e, 'problem', None) or str(e).splitlines()[0]})") from None
    config.update(overrides or {})
    return resolve(config, str(path))


def tunables(campaign: dict) -> list[Tunable]:
    return [Tunable(**t) for t in campaign["tunable"]]

