# Stage "simulate": candidates -> initial structures -> LAMMPS melt-quench runs -> gathered evaluations.


rule design:
    output:
        candidates=f"{RESULTS}/iter-00/candidates.csv",
        campaign=f"{RESULTS}/campaign.json",
    log:
        f"{RESULTS}/logs/design.log",
    params:
        campaign=CAMPAIGN,
    localrule: True
    script:
        "../../scripts/design.py"


rule structure:
    output:
        f"{RESULTS}/structures/{{glass}}/r{{replica}}.data",
    log:
        f"{RESULTS}/logs/structure/{{glass}}-r{{replica}}.log",
    params:
        campaign=CAMPAIGN,
    script:
        "../../scripts/structure.py"


# Finished MD is never redone: a run depends on its candidates and structure only until its properties.json exists, and
# then on nothing (md_inputs), so neither fresh file times (a copied campaign) nor a table rebuilt upstream redo it.
rule simulate:
    input:
        unpack(md_inputs("iteration")),
    output:
        f"{RESULTS}/iter-{{iteration}}/runs/{{candidate}}/{{glass}}/r{{replica}}/properties.json",
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
    script:
        "../../scripts/simulate.py"


rule evaluations:
    input:
        candidates=f"{RESULTS}/iter-{{iteration}}/candidates.csv",
        runs=iteration_runs,
    output:
        evaluations=f"{RESULTS}/iter-{{iteration}}/evaluations.csv",
        runs=f"{RESULTS}/iter-{{iteration}}/runs.csv",
    log:
        f"{RESULTS}/logs/evaluations/iter-{{iteration}}.log",
    params:
        campaign=CAMPAIGN,
    localrule: True
    script:
        "../../scripts/evaluations.py"
