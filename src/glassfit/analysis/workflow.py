"""What the campaign's analysis rules need (workflow/rules/analyse.smk).

Per run: the settings of one glass's analysis and the analysis itself, or a "not analysed" marker when
the MD run failed. Per candidate x glass: the replica average. The final validation: its own campaign
(every validation glass, seeds independent of the fit), its two parameter sets (the best one and the
start set), its figures and its table. Layout under ``<results_dir>/<campaign>/``::

    <stage>/runs/<candidate>/<glass>/r<k>/analysis/      one file per analysis (stage: iter-NN or validation)
    <stage>/structure/<candidate>/<glass>/               replica mean ± std
    validation/candidates.csv                            the sets validated: best, start
    final/structure/<label>/*.png                        figures per validated set, one line per glass
    final/structure/validation.csv                       scalars per validated set x glass, with experiment
    final/structure/iterations.csv                       scalars per iteration x candidate x glass (if analysed)
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from glassfit import config as cfg
from glassfit.config import ConfigError
from glassfit.files import read_json, write_text

from .scattering import read_measured_sq
from .suite import gather, run_suite

#: the parameter sets the final validation runs: the best of the campaign and the start set
LABELS: tuple[str, ...] = ("best", "start")
#: the marker a run or candidate x glass gets instead of analysis files when it has nothing to analyse
NOT_ANALYSED = "NOT_ANALYSED.txt"
#: final figures and the analyses each needs
FIGURES: dict[str, tuple[str, ...]] = {
    "partial_pdfs": ("pdf",),
    "bond_angles": ("angles",),
    "mean_XOX_vs_B2O3": ("angles",),
    "ring_sizes": ("rings",),
    "mean_ring_size_vs_B2O3": ("rings",),
    "sq_neutron": ("scattering",),
    "sq_xray": ("scattering",),
    "density_vs_XOX": ("angles",),
}


def validates(campaign: dict) -> bool:
    """Whether the campaign ends with a structural validation (analysis.validation_analyses not empty)."""
    return bool(campaign["analysis"]["validation_analyses"])


def validation_glass_ids(campaign: dict) -> list[str]:
    """Glasses of the final validation: analysis.validation_glasses, or every row of the glass table."""
    ids = campaign["analysis"]["validation_glasses"]
    return list(ids) if ids is not None else list(cfg.read_glasses(campaign["glasses_table"]).index)


def simulated_glasses(campaign: dict) -> list[str]:
    """Every glass the campaign simulates: the fitted ones, then the validation ones."""
    fitted = [g["id"] for g in campaign["glasses"]]
    return list(dict.fromkeys(fitted + (validation_glass_ids(campaign) if validates(campaign) else [])))


def check(campaign: dict, source: str) -> None:
    """Check the analysis section against the glass table and the file system; raise one ConfigError."""
    table = cfg.read_glasses(campaign["glasses_table"])
    for i, gid in enumerate(campaign["analysis"]["validation_glasses"] or []):
        if gid not in table.index:
            raise ConfigError(f"{source}: analysis.validation_glasses[{i}]: glass {gid!r} is not defined in {campaign['glasses_table']}")
    simulated = simulated_glasses(campaign)
    for gid, files in campaign["analysis"]["measured_sq"].items():
        if gid not in simulated:
            raise ConfigError(f"{source}: analysis.measured_sq.{gid}: glass {gid!r} is neither fitted nor validated by this campaign ({', '.join(simulated)})")
        for kind, path in files.items():
            if not Path(path).is_file():
                raise ConfigError(f"{source}: analysis.measured_sq.{gid}.{kind}: file {path} not found (paths are relative to the working directory)")


def validation_campaign(campaign: dict, source: str) -> dict | None:
    """The campaign the final validation runs: every validation glass, seeds independent of the fit; None without validation."""
    from glassfit.campaign import job_seed  # imported where needed: glassfit.campaign is heavier than this module

    check(campaign, source)
    if not validates(campaign):
        return None
    config = {k: copy.deepcopy(v) for k, v in campaign.items() if k in cfg.schema()["properties"]}
    config["glasses"] = {"table": campaign["glasses_table"], "use": validation_glass_ids(campaign)}
    config["seed"] = job_seed(campaign, 0, "validation")
    try:
        return cfg.resolve(config, source)
    except ConfigError as error:
        raise ConfigError(f"{error} (in the final validation on analysis.validation_glasses: {', '.join(config['glasses']['use'])})") from None


def validation_candidates(best: pd.DataFrame, campaign: dict) -> pd.DataFrame:
    """The sets the validation runs: ``best`` (first row of final/best.csv) and ``start``; ``source`` says where each comes from."""
    from glassfit.campaign import named_candidates  # imported where needed: glassfit.campaign is heavier than this module

    names = [t["name"] for t in campaign["tunable"]]
    start = named_candidates(campaign).iloc[0]
    rows = [
        {"candidate": "best", "source": best.iloc[0]["candidate"], **{n: float(best.iloc[0][n]) for n in names}},
        {"candidate": "start", "source": start["kind"], **{n: float(start[n]) for n in names}},
    ]
    return pd.DataFrame(rows)


def stage_analyses(campaign: dict, stage: str) -> list[str]:
    """The analyses of a stage's runs: ``validation`` or an iteration (``iter-NN``)."""
    a = campaign["analysis"]
    return list(a["validation_analyses"] if stage == "validation" else a["iteration_analyses"])


