# Paths, the resolved campaign and input functions shared by all rule files.
import os
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from glassfit import campaign as gc, jobs, layout, sigterm, validation as gv, verify
from glassfit.analysis import workflow as aw
from glassfit.config import ConfigError, resolve, resource_warnings
from glassfit.potential import needs_table

CONFIG_SOURCE = ", ".join(
    os.path.relpath(f) if os.path.abspath(f).startswith(os.getcwd()) else str(f)
    for f in (workflow.overwrite_configfiles or workflow.configfiles)
) or "config"
try:
    CAMPAIGN = resolve(config, CONFIG_SOURCE)
except ConfigError as error:
    sys.exit(f"glassfit: {error}")

RESULTS = CAMPAIGN.results

# A record (a finished MD run, an iteration's proposal files, its gathered tables) is made once, whatever the command line
# or a site profile says: its rule declares the same inputs whatever is on disk, ancient() (no file time redoes it), no
# params Snakemake can compare (the campaign is not a plain value), and a run: block (no script file whose time counts);
# its outputs are protected() and update() (Snakemake never deletes them first), and the job keeps a record it finds
# (glassfit.jobs). Redoing one is `glassfit redo`.
# SIGTERM (SLURM's time limit, `kill`) finishes the running jobs and exits, as Snakemake means it to, instead of
# hanging when it arrives while Snakemake books a finished job (glassfit.sigterm).
if not sigterm.install() and workflow.is_main_process:
    print("glassfit: this Snakemake's SIGTERM handler is not the one glassfit.sigterm knows; left as it is", file=sys.stderr)

REPLICAS = list(range(CAMPAIGN.system.replicas))
# Iteration 0's candidates are known before anything runs, so a dry run shows all of its MD jobs (their
# parameter values are computed by rule design).
DESIGN = gc.initial_kinds(CAMPAIGN) if CAMPAIGN.fit else None


def before_dag(function):
    """An input function that first repairs the campaign folder (once per Snakemake process, in its main process).

    Snakemake says whether it executes for real only once it builds the DAG (while this file is parsed, workflow.dryrun is
    always False), and the first input function it asks comes before it looks at any file: a real run repairs here, a dry
    run (and --dag, --summary, --touch) only says what a real run would repair, and writes nothing.
    """

    def inputs(wildcards):
        if not REPAIRED:
            REPAIRED.append(repair_folder())
        return function(wildcards)

    return inputs


REPAIRED = []


def repair_folder() -> bool:
    """Make (a real run) or name (any other) the repairs of PROBLEMS, and keep the sound records of jobs that an
    interruption stopped before Snakemake booked them; whether anything was done."""
    if not workflow.is_main_process:
        return False
    real = workflow.executor_plugin is not None and not workflow.dryrun and not workflow.touch
    work = [p for p in PROBLEMS if not p.blocking and not p.warning]
    booked = unbooked_records()
    if not work and not booked:
        return False
    locks = Path(workflow.persistence.path) / "locks"
    if real and locks.is_dir() and any(locks.iterdir()):
        print(f"glassfit: {locks} holds a lock (another Snakemake, or a stale lock: snakemake --unlock): nothing repaired", file=sys.stderr)
        return False
    for line in verify.repair(CAMPAIGN, work) if real else verify.planned_repairs(work):
        print(f"glassfit: {line}", file=sys.stderr)
    for key in booked:
        # A record is written under a temporary name and renamed: one that exists is complete. Snakemake marks it
        # incomplete when the job was interrupted after writing it; --rerun-incomplete would then force that one job
        # and, its output existing, reach none of the jobs after it through their ancient() inputs in this run.
        if real:
            workflow.persistence._unmark_incomplete(key)
        print(f"glassfit: {key}: {'kept' if real else 'a real run keeps it'} (finished before an interruption; Snakemake had marked it incomplete)", file=sys.stderr)
    return real


def unbooked_records() -> list[str]:
    """The sound records Snakemake has marked incomplete (persistence keys: their paths as the rules name them)."""
    persistence = getattr(workflow, "_persistence", None)
    if persistence is None:
        return []
    keys = {str(f): f for f in verify.record_files(RESULTS)}
    return sorted(k for k in persistence._filter_incomplete_keys(keys) if verify.sound(keys[k]))


wildcard_constraints:
    iteration=r"\d\d",
    candidate=r"i\d\dc\d\d",
    glass="|".join(map(re.escape, gv.simulated_glasses(CAMPAIGN))),  # fitted and validation glasses
    replica=r"\d+",


def run_dir(iteration, candidate, glass, replica):
    return str(layout.run_dir(RESULTS, layout.iteration_name(iteration), candidate, glass, replica))


def iteration_file(iteration, name):
    """A file of an iteration's folder (glassfit.layout: candidates.csv, dataset.csv, ranking.csv ...)."""
    return str(layout.iteration_file(RESULTS, iteration, name))


