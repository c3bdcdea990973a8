"""A campaign folder checked against itself and its config: every problem in one line, with what to do.

What is checked (cheap: it reads each run's small properties.json once):

- ``campaign.json`` parses and agrees with the config on every key that changes the physics of a run (potential,
  MD protocol and settings, system size, seed, compositions);
- every iteration whose MD has started still has its ``candidates.csv``;
- every ``properties.json`` parses and belongs to its folder (candidate, glass, replica);
- no run of a finished iteration is missing;
- every ``runs.csv``, ``evaluations.csv`` and ``dataset.csv`` parses and agrees with the runs it was built from.

A problem either blocks (the workflow stops: a file must be restored or the config put back) or is repaired (`repair`:
by a real Snakemake run before its jobs start, or by ``glassfit repair``; a dry run only names it): a damaged run is
moved aside (``<name>.damaged``) so that Snakemake redoes exactly that run; a damaged or missing table is moved aside and
rebuilt from the runs at once, so that nothing made from it (a proposal) is made again; a missing run is redone.
Finished MD is never redone or overwritten otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from glassfit import campaign as gc, layout
from glassfit.files import write_csv
from glassfit.model import Campaign, Observable, from_dict, to_dict

#: the parts of a campaign that change what a run computes (a new value would mix runs of different physics)
PHYSICS = ("seed", "potential", "others", "system.atoms", "system.start_density_g_cm3", "system.min_separation_A",
           "md.settings", "md.protocol", "md.fallback", "md.b4_cutoff_A")
#: the tables an iteration gathers from its runs (rebuilt by the workflow when damaged)
GATHERED = (layout.RUNS, layout.EVALUATIONS, layout.DATASET)


@dataclass(frozen=True)
class Problem:
    """One problem of a campaign folder: the file, what is wrong, what to do, and whether the workflow must stop."""

    path: Path
    what: str
    todo: str
    blocking: bool
    #: a table rebuilt from the runs by `repair` (instead of a run that Snakemake redoes)
    rebuild: bool = False
    #: said, but needs nothing done and stops nothing (changed experimental values; a campaign that could go on)
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.path}: {self.what}; {self.todo}"


def check(campaign: Campaign) -> list[Problem]:
    """Every problem of the campaign's results folder, in the order of the folder."""
    results = Path(campaign.results)
    if not results.is_dir():
        return []
    problems = _campaign_json(campaign, results)
    for iteration in layout.iterations(results):
        problems += _iteration(campaign, results, iteration)
    problems += [p for f in layout.run_files(results, "validation") if (p := damaged_run(f, "validation"))]
    return problems + _extendable(campaign, results)


def stopped(results: str | Path) -> tuple[int, str] | None:
    """(iteration, reason) of the proposal that stopped the campaign (no candidates), if one did."""
    for iteration in reversed(layout.iterations(results)):
        path = layout.iteration_file(results, iteration, layout.PROPOSAL)
        if path.is_file():
            try:
                reason = json.loads(path.read_text()).get("stop_reason")
            except ValueError:
                return None
            return (iteration, reason) if reason else None
    return None


def could_go_on(campaign: Campaign, results: str | Path) -> str | None:
    """Why a campaign stopped by its iteration or MD-run limit could go on under this config (a raised limit), or None."""
    from glassfit.learn.stopping import md_runs_used

    found = stopped(results)
    if found is None:
        return None
    iteration, reason = found
    learn = campaign.learn
    if reason.startswith("reached the maximum number of iterations") and learn.iterations > iteration:
        return f"it stopped at iteration {iteration} ({reason}); the config says learn.iterations {learn.iterations}"
    dataset = layout.iteration_file(results, iteration - 1, layout.DATASET)
    if reason.startswith("MD budget exhausted") and dataset.is_file():
        used = md_runs_used(pd.read_csv(dataset))
        if learn.budget_md_runs is None or learn.budget_md_runs > used:
            return f"it stopped at iteration {iteration} ({reason}); the config says learn.budget_md_runs {learn.budget_md_runs}"
    return None


def _extendable(campaign: Campaign, results: Path) -> list[Problem]:
    why = could_go_on(campaign, results)
    if why is None:
        return []
    return [Problem(results, f"the campaign could go on: {why}",
                    f"run glassfit extend {results} --configfile <config> to go on (nothing is redone)", False, warning=True)]


