"""Write iter-00/candidates.csv (the initial design computed when the workflow was parsed) and campaign.json."""
from glassfit import logs
from glassfit.files import write_csv, write_json

log = logs.setup(snakemake.log[0])
write_json(snakemake.output.campaign, snakemake.params.campaign)
write_csv(snakemake.output.candidates, snakemake.params.table)
log.info("iteration 00: %d candidates\n%s", len(snakemake.params.table), snakemake.params.table.to_string(index=False))
