"""Train the surrogate ensemble on iter-NN/dataset.csv; write the model and its validation metrics."""
from pathlib import Path

import pandas as pd

from glassfit import campaign as gc, learn, logs
from glassfit.files import write_json

log = logs.setup(snakemake.log[0])
campaign = snakemake.params.campaign
iteration = int(snakemake.wildcards.iteration)
surrogate, metrics = learn.train(pd.read_csv(snakemake.input[0]), campaign, gc.job_seed(campaign, iteration, "surrogate"))
surrogate.save(Path(snakemake.output.model).parent)
write_json(snakemake.output.metrics, {"iteration": iteration, **metrics})
log.info("surrogate of iteration %02d: %s", iteration, metrics)
