"""A campaign on disk: what each job needs from the resolved config, and the tables gathered from runs.

Layout under ``<results_dir>/<campaign>/``::

    structures/<glass>/r<k>.data                        initial structures (shared by all candidates)
    iter-NN/candidates.csv                              candidate id, kind, one column per tunable
    iter-NN/runs/<candidate>/<glass>/r<k>/properties.json   one MD run (plus its LAMMPS files); which glasses a
                                                        candidate runs on: candidate_glasses()
    iter-NN/evaluations.csv                             replica statistics per candidate x glass
    iter-NN/dataset.csv                                 everything evaluated up to NN
"""

from __future__ import annotations

import math
import zlib
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from glassfit import chemistry, lammps, md, potential, structure
from glassfit.files import read_json
from glassfit.model import Campaign, Species


def candidate_id(iteration: int, index: int) -> str:
    return f"i{iteration:02d}c{index:02d}"


def elements(campaign: Campaign) -> list[str]:
    """LAMMPS atom types in order: the elements of the campaign's species table (every model renders in this order)."""
    return [s.element for s in campaign.potential.species]


def glass_species(campaign: Campaign, glass_id: str, other: str | None = None, values: Mapping[str, float] | None = None) -> list[Species]:
    """The species of one glass in type order, with the charges its potential gives it (neutrality rule, tuned charges).

    ``other``: a name of the campaign's other potentials (no tunable applies to them), None = its own.
    """
    p = campaign.model_of(other).potential
    q = potential.charges(p, realised_of(campaign, glass_id).atoms, () if other else campaign.tunables, values)
    return [Species(el, q[el], p.species_of(el).mass_g_mol) for el in elements(campaign)]


def realised_of(campaign: Campaign, glass_id: str) -> chemistry.Realised:
    """Whole formula units of a glass at the campaign's system size."""
    return chemistry.realise(glass_of(campaign, glass_id).composition, campaign.system.atoms)


def glass_of(campaign: Campaign, glass_id: str):
    """A glass of the campaign: a fitted one, or one of the final validation."""
    return next(g for g in (*campaign.glasses, *campaign.analysis.validation_glasses) if g.id == glass_id)


#: The kind of iteration 0's first candidate, the start set: the one candidate that also runs the inert glasses.
REFERENCE_KIND = "start"


def candidate_glasses(campaign: Campaign, candidate: str | Mapping, iteration: int) -> list[str]:
    """Ids of the glasses one candidate of an iteration is simulated on (every replica of each), in campaign order.

    ``candidate`` is a row of candidates.csv (anything with a ``kind``) or its kind. Every candidate runs the
    fitted glasses that a tuned pair acts on (``learn.settings.modelled_glasses``). A fitted glass that no tuned
    pair acts on (``learn.settings.inert_glasses``: 0B has no boron, so B-O and B-B parameters cannot change
    it) runs once per campaign, as a reference: only for the start set of iteration 0 (kind ``start``); the
    objective gives every other candidate the mean of those reference runs. Validation glasses never run in an
    iteration: only the final validation (workflow/rules/validate.smk) simulates them.
    """
    from glassfit.learn.settings import inert_glasses, modelled_glasses  # the learn package: not needed by MD jobs

    kind = candidate if isinstance(candidate, str) else candidate["kind"]
    wanted = set(modelled_glasses(campaign))
    if int(iteration) == 0 and kind == REFERENCE_KIND:
        wanted |= set(inert_glasses(campaign))
    return [g.id for g in campaign.glasses if g.id in wanted]


TOPUP_KIND = "topup"  # a row of an earlier candidate that runs more replicas (learn.cost mode screen)


