# Stage "analyse": structural analysis of MD runs, replica averages, and the final validation: the best and
# the start parameter sets re-run on every validation glass (fresh structures and seeds), analysed and plotted.
# Logic lives in glassfit.analysis.workflow; paths in its module docstring.


# The validation's MD: rules structure and simulate with the validation campaign (every validation glass,
# its own seeds) and the validated sets (candidate = best | start) instead of an iteration's candidates.
use rule structure as validate_structure with:
    output:
        f"{RESULTS}/validation/structures/{{glass}}/r{{replica}}.data",
    log:
        f"{RESULTS}/logs/validation/structure/{{glass}}-r{{replica}}.log",
    params:
        campaign=VALIDATION,


rule validation_candidates:
    input:
        f"{RESULTS}/final/best.csv",
    output:
        f"{RESULTS}/validation/candidates.csv",
    log:
        f"{RESULTS}/logs/validation/candidates.log",
    params:
        campaign=VALIDATION,
    localrule: True
    script:
        "../../scripts/validation_candidates.py"


use rule simulate as validate_simulate with:
    input:
        candidates=f"{RESULTS}/validation/candidates.csv",
        structure=f"{RESULTS}/validation/structures/{{glass}}/r{{replica}}.data",
    output:
        f"{RESULTS}/validation/runs/{{candidate}}/{{glass}}/r{{replica}}/properties.json",
    log:
        f"{RESULTS}/logs/validation/simulate/{{candidate}}-{{glass}}-r{{replica}}.log",
    params:
        campaign=VALIDATION,
    wildcard_constraints:
        candidate=VALIDATION_LABELS,


# One run -> one file per analysis in <run dir>/analysis/ (a NOT_ANALYSED.txt marker if the run failed).
# The run's trajectory.dump is read next to properties.json: rule simulate does not declare it, because a
# failed run may have none.
rule analyse_run:
    input:
        f"{RESULTS}/{{stage}}/runs/{{candidate}}/{{glass}}/r{{replica}}/properties.json",
    output:
        directory(f"{RESULTS}/{{stage}}/runs/{{candidate}}/{{glass}}/r{{replica}}/analysis"),
    log:
        f"{RESULTS}/logs/analyse/{{stage}}/{{candidate}}-{{glass}}-r{{replica}}.log",
    params:
        settings=lambda w: analysis_settings(w.stage, w.glass),
    wildcard_constraints:
        stage=ANALYSED_STAGES,
        candidate=ANALYSED_CANDIDATES,
    script:
        "../../scripts/analyse_run.py"


rule analyse_gather:
    input:
        replica_analyses,
    output:
        directory(f"{RESULTS}/{{stage}}/structure/{{candidate}}/{{glass}}"),
    log:
        f"{RESULTS}/logs/analyse_gather/{{stage}}/{{candidate}}-{{glass}}.log",
    wildcard_constraints:
        stage=ANALYSED_STAGES,
        candidate=ANALYSED_CANDIDATES,
    localrule: True
    script:
        "../../scripts/analyse_gather.py"


rule analyse_iterations:
    input:
        iteration_structures,
    output:
        f"{RESULTS}/final/structure/iterations.csv",
    log:
        f"{RESULTS}/logs/analyse_iterations.log",
    localrule: True
    script:
        "../../scripts/analyse_iterations.py"


rule validation_figures:
    input:
        validation_structures,
    output:
        **{name: f"{RESULTS}/final/structure/{{label}}/{name}.png" for name in VALIDATION_FIGURES},
    log:
        f"{RESULTS}/logs/validation/figures-{{label}}.log",
    params:
        campaign=VALIDATION,
    wildcard_constraints:
        label=VALIDATION_LABELS,
    localrule: True
    script:
        "../../scripts/validation_figures.py"


rule validation_table:
    input:
        candidates=f"{RESULTS}/validation/candidates.csv",
        structures=[f"{RESULTS}/validation/structure/{label}/{glass}" for label in aw.LABELS for glass in VALIDATION_GLASSES],
    output:
        f"{RESULTS}/final/structure/validation.csv",
    log:
        f"{RESULTS}/logs/validation/table.log",
    params:
        campaign=VALIDATION,
    localrule: True
    script:
        "../../scripts/validation_table.py"