@before_dag
def iteration_runs(wildcards):
    """properties.json of every run of an iteration (after the proposal checkpoint from iteration 1 on).

    Which glasses each candidate runs on is gc.candidate_glasses: the modelled fitted glasses; the inert ones
    only for iteration 0's start set; validation glasses never (only the final validation runs them).
    """
    if wildcards.iteration == "00":
        table = DESIGN
    else:
        table = pd.read_csv(checkpoints.propose.get(iteration=wildcards.iteration).output[0])
    return [
        f"{run_dir(wildcards.iteration, c, g, r)}/properties.json"
        for c, g, r in gc.iteration_runs(CAMPAIGN, table, int(wildcards.iteration), RESULTS)
    ]


def md_inputs(stage):
    """The inputs of one MD run of a stage (iter-NN or validation): the same files whatever is on disk, ancient() so that a
    file made again or looking newer (a copy, a redone table, a rebuilt structure) never redoes a finished run. A validation
    run of a set that changed (best, after an extended campaign) waits for the new candidates.csv (glassfit.jobs.simulate
    keeps the earlier run aside)."""

    @before_dag
    def inputs(wildcards):
        folder = f"iter-{wildcards.iteration}" if stage == "iteration" else "validation"
        candidates, structure = map(str, layout.stage_inputs(RESULTS, folder, wildcards.glass, wildcards.replica))
        done = layout.run_dir(RESULTS, folder, wildcards.candidate, wildcards.glass, wildcards.replica) / layout.PROPERTIES
        current = stage == "iteration" or not done.exists() or gv.run_is_current(CAMPAIGN, done, wildcards.candidate)
        return {"candidates": ancient(candidates) if current else candidates, "structure": ancient(structure)}

    return inputs


@before_dag
def proposal_inputs(wildcards):
    """The dataset a proposal is made from (and the warm-start tables): the same files whatever is on disk, ancient(), so a
    dataset rebuilt or copied never remakes the proposal (a lost or damaged dataset is rebuilt before the DAG is built)."""
    return {"dataset": ancient(iteration_file(previous(wildcards.iteration), layout.DATASET)),
            "prior": [ancient(entry.path) for entry in CAMPAIGN.learn.prior_data]}  # warm-start tables (learn.prior_data)


def previous(iteration):
    return f"{int(iteration) - 1:02d}"


@before_dag
def dataset_inputs(wildcards):
    """An iteration's evaluations, and the dataset of the iteration before it (ancient: a dataset is built once)."""
    inputs = {"evaluations": ancient(iteration_file(wildcards.iteration, layout.EVALUATIONS))}
    if wildcards.iteration != "00":
        inputs["previous"] = ancient(iteration_file(previous(wildcards.iteration), layout.DATASET))
    return inputs


def last_iteration(wildcards):
    """The last iteration: the one after which the proposal checkpoint proposed nothing."""
    iteration = 1
    while True:
        proposal = checkpoints.propose.get(iteration=f"{iteration:02d}").output.candidates
        if pd.read_csv(proposal).empty:
            return iteration - 1
        iteration += 1


def final_dataset(wildcards):
    """The dataset of the last iteration."""
    return iteration_file(last_iteration(wildcards), layout.DATASET)


@before_dag
def final_inputs(wildcards):
    """Every file rule final reads: the last dataset, the ranking and proposal made from it (the empty one), the initial
    design, and every iteration's ranking and predictions (the convergence figure and the summary's history)."""
    last = last_iteration(wildcards)
    proposals = range(1, last + 2)
    return {
        "dataset": iteration_file(last, layout.DATASET),
        "ranking": iteration_file(last + 1, layout.RANKING),
        "proposal": iteration_file(last + 1, layout.PROPOSAL),
        "design": iteration_file(0, layout.CANDIDATES),
        "rankings": [iteration_file(i, layout.RANKING) for i in proposals],
        "predictions": [iteration_file(i, layout.PREDICTIONS) for i in proposals],
    }


# learn.mode pareto: the density/B4 trade-off of the evaluated sets, as a table and a figure.
PARETO_OUTPUTS = (
    {"pareto": report(f"{RESULTS}/final/pareto.csv", caption="../report/pareto.rst", category="properties", labels={"what": "Pareto front (table)"}),
     "pareto_plot": report(f"{RESULTS}/final/pareto.png", caption="../report/pareto.rst", category="properties", labels={"what": "Pareto front"})}
    if CAMPAIGN.learn.mode == "pareto" else {}
)


# A potential with a form LAMMPS has no native style for (SHIK) comes with a table file next to its include file.
# BoTorch campaigns: the sets within the noise of the optimum (glassfit.learn.ensemble) and their corner plot.
ENSEMBLE_OUTPUTS = (
    {"ensemble": report(f"{RESULTS}/final/ensemble.csv", caption="../report/ensemble.rst", category="convergence", labels={"what": "parameter ensemble (table)"}),
     "ensemble_plot": report(f"{RESULTS}/final/ensemble.png", caption="../report/ensemble.rst", category="convergence", labels={"what": "parameter ensemble"})}
    if CAMPAIGN.learn.proposer.kind == "botorch" else {}
)