def planned_replicas(campaign: Campaign, row: Mapping, glass: str, iteration: int) -> int:
    """How many replicas a candidate has on a glass once this iteration's runs are done (replicas 0 .. n-1).

    candidates.csv says it in column ``replicas_<glass>`` (learn.cost mode screen: 0 = not run); without that column,
    iteration 0's design points (not the start set, not a named set) are screened in screen mode and everything else runs
    system.replicas.
    """
    from glassfit.learn.cost import column  # the learn package: not needed by MD jobs

    value = row.get(column(glass)) if hasattr(row, "get") else None
    if value is not None and not pd.isna(value):
        return int(value)
    kind = str(row["kind"])
    screen = campaign.learn.cost.mode == "screen" and int(iteration) == 0 and kind != REFERENCE_KIND and not kind.startswith("set:")
    return campaign.learn.cost.screen_replicas if screen else campaign.system.replicas


def replicas_before(campaign: Campaign, results: str | Path, iteration: int) -> dict[tuple[str, str], int]:
    """(candidate, glass) -> replicas planned by the iterations before ``iteration`` (from their candidates.csv)."""
    from glassfit import layout

    done: dict[tuple[str, str], int] = {}
    for it in range(int(iteration)):
        path = layout.iteration_file(results, it, layout.CANDIDATES)
        for _, row in pd.read_csv(path).iterrows():
            for g in candidate_glasses(campaign, row, it):
                key = (str(row["candidate"]), g)
                done[key] = max(done.get(key, 0), planned_replicas(campaign, row, g, it))
    return done


def iteration_runs(campaign: Campaign, candidates: pd.DataFrame, iteration: int, results: str | Path | None = None) -> list[tuple[str, str, int]]:
    """(candidate, glass, replica) of every MD run of an iteration with these candidates (candidates.csv).

    A candidate runs replicas 0 .. n-1 of each of its glasses (planned_replicas); a top-up row (kind topup) only those
    its earlier iterations did not run, which needs the campaign folder ``results`` to read them.
    """
    earlier: dict[tuple[str, str], int] = {}
    if "kind" in candidates and (candidates["kind"] == TOPUP_KIND).any():
        if results is None:
            raise ValueError("iteration_runs: a top-up iteration needs the campaign folder (results) to know the replicas already run")
        earlier = replicas_before(campaign, results, iteration)
    return [(str(row["candidate"]), g, r) for _, row in candidates.iterrows() for g in candidate_glasses(campaign, row, iteration)
            for r in range(earlier.get((str(row["candidate"]), g), 0), planned_replicas(campaign, row, g, iteration))]


def named_candidates(campaign: Campaign) -> pd.DataFrame:
    """The start set and ``potential.initial_sets`` as candidate rows (kind ``set:<name>``)."""
    p = campaign.potential
    rows = [{"kind": f"set:{n}", **potential.values_of(p, p.complete_set(n), campaign.tunables)} for n in (p.start, *p.initial_sets)]
    return pd.DataFrame(rows)


def number_candidates(table: pd.DataFrame, iteration: int) -> pd.DataFrame:
    """Give each row a candidate id in front of the other columns: a new id of this iteration, or for a top-up row (column
    topup_of) the id of the set it tops up."""
    table = table.reset_index(drop=True)
    of = table.pop("topup_of") if "topup_of" in table else pd.Series([None] * len(table))
    new = iter(range(len(table)))
    table.insert(0, "candidate", [str(o) if isinstance(o, str) and o else candidate_id(iteration, next(new)) for o in of])
    return table


def build_structure(campaign: Campaign, glass_id: str, replica: int, out: str | Path) -> dict:
    """Write the random initial structure of one (glass, replica); returns its description."""
    sp = glass_species(campaign, glass_id)
    realised = realised_of(campaign, glass_id)
    sys = campaign.system
    struct = structure.random_structure(realised, sp, sys.start_density_g_cm3, sys.min_separation_A, structure.seed_for(campaign.seed, glass_id, replica))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(out).with_name(f".{Path(out).name}.tmp")
    structure.write_data(tmp, struct, sp, f"glassfit {campaign.name} glass {glass_id} replica {replica}: {realised.atoms}")
    tmp.replace(out)
    return realised_info(realised, sp)