def run_settings(campaign: dict, glass_id: str, analyses: Sequence[str]) -> dict:
    """run_suite settings of one glass: the campaign's definitions (B-O cutoff = md.b4_cutoff_A unless set) and measured S(Q)."""
    a = campaign["analysis"]
    settings = copy.deepcopy(a["settings"])
    settings["coordination_cutoffs_A"].setdefault("B-O", campaign["md"]["b4_cutoff_A"])
    measured = a["measured_sq"].get(glass_id, {})
    return {
        **settings,
        "analyses": list(analyses),
        "experimental_sq_neutron_csv": measured.get("neutron"),
        "experimental_sq_xray_csv": measured.get("xray"),
    }


def md_scalars(properties: dict) -> dict[str, float | None]:
    """The MD run's own measurements, carried into its analysis summary (and so into replica averages)."""
    return {"md_density_g_cm3": properties.get("density_g_cm3_mean"), "md_B4": properties.get("B4_mean")}


def analyse_run(properties_file: str | Path, settings: dict, outdir: str | Path) -> dict:
    """Analyse one MD run (trajectory.dump next to properties.json) into ``outdir``; a failed run gets the NOT_ANALYSED marker."""
    props = read_json(properties_file)
    outdir = Path(outdir)
    if props["status"] != "ok":
        write_text(outdir / NOT_ANALYSED, f"not analysed: run failed ({props.get('reason')})\n")
        return {"status": "not analysed", "reason": props.get("reason")}
    dump = Path(properties_file).parent / "trajectory.dump"
    return run_suite(dump, props["elements"], settings, outdir, settings["analyses"], extra=md_scalars(props))


def analysed(analysis_dir: str | Path) -> bool:
    """Whether an analysis folder holds results (not only the NOT_ANALYSED marker)."""
    return (Path(analysis_dir) / "summary.json").is_file()


def gather_replicas(analysis_dirs: Sequence[str | Path], outdir: str | Path) -> dict:
    """Replica mean ± std of the analysed runs into ``outdir``, or the NOT_ANALYSED marker when no replica was analysed."""
    ok = [Path(d) for d in analysis_dirs if analysed(d)]
    skipped = [str(d) for d in analysis_dirs if not analysed(d)]
    if not ok:
        write_text(Path(outdir) / NOT_ANALYSED, "not analysed: no replica was analysed (every run failed)\n" + "".join(f"{d}\n" for d in skipped))
        return {}
    return gather(ok, outdir, extra={"n_runs": len(analysis_dirs), "runs_not_analysed": skipped})


def read_gathered(structure_dir: str | Path) -> dict | None:
    """The replica-averaged summary of one candidate x glass, or None when it was not analysed."""
    path = Path(structure_dir) / "summary.json"
    return json.loads(path.read_text()) if path.is_file() else None


def scalar_columns(summary: dict | None) -> dict[str, float | int | None]:
    """A gathered summary as flat columns: ``<key>_mean``, ``<key>_std`` per scalar, and ``n_analysed``."""
    if summary is None:
        return {"n_analysed": 0}
    out: dict = {}
    for key, value in summary.items():
        if isinstance(value, dict) and "mean" in value:
            out[f"{key}_mean"], out[f"{key}_std"] = value["mean"], value["std"]
    out["n_analysed"] = max((v["n"] for v in summary.values() if isinstance(v, dict) and "n" in v), default=0)
    return out


def b2o3_mol_percent(campaign: dict) -> dict[str, float]:
    """B2O3 content of each glass of the campaign (mol %)."""
    return {g["id"]: g["composition"].get("B2O3", 0.0) for g in campaign["glasses"]}


def validation_table(structure_dirs: Sequence[str | Path], candidates: pd.DataFrame, campaign: dict) -> pd.DataFrame:
    """One row per validated set x glass (folders ``validation/structure/<label>/<glass>``): identity, composition, experiment, averaged scalars."""
    source = candidates.set_index("candidate")["source"]
    glasses = {g["id"]: g for g in campaign["glasses"]}
    b2o3 = b2o3_mol_percent(campaign)
    rows = []
    for folder in structure_dirs:
        label, gid = Path(folder).parts[-2:]
        g = glasses[gid]
        rows.append(
            {
                "label": label,
                "candidate": source.get(label),
                "glass": gid,
                "role": g["role"],
                "B2O3_mol_percent": b2o3[gid],
                "density_g_cm3_exp": g["density_g_cm3"],
                "B4_exp": g["B4"],
                **scalar_columns(read_gathered(folder)),
            }
        )
    return pd.DataFrame(rows).sort_values(["label", "B2O3_mol_percent", "glass"], kind="stable").reset_index(drop=True)


