"""Gather the validation runs: density and B4 per set x glass against experiment (table, Markdown, figures)."""
from glassfit import campaign as gc, logs, validation
from glassfit.files import write_csv, write_text

log = logs.setup(snakemake.log[0])
runs = gc.run_table(list(snakemake.input.runs), snakemake.params.campaign)
table, summary = validation.properties(runs, snakemake.params.validation, snakemake.params.campaign)
write_csv(snakemake.output.runs, runs)
write_csv(snakemake.output.table, table.merge(summary, on="set", how="left"))
write_text(snakemake.output.markdown, validation.properties_markdown(table, summary, snakemake.params.campaign, snakemake.params.campaign.system.replicas))
validation.plot_properties(table, snakemake.params.campaign, {t.name: snakemake.output[t.name] for t in snakemake.params.campaign.targets})
log.info("%d runs (%d failed); per set:\n%s", len(runs), int((runs["status"] != "ok").sum()), summary.to_string(index=False))