def realised_info(realised: chemistry.Realised, sp: list[Species]) -> dict:
    return {
        "n_atoms": realised.n_atoms,
        "atoms": realised.atoms,
        "composition_realised_mol_percent": {k: round(v, 4) for k, v in realised.mol_percent.items()},
        "charge_e": round(realised.charge_e({s.element: s.charge_e for s in sp}), 10),
    }


def render_potential(campaign: Campaign, glass_id: str, values: Mapping[str, float], base: str | None = None, model: str | None = None) -> potential.Rendered:
    """LAMMPS commands (and table file) of one glass: the complete set ``base`` (default: the start set), tunables at ``values``.

    ``model`` names one of the campaign's other potentials (other_potentials): then ``base`` is a set of its table,
    rendered as published (no tunable applies).
    """
    m = campaign.model_of(model)
    own = not model
    pairs = m.potential.complete_set(base or m.potential.start)
    if own:
        pairs = potential.apply_values(pairs, campaign.tunables, values)
    sp = glass_species(campaign, glass_id, model, values if own else None)
    return potential.render(m.potential, pairs, {s.element: s.charge_e for s in sp}, elements(campaign))


def measured_of(campaign: Campaign, glass_id: str) -> dict[str, dict]:
    """The glass's measured diffraction data sets that the campaign's diffraction targets name, by name (plain dicts)."""
    from glassfit.analysis.measured import as_dicts, measured_sets

    named = {t.observable.measured for t in campaign.targets if t.observable.kind == "diffraction"}
    entry = {k: v for k, v in campaign.analysis.measured_sq.get(glass_id, {}).items() if k in named}
    return {m["name"]: m for m in as_dicts(measured_sets(entry, f"analysis.measured_sq.{glass_id}"))}


def run_spec(campaign: Campaign, candidate: Mapping, glass_id: str, replica: int, structure_file: str | Path, workdir: str | Path, ranks: int = 1) -> md.RunSpec:
    """Everything one MD run of ``candidate`` (a row of candidates.csv) on one glass and replica needs.

    A row with a ``set`` (validation/candidates.csv) renders that complete set of the potential table with its
    tunable values, or, with a ``potential``, that set of another potential with its own protocol; an iteration's
    rows render the start set with theirs.
    """
    other = candidate.get("potential")
    other = other if isinstance(other, str) and other else None
    m = campaign.model_of(other)
    values = {} if other else {t.name: float(candidate[t.name]) for t in campaign.tunables}
    base = candidate.get("set")
    sp = glass_species(campaign, glass_id, other, values or None)
    realised = realised_of(campaign, glass_id)
    rendered = render_potential(campaign, glass_id, values, base if isinstance(base, str) else None, other)
    velocity_seed = int(structure.seed_for(campaign.seed, glass_id, replica).generate_state(1)[0] % 900_000_000) + 1
    return md.RunSpec(
        run_id=f"{candidate['candidate']}/{glass_id}/r{replica}",
        workdir=Path(workdir),
        structure=Path(structure_file),
        potential_lines=rendered.lines,
        potential_files=rendered.files,
        protocol=list(m.md.protocol),
        fallback=list(m.md.fallback),
        settings=m.md.settings,
        velocity_seed=velocity_seed,
        elements=elements(campaign),
        observables={t.name: t.observable for t in campaign.targets},
        analysis=campaign.analysis.settings,
        measured=measured_of(campaign, glass_id),
        ranks=ranks,
        keep_restarts=m.md.keep_restarts,
        metadata={"candidate": candidate["candidate"], "glass": glass_id, "replica": replica, "parameters": values, **realised_info(realised, sp)},
    )


def launcher(campaign: Campaign) -> lammps.Launcher:
    return lammps.find(campaign.md.lammps, campaign.md.launcher)


