"""The final validation, a stage of its own (workflow/rules/validate.smk): named parameter sets side by side on every glass.

Each set of ``analysis.validation_sets`` (``best``: the campaign's reported set; ``start``; any named set of the
potential table, rendered as that complete set) runs every replica on every validation glass, on structures and
seeds of its own, and is compared with experiment as the papers do. Layout under ``<results_dir>/<campaign>/``::

    validation/candidates.csv                        one row per validated set: label, source, set, tunable values
    validation/runs/<label>/<glass>/r<k>/            one MD run (analysed into .../analysis/)
    validation/runs.csv                              every validation run's properties
    validation/structure/<label>/<glass>/            replica averages of the analyses
    final/validation/properties.csv, properties.md   set x glass: density and B4 mean ± std vs experiment, RMSE, objective
    final/validation/{density,B4}_vs_B2O3.png        experiment and every set against B2O3
    final/structure/validation.csv                   structural scalars per set x glass, with experiment
    final/structure/<glass>/<figure>.png             every set on one plot per glass (curves: g(r), angles, rings, S(Q))
    final/structure/<figure>.png                     every set on one plot (trends across glasses, e.g. against B2O3)
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from glassfit.chemistry import axis_label, composition_axis
from glassfit.potential import set_owner_of
from glassfit.schema import ConfigError
from glassfit.model import Campaign

#: final structure figures drawn per glass (one curve per set), and the analyses each needs
GLASS_FIGURES: dict[str, tuple[str, ...]] = {
    "partial_pdfs": ("pdf",),
    "bond_angles": ("angles",),
    "ring_sizes": ("rings",),
    "sq_neutron": ("scattering",),
    "sq_xray": ("scattering",),
}
#: final structure figures of one scalar against another across the glasses (one line per set): x and y summary keys
#: (None = B2O3 content), axis labels, analyses needed
B2O3_FIGURES: dict[str, tuple[str | None, str, str, str, tuple[str, ...]]] = {
    "mean_XOX_vs_B2O3": (None, "mean_angle_X-O-X_deg", "B$_2$O$_3$ (mol %)", "mean X–O–X angle (°)", ("angles",)),
    "mean_ring_size_vs_B2O3": (None, "mean_ring_size_T", "B$_2$O$_3$ (mol %)", "mean ring size (T atoms)", ("rings",)),
    "density_vs_XOX": ("mean_angle_X-O-X_deg", "md_density_g_cm3", "mean X–O–X angle (°)", "density (g/cm³)", ("angles",)),
}
def labels(campaign: Campaign) -> list[str]:
    """The validated sets' labels (analysis.validation_sets, resolved by glassfit.config)."""
    return list(campaign.analysis.validation_sets)


def validates(campaign: Campaign) -> bool:
    """Whether the campaign ends with a validation (validation_analyses and validation_sets both non-empty)."""
    return bool(campaign.analysis.validation_analyses) and bool(labels(campaign))


def glass_ids(campaign: Campaign) -> list[str]:
    """Glasses of the validation: analysis.validation_glasses, or every row of the glass table."""
    return [g.id for g in campaign.analysis.validation_glasses]


def simulated_glasses(campaign: Campaign) -> list[str]:
    """Every glass the campaign simulates: the fitted ones (if it fits), then the validation ones."""
    fitted = [g.id for g in campaign.glasses] if campaign.fit else []
    return list(dict.fromkeys(fitted + (glass_ids(campaign) if validates(campaign) else [])))


