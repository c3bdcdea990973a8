"""Campaign configuration: the config validated against the schema (glassfit.schema, the one place defaults are filled),
cross-checked, and built into the typed campaign.

:func:`resolve` turns a config dict into a :class:`glassfit.model.Campaign`, reading every table once. Every
problem becomes one :class:`ConfigError` whose message names the file and key, e.g.
``config/demo.yaml: md.protocol[2].duration_ps: stage 'quench' must last longer than 0 ps``.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from pathlib import Path

import pandas as pd
import yaml

from glassfit import chemistry, lammps, layout, tables
from glassfit.files import read_yaml
from glassfit.forms import FORMS
from glassfit.model import (
    FIT_ROLES, MD, ROLES, AnalysisSettings, Campaign, Convergence, Cost, Design, Electrostatics, Glass, LearnSettings, Model,
    Observable, Potential, PriorData, Problem, Proposer, Surrogate, System, Target, Tunable,
)
from glassfit.potential import read_parameter_sets, read_species, set_owner_of, tunable_name  # noqa: F401  (re-exported)
from glassfit.protocol import MDSettings, Minimize, Stage
from glassfit.schema import LEARN_SCHEMA, ROOT, ConfigError, schema, validate  # noqa: F401  (re-exported: config.ConfigError ...)
from glassfit.tables import TableError

# --- glasses -------------------------------------------------------------------------------------------------------


def _is_oxide(column: str) -> bool:
    """Whether a column name is an oxide formula (O and another element: SiO2, Na2O), not a measured value (B4)."""
    try:
        elements = chemistry.parse_formula(column)
    except ValueError:
        return False
    return "O" in elements and len(elements) > 1


def read_glasses(path: str | Path, measured_columns: tuple[str, ...]) -> pd.DataFrame:
    """The glass table: id, role, oxide mol % columns and measured values, indexed by id; checked cell by cell.

    A column is an oxide formula (a composition) or one of ``measured_columns`` (the targets' columns: numbers,
    empty = not measured); anything else is an error naming the column.
    """
    table = tables.read(path, "glass table", ("id", "role"))
    measured = [c for c in table.columns if c in measured_columns]
    oxides = [c for c in table.columns if c not in ("id", "role", *measured)]
    for column in oxides:
        if not _is_oxide(column):
            raise TableError(f"{path}: line {table.attrs['header_line']}, column {column}: neither an oxide formula nor one of id, role, {', '.join(measured_columns)}")
    for column in [*oxides, *measured]:
        table[column] = [tables.number_cell(path, line, column, text, empty_ok=True) for line, text in zip(table.attrs["lines"], table[column])]
    if not oxides:
        raise TableError(f"{path}: line {table.attrs['header_line']}: no oxide column (e.g. SiO2) besides id, role and measured values {', '.join(measured)}")
    for i, row in enumerate(table.to_dict("records")):
        gid = row["id"]
        if problem := layout.name_problem(gid):
            raise TableError(f"{tables.where(table, i, 'id')}: glass id {problem}")
        amounts = {ox: row[ox] for ox in oxides}
        if all(pd.isna(v) or v == 0 for v in amounts.values()):
            if any(not pd.isna(row[m]) for m in measured):
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
    table.attrs["oxides"], table.attrs["measured"] = oxides, measured
    return table.set_index("id")


def _glass(table: pd.DataFrame, gid: str) -> Glass:
    row = table.loc[gid]
    return Glass(
        id=gid,
        composition={ox: float(row[ox]) for ox in table.attrs["oxides"] if not pd.isna(row[ox]) and row[ox] > 0},
        role=row["role"],
        measured={m: (None if pd.isna(row[m]) else float(row[m])) for m in table.attrs["measured"]},
    )


def _glass_ids(table: pd.DataFrame, ids: list[str] | None, key: str, path: str, source: str) -> list[str]:
    """The glass ids a config key names (None = every row of the table), each a safe name defined in the table."""
    for i, gid in enumerate(ids or []):
        if problem := layout.name_problem(gid):
            raise ConfigError(f"{source}: {key}[{i}]: glass id {problem}")
        if gid not in table.index:
            raise ConfigError(f"{source}: {key}[{i}]: glass {gid!r} is not defined in {path}")
    return list(ids) if ids else list(table.index)


# --- potential ------------------------------------------------------------------------------------------------------


def _potential(section: dict, key: str, source: str) -> Potential:
    """A potential section (``key``: where it sits in the config) with its tables read and its rules checked."""
    species = read_species(section["species"])
    sets = read_parameter_sets(section["table"], {s.element for s in species}, section["species"])
    if "fixed" in sets and len(sets) == 1 or not sets:
        raise ConfigError(f"{source}: {key}.table: {section['table']} defines no named parameter set")
    e = section["electrostatics"]
    method = e["method"]
    if method in ("wolf", "dsf") and "damping_invA" not in e:
        raise ConfigError(f"{source}: {key}.electrostatics.damping_invA: {method} needs a damping parameter (1/A; 0 = undamped)")
    if method in ("pppm", "ewald") and "damping_invA" in e:
        raise ConfigError(f"{source}: {key}.electrostatics.damping_invA: {method} has no damping parameter (it is for wolf and dsf)")
    electrostatics = Electrostatics(
        method=method,
        cutoff_A=float(e.get("cutoff_A", section["cutoff_A"])),
        accuracy=float(section["kspace_accuracy"]) if method in ("pppm", "ewald") else None,
        order=int(section["kspace_order"]) if method == "pppm" else None,
        damping_invA=float(e["damping_invA"]) if method in ("wolf", "dsf") else None,
    )
    balance = section["charges"]["balance"]
    elements = [s.element for s in species]
    if balance is not None and balance not in elements:
        raise ConfigError(f"{source}: {key}.charges.balance: {balance} is not an element of {section['species']}")
    for s in species:
        if s.charge_e is None and s.element != balance:
            raise ConfigError(f"{section['species']}: element {s.element} has no charge, and only the balance species (potential.charges.balance) may leave it empty (named in {source})")
    smoothing = section["smoothing_gamma_A2"]
    if smoothing is not None and electrostatics.family == "long":
        raise ConfigError(f"{source}: {key}.smoothing_gamma_A2: smoothing multiplies the Coulomb energy too, so it needs electrostatics.method wolf or dsf (got {method})")
    potential = Potential(
        species=tuple(species), sets=sets, start=section["start"], initial_sets=tuple(section["initial_sets"]),
        cutoff_A=float(section["cutoff_A"]), electrostatics=electrostatics, charge_balance=balance,
        smoothing_gamma_A2=None if smoothing is None else float(smoothing), species_table=section["species"], table=section["table"],
    )
    try:
        potential.complete_set(potential.start)
    except KeyError as error:
        raise ConfigError(f"{source}: {key}.start: {error.args[0]}") from None
    return potential


def _tunables(section: dict, potential: Potential, source: str) -> tuple[Tunable, ...]:
    start = potential.complete_set(potential.start)
    out = []
    for i, t in enumerate(section["tunable"]):
        key = f"potential.tunable[{i}]"
        if ("charge" in t) == ("pair" in t or "term" in t) or ("pair" in t) != ("term" in t):
            raise ConfigError(f"{source}: {key}: name a coefficient ({{pair: B-O, term: rho}}) or a charge ({{charge: Si}}), not both")
        if ("bounds_rel" in t) == ("bounds" in t):
            raise ConfigError(f"{source}: {key}: give bounds_rel (fractions of the start value) or bounds (absolute), exactly one")
        if "charge" in t:
            element = t["charge"]
            if element not in [s.element for s in potential.species]:
                raise ConfigError(f"{source}: {key}.charge: {element} is not an element of {potential.species_table}")
            if potential.charge_balance is None:
                raise ConfigError(f"{source}: {key}.charge: tuning the charge of {element} needs potential.charges.balance (the element whose charge keeps every glass neutral)")
            if element == potential.charge_balance:
                raise ConfigError(f"{source}: {key}.charge: {element} is the balance species, set by neutrality; tune another charge")
            value, name, pair, column = potential.species_of(element).charge_e, tunable_name(None, element=element), None, None
        else:
            pair = t["pair"]
            if pair not in start:
                raise ConfigError(f"{source}: {key}.pair: {pair!r} names no pair of set {potential.start!r} in {potential.table}")
            form = FORMS[start[pair].form]
            try:
                column = form.column(t["term"])
            except KeyError:
                raise ConfigError(f"{source}: {key}.term: {pair} is a {form.name} pair, which has no coefficient {t['term']!r} (it has {', '.join(c.name for c in form.coefficients)})") from None
            value, name, element = start[pair].coefficients[column], tunable_name(pair, column), None
        if "bounds_rel" in t:
            lo, hi = t["bounds_rel"]
            if lo >= hi:
                raise ConfigError(f"{source}: {key}.bounds_rel: low ({lo:g}) must be below high ({hi:g})")
            if not lo <= 0 <= hi:
                raise ConfigError(f"{source}: {key}.bounds_rel: the start value must lie inside [{lo:g}, {hi:g}]")
            if value == 0:
                raise ConfigError(f"{source}: {key}.bounds_rel: the start value is 0, so relative bounds span nothing; give bounds (absolute)")
            low, high = sorted((value * (1 + lo), value * (1 + hi)))
        else:
            low, high = map(float, t["bounds"])
            if low >= high:
                raise ConfigError(f"{source}: {key}.bounds: low ({low:g}) must be below high ({high:g})")
            if not low <= value <= high:
                raise ConfigError(f"{source}: {key}.bounds: the start value {value:g} lies outside [{low:g}, {high:g}]")
        if column and any(c.column == column and c.positive for c in form.coefficients) and low <= 0:
            raise ConfigError(f"{source}: {key}: {name} must stay positive, but its bounds reach {low:g}")
        out.append(Tunable(name=name, start=float(value), low=float(low), high=float(high), pair=pair, coefficient=column, element=element))
    names = [t.name for t in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: potential.tunable: a parameter is listed twice")
    return tuple(out)


def _named_set(potential: Potential, name: str, key: str, source: str) -> dict:
    """The complete named set, after checking that it defines every pair the start set does (no silent Coulomb-only pair)."""
    try:
        pairs = potential.complete_set(name)
    except KeyError as e:
        raise ConfigError(f"{source}: {key}: {e.args[0]}") from None
    missing = sorted(set(potential.complete_set(potential.start)) - set(pairs))
    if missing:
        raise ConfigError(f"{source}: {key}: set {name!r} lacks pair(s) {', '.join(missing)} that the campaign needs (defined by the start set {potential.start!r}); add them to the table or leave the set out")
    return pairs


def _check_initial_sets(potential: Potential, tunables: tuple[Tunable, ...], source: str) -> None:
    """Named sets of iteration 0 are points of the search space: equal to the start set in every untuned parameter."""
    start = potential.complete_set(potential.start)
    tuned = {(t.pair, t.coefficient) for t in tunables if t.pair}
    for i, name in enumerate(potential.initial_sets):
        if name == potential.start or name in potential.initial_sets[:i]:
            what = "the start set (potential.start)" if name == potential.start else "listed before"
            raise ConfigError(f"{source}: potential.initial_sets[{i}]: {name!r} is {what}; iteration 0 would run it twice")
        pairs = _named_set(potential, name, f"potential.initial_sets[{i}]", source)
        fixed = []
        for pair in sorted(set(pairs) | set(start)):
            a, b = pairs.get(pair), start.get(pair)
            columns = dict.fromkeys([*(a.coefficients if a else {}), *(b.coefficients if b else {})])
            if a and b and a.form != b.form:
                fixed.append(f"{pair} form")
            fixed += [f"{pair} {c}" for c in columns if (pair, c) not in tuned and (a and a.coefficients.get(c)) != (b and b.coefficients.get(c))]
        if fixed:
            raise ConfigError(
                f"{source}: potential.initial_sets[{i}]: set {name!r} differs from the start set {potential.start!r} in {', '.join(fixed)}, "
                "which the campaign does not tune: it can only evaluate sets inside its parameter space (tune those too, or compare the "
                "set in the final validation: analysis.validation_sets)"
            )


def _validation_sets(config: dict, potential: Potential, others: dict[str, Model], source: str) -> tuple[str, ...]:
    """analysis.validation_sets resolved (default: best, start, every named set) and each label checked."""
    wanted = config["analysis"]["validation_sets"]
    if wanted is None:
        wanted = ["best"] * bool(config["fit"]) + ["start"] + [s for s in potential.named_sets if s != potential.start]
    for i, label in enumerate(wanted):
        key = f"analysis.validation_sets[{i}]"
        if label == "best" and not config["fit"]:
            raise ConfigError(f"{source}: {key}: 'best' needs a campaign that fits (fit: true); name the sets to validate")
        if label in ("best", "start"):
            continue
        owners = [name for name, m in others.items() if label in m.potential.named_sets]
        if label in potential.named_sets:
            owners.insert(0, "")
        if len(owners) > 1:
            raise ConfigError(f"{source}: {key}: set {label!r} is defined by more than one potential ({', '.join(o or 'potential' for o in owners)}); rename one")
        if not owners:
            _named_set(potential, label, key, source)  # names the sets the table defines
        owner = owners[0]
        _named_set(potential if not owner else others[owner].potential, label, key if not owner else f"{key} (other_potentials.{owner})", source)
    return tuple(wanted)


# --- md ----------------------------------------------------------------------------------------------------------


def _md(section: dict, key: str, source: str) -> MD:
    for part in ("protocol", "fallback"):
        for i, stage in enumerate(section.get(part, [])):
            where = f"{source}: {key}.{part}[{i}]"
            if not math.isfinite(stage["duration_ps"]) or stage["duration_ps"] <= 0:
                raise ConfigError(f"{where}.duration_ps: stage {stage['name']!r} must last a finite time longer than 0 ps (got {stage['duration_ps']:g})")
            if stage["ensemble"] == "nvt" and ("pressure_bar" in stage or "pressure_end_bar" in stage):
                raise ConfigError(f"{where}.pressure_bar: an nvt stage has no pressure")
            if stage.get("dump_every_ps", 0) > stage["duration_ps"]:
                raise ConfigError(f"{where}.dump_every_ps: {stage['dump_every_ps']:g} ps is longer than the stage ({stage['duration_ps']:g} ps): it would write no frame")
    roles = [s.get("role") for s in section["protocol"]]
    for role in ("density", "production"):
        if roles.count(role) != 1:
            raise ConfigError(f"{source}: {key}.protocol: exactly one stage needs role: {role} (found {roles.count(role)})")
    production = section["protocol"][roles.index("production")]
    if not production.get("dump_every_ps"):
        raise ConfigError(f"{source}: {key}.protocol[{roles.index('production')}].dump_every_ps: the production stage must write frames")
    settings = MDSettings(
        timestep_fs=section["timestep_fs"], thermostat_damp_ps=section["thermostat_damp_ps"], barostat_damp_ps=section["barostat_damp_ps"],
        thermo_every_ps=section["thermo_every_ps"], neighbor_skin_A=section["neighbor_skin_A"], max_volume_factor=section["max_volume_factor"],
        restart_every_ps=section["restart_every_ps"], minimize=Minimize(**section["minimize"]) if section["minimize"] else None,
    )
    try:
        lammps.find(section["lammps"], section["launcher"])
    except lammps.LammpsNotFound as e:
        raise ConfigError(f"{source}: {e}") from None
    return MD(
        settings=settings, protocol=tuple(Stage.from_config(s) for s in section["protocol"]),
        fallback=tuple(Stage.from_config(s) for s in section["fallback"]), b4_cutoff_A=section["b4_cutoff_A"],
        keep_restarts=section["keep_restarts"], lammps=section["lammps"], launcher=section["launcher"],
        throughput_ns_per_day_per_rank=section["throughput_ns_per_day_per_rank"], runtime_safety_factor=section["runtime_safety_factor"],
    )


def _check_glasses(model: Model, glasses: tuple[Glass, ...], system: dict, table: str, where: str, source: str, suffix: str = "") -> None:
    """Every element defined, every glass neutral with the charge rule, every cutoff below half the box."""
    p = model.potential
    species = {s.element: s for s in p.species}
    for g in glasses:
        realised = chemistry.realise(g.composition, system["atoms"])
        for ox in g.composition:
            unknown = sorted(set(chemistry.parse_formula(ox)) - set(species))
            if unknown:
                raise ConfigError(f"{table}: glass {g.id!r}, column {ox}: element {unknown[0]} is not defined in {p.species_table} (named in {source}){suffix}")
        if p.charge_balance is None and abs(realised.charge_e({el: species[el].charge_e for el in realised.atoms})) > 1e-6:
            raise ConfigError(f"{source}: glass {g.id!r} is not charge-neutral with the charges of {p.species_table}{suffix}")
        if p.charge_balance is not None and not realised.atoms.get(p.charge_balance):
            raise ConfigError(f"{source}: glass {g.id!r} has no {p.charge_balance} to balance the charge (potential.charges.balance){suffix}")
        density = g.value("density_g_cm3") or system["start_density_g_cm3"]
        half_box = chemistry.box_length_A(realised.mass_g({el: species[el].mass_g_mol for el in realised.atoms}), density) / 2
        for key, cutoff in (("cutoff_A", p.cutoff_A), ("electrostatics.cutoff_A", p.electrostatics.cutoff_A)):
            if cutoff >= half_box:
                raise ConfigError(
                    f"{source}: {where}.{key}: {cutoff:g} Å is not below half the box ({half_box:.2f} Å) of glass {g.id!r} "
                    f"with system.atoms = {system['atoms']}; use more atoms or a shorter cutoff{suffix}"
                )


# --- learn, targets, analysis ----------------------------------------------------------------------------------------


#: per kind of defined target: its label, the range a measured value lies in (minimum, maximum, exclusive minimum) and
#: the scale the surrogate models it on
KINDS = {
    "coordination_fraction": ("fraction of {center} with {n} {neighbour} within {cutoff_A:g} Å", 0.0, 1.0, False, "logit"),
    "qn_fraction": ("Q{n} fraction of {center} ({neighbour} bridging {formers} within {cutoff_A:g} Å)", 0.0, 1.0, False, "logit"),
    "mean_bond_length": ("mean {center}-{neighbour} bond length (Å)", 0.0, math.inf, True, "identity"),
    "mean_angle": ("mean {neighbour}-{center}-{neighbour} angle (°)", 0.0, 180.0, False, "identity"),
    "diffraction": ("R_chi against measured {measured} data", 0.0, math.inf, False, "log"),
}
#: the keys each kind needs besides name, kind and scale
NEEDS = {"coordination_fraction": ("center", "n", "cutoff_A"), "qn_fraction": ("center", "n", "cutoff_A"),
         "mean_bond_length": ("center", "cutoff_A"), "mean_angle": ("center", "cutoff_A"), "diffraction": ("measured",)}


def builtin_target(name: str, learn: dict, b4_cutoff_A: float) -> Target:
    """density or B4, the published campaign's targets, with learn.objective's and learn.noise's settings."""
    o, n, p = learn["objective"], learn["noise"], learn["proposer"]
    if name == "density":
        return Target("density_g_cm3", "density_g_cm3", "density", "density (g/cm³)", FIT_ROLES, float(o["density_scale_g_cm3"]),
                      float(o["density_weight"]), float(n["density_g_cm3"]), "identity", Observable("density"), minimum=0.0, exclusive_minimum=True)
    return Target("B4", "B4", "B4", "B4 (fraction of four-fold B)", ("fit",), float(o["B4_scale"]), float(o["B4_weight"]), float(n["B4"]),
                  p["B4_transform"], b4_observable(b4_cutoff_A), o["B4_weighting"], minimum=0.0, maximum=1.0)


