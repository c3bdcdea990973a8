"""Build the random initial structure of one glass and replica."""
from glassfit import campaign as gc, logs

log = logs.setup(snakemake.log[0])
w = snakemake.wildcards
info = gc.build_structure(snakemake.params.campaign, w.glass, int(w.replica), snakemake.output[0])
log.info("glass %s replica %s: %s", w.glass, w.replica, info)
