"""Write the campaign's final products from the last dataset."""
from glassfit import logs, report

log = logs.setup(snakemake.log[0])
ranking = report.write_final(snakemake.input.dataset, snakemake.params.campaign, dict(snakemake.output.items()))
log.info("best candidate %s, objective %.4g; products in %s", ranking.iloc[0]["candidate"], ranking.iloc[0]["objective"], snakemake.output.summary)