def b4_observable(cutoff_A: float) -> Observable:
    """B4: the fraction of B with exactly four O within md.b4_cutoff_A."""
    return Observable("coordination_fraction", center="B", neighbour="O", n=4, cutoff_A=float(cutoff_A))


def defined_target(item: dict, key: str) -> Target:
    """A target the config defines (an item of ``targets``, filled by the schema)."""
    kind = item["kind"]
    lacking = [k for k in NEEDS[kind] if k not in item]
    if lacking:
        raise ConfigError(f"{key}: a {kind} target needs {', '.join(NEEDS[kind])} (missing {', '.join(lacking)})")
    center = item.get("center", "")
    observable = Observable(kind, center=center, neighbour=item["neighbour"] if kind != "diffraction" else "", n=int(item.get("n", 0)),
                            cutoff_A=float(item.get("cutoff_A", 0.0)), formers=tuple(item.get("formers", [center] if kind == "qn_fraction" else [])),
                            measured=item.get("measured", ""))
    label, low, high, exclusive, transform = KINDS[kind]
    fields = {"center": center, "neighbour": observable.neighbour, "n": observable.n, "cutoff_A": observable.cutoff_A,
              "formers": "/".join(observable.formers), "measured": observable.measured}
    return Target(item["name"], item.get("column", item["name"]), item["name"], f"{item['name']}: {label.format(**fields)}", ("fit",),
                  float(item["scale"]), float(item["weight"]), float(item.get("noise", item["scale"])), item.get("transform", transform),
                  observable, minimum=low, maximum=high, exclusive_minimum=exclusive)


