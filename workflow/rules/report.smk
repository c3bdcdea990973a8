# Stage "report": the final dataset -> best parameter sets, LAMMPS potential file, figures, summary.


rule final:
    input:
        dataset=final_dataset,
    output:
        best=f"{RESULTS}/final/best.csv",
        potential=f"{RESULTS}/final/potential.lammps",
        convergence=f"{RESULTS}/final/convergence.png",
        properties=f"{RESULTS}/final/properties_vs_B2O3.png",
        summary=f"{RESULTS}/final/summary.md",
    log:
        f"{RESULTS}/logs/final.log",
    params:
        campaign=CAMPAIGN,
    localrule: True
    script:
        "../../scripts/final.py"
