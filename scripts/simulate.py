"""Run one melt-quench MD run (candidate x glass x replica) and write its properties.json."""
from pathlib import Path

import pandas as pd

from glassfit import campaign as gc, layout, logs, md

log = logs.setup(snakemake.log[0])
w = snakemake.wildcards
campaign = snakemake.params.campaign
# A finished run declares no input (common.smk: md_inputs); Snakemake still reruns it when its job was killed before it
# could record the run as complete (rerun-incomplete): then the run reads its usual files.
stage = layout.run_of(snakemake.output[0])[0]
candidates, structure = layout.stage_inputs(campaign.results, stage, w.glass, w.replica)
candidates, structure = snakemake.input.get("candidates", candidates), snakemake.input.get("structure", structure)
row = pd.read_csv(candidates).set_index("candidate").loc[w.candidate]
spec = gc.run_spec(
    campaign, {"candidate": w.candidate, **row.to_dict()}, w.glass, int(w.replica), structure,
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
