# Paths, the resolved campaign and input functions shared by all rule files.
import os
import sys

import pandas as pd

from glassfit import campaign as gc
from glassfit.config import ConfigError, resolve

CONFIG_SOURCE = ", ".join(
    os.path.relpath(f) if os.path.abspath(f).startswith(os.getcwd()) else str(f)
    for f in (workflow.overwrite_configfiles or workflow.configfiles)
) or "config"
try:
    CAMPAIGN = resolve(config, CONFIG_SOURCE)
except ConfigError as error:
    sys.exit(f"glassfit: {error}")

RESULTS = CAMPAIGN["results"]
GLASSES = [g["id"] for g in CAMPAIGN["glasses"]]
REPLICAS = list(range(CAMPAIGN["system"]["replicas"]))
# Iteration 0 is known before anything runs, so a dry run shows all of its MD jobs.
DESIGN = gc.initial_candidates(CAMPAIGN)


wildcard_constraints:
    iteration=r"\d\d",
    candidate=r"i\d\dc\d\d",
    glass="|".join(GLASSES),
    replica=r"\d+",


def run_dir(iteration, candidate, glass, replica):
    return f"{RESULTS}/iter-{iteration}/runs/{candidate}/{glass}/r{replica}"


def iteration_runs(wildcards):
    """properties.json of every run of an iteration (after the proposal checkpoint from iteration 1 on)."""
    if wildcards.iteration == "00":
        table = DESIGN
    else:
        table = pd.read_csv(checkpoints.propose.get(iteration=wildcards.iteration).output[0])
    return [
        f"{run_dir(wildcards.iteration, c, g, r)}/properties.json"
        for c in table["candidate"]
        for g in GLASSES
        for r in REPLICAS
    ]


def previous(iteration):
    return f"{int(iteration) - 1:02d}"


def dataset_inputs(wildcards):
    """An iteration's evaluations, and the dataset of the iteration before it."""
    inputs = {"evaluations": f"{RESULTS}/iter-{wildcards.iteration}/evaluations.csv"}
    if wildcards.iteration != "00":
        inputs["previous"] = f"{RESULTS}/iter-{previous(wildcards.iteration)}/dataset.csv"
    return inputs


def final_dataset(wildcards):
    """The dataset of the last iteration: the one after which the proposal checkpoint proposed nothing."""
    iteration = 1
    while True:
        proposal = checkpoints.propose.get(iteration=f"{iteration:02d}").output.candidates
        if pd.read_csv(proposal).empty:
            return f"{RESULTS}/iter-{iteration - 1:02d}/dataset.csv"
        iteration += 1


def final_targets():
    return [f"{RESULTS}/final/summary.md"]
