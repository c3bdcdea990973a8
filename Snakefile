# glassfit: fit interatomic potentials to glass properties by MD and active learning.
# Usage: snakemake --profile profiles/local [--configfile config/demo.yaml]   (see README.md)
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"


rule all:
    input:
        final_targets(),
    default_target: True
