"""What the campaign's analysis rules need (workflow/rules/analyse.smk).

Per run: the settings of one glass's analysis and the analysis itself, or a "not analysed" marker when
the MD run failed. Per candidate x glass: the replica average. (The final validation, which uses these
for its runs, is glassfit.validation.) Layout under ``<results_dir>/<campaign>/``::

    <stage>/runs/<candidate>/<glass>/r<k>/analysis/      one file per analysis (stage: iter-NN or validation)
    <stage>/structure/<candidate>/<glass>/               replica mean ± std
    final/structure/iterations.csv                       scalars per iteration x candidate x glass (if analysed)
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Sequence

import pandas as pd

from glassfit.files import read_json, write_text
from glassfit.model import Campaign

from .measured import as_dicts, measured_sets
from .suite import gather, run_suite

#: the marker a run or candidate x glass gets instead of analysis files when it has nothing to analyse
NOT_ANALYSED = "NOT_ANALYSED.txt"


def stage_analyses(campaign: Campaign, stage: str) -> list[str]:
    """The analyses of a stage's runs: ``validation`` or an iteration (``iter-NN``)."""
    a = campaign.analysis
    return list(a.validation_analyses if stage == "validation" else a.iteration_analyses)


def run_settings(campaign: Campaign, glass_id: str, analyses: Sequence[str]) -> dict:
    """run_suite settings of one glass: the campaign's definitions (B-O cutoff = md.b4_cutoff_A unless set) and measured data."""
    a = campaign.analysis
    settings = copy.deepcopy(a.settings)
    settings["coordination_cutoffs_A"].setdefault("B-O", campaign.md.b4_cutoff_A)
    measured = measured_sets(a.measured_sq.get(glass_id, {}), f"analysis.measured_sq.{glass_id}")
    return {**settings, "analyses": list(analyses), "measured": as_dicts(measured)}


def md_scalars(properties: dict) -> dict[str, float | None]:
    """The MD run's own measurements, carried into its analysis summary (and so into replica averages)."""
    return {f"md_{key[:-len('_mean')]}": value for key, value in properties.items() if key.endswith("_mean")}


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


def iteration_table(structure_dirs: Sequence[str | Path]) -> pd.DataFrame:
    """One row per iteration x candidate x glass (folders ``iter-NN/structure/<candidate>/<glass>``) with the averaged scalars."""
    rows = []
    for folder in structure_dirs:
        parts = Path(folder).parts
        iteration = int(re.fullmatch(r"iter-(\d+)", parts[-4]).group(1))
        rows.append({"iteration": iteration, "candidate": parts[-2], "glass": parts[-1], **scalar_columns(read_gathered(folder))})
    return pd.DataFrame(rows)
