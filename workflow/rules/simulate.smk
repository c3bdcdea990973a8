# Stage "simulate": candidates -> initial structures -> LAMMPS melt-quench runs -> gathered evaluations.


# Records (common.smk): outputs protected() and update(), run: blocks calling glassfit.jobs.
rule design:
    output:
        candidates=protected(update(f"{RESULTS}/iter-00/candidates.csv")),
        campaign=protected(update(f"{RESULTS}/campaign.json")),
    log:
        f"{RESULTS}/logs/design.log",
    localrule: True
    run:
        jobs.design(CAMPAIGN, output, log)


rule structure:
    output:
        update(f"{RESULTS}/structures/{{glass}}/r{{replica}}.data"),
    log:
        f"{RESULTS}/logs/structure/{{glass}}-r{{replica}}.log",
    params:
        campaign=CAMPAIGN,
    run:
        jobs.structure(params.campaign, wildcards, output, log)


# Finished MD is never redone: a run's inputs are ancient (md_inputs), so neither fresh file times (a copied campaign) nor
# a table rebuilt upstream redo it; a job started over a finished run keeps it (glassfit.jobs.simulate).
rule simulate:
    input:
        unpack(md_inputs("iteration")),
    output:
        protected(update(f"{RESULTS}/iter-{{iteration}}/runs/{{candidate}}/{{glass}}/r{{replica}}/properties.json")),
    log:
        f"{RESULTS}/logs/simulate/iter-{{iteration}}/{{candidate}}-{{glass}}-r{{replica}}.log",
    params:
        campaign=CAMPAIGN,
    resources:
        tasks=1,  # MPI ranks of LAMMPS; profiles set it (set-resources)
        # wall-time limit (minutes) for cluster jobs: fallback + protocol at md.throughput_ns_per_day_per_rank
        # x threads (profiles keep set-threads equal to tasks), x md.runtime_safety_factor, x attempt (a resubmitted
        # job gets longer)
        runtime=lambda wildcards, threads, attempt: gc.md_runtime_minutes(CAMPAIGN, threads, attempt),
    run:
        jobs.simulate(params.campaign, wildcards, input, output, resources, log)


rule evaluations:
    input:
        candidates=ancient(f"{RESULTS}/iter-{{iteration}}/candidates.csv"),
        runs=lambda wildcards: [ancient(f) for f in iteration_runs(wildcards)],
    output:
        evaluations=protected(update(f"{RESULTS}/iter-{{iteration}}/evaluations.csv")),
        runs=protected(update(f"{RESULTS}/iter-{{iteration}}/runs.csv")),
    log:
        f"{RESULTS}/logs/evaluations/iter-{{iteration}}.log",
    localrule: True
    run:
        jobs.evaluations(CAMPAIGN, wildcards, input, output, log)
