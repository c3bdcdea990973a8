# Stage "learn": dataset -> surrogate fitted and the next iteration proposed (a checkpoint), until a stop rule fires.


rule dataset:
    input:
        unpack(dataset_inputs),
    output:
        protected(update(f"{RESULTS}/iter-{{iteration}}/dataset.csv")),
    log:
        f"{RESULTS}/logs/dataset/iter-{{iteration}}.log",
    localrule: True
    run:
        jobs.dataset(input, output, log)


# The surrogate (learn.proposer.kind: BoTorch GPs or the MLP ensemble) is fitted to dataset NN-1 inside the
# checkpoint, once: it ranks the evaluated sets (ranking.csv, the recommended one first) and proposes iteration
# NN's candidates with their predicted properties (predictions.csv, checked against the MD in the report).
# A proposal is made once: its dataset is ancient (proposal_inputs), so a rebuilt or newer dataset (a copied campaign)
# never remakes it; a job started over it keeps it, and one whose files were lost refuses to propose over started MD.
checkpoint propose:
    input:
        unpack(proposal_inputs),
    output:
        candidates=protected(update(f"{RESULTS}/iter-{{iteration}}/candidates.csv")),
        predictions=protected(update(f"{RESULTS}/iter-{{iteration}}/predictions.csv")),
        ranking=protected(update(f"{RESULTS}/iter-{{iteration}}/ranking.csv")),
        proposal=protected(update(f"{RESULTS}/iter-{{iteration}}/proposal.json")),
    log:
        f"{RESULTS}/logs/propose/iter-{{iteration}}.log",
    wildcard_constraints:
        iteration=r"0[1-9]|[1-9]\d",
    run:
        jobs.propose(CAMPAIGN, wildcards, input, output, log)
