"""Analyse one MD run into <run dir>/analysis/ (one file per analysis), or mark it not analysed when the run failed."""
from glassfit import logs
from glassfit.analysis import workflow

log = logs.setup(snakemake.log[0])
settings = snakemake.params.settings
summary = workflow.analyse_run(snakemake.input[0], settings, snakemake.output[0])
if summary.get("status") == "not analysed":
    log.warning("%s: not analysed, the MD run failed: %s", snakemake.input[0], summary["reason"])
else:
    log.info("%s: %s analysed (%d frames) in %s", snakemake.input[0], ", ".join(settings["analyses"]) or "nothing", summary["n_frames"] or 0, snakemake.output[0])
