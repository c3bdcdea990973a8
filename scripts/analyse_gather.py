"""Average the analyses of one candidate x glass over its replicas (mean ± std) into <stage>/structure/<candidate>/<glass>/."""
from glassfit import logs
from glassfit.analysis import workflow

log = logs.setup(snakemake.log[0])
summary = workflow.gather_replicas(list(snakemake.input), snakemake.output[0])
if summary:
    log.info("%d of %d replicas analysed; averages in %s", len(summary["runs"]), summary["n_runs"], snakemake.output[0])
else:
    log.warning("no replica of %s was analysed (every run failed)", snakemake.output[0])
