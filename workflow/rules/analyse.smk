# Stage "analyse": structural analysis of MD runs (an iteration's and the validation's) and replica averages.
# Logic lives in glassfit.analysis.workflow; paths in its module docstring.


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
        report(f"{RESULTS}/final/structure/iterations.csv", caption="../report/iterations_table.rst", category="structure", labels={"glass": "all", "figure": "iterations table"}),
    log:
        f"{RESULTS}/logs/analyse_iterations.log",
    localrule: True
    script:
        "../../scripts/analyse_iterations.py"