def targets(listed: list | None, learn: dict, b4_cutoff_A: float, columns: list[str] | tuple[str, ...] | None = None,
            source: str = "config") -> tuple[Target, ...]:
    """The fitted observables (the one list in the code): the config's ``targets`` or, when it names none, density and B4.

    ``columns``: the glass table's measured columns; without a ``targets`` list, a target whose column the table lacks
    is left out (a glass family without boron fits density only).
    """
    if listed is None:
        every = (builtin_target("density", learn, b4_cutoff_A), builtin_target("B4", learn, b4_cutoff_A))
        return tuple(t for t in every if columns is None or t.column in columns)
    out = tuple(builtin_target(x, learn, b4_cutoff_A) if isinstance(x, str) else defined_target(x, f"{source}: targets[{i}]")
                for i, x in enumerate(listed))
    names = [t.name for t in out]
    if len(set(names)) < len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise ConfigError(f"{source}: targets: {twice} is named twice")
    return out


def cost_mode(learn: dict, replicas: int, recorded: str | None = None) -> str:
    """learn.cost.mode resolved: auto is the design the campaign folder was started with (``recorded``), else screen
    where screening saves runs (botorch proposer, system.replicas above screen_replicas), else fixed."""
    mode = learn["cost"]["mode"]
    if mode != "auto":
        return mode
    if recorded:
        return recorded
    return "screen" if learn["proposer"]["kind"] == "botorch" and learn["cost"]["screen_replicas"] < replicas else "fixed"


