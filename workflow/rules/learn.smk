# Stage "learn": dataset -> surrogate -> proposal of the next iteration (a checkpoint), until a stop rule fires.


rule dataset:
    input:
        unpack(dataset_inputs),
    output:
        f"{RESULTS}/iter-{{iteration}}/dataset.csv",
    log:
        f"{RESULTS}/logs/dataset/iter-{{iteration}}.log",
    localrule: True
    script:
        "../../scripts/dataset.py"


rule surrogate:
    input:
        f"{RESULTS}/iter-{{iteration}}/dataset.csv",
    output:
        model=f"{RESULTS}/iter-{{iteration}}/surrogate/surrogate.pt",
        meta=f"{RESULTS}/iter-{{iteration}}/surrogate/surrogate.json",
        metrics=f"{RESULTS}/iter-{{iteration}}/surrogate/metrics.json",
    log:
        f"{RESULTS}/logs/surrogate/iter-{{iteration}}.log",
    params:
        campaign=CAMPAIGN,
    script:
        "../../scripts/surrogate.py"


checkpoint propose:
    input:
        dataset=lambda w: f"{RESULTS}/iter-{previous(w.iteration)}/dataset.csv",
        model=lambda w: f"{RESULTS}/iter-{previous(w.iteration)}/surrogate/surrogate.pt",
    output:
        candidates=f"{RESULTS}/iter-{{iteration}}/candidates.csv",
        proposal=f"{RESULTS}/iter-{{iteration}}/proposal.json",
    log:
        f"{RESULTS}/logs/propose/iter-{{iteration}}.log",
    params:
        campaign=CAMPAIGN,
    wildcard_constraints:
        iteration=r"0[1-9]|[1-9]\d",
    script:
        "../../scripts/propose.py"
