"""Write the campaign's final products from the last dataset and its ranking."""
from glassfit import logs, report

log = logs.setup(snakemake.log[0])
best = report.write_final(snakemake.input.dataset, snakemake.input.ranking, snakemake.params.campaign, dict(snakemake.output.items()))
log.info("reported set %s, posterior-mean objective %.4g (observed %.4g); products in %s",
         best.candidate, best.predicted_objective, best.observed_objective, snakemake.output.summary)
