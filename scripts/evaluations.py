"""Gather an iteration's runs into runs.csv and evaluations.csv (replica mean, std, n; failures listed)."""
import pandas as pd

from glassfit import campaign as gc, logs
from glassfit.files import write_csv

log = logs.setup(snakemake.log[0])
campaign = snakemake.params.campaign
runs = gc.run_table(snakemake.input.runs, campaign)
table = gc.evaluations(runs, pd.read_csv(snakemake.input.candidates), campaign, int(snakemake.wildcards.iteration))
write_csv(snakemake.output.runs, runs)
write_csv(snakemake.output.evaluations, table)
log.info("%d runs (%d failed)\n%s", len(runs), int((runs["status"] != "ok").sum()), gc.format_comparison(table, campaign))
