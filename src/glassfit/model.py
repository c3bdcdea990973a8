"""The typed campaign: frozen dataclasses that config.resolve builds once and every rule, script and module passes around.

``campaign.json`` is :func:`to_dict` of a :class:`Campaign`; :func:`from_dict` reads it back to an equal object.
Defaults are filled in one place only (the JSON schemas, by :mod:`glassfit.config`); nothing here has a default
that the schema also states.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Mapping, Protocol as TypingProtocol

from glassfit.forms import FORMS
from glassfit.protocol import MDSettings, Stage

#: glass roles: fitted for every target, fitted for density only, or only simulated in the final validation
ROLES = ("fit", "fit-density-only", "validation")
FIT_ROLES = ("fit", "fit-density-only")


@dataclass(frozen=True)
class Species:
    """An element of the potential: its charge (None when neutrality sets it per glass) and standard atomic weight."""

    element: str
    charge_e: float | None
    mass_g_mol: float


@dataclass(frozen=True)
class Glass:
    """One glass of the glass table: oxide mol %, role, and its measured values by table column (None = not measured)."""

    id: str
    composition: dict[str, float]
    role: str
    measured: dict[str, float | None]

    def value(self, column: str) -> float | None:
        return self.measured.get(column)

    @property
    def elements(self) -> set[str]:
        from glassfit.chemistry import parse_formula

        return {el for ox, x in self.composition.items() if x > 0 for el in parse_formula(ox)}


@dataclass(frozen=True)
class PairTerm:
    """The short-range interaction of one element pair: a named form (glassfit.forms) and its coefficients by column."""

    pair: str
    form: str
    coefficients: dict[str, float]

    @property
    def elements(self) -> tuple[str, str]:
        a, _, b = self.pair.partition("-")
        return a, b

    def energy_expression(self) -> str:
        """The pair energy as a Lepton expression in r (eV, Å)."""
        return FORMS[self.form].lepton(self.coefficients)


@dataclass(frozen=True)
class Tunable:
    """One parameter a campaign may change, with absolute bounds: a coefficient of a pair term, or a species' charge."""

    name: str
    start: float
    low: float
    high: float
    pair: str | None = None  # a coefficient: the pair (B-O) and its table column (rho_A)
    coefficient: str | None = None
    element: str | None = None  # a charge: the element (Si)

    @property
    def elements(self) -> set[str]:
        """The elements a glass must contain for this parameter to act on it."""
        return {self.element} if self.element else set(self.pair.split("-"))


@dataclass(frozen=True)
class Electrostatics:
    """How Coulomb interactions are computed: pppm/ewald (long-range, accuracy, PPPM order), wolf or dsf (damping, cutoff)."""

    method: str
    cutoff_A: float
    accuracy: float | None = None
    order: int | None = None
    damping_invA: float | None = None

    @property
    def family(self) -> str:
        """``long`` for pppm and ewald (real-space coul/long plus a k-space solver), else the method."""
        return "long" if self.method in ("pppm", "ewald") else self.method


@dataclass(frozen=True)
class Potential:
    """Species, parameter sets (pair terms by set and pair; ``fixed`` shared by all), electrostatics, charge rule, smoothing."""

    species: tuple[Species, ...]
    sets: dict[str, dict[str, PairTerm]]
    start: str
    initial_sets: tuple[str, ...]
    cutoff_A: float
    electrostatics: Electrostatics
    charge_balance: str | None  # the element whose charge neutrality sets in every glass (SHIK's O), or None: fixed charges
    smoothing_gamma_A2: float | None  # SHIK's smoothing of every pair energy, exp(-gamma/(r - rc)^2), or None
    species_table: str
    table: str

    def complete_set(self, name: str) -> dict[str, PairTerm]:
        """The fixed pairs plus the pairs of the named set; KeyError naming the sets the table defines."""
        if name not in self.sets or name == "fixed":
            raise KeyError(f"unknown parameter set {name!r}; the table defines: {', '.join(s for s in self.sets if s != 'fixed')}")
        return {**self.sets.get("fixed", {}), **self.sets[name]}

    @property
    def named_sets(self) -> list[str]:
        return [s for s in self.sets if s != "fixed"]

    def species_of(self, element: str) -> Species:
        return next(s for s in self.species if s.element == element)


