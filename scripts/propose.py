"""Checkpoint: rank dataset NN-1's sets and propose iteration NN's candidates, or none when a stop rule fires."""
import pandas as pd

from glassfit import campaign as gc, layout, logs, proposal

log = logs.setup(snakemake.log[0])
campaign = snakemake.params.campaign
iteration = int(snakemake.wildcards.iteration)
proposal.refuse_over_started_md(campaign.results, iteration)
# a made proposal declares no input (common.smk: proposal_inputs); Snakemake still reruns it when its job was killed
# before it could record it as complete (rerun-incomplete): then it reads the usual dataset
dataset = snakemake.input.get("dataset", layout.iteration_file(campaign.results, iteration - 1, layout.DATASET))
result = proposal.make(pd.read_csv(dataset), campaign, iteration, gc.job_seed(campaign, iteration, "propose"))
proposal.write(result, dict(snakemake.output.items()))
info, best = result.info, result.info["recommendation"]
log.info("recommended so far: %s, posterior-mean objective %.4g (observed %.4g); %s engine, %.1f s",
         best["candidate"], best["predicted_objective"], best["observed_objective"], info["engine"], info["seconds"])
if info["stop_reason"]:
    log.info("iteration %02d: no candidates, the campaign stops: %s", iteration, info["stop_reason"])
else:
    log.info("iteration %02d: %d candidates\n%s", iteration, len(result.candidates), result.candidates.to_string(index=False))