def _recorded_cost_mode(path: Path) -> str | None:
    """The design a campaign folder's campaign.json records (fixed where it predates learn.cost); None without a readable one."""
    import json

    try:
        learn = json.loads(path.read_text())["learn"]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no campaign yet, or a damaged campaign.json, which glassfit verify names
    return learn.get("cost", {}).get("mode", Cost.mode) if isinstance(learn, dict) else None


def learn_settings(learn: dict) -> LearnSettings:
    """The typed learn section (already validated and filled with defaults)."""
    s = learn["surrogate"]
    return LearnSettings(
        mode=learn["mode"], iterations=learn["iterations"], candidates_per_iteration=learn["candidates_per_iteration"],
        budget_md_runs=learn["budget_md_runs"], convergence=Convergence(**learn["convergence"]), design=Design(**learn["design"]),
        missing_penalty=float(learn["objective"]["missing_penalty"]), prior_replicas=float(learn["noise"]["prior_replicas"]),
        proposer=Proposer(**{k: v for k, v in learn["proposer"].items() if k != "B4_transform"}),
        surrogate=Surrogate(**{**s, "hidden_layers": tuple(s["hidden_layers"])}),
        prior_data=tuple(PriorData(**entry) for entry in learn["prior_data"]),
        cost=Cost(**learn["cost"]),
    )


