# Stage "report": the final dataset and its ranking -> the reported set, LAMMPS potential file, figures, summary.


rule final:
    input:
        unpack(final_inputs),
    output:
        best=report(f"{RESULTS}/final/best.csv", caption="../report/best.rst", category="convergence", labels={"what": "ranking of every evaluated set"}),
        potential=report(f"{RESULTS}/final/potential.lammps", caption="../report/potential.rst", category="properties", labels={"what": "LAMMPS potential file"}),
        convergence=report(f"{RESULTS}/final/convergence.png", caption="../report/convergence.rst", category="convergence", labels={"what": "objective vs MD runs"}),
        properties=report(f"{RESULTS}/final/properties_vs_B2O3.png", caption="../report/properties_fit.rst", category="properties", labels={"what": "density and B4 vs B2O3"}),
        summary=report(f"{RESULTS}/final/summary.md", caption="../report/summary.rst", category="convergence", labels={"what": "campaign summary"}),
        **PARETO_OUTPUTS,
        **ENSEMBLE_OUTPUTS,
        **TABLE_OUTPUTS,
    log:
        f"{RESULTS}/logs/final.log",
    params:
        campaign=CAMPAIGN,
    localrule: True
    script:
        "../../scripts/final.py"