def run_table(properties_files: list[str | Path], campaign: Campaign) -> pd.DataFrame:
    """One row per MD run: identity, status, reason, properties, wall time."""
    rows = []
    for f in properties_files:
        p = read_json(f)
        rows.append(
            {
                "candidate": p["candidate"],
                "glass": p["glass"],
                "replica": p["replica"],
                "status": p["status"],
                "reason": p.get("reason"),
                **{f"{t.name}_{s}": p.get(f"{t.name}_{s}") for t in campaign.targets for s in ("mean", "std")},
                "n_atoms": p.get("n_atoms"),
                "wall_time_s": p.get("wall_time_s"),
                "ns_per_day": p.get("ns_per_day"),
            }
        )
    return pd.DataFrame(rows)


def evaluations(runs: pd.DataFrame, candidates: pd.DataFrame, campaign: Campaign, iteration: int) -> pd.DataFrame:
    """Replica statistics per candidate x glass: mean and std over replicas of each run's mean, n, failures."""
    names = [t.name for t in campaign.tunables]
    rows = []
    for (cand, gid), group in runs.groupby(["candidate", "glass"], sort=True):
        ok = group[group["status"] == "ok"]
        row = {"iteration": iteration, "candidate": cand, **candidates.set_index("candidate").loc[cand, names].to_dict(), "glass": gid}
        for t in campaign.targets:
            values = pd.to_numeric(ok[f"{t.name}_mean"], errors="coerce").dropna().to_numpy()
            row[f"{t.name}_mean"] = float(values.mean()) if values.size else math.nan
            row[f"{t.name}_std"] = float(values.std(ddof=1)) if values.size > 1 else (0.0 if values.size else math.nan)
        row["n_ok"] = int(len(ok))
        row["n_failed"] = int(len(group) - len(ok))
        failed = group[group["status"] != "ok"]
        row["failures"] = "; ".join(f"r{r.replica}: {r.reason}" for r in failed.itertuples()) or ""
        rows.append(row)
    return pd.DataFrame(rows)


def format_comparison(evaluations: pd.DataFrame, campaign: Campaign) -> str:
    """A plain-text table of every target's simulated (mean ± std over replicas) and experimental value per candidate x glass."""

    def cell(mean, std, digits: int = 3) -> str:
        return "—" if mean is None or pd.isna(mean) else f"{mean:.{digits}f} ± {0.0 if pd.isna(std) else std:.{digits}f}"

    exp = {g.id: g for g in campaign.glasses}
    header = f"{'candidate':10} {'glass':6} " + " ".join(f"{t.name + ' (MD)':>18} {'exp':>7}" for t in campaign.targets) + f" {'runs ok/failed':>15}"
    lines = [header]
    for r in evaluations.to_dict("records"):
        cells = []
        for t in campaign.targets:
            value = exp[r["glass"]].value(t.column) if r["glass"] in exp else None
            cells.append(f"{cell(r.get(f'{t.name}_mean'), r.get(f'{t.name}_std')):>18} {'—' if value is None else f'{value:.3f}':>7}")
        lines.append(f"{r['candidate']:10} {r['glass']:6} " + " ".join(cells) + f" {str(r['n_ok']) + '/' + str(r['n_failed']):>15}")
    return "\n".join(lines)


def initial_candidates(campaign: Campaign) -> pd.DataFrame:
    """Iteration 0: the initial design (start set, one-at-a-time steps, Sobol points) and ``potential.initial_sets``."""
    from glassfit.learn.design import initial_design  # MD jobs do not need the learn package

    design = initial_design(campaign, job_seed(campaign, 0, "design")).rename(columns={"candidate_kind": "kind"})
    named = named_candidates(campaign).iloc[1:]  # the start set is already the design's first row
    return number_candidates(pd.concat([design, named], ignore_index=True), 0)


def initial_kinds(campaign: Campaign) -> pd.DataFrame:
    """Iteration 0's candidate ids and kinds (initial_candidates without the values): all the DAG needs at parse time."""
    from glassfit.learn.design import design_kinds

    kinds = [*design_kinds(campaign), *(f"set:{n}" for n in campaign.potential.initial_sets)]
    return number_candidates(pd.DataFrame({"kind": kinds}), 0)