def problem(tunables: list[dict] | tuple[Tunable, ...], glasses: list[dict] | tuple[Glass, ...], learn: dict | None = None,
            listed: list | None = None, replicas: int = 6) -> Problem:
    """A learning problem without MD (tests, benchmarks): tunables and glasses as dataclasses or dicts, the learn section
    filled; ``listed``: the config's ``targets`` (None = density and B4 where the glasses have them); ``replicas``: the
    full replica count (system.replicas)."""
    section = validate(copy.deepcopy(learn or {}), "learn", schema()["properties"]["learn"])
    section["cost"]["mode"] = cost_mode(section, replicas)
    b4_cutoff = schema()["properties"]["md"]["properties"]["b4_cutoff_A"]["default"]
    every = {t.column for t in targets(listed, section, b4_cutoff)}
    tunables = tuple(t if isinstance(t, Tunable) else Tunable(**t) for t in tunables)
    glasses = tuple(g if isinstance(g, Glass) else Glass(id=str(g["id"]), composition=dict(g["composition"]), role=g.get("role", "fit"),
                                                        measured={k: v for k, v in g.items() if k in every}) for g in glasses)
    columns = sorted({c for g in glasses for c in g.measured})
    return Problem(tunables=tunables, glasses=glasses, targets=targets(listed, section, b4_cutoff, columns), learn=learn_settings(section),
                   replicas=replicas)


