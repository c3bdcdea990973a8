"""Draw the structure figures of one validation glass, every validated set on one plot."""
from glassfit import logs, validation

log = logs.setup(snakemake.log[0])
validation.write_glass_figures(list(snakemake.input), snakemake.wildcards.glass, snakemake.params.campaign, dict(snakemake.output.items()))
log.info("glass %s: %s", snakemake.wildcards.glass, ", ".join(snakemake.output))