def repair(campaign: Campaign, problems: list[Problem]) -> list[str]:
    """Repair every non-blocking problem: a damaged run moved aside (Snakemake redoes it), a damaged or missing table moved
    aside and rebuilt from the runs (nothing made from it is made again); one line per thing done."""
    done = []
    for p in problems:
        if not p.blocking and not p.warning and p.path.is_file():
            done.append(f"moved aside {p.path} -> {set_aside(p.path, 'damaged').name}" + ("" if p.rebuild else ": snakemake redoes it"))
    for iteration in sorted({layout.iteration_of(p.path.parent) for p in problems if p.rebuild}):
        done += [f"rebuilt {path} from the runs" for path in rebuild_tables(campaign, iteration)]
    return done


def record_files(results: str | Path) -> list[Path]:
    """Every file of the campaign folder that a rule writes once and later rules read through ancient(): campaign.json,
    the structures, every iteration's tables and proposal files, every run's properties.json."""
    results = Path(results)
    names = (layout.CANDIDATES, layout.PREDICTIONS, layout.RANKING, layout.PROPOSAL, layout.RUNS, layout.EVALUATIONS, layout.DATASET)
    files = [results / layout.CAMPAIGN_JSON, *sorted(results.glob("structures/*/r*.data")), *sorted(results.glob("validation/structures/*/r*.data"))]
    for iteration in layout.iterations(results):
        files += [layout.iteration_file(results, iteration, n) for n in names] + layout.run_files(results, layout.iteration_name(iteration))
    return [f for f in files + layout.run_files(results, "validation") if f.is_file()]


def sound(path: Path) -> bool:
    """Whether a record file is complete: every writer writes under a temporary name and renames, so an existing file is
    complete unless damaged since; a run must be the run its folder says, a table must parse."""
    try:
        if path.name == layout.PROPERTIES:
            return damaged_run(path, layout.run_of(path)[0]) is None
        if path.suffix == ".csv":
            pd.read_csv(path)
        elif path.suffix == ".json":
            json.loads(path.read_text())
        return path.stat().st_size > 0
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return False


def planned_repairs(problems: list[Problem]) -> list[str]:
    """What `repair` would do, one line each (for a dry run, which changes nothing)."""
    return [f"a real run {'rebuilds' if p.rebuild else 'moves aside and redoes'} {p.path}" for p in problems
            if not p.blocking and not p.warning]


def set_aside(path: Path, why: str = "superseded") -> Path:
    """Rename a file to ``<name>.<why>`` or a folder to ``<why>.<name>`` (a number after ``why`` if taken), keeping it (a
    run folder so renamed is no longer a run: layout.run_files reads ``r<k>`` folders); the new path."""
    def name(n: str) -> str:
        return f"{why}{n}.{path.name}" if path.is_dir() else f"{path.name}.{why}{n}"

    target, n = path.with_name(name("")), 1
    while target.exists():
        n += 1
        target = path.with_name(name(str(n)))
    path.rename(target)
    return target


def rebuild_tables(campaign: Campaign, iteration: int) -> list[Path]:
    """runs.csv, evaluations.csv and dataset.csv of an iteration that lack, rebuilt from its runs (as the workflow's rules
    build them) when every run it planned is there and sound; the tables written."""
    results = Path(campaign.results)
    folder = layout.iteration_dir(results, iteration)
    candidates = pd.read_csv(folder / layout.CANDIDATES)
    planned = [layout.run_dir(results, folder.name, c, g, r) / layout.PROPERTIES for c, g, r in gc.iteration_runs(campaign, candidates, iteration, results)]
    if not all(f.is_file() and damaged_run(f, folder.name) is None for f in planned):
        return []  # Snakemake redoes the runs first and then builds the tables
    written = []
    if not (folder / layout.RUNS).is_file() or not (folder / layout.EVALUATIONS).is_file():
        runs = gc.run_table(planned, campaign)
        write_csv(folder / layout.RUNS, runs)
        write_csv(folder / layout.EVALUATIONS, gc.evaluations(runs, candidates, campaign, iteration))
        written += [folder / layout.RUNS, folder / layout.EVALUATIONS]
    previous = layout.iteration_file(results, iteration - 1, layout.DATASET)
    if not (folder / layout.DATASET).is_file() and (iteration == 0 or previous.is_file()):
        earlier = pd.read_csv(previous) if iteration else None
        write_csv(folder / layout.DATASET, gc.dataset(pd.read_csv(folder / layout.EVALUATIONS), earlier))
        written.append(folder / layout.DATASET)
    return written