def _analysis(config: dict, validation_sets: tuple[str, ...], validation_glasses: tuple[Glass, ...]) -> AnalysisSettings:
    a = config["analysis"]
    return AnalysisSettings(
        iteration_analyses=tuple(a["iteration_analyses"]), validation_analyses=tuple(a["validation_analyses"]),
        validation_sets=validation_sets, validation_glasses=validation_glasses, measured_sq=a["measured_sq"], settings=a["settings"],
    )


# --- the campaign -------------------------------------------------------------------------------------------------------


def resolve(config: dict, source: str = "config") -> Campaign:
    """Validate ``config`` (filling every default) and return the typed campaign."""
    try:
        return _resolve(config, source)
    except TableError as error:  # a table the config names is missing or malformed: the error names file, line, column
        raise ConfigError(f"{error} (named in {source})") from None


def _resolve(config: dict, source: str) -> Campaign:
    if not isinstance(config, dict):
        raise ConfigError(f"{source}: the config must be a mapping of keys (campaign:, glasses:, ...), not a {type(config).__name__}")
    config = validate(copy.deepcopy(config), source)
    if problem := layout.name_problem(config["campaign"]):
        raise ConfigError(f"{source}: campaign: {problem} (<results_dir>/<campaign>/)")
    for name in config["other_potentials"]:
        if problem := layout.name_problem(name):
            raise ConfigError(f"{source}: other_potentials: potential name {problem}")
    _check_results_dir(config["results_dir"], config["campaign"], source)
    listed, b4_cutoff = config["targets"], config["md"]["b4_cutoff_A"]
    declared = targets(listed, config["learn"], b4_cutoff, source=source)
    table = read_glasses(config["glasses"]["table"], tuple(t.column for t in declared if t.observable.kind != "diffraction"))
    path = config["glasses"]["table"]
    used = _glass_ids(table, config["glasses"]["use"], "glasses.use", path, source)
    potential = _potential(config["potential"], "potential", source)
    _check_targets(listed, declared, table, potential, config["analysis"]["measured_sq"], path, source)
    glasses = tuple(_with_diffraction(_glass(table, g), declared, config["analysis"]["measured_sq"]) for g in used)
    tunables = _tunables(config["potential"], potential, source)
    if config["fit"] and not tunables:
        raise ConfigError(f"{source}: potential.tunable: a campaign that fits needs at least one tunable parameter (or set fit: false to only validate)")
    _check_initial_sets(potential, tunables, source)
    md = _md(config["md"], "md", source)
    others = {}
    for name, other in config["other_potentials"].items():
        key = f"other_potentials.{name}"
        md_section = validate({**copy.deepcopy(config["md"]), **copy.deepcopy(other["md"])}, f"{source}: {key}.md",
                              schema()["properties"]["md"] | {"$defs": schema()["$defs"]})
        others[name] = Model(_potential(other["potential"], f"{key}.potential", source), _md(md_section, f"{key}.md", source))
        lacking = [s.element for s in potential.species if s.element not in {x.element for x in others[name].potential.species}]
        if lacking:  # every potential renders the campaign's atom types
            raise ConfigError(f"{source}: {key}.potential.species: {others[name].potential.species_table} lacks element {lacking[0]} of {potential.species_table}")
    learn = config["learn"]
    recorded = Path(config["results_dir"]) / config["campaign"] / layout.CAMPAIGN_JSON
    learn["cost"]["mode"] = cost_mode(learn, config["system"]["replicas"], _recorded_cost_mode(recorded))
    if learn["cost"]["mode"] == "screen" and learn["proposer"]["kind"] != "botorch":
        raise ConfigError(f"{source}: learn.cost.mode: screen needs learn.proposer.kind: botorch (its GPs weigh each mean by its replica count)")
    if learn["cost"]["mode"] == "screen" and learn["cost"]["screen_replicas"] >= config["system"]["replicas"]:
        raise ConfigError(f"{source}: learn.cost.screen_replicas: {learn['cost']['screen_replicas']} screens nothing with system.replicas "
                          f"{config['system']['replicas']}; use fewer, or learn.cost.mode: fixed")
    if config["fit"] and len(tunables) < 2 and learn["iterations"] > 1:
        raise ConfigError(f"{source}: potential.tunable: proposing candidates needs at least 2 parameters (CMA-ES searches 2 or more dimensions); with one, set learn.iterations: 1")
    if learn["mode"] == "pareto" and learn["proposer"]["kind"] == "mlp":
        raise ConfigError(f"{source}: learn.mode: pareto needs learn.proposer.kind: botorch (qLogNEHVI); the MLP ensemble optimises the scalar objective only")
    fitted = targets(listed, learn, b4_cutoff, table.attrs["measured"], source)  # columns filter only the default list
    _check_measured_values(table, fitted, path)
    _check_fit_glasses(config, glasses, fitted, path, source)
    if config["fit"] and learn["mode"] == "pareto" and len(fitted) < 2:
        raise ConfigError(f"{source}: learn.mode: pareto trades two targets off, but {path} has only {', '.join(t.column for t in fitted)}; use mode single")
    validation_sets = _validation_sets(config, potential, others, source)
    validation_ids = _glass_ids(table, config["analysis"]["validation_glasses"], "analysis.validation_glasses", path, source)
    own = Model(potential, md)
    _check_glasses(own, glasses, config["system"], path, "potential", source)
    validates = bool(config["analysis"]["validation_analyses"]) and bool(validation_sets)
    if validates:
        owners = {set_owner_of(label, potential, others) for label in validation_sets}
        suffix = f" (in the final validation on analysis.validation_glasses: {', '.join(validation_ids)})"
        for owner in sorted(owners):
            model = others[owner] if owner else own
            _check_glasses(model, tuple(_glass(table, g) for g in validation_ids), config["system"], path,
                           f"other_potentials.{owner}.potential" if owner else "potential", source, suffix)
    campaign = Campaign(
        name=config["campaign"], seed=config["seed"], results_dir=config["results_dir"], fit=config["fit"], glasses_table=path,
        glasses=glasses, potential=potential, md=md, system=System(**config["system"]), tunables=tunables,
        targets=fitted, learn=learn_settings(learn),
        analysis=_analysis(config, validation_sets, tuple(_glass(table, g) for g in validation_ids)), others=others,
    )
    from glassfit.validation import check_measured  # the measured diffraction data: files read by the analysis package

    check_measured(campaign, source)
    _check_prior_data(campaign, source)
    return campaign


