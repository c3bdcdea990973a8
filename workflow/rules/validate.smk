# Stage "validate": the sets of analysis.validation_sets (best, start, named sets of the potential table, each
# rendered as that complete set) re-run on every validation glass with every replica (own structures and seeds),
# analysed, and compared with experiment and with each other. Logic in glassfit.validation; paths in its docstring.


# The validation's MD: rules structure and simulate with the validation campaign (every validation glass, its own
# seeds) and the validated sets (candidate = a label of analysis.validation_sets) instead of an iteration's candidates.
use rule structure as validate_structure with:
    output:
        update(f"{RESULTS}/validation/structures/{{glass}}/r{{replica}}.data"),
    log:
        f"{RESULTS}/logs/validation/structure/{{glass}}-r{{replica}}.log",
    params:
        campaign=VALIDATION,


rule validation_candidates:
    input:
        validation_best,
    output:
        f"{RESULTS}/validation/candidates.csv",
    log:
        f"{RESULTS}/logs/validation/candidates.log",
    params:
        campaign=CAMPAIGN,
    localrule: True
    script:
        "../../scripts/validation_candidates.py"


use rule simulate as validate_simulate with:
    input:
        unpack(md_inputs("validation")),
    output:
        update(f"{RESULTS}/validation/runs/{{candidate}}/{{glass}}/r{{replica}}/properties.json"),  # not protected: the run of
        # best is redone when the reported set changes (an extended campaign), the earlier run kept aside (glassfit.jobs)
    log:
        f"{RESULTS}/logs/validation/simulate/{{candidate}}-{{glass}}-r{{replica}}.log",
    params:
        campaign=VALIDATION,
    wildcard_constraints:
        candidate=VALIDATION_LABELS,


# Density and B4 of every set x glass (replica mean ± std) against experiment, as a table and two figures.
rule validation_properties:
    input:
        candidates=f"{RESULTS}/validation/candidates.csv",
        runs=validation_runs,
    output:
        runs=f"{RESULTS}/validation/runs.csv",
        table=report(f"{RESULTS}/final/validation/properties.csv", caption="../report/properties_table.rst", category="validation", labels={"kind": "table", "what": "targets (CSV)"}),
        markdown=report(f"{RESULTS}/final/validation/properties.md", caption="../report/properties_table.rst", category="validation", labels={"kind": "table", "what": "targets (Markdown)"}),
        **{name: report(f"{RESULTS}/final/validation/{file}", caption="../report/properties_figure.rst", category="validation", labels={"kind": "figure", "what": file.removesuffix(".png").replace("_vs_", " vs ")})
           for name, file in gv.property_figures(CAMPAIGN).items()},
    log:
        f"{RESULTS}/logs/validation/properties.log",
    params:
        campaign=CAMPAIGN,
        validation=VALIDATION,
    localrule: True
    script:
        "../../scripts/validation_properties.py"


# Structural scalars per set x glass (replica averages of the analyses) next to experiment, and their trends with B2O3.
rule validation_table:
    input:
        [structure_dir("validation", s, g) for s in VALIDATION_SETS for g in VALIDATION_GLASSES],
    output:
        table=report(f"{RESULTS}/final/structure/validation.csv", caption="../report/structure_table.rst", category="structure", labels={"glass": "all", "figure": "table"}),
        **{name: report(f"{RESULTS}/final/structure/{name}.png", caption="../report/structure_trend.rst", category="structure", labels={"glass": "all", "figure": name})
           for name in gv.b2o3_figures(CAMPAIGN.analysis.validation_analyses)},
    log:
        f"{RESULTS}/logs/validation/table.log",
    params:
        validation=VALIDATION,
    localrule: True
    script:
        "../../scripts/validation_table.py"


# The structure figures of one glass, every validated set on one plot.
rule validation_figures:
    input:
        lambda w: [structure_dir("validation", s, w.glass) for s in VALIDATION_SETS],
    output:
        **{name: report(f"{RESULTS}/final/structure/{{glass}}/{name}.png", caption="../report/structure_figure.rst", category="structure", subcategory="{glass}", labels={"glass": "{glass}", "figure": name})
           for name in gv.glass_figures(CAMPAIGN.analysis.validation_analyses)},
    log:
        f"{RESULTS}/logs/validation/figures-{{glass}}.log",
    params:
        campaign=VALIDATION,
    localrule: True
    script:
        "../../scripts/validation_figures.py"


# Pictures of one validated set's final structures (replica 0 of every validation glass; OVITO, software renderer):
# species colours, boron by coordination (B3 / B4 at md.b4_cutoff_A), and a montage of the glasses.
rule validation_pictures:
    input:
        lambda w: [f"{RESULTS}/validation/runs/{w.label}/{g}/r0/properties.json" for g in VALIDATION_GLASSES],
    output:
        pictures=[report(f"{RESULTS}/final/pictures/{{label}}/{g}.png", caption="../report/pictures.rst", category="structure", subcategory="pictures", labels={"set": "{label}", "figure": g}) for g in VALIDATION_GLASSES],
        montage=report(f"{RESULTS}/final/pictures/{{label}}.png", caption="../report/pictures.rst", category="structure", subcategory="pictures", labels={"set": "{label}", "figure": "all glasses"}),
    log:
        f"{RESULTS}/logs/validation/pictures-{{label}}.log",
    params:
        glasses=VALIDATION_GLASSES,
        b4_cutoff_A=CAMPAIGN.md.b4_cutoff_A,
    wildcard_constraints:
        label=VALIDATION_LABELS,
    localrule: True
    script:
        "../../scripts/render_structures.py"
