"""Write validation/candidates.csv: the sets of analysis.validation_sets (best = first row of final/best.csv)."""
import pandas as pd

from glassfit import logs, validation
from glassfit.files import write_csv

log = logs.setup(snakemake.log[0])
best = pd.read_csv(snakemake.input[0]) if len(snakemake.input) else None
table = validation.candidates(snakemake.params.campaign, best)
write_csv(snakemake.output[0], table)
log.info("validated sets\n%s", table.to_string(index=False))
