"""The results layout: the one place that knows folder and file names under ``<results_dir>/<campaign>/``.

::

    campaign.json                                       the resolved campaign (glassfit.model)
    structures/<glass>/r<k>.data                        initial structures (shared by all candidates)
    iter-NN/candidates.csv                              candidate id, kind, one column per tunable
    iter-NN/runs/<candidate>/<glass>/r<k>/properties.json   one MD run (plus its LAMMPS files)
    iter-NN/runs.csv, evaluations.csv, dataset.csv      every run; replica statistics; everything evaluated up to NN
    iter-NN/predictions.csv, ranking.csv, proposal.json the proposal of iteration NN (made from dataset NN-1)
    validation/...                                      the final validation (glassfit.validation)
    final/...                                           the reported set, figures, summary

Rules (workflow/rules/common.smk), status, plan, verify and the report build paths and read folder names here.
"""

from __future__ import annotations

import re
from pathlib import Path

CAMPAIGN_JSON = "campaign.json"
ITERATION = re.compile(r"^iter-(\d{2,})$")
REPLICA = re.compile(r"^r\d+$")
#: the files of an iteration folder, by what they hold
CANDIDATES, RUNS, EVALUATIONS, DATASET = "candidates.csv", "runs.csv", "evaluations.csv", "dataset.csv"
PREDICTIONS, RANKING, PROPOSAL = "predictions.csv", "ranking.csv", "proposal.json"
PROPERTIES = "properties.json"
#: a name that becomes one folder or file name under ``<results_dir>/<campaign>/`` (campaign, glass id, parameter set)
SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot be one path component of the results (None if it can), so that no output leaves its folder."""
    if not isinstance(name, str) or not SAFE_NAME.fullmatch(name):
        return f"{name!r} is not a safe name (only letters, digits, '_', '.' and '-'): it names a folder of the results"
    if name in (".", ".."):
        return f"{name!r} is not a safe name ('.' and '..' are this folder and its parent): it names a folder of the results"
    return None


def iteration_name(iteration: int | str) -> str:
    """``iter-NN`` of an iteration number (or of its two-digit wildcard)."""
    return f"iter-{int(iteration):02d}"


def iteration_dir(results: str | Path, iteration: int | str) -> Path:
    return Path(results) / iteration_name(iteration)


def iteration_of(folder: str | Path) -> int | None:
    """The iteration number of an ``iter-NN`` folder, or None for any other name."""
    m = ITERATION.match(Path(folder).name)
    return int(m.group(1)) if m else None


def iterations(results: str | Path) -> list[int]:
    """The iterations that have a folder, in order."""
    found = [iteration_of(p) for p in Path(results).iterdir() if p.is_dir()] if Path(results).is_dir() else []
    return sorted(i for i in found if i is not None)


def run_dir(results: str | Path, stage: str, candidate: str, glass: str, replica: int | str) -> Path:
    """One MD run: ``<stage>/runs/<candidate>/<glass>/r<k>`` (stage: ``iter-NN`` or ``validation``)."""
    return Path(results) / stage / "runs" / candidate / glass / f"r{replica}"


def stage_inputs(results: str | Path, stage: str, glass: str, replica: int | str) -> tuple[Path, Path]:
    """The candidates table and initial structure a run of a stage (``iter-NN`` or ``validation``) starts from."""
    structures = Path(results) / ("validation/structures" if stage == "validation" else "structures")
    return Path(results) / stage / CANDIDATES, structures / glass / f"r{replica}.data"


def run_of(properties: str | Path) -> tuple[str, str, str, int]:
    """(stage, candidate, glass, replica) of a run's properties.json, from its folders."""
    parts = Path(properties).parts
    stage, runs, candidate, glass, replica = parts[-6:-1]
    if runs != "runs" or not replica.startswith("r") or not replica[1:].isdigit():
        raise ValueError(f"{properties}: not a run's {PROPERTIES} (<stage>/runs/<candidate>/<glass>/r<k>/{PROPERTIES})")
    return stage, candidate, glass, int(replica[1:])


def run_files(results: str | Path, stage: str) -> list[Path]:
    """Every properties.json under a stage's runs/ folder (``r<k>`` folders only: a run kept aside is not a run)."""
    return sorted(p for p in (Path(results) / stage / "runs").glob(f"*/*/r*/{PROPERTIES}") if REPLICA.match(p.parent.name))


def iteration_file(results: str | Path, iteration: int | str, name: str) -> Path:
    return iteration_dir(results, iteration) / name


def latest(results: str | Path, name: str) -> Path | None:
    """The newest iteration's file of this name (e.g. the newest ranking.csv), if any iteration has one."""
    found = [iteration_file(results, i, name) for i in iterations(results) if iteration_file(results, i, name).is_file()]
    return found[-1] if found else None
