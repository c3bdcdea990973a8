"""Write the campaign's final products from the last dataset, its ranking and every iteration's proposal files."""
from pathlib import Path

from glassfit import logs, report

log = logs.setup(snakemake.log[0])
i = snakemake.input
inputs = report.FinalInputs(Path(i.dataset), Path(i.ranking), Path(i.proposal), Path(i.design), tuple(map(Path, i.rankings)), tuple(map(Path, i.predictions)))
best = report.write_final(inputs, snakemake.params.campaign, dict(snakemake.output.items()))
log.info("reported set %s, posterior-mean objective %.4g (observed %.4g); products in %s",
         best.candidate, best.predicted_objective, best.observed_objective, snakemake.output.summary)
