"""Write iter-00/candidates.csv: the initial design computed when the workflow was parsed."""
from glassfit import logs
from glassfit.files import write_csv

log = logs.setup(snakemake.log[0])
write_csv(snakemake.output[0], snakemake.params.table)
log.info("iteration 00: %d candidates\n%s", len(snakemake.params.table), snakemake.params.table.to_string(index=False))
