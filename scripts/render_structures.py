"""Pictures (OVITO, software renderer) of the final structure of one validated set on each glass, and their montage."""
from glassfit import logs
from glassfit.analysis import render

log = logs.setup(snakemake.log[0])
glasses = list(snakemake.params.glasses)
pictures = dict(zip(glasses, snakemake.output.pictures))
for glass, properties, picture in zip(glasses, snakemake.input, snakemake.output.pictures):
    if not render.render_run(properties, picture, snakemake.params.b4_cutoff_A):
        log.warning("%s: the MD run failed; its picture says so", properties)
render.montage(pictures, snakemake.output.montage, title=snakemake.wildcards.label)
log.info("%s: pictures of %s and montage %s", snakemake.wildcards.label, ", ".join(glasses), snakemake.output.montage)