def _campaign_json(campaign: Campaign, results: Path) -> list[Problem]:
    path = results / layout.CAMPAIGN_JSON
    if not path.is_file():
        return []
    try:
        before = from_dict(Campaign, upgrade(json.loads(path.read_text())))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        return [Problem(path, f"damaged ({type(error).__name__}: {str(error).splitlines()[0][:80]})",
                        "restore it from a copy of the campaign (it records the physics the runs were made with)", True)]
    old, new = to_dict(before), to_dict(campaign)
    glasses = _glasses_by_id(old, new)
    measured = {t["name"]: t["observable"] for t in old["targets"]}
    return [Problem(path, f"{key} was {_short(a)} when the campaign started, the config says {_short(b)}",
                    "put the config back, or start a new campaign (campaign: <new name>) for new physics", True)
            for key in PHYSICS for key, a, b in _differences(key, _get(old, key), _get(new, key))] + [
        Problem(path, f"{key} was {_short(a)} when the campaign started, the config says {_short(b)}" if t["name"] in measured else
                f"target {t['name']} was not measured by the campaign's runs (they measured {', '.join(measured) or 'nothing'})",
                "put the config back, or start a new campaign (campaign: <new name>) for new targets", True)
        for t in new["targets"] for key, a, b in _differences(f"targets.{t['name']}.observable", measured.get(t["name"]), t["observable"])] + [
        Problem(path, f"{key} was {_short(a)} when the campaign started, the config ({campaign.glasses_table}) says {_short(b)}",
                "put the glass table back, or start a new campaign (campaign: <new name>) for new compositions", True)
        for key, a, b in _differences("glasses", *glasses["composition"])] + [
        Problem(path, f"{key} was {_short(a)} when the campaign started, the config ({campaign.glasses_table}) says {_short(b)}",
                "the objective changes (finished MD is kept and scored against the new values)", False, warning=True)
        for key, a, b in _differences("glasses", *glasses["measured"])]


def _glasses_by_id(old: dict, new: dict) -> dict[str, tuple[dict, dict]]:
    """The composition and the measured values of every glass in both campaigns, by glass id (old, new)."""
    before, after = ({g["id"]: g for g in d["glasses"]} for d in (old, new))
    both = [i for i in after if i in before]
    return {part: ({f"{i}.{part}": before[i][part] for i in both}, {f"{i}.{part}": after[i][part] for i in both})
            for part in ("composition", "measured")}


def upgrade(data: dict) -> dict:
    """campaign.json of an earlier glassfit (targets density and B4 without their observables) in today's form."""
    from glassfit.config import b4_observable

    cutoff = data.get("md", {}).get("b4_cutoff_A", 1.8)
    known = {"density_g_cm3": to_dict(Observable("density")), "B4": to_dict(b4_observable(cutoff))}
    for target in data.get("targets", []):
        if "observable" not in target and target.get("name") in known:
            target["observable"] = known[target["name"]]
    return data


def _iteration(campaign: Campaign, results: Path, iteration: int) -> list[Problem]:
    folder = layout.iteration_dir(results, iteration)
    runs = layout.run_files(results, folder.name)
    candidates_file = folder / layout.CANDIDATES
    problems = [p for f in runs if (p := damaged_run(f, folder.name))]
    try:
        candidates = pd.read_csv(candidates_file)
    except FileNotFoundError:
        if runs:
            problems.append(Problem(candidates_file, f"missing, but {len(runs)} MD run(s) of the iteration exist",
                                    "restore it from a copy (glassfit never proposes again over finished MD)", True))
        return problems
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        return problems + [Problem(candidates_file, f"unreadable ({str(error).splitlines()[0][:80]})", "restore it from a copy", True)]
    expected = set(gc.iteration_runs(campaign, candidates, iteration, results))
    found = {layout.run_of(f)[1:] for f in runs}
    if (folder / layout.DATASET).is_file():  # the iteration had finished: every run it planned must be there
        problems += [Problem(layout.run_dir(results, folder.name, c, g, r) / layout.PROPERTIES, "missing (the iteration had finished)",
                             "snakemake redoes this run", False) for c, g, r in sorted(expected - found)]
    return problems + _gathered(campaign, results, iteration, len(expected))