def _check_prior_data(campaign: Campaign, source: str) -> None:
    """learn.prior_data: a BoTorch campaign's tables, each readable and matching the campaign (one line naming file, row, column)."""
    if not campaign.learn.prior_data:
        return
    if campaign.learn.proposer.kind != "botorch":
        raise ConfigError(f"{source}: learn.prior_data needs learn.proposer.kind: botorch (the Gaussian processes model their fidelity)")
    from glassfit.learn.prior import PriorDataError, load  # pandas only; the learn package's torch parts stay unloaded

    for i, entry in enumerate(campaign.learn.prior_data):
        try:
            load(entry, campaign, i + 1)
        except PriorDataError as error:
            raise ConfigError(f"{error} (learn.prior_data[{i}] in {source})") from None


def _check_results_dir(results_dir: str, campaign: str, source: str) -> None:
    """The results folder and its campaign folder are folders, or can be made (the nearest existing parent is a writable folder)."""
    import os
    import tempfile

    path = Path(results_dir)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{source}: results_dir: {results_dir} is a file, not a folder")
    if (path / campaign).exists() and not (path / campaign).is_dir():
        raise ConfigError(f"{source}: campaign: {path / campaign} is a file, not the campaign's folder (<results_dir>/<campaign>/)")
    parent = next(p for p in [path, *path.parents] if p.exists())
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".glassfit-check-", dir=parent))
    except OSError as error:
        raise ConfigError(f"{source}: results_dir: cannot make folders in {parent} ({error.strerror})") from None


def _with_diffraction(glass: Glass, fitted: tuple[Target, ...], measured_sq: dict) -> Glass:
    """A glass with its measured value of each diffraction target: 0 (a perfect match) where it has the named data set."""
    extra = {t.column: (0.0 if t.observable.measured in measured_sq.get(glass.id, {}) else None)
             for t in fitted if t.observable.kind == "diffraction"}
    return dataclasses.replace(glass, measured={**glass.measured, **extra}) if extra else glass


def _check_targets(listed: list | None, declared: tuple[Target, ...], table: pd.DataFrame, potential: Potential, measured_sq: dict,
                   path: str, source: str) -> None:
    """A listed target's column is in the glass table, its elements are the potential's, its measured data set exists."""
    if listed is None:
        return
    elements = {s.element for s in potential.species}
    for i, t in enumerate(declared):
        key, o = f"{source}: targets[{i}]", t.observable
        if o.kind == "diffraction":
            if not any(o.measured in sets for sets in measured_sq.values()):
                raise ConfigError(f"{key}.measured: no glass has a measured data set named {o.measured!r} (analysis.measured_sq.<glass>.{o.measured})")
        elif t.column not in table.attrs["measured"]:
            raise ConfigError(f"{key}: {path} has no column {t.column!r} of measured {t.name} values")
        for field in ("center", "neighbour"):
            element = getattr(o, field)
            if element and element not in elements:
                raise ConfigError(f"{key}.{field}: {element} is not an element of the potential ({potential.species_table})")
        for element in o.formers:
            if element not in elements:
                raise ConfigError(f"{key}.formers: {element} is not an element of the potential ({potential.species_table})")


