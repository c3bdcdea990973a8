"""Write iter-NN/dataset.csv: the previous dataset plus this iteration's evaluations (never edited later)."""
import pandas as pd

from glassfit import campaign as gc, logs
from glassfit.files import write_csv

log = logs.setup(snakemake.log[0])
previous = pd.read_csv(snakemake.input.previous) if "previous" in snakemake.input.keys() else None
table = gc.dataset(pd.read_csv(snakemake.input.evaluations), previous)
write_csv(snakemake.output[0], table)
log.info("dataset: %d rows, %d candidates", len(table), table["candidate"].nunique())