TABLE_OUTPUTS = (
    {"potential_table": report(f"{RESULTS}/final/potential.table", caption="../report/potential.rst", category="properties", labels={"what": "LAMMPS pair table"})}
    if needs_table(CAMPAIGN.potential) else {}
)


def final_targets():
    """The campaign's products: the fit's final/ (unless validation-only), the validation's, the iterations' analyses."""
    fit = [f"{RESULTS}/final/summary.md"] if CAMPAIGN.fit else []
    iterations = [f"{RESULTS}/final/structure/iterations.csv"] if CAMPAIGN.fit and CAMPAIGN.analysis.iteration_analyses else []
    return [*fit, *gv.final_targets(CAMPAIGN, RESULTS), *iterations]


# The final validation (workflow/rules/validate.smk): the validated sets on every validation glass.
try:
    VALIDATION = gv.validation_campaign(CAMPAIGN, CONFIG_SOURCE)
except ConfigError as error:
    sys.exit(f"glassfit: {error}")
VALIDATION_GLASSES = [g.id for g in VALIDATION.glasses] if VALIDATION else []
VALIDATION_SETS = gv.labels(CAMPAIGN) if VALIDATION else []
VALIDATION_LABELS = "|".join(map(re.escape, VALIDATION_SETS)) or "(?!)"
ANALYSED_STAGES = r"iter-\d\d|validation"
ANALYSED_CANDIDATES = rf"i\d\dc\d\d|{VALIDATION_LABELS}"


def analysis_settings(stage, glass):
    """run_suite settings of one run of a stage (iter-NN or validation) on one glass."""
    return aw.run_settings(CAMPAIGN, glass, aw.stage_analyses(CAMPAIGN, stage))


def structure_dir(stage, candidate, glass):
    return f"{RESULTS}/{stage}/structure/{candidate}/{glass}"


@before_dag
def replica_analyses(wildcards):
    """The analysis folders of every replica of one candidate x glass that the stage ran (an iteration's plan: learn.cost)."""
    replicas = REPLICAS
    if wildcards.stage.startswith("iter-"):
        runs = iteration_runs(SimpleNamespace(iteration=wildcards.stage[len("iter-"):]))
        replicas = [int(f.split("/")[-2][1:]) for f in runs if f.split("/")[-4:-2] == [wildcards.candidate, wildcards.glass]]
    return [f"{RESULTS}/{wildcards.stage}/runs/{wildcards.candidate}/{wildcards.glass}/r{r}/analysis" for r in replicas]


@before_dag
def validation_runs(wildcards):
    """properties.json of every validation run: every set x validation glass x replica."""
    return [f"{RESULTS}/validation/runs/{s}/{g}/r{r}/properties.json" for s in VALIDATION_SETS for g in VALIDATION_GLASSES for r in REPLICAS]


@before_dag
def validation_best(wildcards):
    """final/best.csv when the validation includes the campaign's reported set."""
    return [f"{RESULTS}/final/best.csv"] if "best" in VALIDATION_SETS else []


@before_dag
def iteration_structures(wildcards):
    """Replica averages of every candidate x glass of every iteration up to the final dataset's."""
    last = last_iteration(wildcards)
    dirs = []
    for it in range(last + 1):
        for properties in iteration_runs(SimpleNamespace(iteration=f"{it:02d}")):
            candidate, glass = properties.split("/")[-4:-2]
            dirs.append(structure_dir(f"iter-{it:02d}", candidate, glass))
    return list(dict.fromkeys(dirs))


# The campaign folder checked against itself and the config before anything runs (glassfit.verify, the same check as
# `glassfit verify`): a problem that needs a person (a changed physics key, a lost candidates.csv) stops the workflow
# with one line each. Repairs (a damaged run moved aside so that exactly it is redone, a damaged or lost table rebuilt
# from the runs) wait for before_dag: only a real run makes them, before Snakemake looks at any file; a dry run names them.
PROBLEMS = []
if workflow.is_main_process:
    for warning in resource_warnings(CAMPAIGN):
        print(f"glassfit: {CONFIG_SOURCE}: {warning}", file=sys.stderr)
    PROBLEMS = verify.check(CAMPAIGN)
    for problem in PROBLEMS:
        print(f"glassfit: {problem}", file=sys.stderr)
    if any(p.blocking for p in PROBLEMS):
        sys.exit(f"glassfit: {sum(p.blocking for p in PROBLEMS)} problem(s) above stop the workflow before it changes anything in {RESULTS}")


@before_dag
def every_run(wildcards):
    """properties.json of every run of every iteration up to the last: a lost run is redone even when the products exist.

    Only the main Snakemake process asks: a cluster job (which parses this file too) never needs the final target.
    """
    if not workflow.is_main_process:
        return []
    runs = []
    for it in range(last_iteration(wildcards) + 1):
        runs += iteration_runs(SimpleNamespace(iteration=f"{it:02d}"))
    return runs