REBUILT = "the workflow rebuilds it from the runs before any job starts (or glassfit repair)"


def damaged_run(path: Path, stage: str) -> Problem | None:
    """A damaged properties.json: unreadable, or not the run its folder says."""
    _, candidate, glass, replica = layout.run_of(path)
    try:
        props = json.loads(path.read_text())
        if not isinstance(props, dict):
            raise ValueError("not a JSON object")
    except (ValueError, UnicodeDecodeError) as error:
        return Problem(path, f"damaged ({str(error).splitlines()[0][:80]})", "the workflow moves it aside and redoes this run", False)
    found = (props.get("candidate"), props.get("glass"), props.get("replica"), props.get("status") in ("ok", "failed"))
    if found != (candidate, glass, replica, True):
        return Problem(path, f"is not run {stage}/{candidate}/{glass}/r{replica} (it says {found[0]}/{found[1]}/r{found[2]}, status {props.get('status')})",
                       "the workflow moves it aside and redoes this run", False)
    return None


def _gathered(campaign: Campaign, results: Path, iteration: int, planned: int) -> list[Problem]:
    """runs.csv, evaluations.csv and dataset.csv of an iteration: readable, and equal to what the runs give."""
    folder = layout.iteration_dir(results, iteration)
    problems = []
    proposed_from = layout.iteration_file(results, iteration + 1, layout.CANDIDATES).is_file()
    for name in GATHERED:
        path = folder / name
        if not path.is_file():
            # a table that a later step was made from (the next proposal, or this dataset) is a lost record
            if proposed_from or (name != layout.DATASET and (folder / layout.DATASET).is_file()):
                problems.append(Problem(path, "missing (the next step was made from it)", REBUILT, False, rebuild=True))
            continue
        try:
            table = pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            problems.append(Problem(path, f"unreadable ({str(error).splitlines()[0][:80]})", REBUILT, False, rebuild=True))
            continue
        if name == layout.DATASET:
            problems += _dataset_agrees(campaign, results, iteration, path, table)
        elif name == layout.RUNS and len(table) != planned:
            problems.append(Problem(path, f"lists {len(table)} runs, the iteration planned {planned}", REBUILT, False, rebuild=True))
    return problems


def _dataset_agrees(campaign: Campaign, results: Path, iteration: int, path: Path, table: pd.DataFrame) -> list[Problem]:
    """Every iteration up to this one in the dataset, each candidate x glass with the replica means its runs give."""
    expected = []
    for it in range(iteration + 1):
        evaluations = layout.iteration_file(results, it, layout.EVALUATIONS)
        if not evaluations.is_file():
            return []  # an earlier table is missing: it is rebuilt first, and this check runs on the next start
        try:
            expected.append(pd.read_csv(evaluations))
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            return []
    expected = gc.pool(pd.concat(expected, ignore_index=True))  # a top-up's runs pooled with the set's earlier ones
    key = ["candidate", "glass"]
    columns = [f"{t.name}_mean" for t in campaign.targets]
    try:
        merged = expected.merge(table, on=key, how="outer", suffixes=("", "_dataset"), indicator=True)
        same = (merged["_merge"] == "both").all() and all(
            np.allclose(merged[c].astype(float), merged[f"{c}_dataset"].astype(float), rtol=1e-9, atol=0, equal_nan=True) for c in columns)
    except (KeyError, ValueError, TypeError):
        same = False
    if same:
        return []
    return [Problem(path, f"disagrees with the evaluations of iterations 0-{iteration} (rows lost or changed)", REBUILT, False, rebuild=True)]


def _get(data: dict, key: str):
    for part in key.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _differences(key: str, a, b):
    """(dotted key, old, new) of every leaf where two JSON-like values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in dict.fromkeys([*a, *b]):
            yield from _differences(f"{key}.{k}", a.get(k), b.get(k))
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from _differences(f"{key}[{i}]", x, y)
    elif a != b:
        yield key, a, b


def _short(value) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
