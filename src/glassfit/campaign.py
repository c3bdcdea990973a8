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

from glassfit import chemistry, config as cfg, lammps, md, potential, structure
from glassfit.files import read_json
from glassfit.protocol import MDSettings, Stage

PROPERTIES = ("density_g_cm3", "B4")


def candidate_id(iteration: int, index: int) -> str:
    return f"i{iteration:02d}c{index:02d}"


def glass(campaign: dict, glass_id: str) -> dict:
    return next(g for g in campaign["glasses"] if g["id"] == glass_id)


def species(campaign: dict) -> list[potential.Species]:
    return potential.read_species(campaign["potential"]["species"])


#: The kind of iteration 0's first candidate, the start set: the one candidate that also runs the inert glasses.
REFERENCE_KIND = "start"


def candidate_glasses(campaign: dict, candidate: str | Mapping, iteration: int) -> list[str]:
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
    return [g["id"] for g in campaign["glasses"] if g["id"] in wanted]


def iteration_runs(campaign: dict, candidates: pd.DataFrame, iteration: int) -> list[tuple[str, str, int]]:
    """(candidate, glass, replica) of every MD run of an iteration with these candidates (candidates.csv)."""
    replicas = range(int(campaign["system"]["replicas"]))
    return [(row["candidate"], g, r) for _, row in candidates.iterrows() for g in candidate_glasses(campaign, row, iteration) for r in replicas]


def named_candidates(campaign: dict) -> pd.DataFrame:
    """The start set and ``potential.initial_sets`` as candidate rows (kind ``set:<name>``)."""
    tunables = cfg.tunables(campaign)
    sets = potential.read_parameter_sets(campaign["potential"]["table"])
    names = [campaign["potential"]["start"], *campaign["potential"].get("initial_sets", [])]
    rows = [{"kind": f"set:{n}", **potential.values_of(potential.complete_set(sets, n), tunables)} for n in names]
    return pd.DataFrame(rows)


def number_candidates(table: pd.DataFrame, iteration: int) -> pd.DataFrame:
    """Give each row a candidate id of this iteration, in front of the other columns."""
    table = table.reset_index(drop=True)
    table.insert(0, "candidate", [candidate_id(iteration, i) for i in range(len(table))])
    return table


def build_structure(campaign: dict, glass_id: str, replica: int, out: str | Path) -> dict:
    """Write the random initial structure of one (glass, replica); returns its description."""
    g = glass(campaign, glass_id)
    sp = species(campaign)
    realised = chemistry.realise(g["composition"], campaign["system"]["atoms"])
    struct = structure.random_structure(
        realised, sp, campaign["system"]["start_density_g_cm3"], campaign["system"]["min_separation_A"], structure.seed_for(campaign["seed"], glass_id, replica)
    )
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(out).with_name(f".{Path(out).name}.tmp")
    structure.write_data(tmp, struct, sp, f"glassfit {campaign['campaign']} glass {glass_id} replica {replica}: {realised.atoms}")
    tmp.replace(out)
    return realised_info(realised, sp)


def realised_info(realised: chemistry.Realised, sp: list[potential.Species]) -> dict:
    return {
        "n_atoms": realised.n_atoms,
        "atoms": realised.atoms,
        "composition_realised_mol_percent": {k: round(v, 4) for k, v in realised.mol_percent.items()},
        "charge_e": round(realised.charge_e({s.element: s.charge_e for s in sp}), 10),
    }


def stages(campaign: dict, key: str) -> list[Stage]:
    return [Stage.from_config(s) for s in campaign["md"].get(key, [])]


def md_settings(campaign: dict) -> MDSettings:
    m = campaign["md"]
    return MDSettings(
        timestep_fs=m["timestep_fs"],
        thermostat_damp_ps=m["thermostat_damp_ps"],
        barostat_damp_ps=m["barostat_damp_ps"],
        thermo_every_ps=m["thermo_every_ps"],
        neighbor_skin_A=m["neighbor_skin_A"],
        max_volume_factor=m["max_volume_factor"],
        restart_every_ps=m.get("restart_every_ps"),
    )


