"""Potentials: the species and parameter tables, charges per glass, tunable values, and the LAMMPS commands of a potential.

A potential (glassfit.model.Potential) is a set of pair terms, each of a named form (glassfit.forms), plus
electrostatics (pppm/ewald, wolf, dsf), a charge rule (fixed, or one species balancing every glass to neutrality)
and optionally SHIK's smoothing. Pairs absent from a set interact by Coulomb only. LAMMPS ``units metal`` (eV, Å).

How it is rendered (:func:`lammps_lines`), fastest exact choice first:

- every pair of one form that LAMMPS fuses with the Coulomb method (Buckingham with coul/long: ``buck/coul/long``;
  Buckingham or Born-Mayer-Huggins with wolf or dsf: ``born/coul/wolf``, ``born/coul/dsf``): one fused style;
- otherwise ``hybrid/overlay`` of the Coulomb style and one sub-style per form: the native style where LAMMPS has
  one (``buck``, ``born``, ``pedone``), else ``table`` with the form's formula tabulated (glassfit.pairtable);
- with smoothing (SHIK): one ``table`` section per type pair, short-range and Coulomb times the smoothing function,
  as lammps-tablegen's SHIK tables define them.

Tables rather than LAMMPS's analytic ``pair_style lepton``: 4.2x faster on SHIK (bench/bench_forms.py), at an
error stated in glassfit.pairtable.ACCURACY.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Iterable, Mapping

import pandas as pd

from glassfit import layout, pairtable, tables
from glassfit.forms import COLUMNS, FORMS
from glassfit.model import Electrostatics, Model, PairTerm, Potential, Species, Tunable

#: an element symbol as the tables write it
ELEMENT = re.compile(r"[A-Z][a-z]?")
#: set names a potential table may not use: the validation's labels of the fitted set and of potential.start
RESERVED_SETS = ("best", "start")
#: the table file of a rendered potential (in the run directory), when a form has no native LAMMPS style
TABLE_FILE = "pair.table"


def read_species(path: str | Path) -> list[Species]:
    """The species table (element, charge_e, mass_g_mol), checked cell by cell (tables.TableError naming file, line, column).

    An empty charge means "set by neutrality" (potential.charges.balance); glassfit.config checks that rule.
    """
    table = tables.read(path, "species table", ("element", "charge_e", "mass_g_mol"), numeric=("mass_g_mol",), optional=("charge_e",))
    for i, r in enumerate(table.itertuples()):
        if not ELEMENT.fullmatch(r.element):
            raise tables.TableError(f"{tables.where(table, i, 'element')}: {r.element!r} is not an element symbol (e.g. Si, O)")
        if r.mass_g_mol <= 0:
            raise tables.TableError(f"{tables.where(table, i, 'mass_g_mol')}: the mass of {r.element} must be positive")
    if (i := tables.duplicate(table, ["element"])) is not None:
        raise tables.TableError(f"{tables.where(table, i, 'element')}: element {table['element'][i]!r} is defined twice")
    return [Species(r.element, None if math.isnan(r.charge_e) else float(r.charge_e), float(r.mass_g_mol)) for r in table.itertuples()]


def read_parameter_sets(path: str | Path, elements: Collection[str] | None = None, species_table: str | Path = "the species table"
                        ) -> dict[str, dict[str, PairTerm]]:
    """All parameter sets of a potential table: ``{set: {pair: PairTerm}}`` (``fixed`` included), checked cell by cell.

    Columns: ``set``, ``pair``, optional ``form`` (default buckingham), and the coefficient columns of the forms used
    (glassfit.forms.COLUMNS, units in the name). A row fills exactly its form's columns; other cells stay empty.
    A set's name is a folder name of the results (glassfit.layout.name_problem); ``best`` and ``start`` are the
    validation's labels. With ``elements`` (those of ``species_table``), a pair naming another element is an error:
    LAMMPS would never see it, and the pair would silently be Coulomb only.
    """
    table = tables.read(path, "potential table", ("set", "pair"))
    extra = [c for c in table.columns if c not in ("set", "pair", "form")]
    for column in extra:
        if column not in COLUMNS:
            raise tables.TableError(f"{path}: line {table.attrs['header_line']}: column {column!r} is no coefficient of any form (columns: {', '.join(COLUMNS)})")
    if (i := tables.duplicate(table, ["set", "pair"])) is not None:
        raise tables.TableError(f"{tables.where(table, i, 'pair')}: pair {table['pair'][i]} of set {table['set'][i]!r} is defined twice")
    sets: dict[str, dict[str, PairTerm]] = {}
    for i, row in enumerate(table.to_dict("records")):
        if problem := layout.name_problem(row["set"]):
            raise tables.TableError(f"{tables.where(table, i, 'set')}: set name {problem}")
        if row["set"] in RESERVED_SETS:
            raise tables.TableError(f"{tables.where(table, i, 'set')}: set name {row['set']!r} is reserved (analysis.validation_sets: "
                                    "best = the fitted set, start = potential.start); rename the set")
        a, sep, b = row["pair"].partition("-")
        if not (sep and ELEMENT.fullmatch(a) and ELEMENT.fullmatch(b)):
            raise tables.TableError(f"{tables.where(table, i, 'pair')}: {row['pair']!r} is not two element symbols joined by '-', e.g. B-O")
        if elements is not None and (lacking := [e for e in (a, b) if e not in elements]):
            raise tables.TableError(f"{tables.where(table, i, 'pair')}: pair {row['pair']} of set {row['set']!r}: element {lacking[0]} is not in "
                                    f"{species_table} (a typo? LAMMPS would never use the pair)")
        name = row.get("form") or "buckingham"
        if name not in FORMS:
            raise tables.TableError(f"{tables.where(table, i, 'form')}: form {name!r} is not one of {', '.join(FORMS)}")
        form = FORMS[name]
        coefficients = {}
        for c in form.coefficients:
            if c.column not in table.columns:
                raise tables.TableError(f"{path}: line {table.attrs['header_line']}: header lacks column {c.column!r} that form {name} needs (line {table.attrs['lines'][i]})")
            if row[c.column] == "":
                raise tables.TableError(f"{tables.where(table, i, c.column)}: form {name} needs {c.column} (the cell is empty)")
            value = tables.number_cell(path, table.attrs["lines"][i], c.column, row[c.column])
            if c.positive and value <= 0:
                raise tables.TableError(f"{tables.where(table, i, c.column)}: {c.name} must be positive (got {value:g})")
            coefficients[c.column] = value
        for column in extra:
            if column not in form.columns and row[column] != "":
                raise tables.TableError(f"{tables.where(table, i, column)}: form {name} has no coefficient {column} (leave the cell empty; {name} has {', '.join(form.columns)})")
        sets.setdefault(row["set"], {})[row["pair"]] = PairTerm(row["pair"], name, coefficients)
    _check_pair_order(table, sets)
    return sets


def _check_pair_order(table: pd.DataFrame, sets: Mapping[str, Mapping[str, PairTerm]]) -> None:
    """No element pair written both ways (B-O, O-B) in one set or in a set and ``fixed``: one would silently replace the other."""
    line = {(s, p): n for s, p, n in zip(table["set"], table["pair"], table.attrs["lines"])}
    for name, pairs in sets.items():
        for pair in pairs:
            a, _, b = pair.partition("-")
            for other in dict.fromkeys((name, "fixed")):
                if a != b and f"{b}-{a}" in sets.get(other, {}):
                    raise tables.TableError(f"{table.attrs['path']}: line {line[(name, pair)]}, column pair: pair {pair} of set {name!r} is {b}-{a} "
                                            f"of set {other!r} (line {line[(other, f'{b}-{a}')]}) written the other way round; write both alike")


def tunable_name(pair: str | None, column: str | None = None, element: str | None = None) -> str:
    """Column name of a tunable parameter, unit included: ``BO_rho_A``, ``SiO_D0_eV``, ``q_Si_e``."""
    return f"q_{element}_e" if element else f"{pair.replace('-', '')}_{column}"


def apply_values(pairs: Mapping[str, PairTerm], tunables: Iterable[Tunable], values: Mapping[str, float]) -> dict[str, PairTerm]:
    """A copy of ``pairs`` with the tuned coefficients set to ``values`` (keyed by tunable name; charges are not pair terms)."""
    out = dict(pairs)
    for t in tunables:
        if t.pair and t.name in values:
            term = out[t.pair]
            out[t.pair] = dataclasses.replace(term, coefficients={**term.coefficients, t.coefficient: float(values[t.name])})
    return out


def values_of(potential: Potential, pairs: Mapping[str, PairTerm], tunables: Iterable[Tunable]) -> dict[str, float]:
    """The tunable parameters' values in a parameter set (charges: the species table's)."""
    return {t.name: (potential.species_of(t.element).charge_e if t.element else pairs[t.pair].coefficients[t.coefficient]) for t in tunables}


def charges(potential: Potential, atoms: Mapping[str, int], tunables: Iterable[Tunable] = (), values: Mapping[str, float] | None = None) -> dict[str, float]:
    """Charge (e) of every species in a glass with these atom counts: the table's, tuned ones replaced, the balance species by neutrality.

    With ``potential.charge_balance`` (e.g. SHIK's O), q_b = -sum over the other elements of n_i q_i / n_b for this
    glass's atoms, so the charge depends on the composition and the system is exactly neutral.
    """
    q = {s.element: s.charge_e for s in potential.species}
    for t in tunables:
        if t.element and values and t.name in values:
            q[t.element] = float(values[t.name])
    b = potential.charge_balance
    if b:
        if not atoms.get(b):
            raise ValueError(f"no {b} atom to balance the charge (potential.charges.balance: {b})")
        q[b] = -sum(n * q[el] for el, n in atoms.items() if el != b) / atoms[b]
    return {el: (0.0 if v is None else v) for el, v in q.items()}


def _charge(q: float) -> str:
    """A charge as the LAMMPS input writes it: 6 decimals when exact (the tables' values), else every digit (neutrality)."""
    return f"{q:.6f}" if round(q, 6) == q else repr(q)


def _coulomb(e: Electrostatics) -> tuple[str, list[str]]:
    """The Coulomb pair style (with its arguments) and the k-space commands of an electrostatics setting."""
    if e.family == "long":
        kspace = [f"kspace_style {e.method} {e.accuracy:g}"]
        if e.method == "pppm" and e.order is not None and e.order != 5:
            kspace.append(f"kspace_modify order {int(e.order)}")
        return f"coul/long {e.cutoff_A:g}", kspace
    return f"coul/{e.method} {e.damping_invA:g} {e.cutoff_A:g}", []


def _cutoffs(potential: Potential) -> str:
    """Short-range cutoff, and the Coulomb one when it differs (LAMMPS's 'cutoff (cutoff2)')."""
    sr, coul = potential.cutoff_A, potential.electrostatics.cutoff_A
    return f"{sr:g}" if sr == coul else f"{sr:g} {coul:g}"


def _args(values: Iterable[float]) -> str:
    return " ".join(f"{v:.8g}" for v in values)


def wolf_expression(e: Electrostatics) -> str:
    """The truncated Coulomb function of a wolf or dsf setting (times qi*qj) as a Lepton expression, self energy omitted."""
    a, rc = e.damping_invA, e.cutoff_A
    shift = math.erfc(a * rc) / rc
    direct = "1/r" if a == 0 else f"erfc({a!r}*r)/r"
    if e.method == "wolf":
        return f"({direct}-({shift!r}))"
    slope = math.erfc(a * rc) / rc**2 + 2 * a / math.sqrt(math.pi) * math.exp(-(a**2) * rc**2) / rc
    return f"({direct}-({shift!r})+(r-{rc!r})*({slope!r}))"


@dataclass(frozen=True)
class Rendered:
    """A potential as LAMMPS reads it: input commands and the files they name (table files), by name."""

    lines: list[str]
    files: dict[str, str]


def render(potential: Potential, pairs: Mapping[str, PairTerm], charge: Mapping[str, float], elements: list[str], table_file: str = TABLE_FILE) -> Rendered:
    """LAMMPS commands (after the box exists) for masses, charges and the complete pair potential, and its table file.

    LAMMPS type i is ``elements[i-1]``; masses come from the potential's species table, charges from ``charge``
    (:func:`charges`). Every type pair is covered: its pair term, or Coulomb only.
    """
    index = {el: i + 1 for i, el in enumerate(elements)}
    terms: dict[tuple[int, int], PairTerm] = {}
    for term in pairs.values():
        a, b = term.elements
        if a in index and b in index:
            terms[tuple(sorted((index[a], index[b])))] = term
    forms = {t.form for t in terms.values()}
    fused = FORMS[next(iter(forms))].fused if len(forms) == 1 else None
    if potential.smoothing_gamma_A2 is not None:
        head, coeffs, sections = _smoothed_lines(potential, terms, charge, elements, table_file)
    elif fused and potential.electrostatics.family in fused:
        (head, coeffs), sections = _fused_lines(potential, terms, elements), []
    else:
        head, coeffs, sections = _hybrid_lines(potential, terms, forms, table_file)
    files = {}
    if sections:
        text = f"# glassfit: pair functions tabulated from their formulas ({pairtable.POINTS} points from {pairtable.R_MIN_A} A, {pairtable.STYLE})\n\n" + "\n".join(sections)
        files[table_file] = text
        head.append(f"# {table_file}: sha256 {pairtable.digest(text)}")
    lines = head
    for el in elements:
        lines.append(f"mass {index[el]} {potential.species_of(el).mass_g_mol:.6f}  # {el}")
        lines.append(f"set type {index[el]} charge {_charge(charge[el])}  # {el}")
    return Rendered(lines + coeffs, files)


Terms = Mapping[tuple[int, int], PairTerm]


def _type_pairs(n: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(1, n + 1) for j in range(i, n + 1)]


def _smoothed_lines(potential: Potential, terms: Terms, charge: Mapping[str, float], elements: list[str], table_file: str) -> tuple[list[str], list[str], list[str]]:
    """SHIK: every type pair tabulated, short range and Coulomb times the smoothing (head, pair_coeff lines, table sections)."""
    rc = potential.electrostatics.cutoff_A
    coeffs, sections = [], []
    for i, j in _type_pairs(len(elements)):
        key = f"P{i}_{j}"
        sections.append(pairtable.section(key, smoothed_expression(potential, terms.get((i, j))), rc, charge[elements[i - 1]], charge[elements[j - 1]]))
        coeffs.append(f"pair_coeff {i} {j} {table_file} {key} {rc:g}  # {_label(elements, i, j, terms)}")
    return [f"pair_style table {pairtable.STYLE} {pairtable.POINTS}"], coeffs, sections


def _fused_lines(potential: Potential, terms: Terms, elements: list[str]) -> tuple[list[str], list[str]]:
    """One LAMMPS style computing the form and the Coulomb method in one loop (head, pair_coeff lines)."""
    e = potential.electrostatics
    form = FORMS[next(iter(terms.values())).form]
    style, args = form.fused[e.family]
    _, kspace = _coulomb(e)
    damping = "" if e.family == "long" else f"{e.damping_invA:g} "
    coeffs = [
        f"pair_coeff {i} {j} {_args(args(terms[(i, j)].coefficients))}  # {terms[(i, j)].pair}" if (i, j) in terms
        else f"pair_coeff {i} {j} {' '.join(_zero(args(form.zero)))}  # {elements[i - 1]}-{elements[j - 1]} Coulomb only"
        for i, j in _type_pairs(len(elements))
    ]
    return [f"pair_style {style} {damping}{_cutoffs(potential)}", *kspace], coeffs


def _hybrid_lines(potential: Potential, terms: Terms, forms: set[str], table_file: str) -> tuple[list[str], list[str], list[str]]:
    """hybrid/overlay of the Coulomb style and one sub-style per form: native where LAMMPS has one, else a table."""
    coul, kspace = _coulomb(potential.electrostatics)
    cutoff = potential.cutoff_A
    subs = [f"{FORMS[f].native[0]} {cutoff:g}" if FORMS[f].native else f"table {pairtable.STYLE} {pairtable.POINTS}"  # a table's cutoff is per pair
            for f in sorted(forms, key=list(FORMS).index)]
    coeffs, sections = [f"pair_coeff * * {coul.split()[0]}"], []
    for (i, j), term in sorted(terms.items()):
        form = FORMS[term.form]
        if form.native:
            coeffs.append(f"pair_coeff {i} {j} {form.native[0]} {_args(form.native[1](term.coefficients))}  # {term.pair}")
        else:
            key = f"P{i}_{j}"
            sections.append(pairtable.section(key, term.energy_expression(), cutoff))
            coeffs.append(f"pair_coeff {i} {j} table {table_file} {key} {cutoff:g}  # {term.pair}")
    return [" ".join(["pair_style hybrid/overlay", coul, *subs]), *kspace], coeffs, sections


def _zero(values: list[float]) -> list[str]:
    """The arguments of a Coulomb-only pair in a fused style, written as the published inputs write them (0.0 1.0 0.0)."""
    return [f"{v:.1f}" for v in values]


def _label(elements: list[str], i: int, j: int, terms: Mapping[tuple[int, int], PairTerm]) -> str:
    return terms[(i, j)].pair if (i, j) in terms else f"{elements[i - 1]}-{elements[j - 1]} Coulomb only"


def smoothed_expression(potential: Potential, term: PairTerm | None) -> str:
    """SHIK's pair energy: (short-range below the short-range cutoff + qi qj W(r)) x exp(-gamma / (r - rc)^2)."""
    e = potential.electrostatics
    short = f"({term.energy_expression()})*step({potential.cutoff_A!r}-r)+" if term else ""
    return f"({short}qi*qj*{wolf_expression(e)})*exp(-({potential.smoothing_gamma_A2!r})/(r-{e.cutoff_A!r})^2)"


def needs_table(potential: Potential) -> bool:
    """Whether rendering writes a table file: smoothing, or a form without a native LAMMPS style."""
    return potential.smoothing_gamma_A2 is not None or any(FORMS[t.form].native is None for s in potential.sets.values() for t in s.values())


def describe(potential: Potential) -> list[str]:
    """Comment lines that say what a rendered potential is: forms, electrostatics, charges, smoothing."""
    e = potential.electrostatics
    forms = sorted({t.form for s in potential.sets.values() for t in s.values()})
    out = ["pair forms: " + "; ".join(f"{f}: {FORMS[f].formula}" for f in forms)]
    if e.family == "long":
        out.append(f"electrostatics: {e.method}, real-space cutoff {e.cutoff_A:g} A, accuracy {e.accuracy:g}")
    else:
        out.append(f"electrostatics: {e.method}, damping {e.damping_invA:g} 1/A, cutoff {e.cutoff_A:g} A")
    if potential.charge_balance:
        out.append(f"charges: q_{potential.charge_balance} is set per glass by neutrality (-sum n_i q_i / n_{potential.charge_balance})")
    if potential.smoothing_gamma_A2 is not None:
        out.append(f"smoothing: every pair energy x exp(-{potential.smoothing_gamma_A2:g} / (r - {e.cutoff_A:g})^2) (SHIK)")
    return out


def include_file(potential: Potential, pairs: Mapping[str, PairTerm], charge: Mapping[str, float], elements: list[str], header: list[str],
                 table_file: str = TABLE_FILE) -> Rendered:
    """A complete LAMMPS include file for the potential (``.lines`` joined), with units and provenance in comments, and its table file."""
    rendered = render(potential, pairs, charge, elements, table_file)
    comments = [
        "# LAMMPS 'units metal' (eV, Angstrom), 'atom_style charge'; type order: " + " ".join(f"{i + 1}={el}" for i, el in enumerate(elements)),
        *(f"# {line}" for line in describe(potential)),
        *(f"# {h}" for h in header),
    ]
    return Rendered(comments + rendered.lines, rendered.files)


def set_owner_of(label: str, potential: Potential, others: dict[str, Model]) -> str:
    """The potential a validated label runs with: '' = the campaign's own, else a name of other_potentials."""
    if label in RESERVED_SETS or label in potential.named_sets:
        return ""
    return next(name for name, m in others.items() if label in m.potential.named_sets)