def check_measured(campaign: Campaign, source: str) -> None:
    """Check the measured diffraction data against the simulated glasses and the file system; raise one ConfigError."""
    simulated = simulated_glasses(campaign)
    for gid, files in campaign.analysis.measured_sq.items():
        if gid not in simulated:
            raise ConfigError(f"{source}: analysis.measured_sq.{gid}: glass {gid!r} is neither fitted nor validated by this campaign ({', '.join(simulated)})")
        from glassfit.analysis.measured import measured_sets, read_columns  # only when there are measured data

        try:
            sets = measured_sets(files, f"analysis.measured_sq.{gid}")
        except ValueError as error:
            raise ConfigError(f"{source}: {error}") from None
        for m in sets:
            if not Path(m.path).is_file():
                raise ConfigError(f"{source}: analysis.measured_sq.{gid}.{m.name}: file {m.path} not found (paths are relative to the working directory)")
            try:
                read_columns(m.path)  # its format, and one-line errors naming the file and line, are the analysis package's
            except ValueError as error:
                raise ConfigError(f"{error} (named in {source}: analysis.measured_sq.{gid}.{m.name})") from None


def validation_campaign(campaign: Campaign, source: str) -> Campaign | None:
    """The campaign the validation runs: every validation glass, seeds independent of the fit; None without validation."""
    from glassfit.campaign import job_seed  # imported where needed: glassfit.campaign is heavier than this module

    if not validates(campaign):
        return None
    return dataclasses.replace(campaign, glasses=campaign.analysis.validation_glasses, seed=job_seed(campaign, 0, "validation"))


def candidates(campaign: Campaign, best: pd.DataFrame | None = None) -> pd.DataFrame:
    """The validated sets as candidate rows: label, source, the table set the run renders, its potential, the tunable values.

    ``best`` (final/best.csv, first row = the reported set) is the start set with the fitted values; ``start``
    and named sets are rendered as those complete sets (glassfit.campaign.render_potential reads ``set``); a set of
    one of the campaign's other potentials names it in ``potential`` (its tunable columns are empty).
    """
    from glassfit import potential

    p = campaign.potential
    rows = []
    for label in labels(campaign):
        owner = set_owner_of(label, p, campaign.others)
        if label == "best":
            top = best.iloc[0]
            rows.append({"candidate": label, "source": str(top["candidate"]), "set": p.start, "potential": "", **{t.name: float(top[t.name]) for t in campaign.tunables}})
        elif owner:
            rows.append({"candidate": label, "source": f"{owner}:{label}", "set": label, "potential": owner, **{t.name: np.nan for t in campaign.tunables}})
        else:
            name = p.start if label == "start" else label
            rows.append({"candidate": label, "source": f"set:{name}", "set": name, "potential": "", **potential.values_of(p, p.complete_set(name), campaign.tunables)})
    return pd.DataFrame(rows)


def run_is_current(campaign: Campaign, properties: str | Path, label: str) -> bool:
    """Whether a finished validation run was made with the parameters its label stands for now.

    A named set (start, a set of a potential table) always stands for the same parameters; ``best`` for the first row
    of final/best.csv, unknown while final/ is being remade (an extended campaign), when its runs are redone.
    """
    import math

    from glassfit.files import read_json

    if label == "best":
        best = Path(campaign.results) / "final" / "best.csv"
        if not best.is_file():
            return False
        row = pd.read_csv(best).iloc[0]
        expected = {t.name: float(row[t.name]) for t in campaign.tunables}
    else:
        row = candidates(dataclasses.replace(campaign, analysis=dataclasses.replace(campaign.analysis, validation_sets=(label,)))).iloc[0]
        expected = {} if row["potential"] else {t.name: float(row[t.name]) for t in campaign.tunables}
    try:
        made = read_json(properties).get("parameters", {})
    except ValueError:
        return False  # damaged: glassfit.verify moves it aside and it is redone
    return set(made) == set(expected) and all(math.isclose(made[k], v, rel_tol=1e-12, abs_tol=0.0) for k, v in expected.items())


def b2o3_mol_percent(campaign: Campaign) -> dict[str, float]:
    """B2O3 content of each glass of the campaign (mol %)."""
    return {g.id: g.composition.get("B2O3", 0.0) for g in campaign.glasses}