def potential_lines(campaign: dict, values: dict[str, float], base: str | None = None) -> list[str]:
    """LAMMPS commands of the complete set ``base`` (default: the start set) with the tunable parameters at ``values``."""
    sets = potential.read_parameter_sets(campaign["potential"]["table"])
    pairs = potential.apply_values(potential.complete_set(sets, base or campaign["potential"]["start"]), cfg.tunables(campaign), values)
    p = campaign["potential"]
    return potential.lammps_lines(species(campaign), pairs, p["cutoff_A"], p["kspace_accuracy"], p["kspace_order"])


def run_spec(campaign: dict, candidate: dict, glass_id: str, replica: int, structure_file: str | Path, workdir: str | Path, ranks: int = 1) -> md.RunSpec:
    """Everything one MD run of ``candidate`` (a row of candidates.csv) on one glass and replica needs.

    A row with a ``set`` (validation/candidates.csv) renders that complete set of the potential table with its
    tunable values; an iteration's rows render the start set with theirs.
    """
    values = {t["name"]: float(candidate[t["name"]]) for t in campaign["tunable"]}
    base = candidate.get("set")
    sp = species(campaign)
    g = glass(campaign, glass_id)
    realised = chemistry.realise(g["composition"], campaign["system"]["atoms"])
    velocity_seed = int(structure.seed_for(campaign["seed"], glass_id, replica).generate_state(1)[0] % 900_000_000) + 1
    return md.RunSpec(
        run_id=f"{candidate['candidate']}/{glass_id}/r{replica}",
        workdir=Path(workdir),
        structure=Path(structure_file),
        potential_lines=potential_lines(campaign, values, base if isinstance(base, str) else None),
        protocol=stages(campaign, "protocol"),
        fallback=stages(campaign, "fallback"),
        settings=md_settings(campaign),
        velocity_seed=velocity_seed,
        elements=[s.element for s in sp],
        b4_cutoff_A=campaign["md"]["b4_cutoff_A"],
        ranks=ranks,
        keep_restarts=campaign["md"].get("keep_restarts", False),
        metadata={"candidate": candidate["candidate"], "glass": glass_id, "replica": replica, "parameters": values, **realised_info(realised, sp)},
    )


def launcher(campaign: dict) -> lammps.Launcher:
    return lammps.find(campaign["md"].get("lammps"), campaign["md"].get("launcher"))


def run_table(properties_files: list[str | Path]) -> pd.DataFrame:
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
                **{f"{prop}_{s}": p.get(f"{prop}_{s}") for prop in PROPERTIES for s in ("mean", "std")},
                "n_atoms": p.get("n_atoms"),
                "wall_time_s": p.get("wall_time_s"),
                "ns_per_day": p.get("ns_per_day"),
            }
        )
    return pd.DataFrame(rows)


def evaluations(runs: pd.DataFrame, candidates: pd.DataFrame, campaign: dict, iteration: int) -> pd.DataFrame:
    """Replica statistics per candidate x glass: mean and std over replicas of each run's mean, n, failures."""
    names = [t["name"] for t in campaign["tunable"]]
    rows = []
    for (cand, gid), group in runs.groupby(["candidate", "glass"], sort=True):
        ok = group[group["status"] == "ok"]
        row = {"iteration": iteration, "candidate": cand, **candidates.set_index("candidate").loc[cand, names].to_dict(), "glass": gid}
        for prop in PROPERTIES:
            values = pd.to_numeric(ok[f"{prop}_mean"], errors="coerce").dropna().to_numpy()
            row[f"{prop}_mean"] = float(values.mean()) if values.size else math.nan
            row[f"{prop}_std"] = float(values.std(ddof=1)) if values.size > 1 else (0.0 if values.size else math.nan)
        row["n_ok"] = int(len(ok))
        row["n_failed"] = int(len(group) - len(ok))
        failed = group[group["status"] != "ok"]
        row["failures"] = "; ".join(f"r{r.replica}: {r.reason}" for r in failed.itertuples()) or ""
        rows.append(row)
    return pd.DataFrame(rows)


def comparison(evaluations: pd.DataFrame, campaign: dict) -> pd.DataFrame:
    """Evaluations next to the experimental targets, for people to read."""
    exp = pd.DataFrame([{"glass": g["id"], "density_exp": g["density_g_cm3"], "B4_exp": g["B4"], "role": g["role"]} for g in campaign["glasses"]])
    table = evaluations.merge(exp, on="glass", how="left")
    cols = ["candidate", "glass", "role", "density_g_cm3_mean", "density_g_cm3_std", "density_exp", "B4_mean", "B4_std", "B4_exp", "n_ok", "n_failed"]
    return table[cols]


