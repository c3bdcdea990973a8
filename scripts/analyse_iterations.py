"""Tabulate the replica-averaged analyses of every iteration x candidate x glass."""
from glassfit import logs
from glassfit.analysis import workflow
from glassfit.files import write_csv

log = logs.setup(snakemake.log[0])
table = workflow.iteration_table(list(snakemake.input))
write_csv(snakemake.output[0], table)
log.info("%d candidate x glass rows over %d iterations in %s", len(table), table["iteration"].nunique(), snakemake.output[0])