def properties(runs: pd.DataFrame, validation: Campaign, campaign: Campaign) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Set x glass targets (mean ± std over replicas) next to experiment, and per set the RMSE over the fitted glasses and the objective.

    ``runs`` is validation/runs.csv; ``validation`` the validation campaign (its glasses); ``campaign`` the fitted one:
    its fitted glasses (those the validation ran) and its objective settings define the RMSE and the objective.
    """
    from glassfit import learn  # the objective; torch loads only for surrogates

    b2o3 = b2o3_mol_percent(validation)
    rows = []
    for (label, gid), group in runs.groupby(["candidate", "glass"], sort=False):
        ok = group[group["status"] == "ok"]
        g = validation.glass(gid)
        row = {"set": label, "glass": gid, "role": g.role, "B2O3_mol_percent": b2o3[gid]}
        for t in campaign.targets:
            values = pd.to_numeric(ok[f"{t.name}_mean"], errors="coerce").dropna().to_numpy()
            row[f"{t.name}_mean"] = float(values.mean()) if values.size else np.nan
            row[f"{t.name}_std"] = float(values.std(ddof=1)) if values.size > 1 else (0.0 if values.size else np.nan)
            row[f"{t.name}_exp"] = np.nan if g.value(t.column) is None else g.value(t.column)
        row["n_ok"], row["n_failed"] = len(ok), len(group) - len(ok)
        rows.append(row)
    table = pd.DataFrame(rows)
    order = {label: i for i, label in enumerate(labels(campaign))}
    table = table.sort_values(["set", "B2O3_mol_percent", "glass"], key=lambda c: c.map(order) if c.name == "set" else c, kind="stable").reset_index(drop=True)
    validated = set(table["glass"])
    fitted = dataclasses.replace(campaign, glasses=tuple(g for g in campaign.glasses if g.role != "validation" and g.id in validated))
    fitted_ids = [g.id for g in fitted.glasses]
    objective = learn.objective(table.rename(columns={"set": "candidate"}), fitted) if fitted_ids else pd.Series(dtype=float)
    summary = []
    for label, group in table.groupby("set", sort=False):
        own = group[group["glass"].isin(fitted_ids)]
        row = {"set": label, "fitted_glasses": " ".join(fitted_ids)}
        for t in campaign.targets:
            err = (own[f"{t.name}_mean"] - own[f"{t.name}_exp"]).dropna()
            row[f"{t.name}_rmse"] = float(np.sqrt((err**2).mean())) if len(err) else np.nan
        row["objective"] = float(objective.get(label, np.nan))
        summary.append(row)
    return table, pd.DataFrame(summary)


def _pm(mean: float, std: float, digits: int) -> str:
    return "—" if pd.isna(mean) else f"{mean:.{digits}f} ± {0.0 if pd.isna(std) else std:.{digits}f}"


def _num(value: float, digits: int) -> str:
    return "—" if pd.isna(value) else f"{value:.{digits}f}"


def properties_markdown(table: pd.DataFrame, summary: pd.DataFrame, campaign: Campaign, replicas: int) -> str:
    """The properties table for people: one row per glass, per target the experiment and one column per set, then RMSE and objective per set."""
    sets = list(summary["set"])
    glasses = list(dict.fromkeys(table["glass"]))
    by = table.set_index(["set", "glass"])
    exp = table.drop_duplicates("glass").set_index("glass")
    digits = 3
    header = ["glass", "B2O3 mol %"]
    for t in campaign.targets:
        header += [f"{t.symbol} exp", *(f"{t.symbol} {s}" for s in sets)]
    lines = [
        f"# Validation of `{campaign.name}`: {', '.join(t.symbol for t in campaign.targets)}, MD (mean ± std over {replicas} replica(s)) vs experiment",
        "",
        "| " + " | ".join(header) + " |",
        "| --- " * len(header) + "|",
    ]
    for gid in glasses:
        cells = [gid, f"{exp.loc[gid, 'B2O3_mol_percent']:g}"]
        for t in campaign.targets:
            cells.append(_num(exp.loc[gid, f"{t.name}_exp"], digits))
            cells += [_pm(by.loc[(s, gid), f"{t.name}_mean"], by.loc[(s, gid), f"{t.name}_std"], digits) if (s, gid) in by.index else "—" for s in sets]
        lines.append("| " + " | ".join(cells) + " |")
    fitted = summary["fitted_glasses"].iloc[0] if len(summary) else ""
    rmse = [f"{t.symbol} RMSE" for t in campaign.targets]
    lines += [
        "",
        f"Per set, over the fitted glasses ({fitted or 'none validated'}): RMSE against experiment and the campaign objective (lower is better).",
        "",
        "| set | " + " | ".join(rmse) + " | objective |",
        "| --- " * (len(rmse) + 2) + "|",
        *("| " + " | ".join([r["set"], *(_num(r[f"{t.name}_rmse"], 4) for t in campaign.targets), _num(r["objective"], 4)]) + " |" for r in summary.to_dict("records")),
        "",
    ]
    return "\n".join(lines)


def plot_properties(table: pd.DataFrame, campaign: Campaign, outputs: Mapping[str, str | Path]) -> None:
    """Every target against composition (B2O3, or the oxide varying most; ``outputs``: target name -> path): experiment
    and every validated set (the file names keep their historical ``_vs_B2O3``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels_of = {t.name: t.label for t in campaign.targets}
    glasses = {g.id: g for g in (*campaign.glasses, *campaign.analysis.validation_glasses)}
    axis = composition_axis(glasses[gid].composition for gid in table["glass"].unique())
    table = table.assign(x=table["glass"].map(lambda gid: glasses[gid].composition.get(axis, 0.0)))
    for prop, path in outputs.items():
        fig, ax = plt.subplots(figsize=(5.5, 4))
        exp = table.drop_duplicates("glass").dropna(subset=[f"{prop}_exp"]).sort_values("x")
        ax.plot(exp["x"], exp[f"{prop}_exp"], "ks-", lw=1.5, label="experiment", zorder=4)
        for k, (label, group) in enumerate(table.groupby("set", sort=False)):
            group = group.sort_values("x")
            ax.errorbar(group["x"], group[f"{prop}_mean"], yerr=group[f"{prop}_std"].fillna(0), fmt="o--",
                        color=f"C{k}", capsize=3, ms=4, lw=1, label=label)
        ax.set(xlabel=axis_label(axis), ylabel=labels_of[prop], title=f"{campaign.name}: {prop} vs experiment")
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        fig.savefig(path, dpi=130)
        plt.close(fig)


def structure_table(structure_dirs: Sequence[str | Path], validation: Campaign) -> pd.DataFrame:
    """One row per validated set x glass (folders ``validation/structure/<label>/<glass>``): identity, experiment, averaged scalars."""
    from glassfit.analysis.workflow import read_gathered, scalar_columns

    b2o3 = b2o3_mol_percent(validation)
    rows = []
    for folder in structure_dirs:
        label, gid = Path(folder).parts[-2:]
        g = validation.glass(gid)
        rows.append({"set": label, "glass": gid, "role": g.role, "B2O3_mol_percent": b2o3[gid],
                     **{f"{t.name}_exp": g.value(t.column) for t in validation.targets}, **scalar_columns(read_gathered(folder))})
    return pd.DataFrame(rows)


def glass_figures(analyses: Sequence[str]) -> list[str]:
    """The per-glass structure figures that the given analyses allow."""
    return [name for name, needs in GLASS_FIGURES.items() if set(needs) <= set(analyses)]


def b2o3_figures(analyses: Sequence[str]) -> list[str]:
    """The structure figures against B2O3 that the given analyses allow."""
    return [name for name, (*_, needs) in B2O3_FIGURES.items() if set(needs) <= set(analyses)]


def _load(folders: Mapping[str, str | Path], name: str) -> dict[str, pd.DataFrame | dict]:
    """One gathered file of every analysed set, by set (CSV → DataFrame, JSON → dict)."""
    out = {}
    for label, folder in folders.items():
        path = Path(folder) / name
        if path.is_file():
            out[label] = pd.read_csv(path) if path.suffix == ".csv" else json.loads(path.read_text())
    return out


def write_glass_figures(structure_dirs: Sequence[str | Path], glass_id: str, campaign: Campaign, outputs: Mapping[str, str | Path]) -> None:
    """Draw the per-glass structure figures named in ``outputs``, every validated set (folders ``.../<label>/<glass>``) on one plot."""
    from glassfit.analysis import plots  # matplotlib: only for the figures
    from glassfit.analysis.measured import measured_sets, measured_sq
    from glassfit.analysis.suite import comparable_sq  # S(Q) of every set at their common r_max (one resolution)

    folders = {Path(d).parent.name: d for d in structure_dirs}
    sets = measured_sets(campaign.analysis.measured_sq.get(glass_id, {}), f"analysis.measured_sq.{glass_id}")
    measured = {m.radiation: dict.fromkeys(folders, measured_sq(m)) for m in sets if m.quantity == "S(Q)"}  # under every set's curve
    draw = {
        "partial_pdfs": lambda path: plots.plot_partial_pdfs(_load(folders, "pdf.csv"), path),
        "bond_angles": lambda path: plots.plot_bond_angles(_load(folders, "angles.csv"), path),
        "ring_sizes": lambda path: plots.plot_ring_distribution(_load(folders, "rings.json"), path),
        "sq_neutron": lambda path: plots.plot_structure_factor(comparable_sq(folders), path, "neutron", measured.get("neutron")),
        "sq_xray": lambda path: plots.plot_structure_factor(comparable_sq(folders), path, "xray", measured.get("xray")),
    }
    for name, path in outputs.items():
        draw[name](path)


def write_b2o3_figures(table: pd.DataFrame, outputs: Mapping[str, str | Path]) -> None:
    """Draw the structural trends across glasses named in ``outputs`` from final/structure/validation.csv, one line per set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for name, path in outputs.items():
        xkey, key, xlabel, ylabel, _ = B2O3_FIGURES[name]
        fig, ax = plt.subplots(figsize=(5, 3.8))
        for label, group in table.groupby("set", sort=False):
            group = group.sort_values("B2O3_mol_percent")
            x = group["B2O3_mol_percent"] if xkey is None else group.get(f"{xkey}_mean")
            if f"{key}_mean" in group and x is not None:
                ax.errorbar(x, group[f"{key}_mean"], yerr=group[f"{key}_std"].fillna(0), fmt="o-", capsize=3, ms=4, label=label)
        ax.set(xlabel=xlabel, ylabel=ylabel)
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        fig.savefig(path, dpi=130)
        plt.close(fig)


def property_figures(campaign: Campaign) -> dict[str, str]:
    """The validation's target figures: target name -> file name under final/validation/."""
    return {t.name: f"{t.symbol}_vs_B2O3.png" for t in campaign.targets}


def final_targets(campaign: Campaign, results: str) -> list[str]:
    """The validation's products in final/: properties table and figures, structure table and figures, pictures."""
    if not validates(campaign):
        return []
    analyses = campaign.analysis.validation_analyses
    out = [f"{results}/final/validation/{name}" for name in ("properties.csv", "properties.md", *property_figures(campaign).values())]
    out.append(f"{results}/final/structure/validation.csv")
    out += [f"{results}/final/structure/{name}.png" for name in b2o3_figures(analyses)]
    out += [f"{results}/final/structure/{glass}/{name}.png" for glass in glass_ids(campaign) for name in glass_figures(analyses)]
    out += [f"{results}/final/pictures/{label}.png" for label in labels(campaign)]
    return out