def job_seed(campaign: Campaign, iteration: int, purpose: str) -> int:
    """A seed for one iteration's learning step, derived from the campaign seed."""
    return int(np.random.SeedSequence([int(campaign.seed), int(iteration), zlib.crc32(purpose.encode())]).generate_state(1)[0] % 2**31)


def dataset(evaluations: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Everything evaluated so far: the previous dataset plus this iteration's evaluations, one row per candidate x glass
    (the runs a top-up adds to a set pooled with its earlier ones: pool())."""
    if previous is None or previous.empty:
        return evaluations
    both = pd.concat([previous, evaluations], ignore_index=True)
    key = both["candidate"].astype(str) + "\0" + both["glass"].astype(str)
    if not key.duplicated().any():
        return both
    return pool(both)


def pool(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate x glass from rows of disjoint replica groups: counts summed, means weighted by successful
    replicas, replica std from the pooled sums of squares (exact for ddof 1), the first iteration kept, failures joined."""
    means = [c[: -len("_mean")] for c in rows.columns if c.endswith("_mean") and f"{c[: -len('_mean')]}_std" in rows]
    out = []
    for _, group in rows.groupby([rows["candidate"].astype(str), rows["glass"].astype(str)], sort=False):
        row = group.iloc[0].copy()
        if len(group) > 1:
            n = group["n_ok"].fillna(0).to_numpy(dtype=float)
            for name in means:
                m, s = group[f"{name}_mean"].to_numpy(dtype=float), group[f"{name}_std"].to_numpy(dtype=float)
                has = np.isfinite(m) & (n > 0)
                total = n[has].sum()
                if total == 0:
                    row[f"{name}_mean"] = row[f"{name}_std"] = math.nan
                    continue
                mean = float((n[has] * m[has]).sum() / total)
                ss = float(((n[has] - 1) * np.nan_to_num(s[has]) ** 2 + n[has] * (m[has] - mean) ** 2).sum())
                row[f"{name}_mean"], row[f"{name}_std"] = mean, (math.sqrt(ss / (total - 1)) if total > 1 else 0.0)
            row["n_ok"], row["n_failed"] = int(n.sum()), int(group["n_failed"].fillna(0).sum())
            row["iteration"] = int(group["iteration"].min())
            if "failures" in group:
                row["failures"] = "; ".join(str(f) for f in group["failures"] if isinstance(f, str) and f)
        out.append(row)
    return pd.DataFrame(out).reset_index(drop=True)


#: The shortest wall-time limit requested for an MD job, in minutes: covers start-up and analysis of tiny runs.
MIN_RUNTIME_MIN = 10


def md_runtime_minutes(campaign: Campaign, ranks: int = 1, attempt: int = 1) -> int:
    """Wall-time limit (minutes) to request for one MD job on ``ranks`` MPI ranks, the ``attempt``-th time.

    The simulated time of the longest plan of any of the campaign's models (MD.simulated_ps) at ``md.throughput_ns_per_day_per_rank``
    times ``ranks`` (linear scaling; the safety factor absorbs parallel inefficiency), times
    ``md.runtime_safety_factor``, times ``attempt`` (a job resubmitted after hitting its limit gets
    proportionally longer), and never less than :data:`MIN_RUNTIME_MIN`.
    """
    days = max(m.md.simulated_ps / 1000.0 / m.md.throughput_ns_per_day_per_rank * m.md.runtime_safety_factor for m in campaign.models)
    minutes = days / max(int(ranks), 1) * 24 * 60 * max(int(attempt), 1)
    return max(math.ceil(minutes), MIN_RUNTIME_MIN)


def job_launcher(campaign: Campaign, mpi: str | None = None) -> lammps.Launcher:
    """How one MD job starts LAMMPS: the job's MPI launcher (``resources.mpi``) if it has one, else :func:`launcher`."""
    return lammps.for_job(campaign.md.lammps, campaign.md.launcher, mpi)