def iteration_table(structure_dirs: Sequence[str | Path]) -> pd.DataFrame:
    """One row per iteration x candidate x glass (folders ``iter-NN/structure/<candidate>/<glass>``) with the averaged scalars."""
    rows = []
    for folder in structure_dirs:
        parts = Path(folder).parts
        iteration = int(re.fullmatch(r"iter-(\d+)", parts[-4]).group(1))
        rows.append({"iteration": iteration, "candidate": parts[-2], "glass": parts[-1], **scalar_columns(read_gathered(folder))})
    return pd.DataFrame(rows)


def figure_names(analyses: Sequence[str]) -> list[str]:
    """The final figures that the given analyses allow."""
    return [name for name, needs in FIGURES.items() if set(needs) <= set(analyses)]


def final_targets(campaign: dict, results: str) -> list[str]:
    """The analysis products of a finished campaign: validation table and figures, iteration table."""
    out = []
    if validates(campaign):
        out.append(f"{results}/final/structure/validation.csv")
        out += [f"{results}/final/structure/{label}/{name}.png" for label in LABELS for name in figure_names(campaign["analysis"]["validation_analyses"])]
    if campaign["analysis"]["iteration_analyses"]:
        out.append(f"{results}/final/structure/iterations.csv")
    return out


def _load(structures: Mapping[str, str | Path], name: str) -> dict[str, pd.DataFrame | dict]:
    """One gathered file of every analysed glass, by glass (CSV → DataFrame, JSON → dict)."""
    out = {}
    for gid, folder in structures.items():
        path = Path(folder) / name
        if path.is_file():
            out[gid] = pd.read_csv(path) if path.suffix == ".csv" else json.loads(path.read_text())
    return out


def _mean_std(summaries: Mapping[str, dict], key: str) -> tuple[list[float], list[float]]:
    """Means and stds of one gathered scalar across glasses (NaN where missing)."""
    values = [s.get(key) or {} for s in summaries.values()]
    nan = float("nan")
    return [nan if v.get("mean") is None else v["mean"] for v in values], [nan if v.get("std") is None else v["std"] for v in values]


def write_figures(structure_dirs: Sequence[str | Path], campaign: dict, outputs: Mapping[str, str | Path]) -> None:
    """Draw the final figures named in ``outputs`` from the replica averages of one validated set (folders ``.../<glass>``)."""
    from . import plots  # matplotlib: only for the figures

    b2o3 = b2o3_mol_percent(campaign)
    structures = dict(sorted(((Path(d).name, d) for d in structure_dirs), key=lambda item: b2o3[item[0]]))
    summaries = {gid: s for gid in structures if (s := read_gathered(structures[gid])) is not None}
    x = [b2o3[gid] for gid in summaries]
    measured = {kind: {gid: read_measured_sq(files[kind]) for gid, files in campaign["analysis"]["measured_sq"].items() if kind in files and gid in structures}
                for kind in ("neutron", "xray")}
    xox, xox_std = _mean_std(summaries, "mean_angle_X-O-X_deg")
    rings, rings_std = _mean_std(summaries, "mean_ring_size_T")
    draw = {
        "partial_pdfs": lambda path: plots.plot_partial_pdfs(_load(structures, "pdf.csv"), path),
        "bond_angles": lambda path: plots.plot_bond_angles(_load(structures, "angles.csv"), path),
        "mean_XOX_vs_B2O3": lambda path: plots.plot_mean_angle_vs_b2o3(x, xox, path, xox_std),
        "ring_sizes": lambda path: plots.plot_ring_distribution(_load(structures, "rings.json"), path),
        "mean_ring_size_vs_B2O3": lambda path: plots.plot_mean_ring_size_vs_b2o3(x, rings, path, rings_std),
        "sq_neutron": lambda path: plots.plot_structure_factor(_load(structures, "sq.csv"), path, "neutron", measured["neutron"]),
        "sq_xray": lambda path: plots.plot_structure_factor(_load(structures, "sq.csv"), path, "xray", measured["xray"]),
        "density_vs_XOX": lambda path: plots.plot_density_vs_angle(
            xox, _mean_std(summaries, "md_density_g_cm3")[0], _mean_std(summaries, "md_B4")[0], list(summaries), path
        ),
    }
    for name, path in outputs.items():
        draw[name](path)
