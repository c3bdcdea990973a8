"""Checkpoint: propose iteration NN's candidates from the dataset and surrogate of NN-1, or none when a stop rule fires."""
from pathlib import Path

import pandas as pd

from glassfit import campaign as gc, learn, logs
from glassfit.files import write_csv, write_json

log = logs.setup(snakemake.log[0])
campaign = snakemake.params.campaign
iteration = int(snakemake.wildcards.iteration)
dataset = pd.read_csv(snakemake.input.dataset)
reason = learn.stop_reason(dataset, iteration, campaign)
k = 0 if reason else learn.affordable_candidates(dataset, campaign)
surrogate = learn.Surrogate.load(Path(snakemake.input.model).parent)
table = learn.propose(dataset, campaign, k, gc.job_seed(campaign, iteration, "propose"), surrogate=surrogate)
if table.empty and not reason:
    reason = "the proposer found no new candidate at the minimum distance from evaluated ones (learn.proposer.min_distance)"
table.insert(0, "kind", "proposed")
candidates = gc.number_candidates(table, iteration)
write_csv(snakemake.output.candidates, candidates)
write_json(snakemake.output.proposal, {"iteration": iteration, "stop_reason": reason, "requested": k, "proposed": len(candidates)})
if reason:
    log.info("iteration %02d: no candidates, the campaign stops: %s", iteration, reason)
else:
    log.info("iteration %02d: %d candidates\n%s", iteration, len(candidates), candidates.to_string(index=False))