@dataclass(frozen=True)
class MD:
    """How LAMMPS runs: integration settings, protocol and fallback stages, executable, cluster wall-time model."""

    settings: MDSettings
    protocol: tuple[Stage, ...]
    fallback: tuple[Stage, ...]
    b4_cutoff_A: float
    keep_restarts: bool
    lammps: str | None
    launcher: str | None
    throughput_ns_per_day_per_rank: float
    runtime_safety_factor: float

    @property
    def simulated_ps(self) -> float:
        """Simulated time of the longest plan of one run (ps): the fallback's pre-conditioning plus the protocol."""
        return sum(s.duration_ps for s in (*self.fallback, *self.protocol))


@dataclass(frozen=True)
class Model:
    """What the physics of a run is, besides parameters, glass and replica: the potential and the MD protocol."""

    potential: Potential
    md: MD


@dataclass(frozen=True)
class System:
    """Size and start of every MD system."""

    atoms: int
    replicas: int
    start_density_g_cm3: float
    min_separation_A: float


#: what a run can measure for a target (glassfit.analysis.observables computes each)
OBSERVABLE_KINDS = ("density", "coordination_fraction", "qn_fraction", "mean_bond_length", "mean_angle", "diffraction")


@dataclass(frozen=True)
class Observable:
    """What a run measures for a target; fields a kind does not use stay empty.

    - density: the ``density`` stage's mean (thermo);
    - coordination_fraction: fraction of ``center`` atoms with exactly ``n`` ``neighbour`` atoms within ``cutoff_A``;
    - qn_fraction: fraction of ``center`` atoms (a network former) with exactly ``n`` bridging ``neighbour`` atoms, an
      anion being bridging when it lies within ``cutoff_A`` of two or more atoms of ``formers``;
    - mean_bond_length: mean ``center``-``neighbour`` distance within ``cutoff_A``;
    - mean_angle: mean ``neighbour``-``center``-``neighbour`` angle (degrees) between bonds within ``cutoff_A``;
    - diffraction: Wright's R_chi of the run's T(r) against the glass's measured data set named ``measured``
      (analysis.measured_sq.<glass>.<measured>), 0 for a perfect match.
    """

    kind: str
    center: str = ""
    neighbour: str = ""
    n: int = 0
    cutoff_A: float = 0.0
    formers: tuple[str, ...] = ()
    measured: str = ""

    @property
    def per_frame(self) -> bool:
        """Whether it is measured on each production frame (and averaged), not on the thermo or the run's mean g(r)."""
        return self.kind not in ("density", "diffraction")


@dataclass(frozen=True)
class Target:
    """A fitted observable: its name (the MD run's ``<name>_mean``), glass-table column, roles, scale, weight, noise, transform."""

    name: str
    column: str
    symbol: str  # short name for figures and table headers (density, B4)
    label: str
    roles: tuple[str, ...]
    scale: float
    weight: float
    noise: float  # prior per-replica standard deviation
    transform: str  # identity | logit | log: the scale the Gaussian processes model it on
    observable: Observable  # what a run measures for it
    weighting: str = "equal"  # equal | B2O3_fraction: the published code's B4 weighting across glasses
    minimum: float = float("-inf")  # the range a measured value can lie in (a density above 0, a fraction in [0, 1])
    maximum: float = float("inf")
    exclusive_minimum: bool = False


@dataclass(frozen=True)
class Convergence:
    tolerance: float
    patience: int


@dataclass(frozen=True)
class Design:
    sobol_points: int | None
    one_at_a_time: bool
    perturbation: float


@dataclass(frozen=True)
class Proposer:
    kind: str
    mc_samples: int
    num_restarts: int
    raw_samples: int
    batch: str
    max_failure_fraction: float
    acquisition: str
    restarts: int
    max_evaluations: int
    popsize: int | None
    sigma0: float
    exploration_kappa: float
    min_distance: float
    confirm_last: bool = True  # campaign.json of glassfit < 0.4 lacks it
    thompson_rows: int = 1000  # nor this, in campaigns written before it


@dataclass(frozen=True)
class Surrogate:
    ensemble_size: int
    hidden_layers: tuple[int, ...]
    learning_rate: float
    weight_decay: float
    batch_size: int
    max_steps: int
    patience: int
    val_fraction: float
    bootstrap: bool


@dataclass(frozen=True)
class Cost:
    """How many MD runs each candidate gets (learn.cost): the fixed design, or screening and topping up (glassfit.learn.cost)."""

    mode: str = "fixed"  # fixed: every candidate x modelled glass x system.replicas; screen: screen_replicas, contenders topped up
    screen_replicas: int = 2
    topups: int = 2  # sets topped up to the full replica count per iteration (screen)


