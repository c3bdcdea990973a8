# Stage "report": the final dataset and its ranking -> the reported set, LAMMPS potential file, figures, summary.


rule final:
    input:
        dataset=final_dataset,
        ranking=final_ranking,
    output:
        best=f"{RESULTS}/final/best.csv",
        potential=f"{RESULTS}/final/potential.lammps",
        convergence=f"{RESULTS}/final/convergence.png",
        properties=f"{RESULTS}/final/properties_vs_B2O3.png",
        summary=f"{RESULTS}/final/summary.md",
        **PARETO_OUTPUTS,
    log:
        f"{RESULTS}/logs/final.log",
    params:
        campaign=CAMPAIGN,
    localrule: True
    script:
        "../../scripts/final.py"
