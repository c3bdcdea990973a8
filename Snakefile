# glassfit: fit interatomic potentials to glass properties by MD and active learning.
# Usage: snakemake --profile profiles/local [--configfile config/demo.yaml]   (see README.md)
from snakemake.utils import min_version

min_version("9.0")


# The published campaign unless --configfile names another; never a merge of the two, so a
# campaign's config file says everything about it.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/learn.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/analyse.smk"
include: "workflow/rules/validate.smk"


# The HTML report (`make report`, or snakemake --report results/<campaign>/report.zip): every figure and table of final/.
report: "workflow/report/workflow.rst"


rule all:
    input:
        final_targets(),
        every_run if CAMPAIGN.fit else [],
    default_target: True