def _check_measured_values(table: pd.DataFrame, fitted: tuple[Target, ...], path: str) -> None:
    """Every measured value of a target lies in its target's range (a density above 0, a fraction in [0, 1])."""
    for i, gid in enumerate(table.index):
        for t in (t for t in fitted if t.column in table.columns):  # a diffraction target has no column
            value = table.loc[gid, t.column]
            above = t.minimum < value if t.exclusive_minimum else t.minimum <= value
            if not pd.isna(value) and not (above and value <= t.maximum):
                bound = f"above {t.minimum:g}" if t.exclusive_minimum else f"at least {t.minimum:g}"
                raise TableError(f"{tables.where(table, i, t.column)}: glass {gid!r}: {value:g} is not a possible {t.label} ({bound} and at most {t.maximum:g})")


def _check_fit_glasses(config: dict, glasses: tuple[Glass, ...], fitted: tuple[Target, ...], path: str, source: str) -> None:
    """A fitting campaign has a target to fit, and every fitted glass has a measured value for one of its targets."""
    if not config["fit"]:
        return
    if not any(g.role in FIT_ROLES for g in glasses):
        key = "glasses.use" if config["glasses"]["use"] else "glasses.table"
        raise ConfigError(f"{source}: {key}: a campaign that fits needs a glass with role {' or '.join(FIT_ROLES)}, but every glass it uses "
                          f"({', '.join(g.id for g in glasses)}) has role validation in {path}; fit one, or set fit: false")
    if fitted and all(t.weight == 0 for t in fitted):
        raise ConfigError(f"{source}: learn.objective: every target has weight 0 ({', '.join(t.name for t in fitted)}): there is nothing to fit")
    for g in glasses:
        own = [t for t in fitted if g.role in t.roles]
        if g.role in FIT_ROLES and not any(g.value(t.column) is not None for t in own):
            raise ConfigError(f"{path}: glass {g.id!r} has role {g.role} but no measured {' or '.join(t.column for t in own) or 'target'} (named in {source}); "
                              "give one, or make it a validation glass")


#: what one line of a LAMMPS dump costs on disk (id type x y z), bytes
DUMP_BYTES_PER_ATOM = 45


def resource_warnings(campaign: Campaign) -> list[str]:
    """One line per resource the campaign would spend beyond what a person likely meant: simulated time, trajectory disk."""
    out = []
    for m in campaign.models:
        days = m.md.simulated_ps / 1000 / m.md.throughput_ns_per_day_per_rank
        if days > 30:
            out.append(f"md: one run simulates {m.md.simulated_ps / 1000:g} ns: about {days:.0f} days on one rank at "
                       f"md.throughput_ns_per_day_per_rank = {m.md.throughput_ns_per_day_per_rank:g}")
        frames = sum(s.duration_ps / s.dump_every_ps for s in m.md.protocol if s.dump_every_ps)
        per_run = frames * campaign.system.atoms * DUMP_BYTES_PER_ATOM
        runs = md_runs_estimate(campaign)
        if per_run > 5e9 or per_run * runs > 1e12:
            out.append(f"md.protocol: trajectories take about {per_run / 1e9:.1f} GB per run, {per_run * runs / 1e12:.2f} TB for about {runs} runs; "
                       "write frames less often (dump_every_ps) or use fewer atoms")
    return out


def md_runs_estimate(campaign: Campaign) -> int:
    """MD runs of the whole campaign if it runs every iteration: the design and every batch on the modelled glasses, the
    inert glasses once, and the validation."""
    from glassfit.learn import cost
    from glassfit.learn.design import design_kinds
    from glassfit.learn.settings import inert_glasses, modelled_glasses

    replicas, learn = campaign.system.replicas, campaign.learn
    fit = 0
    if campaign.fit:
        design = len(design_kinds(campaign)) + len(campaign.potential.initial_sets)  # as campaign.initial_kinds counts them
        per_set = cost.new_set_replicas(campaign)  # a screened set; top-ups and confirmations come on top
        fit = len(modelled_glasses(campaign)) * (replicas + per_set * (design - 1 + (learn.iterations - 1) * learn.candidates_per_iteration)) \
            + (learn.iterations - 1) * cost.runs_in_reserve(campaign) + replicas * len(inert_glasses(campaign))
    validation = replicas * len(campaign.analysis.validation_sets) * len(campaign.analysis.validation_glasses) if campaign.analysis.validation_analyses else 0
    return fit + validation


def load(path: str | Path, overrides: dict | None = None) -> Campaign:
    """Read, validate and resolve a config file."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    if not path.is_file():
        raise ConfigError(f"{path}: not a file (a config file is a YAML file, e.g. config/config.yaml)")
    try:
        config = read_yaml(path) or {}
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start}: {e.object[e.start:e.start + 1]!r}); save it as UTF-8") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the config file ({e.strerror})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise ConfigError(f"{path}: {at}not valid YAML ({getattr(e, 'problem', None) or str(e).splitlines()[0]})") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: the config must be a mapping of keys (campaign:, glasses:, ...), not a {type(config).__name__}")
    config.update(overrides or {})
    return resolve(config, str(path))
