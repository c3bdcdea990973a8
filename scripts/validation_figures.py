"""Draw the final structure figures of one validated parameter set, one line or point per glass."""
from glassfit import logs
from glassfit.analysis import workflow

log = logs.setup(snakemake.log[0])
workflow.write_figures(list(snakemake.input), snakemake.params.campaign, dict(snakemake.output.items()))
log.info("set %s: %s", snakemake.wildcards.label, ", ".join(snakemake.output))
