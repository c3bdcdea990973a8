"""Run one melt-quench MD run (candidate x glass x replica) and write its properties.json."""
from pathlib import Path

import pandas as pd

from glassfit import campaign as gc, logs, md

log = logs.setup(snakemake.log[0])
w = snakemake.wildcards
campaign = snakemake.params.campaign
row = pd.read_csv(snakemake.input.candidates).set_index("candidate").loc[w.candidate]
spec = gc.run_spec(
    campaign, {"candidate": w.candidate, **row.to_dict()}, w.glass, int(w.replica), snakemake.input.structure,
    Path(snakemake.output[0]).parent, ranks=int(snakemake.resources.tasks),
)
log.info("run %s on %d MPI rank(s) in %s", spec.run_id, spec.ranks, spec.workdir)
props = md.simulate(spec, gc.job_launcher(campaign, getattr(snakemake.resources, "mpi", None)))  # resources.mpi: SLURM profile
if props.get("n_resumes"):
    log.info("run %s resumed %d time(s) from restart files at steps %s", spec.run_id, props["n_resumes"], props.get("resumed_from_steps"))
if props["status"] == "ok":
    measured = ", ".join(f"{t.name} {props.get(f'{t.name}_mean')}" for t in campaign.targets)
    log.info("run %s ok: %s, %.1f s, %.2f ns/day", spec.run_id, measured, props["wall_time_s"], props["ns_per_day"])
else:
    log.warning("run %s FAILED: %s", spec.run_id, props["reason"])