def format_comparison(table: pd.DataFrame) -> str:
    """A plain-text table of simulated vs experimental density and B4."""

    def pm(m, s, digits):
        return "—" if m is None or (isinstance(m, float) and np.isnan(m)) else f"{m:.{digits}f} ± {0 if np.isnan(s) else s:.{digits}f}"

    def num(v, digits):
        return "—" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.{digits}f}"

    lines = [f"{'candidate':10} {'glass':6} {'density g/cm3 (MD)':>20} {'exp':>7} {'B4 (MD)':>15} {'exp':>6} {'runs ok/failed':>15}"]
    for r in table.itertuples():
        lines.append(
            f"{r.candidate:10} {r.glass:6} {pm(r.density_g_cm3_mean, r.density_g_cm3_std, 3):>20} {num(r.density_exp, 3):>7} "
            f"{pm(r.B4_mean, r.B4_std, 3):>15} {num(r.B4_exp, 3):>6} {f'{r.n_ok}/{r.n_failed}':>15}"
        )
    return "\n".join(lines)


def initial_candidates(campaign: dict) -> pd.DataFrame:
    """Iteration 0: the initial design (start set, one-at-a-time steps, Sobol points) and ``potential.initial_sets``."""
    from glassfit.learn.design import initial_design  # MD jobs do not need the learn package

    design = initial_design(campaign, job_seed(campaign, 0, "design")).rename(columns={"candidate_kind": "kind"})
    named = named_candidates(campaign).iloc[1:]  # the start set is already the design's first row
    return number_candidates(pd.concat([design, named], ignore_index=True), 0)


def initial_kinds(campaign: dict) -> pd.DataFrame:
    """Iteration 0's candidate ids and kinds (initial_candidates without the values): all the DAG needs at parse time."""
    from glassfit.learn.design import design_kinds

    kinds = [*design_kinds(campaign), *(f"set:{n}" for n in campaign["potential"].get("initial_sets", []))]
    return number_candidates(pd.DataFrame({"kind": kinds}), 0)


def job_seed(campaign: dict, iteration: int, purpose: str) -> int:
    """A seed for one iteration's learning step, derived from the campaign seed."""
    return int(np.random.SeedSequence([int(campaign["seed"]), int(iteration), zlib.crc32(purpose.encode())]).generate_state(1)[0] % 2**31)


def dataset(evaluations: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Everything evaluated so far: the previous dataset plus this iteration's evaluations."""
    return evaluations if previous is None or previous.empty else pd.concat([previous, evaluations], ignore_index=True)


#: The shortest wall-time limit requested for an MD job, in minutes: covers start-up and analysis of tiny runs.
MIN_RUNTIME_MIN = 10


def simulated_ps(campaign: dict) -> float:
    """Simulated time of the longest plan of one MD run (ps): the fallback's pre-conditioning plus the protocol."""
    return sum(s["duration_ps"] for key in ("fallback", "protocol") for s in campaign["md"].get(key, []))


def md_runtime_minutes(campaign: dict, ranks: int = 1, attempt: int = 1) -> int:
    """Wall-time limit (minutes) to request for one MD job on ``ranks`` MPI ranks, the ``attempt``-th time.

    The simulated time of the longest plan (:func:`simulated_ps`) at ``md.throughput_ns_per_day_per_rank``
    times ``ranks`` (linear scaling; the safety factor absorbs parallel inefficiency), times
    ``md.runtime_safety_factor``, times ``attempt`` (a job resubmitted after hitting its limit gets
    proportionally longer), and never less than :data:`MIN_RUNTIME_MIN`.
    """
    m = campaign["md"]
    days = simulated_ps(campaign) / 1000.0 / (m["throughput_ns_per_day_per_rank"] * max(int(ranks), 1))
    minutes = days * 24 * 60 * m["runtime_safety_factor"] * max(int(attempt), 1)
    return max(math.ceil(minutes), MIN_RUNTIME_MIN)


def job_launcher(campaign: dict, mpi: str | None = None) -> lammps.Launcher:
    """How one MD job starts LAMMPS: the job's MPI launcher (``resources.mpi``) if it has one, else :func:`launcher`."""
    return lammps.for_job(campaign["md"].get("lammps"), campaign["md"].get("launcher"), mpi)
