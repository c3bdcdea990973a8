"""The jobs that write a campaign's records, called from the `run:` blocks of workflow/rules (simulate.smk, learn.smk).

They are `run:` blocks rather than `script:` files because Snakemake reruns a script job whenever its script file is
newer than its outputs (the code trigger): a `git pull` or a fresh clone of glassfit would redo every finished MD run
and proposal. A `run:` block is judged on its text, which stays the same while the code it calls improves.

Every record is written once: a job that Snakemake starts over an existing, sound record (``--forcerun``, a site profile's
rerun triggers; the outputs are flagged ``update`` so Snakemake does not delete them first) keeps it and says so. Redoing a
record is ``glassfit redo``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from glassfit import campaign as gc, layout, logs, verify
from glassfit.files import write_csv, write_json
from glassfit.model import Campaign, to_dict

KEPT = "kept the finished record %s (glassfit redo redoes a record on purpose)"


def _kept(log, paths) -> bool:
    """True (and logged) when every output already exists: the job keeps them."""
    paths = [Path(p) for p in paths]
    if paths and all(p.is_file() and p.stat().st_size > 0 for p in paths):
        for p in paths:
            log.info(KEPT, p)
        return True
    return False


def design(campaign: Campaign, output: Any, log: Any) -> None:
    """iter-00/candidates.csv (the initial design) and campaign.json."""
    logger = logs.setup(log[0])
    if _kept(logger, [output.candidates, output.campaign]):
        return
    table = gc.initial_candidates(campaign)
    write_json(output.campaign, to_dict(campaign))
    write_csv(output.candidates, table)
    logger.info("iteration 00: %d candidates\n%s", len(table), table.to_string(index=False))


def structure(campaign: Campaign, wildcards: Any, output: Any, log: Any) -> None:
    """The random initial structure of one glass and replica."""
    logger = logs.setup(log[0])
    if _kept(logger, [output[0]]):
        return
    info = gc.build_structure(campaign, wildcards.glass, int(wildcards.replica), output[0])
    logger.info("glass %s replica %s: %s", wildcards.glass, wildcards.replica, info)


def simulate(campaign: Campaign, wildcards: Any, input: Any, output: Any, resources: Any, log: Any) -> None:
    """One melt-quench MD run (candidate x glass x replica) and its properties.json."""
    from glassfit import md, validation

    logger = logs.setup(log[0])
    done = Path(output[0])
    stage = layout.run_of(done)[0]
    if done.is_file() and verify.damaged_run(done, stage) is None:
        if stage != "validation" or validation.run_is_current(campaign, done, wildcards.candidate):
            logger.info(KEPT, done)
            return
        aside = verify.set_aside(done.parent)  # a validation of a set that changed (best): the earlier run is kept aside
        logger.info("the validated set %s changed since %s ran: that run is kept as %s", wildcards.candidate, done, aside)
    row = pd.read_csv(input.candidates).set_index("candidate").loc[wildcards.candidate]
    spec = gc.run_spec(
        campaign, {"candidate": wildcards.candidate, **row.to_dict()}, wildcards.glass, int(wildcards.replica), input.structure,
        done.parent, ranks=int(resources.tasks),
    )
    logger.info("run %s on %d MPI rank(s) in %s", spec.run_id, spec.ranks, spec.workdir)
    props = md.simulate(spec, gc.job_launcher(campaign, getattr(resources, "mpi", None)))  # resources.mpi: SLURM profile
    if props.get("n_resumes"):
        logger.info("run %s resumed %d time(s) from restart files at steps %s", spec.run_id, props["n_resumes"], props.get("resumed_from_steps"))
    if props["status"] == "ok":
        measured = ", ".join(f"{t.name} {props.get(f'{t.name}_mean')}" for t in campaign.targets)
        logger.info("run %s ok: %s, %.1f s, %.2f ns/day", spec.run_id, measured, props["wall_time_s"], props["ns_per_day"])
    else:
        logger.warning("run %s FAILED: %s", spec.run_id, props["reason"])


def evaluations(campaign: Campaign, wildcards: Any, input: Any, output: Any, log: Any) -> None:
    """An iteration's runs gathered into runs.csv and evaluations.csv (replica mean, std, n; failures listed)."""
    logger = logs.setup(log[0])
    if _kept(logger, [output.runs, output.evaluations]):
        return
    runs = gc.run_table(input.runs, campaign)
    table = gc.evaluations(runs, pd.read_csv(input.candidates), campaign, int(wildcards.iteration))
    for path, content in ((output.runs, runs), (output.evaluations, table)):
        if not _kept(logger, [path]):
            write_csv(path, content)
    logger.info("%d runs (%d failed)\n%s", len(runs), int((runs["status"] != "ok").sum()), gc.format_comparison(table, campaign))


def dataset(input: Any, output: Any, log: Any) -> None:
    """iter-NN/dataset.csv: the previous dataset plus this iteration's evaluations (written once)."""
    logger = logs.setup(log[0])
    if _kept(logger, [output[0]]):
        return
    previous = pd.read_csv(input.previous) if "previous" in input.keys() else None
    table = gc.dataset(pd.read_csv(input.evaluations), previous)
    write_csv(output[0], table)
    logger.info("dataset: %d rows, %d candidates", len(table), table["candidate"].nunique())


def propose(campaign: Campaign, wildcards: Any, input: Any, output: Any, log: Any) -> None:
    """Checkpoint: rank dataset NN-1's sets and propose iteration NN's candidates, or none when a stop rule fires."""
    from glassfit import proposal

    logger = logs.setup(log[0])
    if _kept(logger, output):
        return
    iteration = int(wildcards.iteration)
    proposal.refuse_over_started_md(campaign.results, iteration)
    result = proposal.make(pd.read_csv(input.dataset), campaign, iteration, gc.job_seed(campaign, iteration, "propose"))
    proposal.write(result, dict(output.items()))
    info, best = result.info, result.info["recommendation"]
    logger.info("recommended so far: %s, posterior-mean objective %.4g (observed %.4g); %s engine, %.1f s",
                best["candidate"], best["predicted_objective"], best["observed_objective"], info["engine"], info["seconds"])
    if info["stop_reason"]:
        logger.info("iteration %02d: no candidates, the campaign stops: %s", iteration, info["stop_reason"])
    else:
        logger.info("iteration %02d: %d candidates\n%s", iteration, len(result.candidates), result.candidates.to_string(index=False))
