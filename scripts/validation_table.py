"""Tabulate the validation: replica-averaged scalars per validated set x glass, next to the experiment."""
import pandas as pd

from glassfit import logs
from glassfit.analysis import workflow
from glassfit.files import write_csv

log = logs.setup(snakemake.log[0])
table = workflow.validation_table(list(snakemake.input.structures), pd.read_csv(snakemake.input.candidates), snakemake.params.campaign)
write_csv(snakemake.output[0], table)
log.info("validation of %d set x glass pairs in %s\n%s", len(table), snakemake.output[0], table.to_string(index=False, max_cols=12))
