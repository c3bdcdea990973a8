"""Tabulate the validation's structural scalars per set x glass next to experiment, and draw their trends with B2O3."""
from glassfit import logs, validation
from glassfit.files import write_csv

log = logs.setup(snakemake.log[0])
table = validation.structure_table(list(snakemake.input), snakemake.params.validation)
write_csv(snakemake.output.table, table)
validation.write_b2o3_figures(table, {k: v for k, v in snakemake.output.items() if k != "table"})
log.info("%d set x glass pairs in %s\n%s", len(table), snakemake.output.table, table.to_string(index=False, max_cols=12))