@dataclass(frozen=True)
class PriorData:
    """Data from an earlier campaign or a publication that joins the surrogate's training data (glassfit.learn.prior)."""

    path: str
    units: str = "metal"  # LAMMPS unit style of the table's energy coefficients: metal (eV) or real (kcal/mol)
    fidelity: str = "same"  # same = the campaign's protocol and system size; any other label is modelled as its own fidelity
    sheet: str | None = None  # the XLSX sheet (default: the first)


@dataclass(frozen=True)
class LearnSettings:
    """The learn section (learn.schema.yaml), every default filled; per-target settings live in :class:`Target`."""

    mode: str
    iterations: int
    candidates_per_iteration: int
    budget_md_runs: int | None
    convergence: Convergence
    design: Design
    missing_penalty: float
    prior_replicas: float
    proposer: Proposer
    surrogate: Surrogate
    prior_data: tuple[PriorData, ...] = ()  # campaign.json of glassfit < 0.5 lacks it
    cost: Cost = Cost()  # campaign.json of glassfit < 0.5 lacks it


@dataclass(frozen=True)
class AnalysisSettings:
    """The analysis section: analyses per stage, validated sets and glasses (resolved), measured data, suite settings."""

    iteration_analyses: tuple[str, ...]
    validation_analyses: tuple[str, ...]
    validation_sets: tuple[str, ...]
    validation_glasses: tuple[Glass, ...]  # the glasses the final validation runs (validation_glasses, default every table row)
    measured_sq: dict[str, typing.Any]
    settings: dict[str, typing.Any]


@dataclass(frozen=True)
class Campaign:
    """A resolved campaign: everything a job needs, every default filled, every table read once."""

    name: str
    seed: int
    results_dir: str
    fit: bool
    glasses_table: str
    glasses: tuple[Glass, ...]
    potential: Potential
    md: MD
    system: System
    tunables: tuple[Tunable, ...]
    targets: tuple[Target, ...]
    learn: LearnSettings
    analysis: AnalysisSettings
    others: dict[str, Model] = field(default_factory=dict)  # other potentials the validation compares, by name

    @property
    def results(self) -> str:
        return f"{self.results_dir}/{self.name}"

    @property
    def model(self) -> Model:
        return Model(self.potential, self.md)

    def glass(self, glass_id: str) -> Glass:
        return next(g for g in self.glasses if g.id == glass_id)

    def model_of(self, name: str | None) -> Model:
        """The campaign's own model (``name`` empty or None) or one of ``others``."""
        return self.others[name] if name else self.model

    @property
    def models(self) -> list[Model]:
        return [self.model, *self.others.values()]

    @property
    def replicas(self) -> int:
        """The full replica count of a candidate on a glass (system.replicas)."""
        return self.system.replicas


class LearningProblem(TypingProtocol):
    """What the learn package needs of a campaign: the parameters, the glasses, the targets and the learn settings."""

    tunables: tuple[Tunable, ...]
    glasses: tuple[Glass, ...]
    targets: tuple[Target, ...]
    learn: LearnSettings
    replicas: int  # the full replica count of a candidate on a glass


@dataclass(frozen=True)
class Problem:
    """A learning problem without MD (tests, benchmarks, synthetic landscapes); a Campaign is one too."""

    tunables: tuple[Tunable, ...]
    glasses: tuple[Glass, ...]
    targets: tuple[Target, ...]
    learn: LearnSettings
    replicas: int = 6


def to_dict(obj) -> dict:
    """A dataclass as plain JSON-able data (tuples become lists when written)."""
    return dataclasses.asdict(obj)


def from_dict(cls, data):
    """Rebuild ``cls`` (a dataclass or a typing annotation) from :func:`to_dict` output (e.g. read from campaign.json)."""
    return _build(cls, data)


def _build(tp, data):
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return tp(**{f.name: _build(hints[f.name], data[f.name]) for f in dataclasses.fields(tp) if f.name in data})
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _build(inner[0], data) if len(inner) == 1 else data
    if origin is tuple:
        (item, *_) = typing.get_args(tp)
        return tuple(_build(item, x) for x in data)
    if origin in (dict, Mapping):
        _, value = typing.get_args(tp)
        return {k: _build(value, v) for k, v in data.items()}
    if tp is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    return data
