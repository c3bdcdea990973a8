"""Write iter-00/candidates.csv (the initial design) and campaign.json."""
from glassfit import logs
from glassfit.campaign import initial_candidates
from glassfit.files import write_csv, write_json
from glassfit.model import to_dict

log = logs.setup(snakemake.log[0])
campaign = snakemake.params.campaign
table = initial_candidates(campaign)
write_json(snakemake.output.campaign, to_dict(campaign))
write_csv(snakemake.output.candidates, table)
log.info("iteration 00: %d candidates\n%s", len(table), table.to_string(index=False))
