"""Write validation/candidates.csv: the best parameter set (first row of final/best.csv) and the start set."""
import pandas as pd

from glassfit import logs
from glassfit.analysis import workflow
from glassfit.files import write_csv

log = logs.setup(snakemake.log[0])
table = workflow.validation_candidates(pd.read_csv(snakemake.input[0]), snakemake.params.campaign)
write_csv(snakemake.output[0], table)
log.info("validated sets\n%s", table.to_string(index=False))
