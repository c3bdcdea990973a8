"""One iteration's proposal on disk: the next candidates, what the surrogate predicts for them, and the ranking.

The checkpoint of iteration NN reads dataset NN-1 and writes, under iter-NN/:

    candidates.csv   the next candidates (empty when a stop rule fired) with their predicted objective
    predictions.csv  predicted targets per candidate x modelled glass (to check against the MD later)
    ranking.csv      every set of dataset NN-1, the recommended one (best posterior-mean objective) first
    proposal.json    stop reason, numbers asked for and proposed, the recommendation, engine, seconds
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from glassfit import layout, learn
from glassfit.files import read_json, write_csv, write_json
from glassfit.model import Campaign

@dataclass
class Proposal:
    candidates: pd.DataFrame
    predictions: pd.DataFrame
    ranking: pd.DataFrame
    info: dict


def make(dataset: pd.DataFrame, campaign: Campaign, iteration: int, seed: int) -> Proposal:
    """Fit the configured surrogate to dataset NN-1 once: rank its sets, and propose iteration NN unless a stop rule fires."""
    from glassfit.campaign import TOPUP_KIND, number_candidates

    t0 = time.perf_counter()
    engine = learn.Engine(dataset, campaign, seed)
    ranking = learn.rank(dataset, campaign, seed, engine=engine)
    reason = learn.stop_reason(dataset, iteration, campaign, ranking)
    k = 0 if reason else learn.affordable_candidates(dataset, campaign)
    table = learn.propose(dataset, campaign, k, seed, engine=engine, confirm=learn.confirms_last(dataset, iteration, campaign),
                          ranking=ranking)
    if table.empty and not reason:
        reason = "the proposer found no new candidate (learn.proposer)"
    predictions = table.attrs.get("predictions", pd.DataFrame(columns=["point", "glass"])).copy()
    confirmed, topups = table.attrs.get("confirm", 0), table.attrs.get("topups", 0)
    table.insert(0, "kind", [TOPUP_KIND] * topups + ["confirm"] * confirmed + ["proposed"] * (len(table) - confirmed - topups))
    candidates = number_candidates(table, iteration)
    predictions.insert(0, "candidate", predictions.pop("point").map(candidates["candidate"]))  # point = row
    best = learn.recommendation(ranking, campaign)
    info = {
        "iteration": iteration,
        "stop_reason": reason,
        "requested": k,
        "proposed": len(candidates),
        "engine": campaign.learn.proposer.kind,
        "mode": campaign.learn.mode,
        "recommendation": {"candidate": best.candidate, "parameters": best.parameters,
                           "predicted_objective": best.predicted_objective,
                           "observed_objective": best.observed_objective,
                           "from_dataset": f"iter-{iteration - 1:02d}/dataset.csv"},
        "surrogate_metrics": engine.metrics,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    return Proposal(candidates, predictions, ranking, info)


class ProposalOverStartedMD(RuntimeError):
    """An iteration's candidates are gone but its MD has started: a new proposal would not match the runs."""


def refuse_over_started_md(results: str | Path, iteration: int) -> None:
    """Stop with one line if iteration NN already has MD runs: its candidates.csv must be restored, not proposed again."""
    started = layout.run_files(results, layout.iteration_name(iteration))
    if started:
        raise ProposalOverStartedMD(
            f"{layout.iteration_file(results, iteration, layout.CANDIDATES)} is missing but {len(started)} MD run(s) of that iteration exist "
            f"(e.g. {started[0].parent}): restore the iteration's candidates.csv and proposal files from a copy; glassfit never proposes again over finished MD"
        )


def write(proposal: Proposal, outputs: dict[str, str | Path]) -> None:
    """Write the four files (each complete or absent)."""
    write_csv(outputs["candidates"], proposal.candidates)
    write_csv(outputs["predictions"], proposal.predictions)
    write_csv(outputs["ranking"], proposal.ranking)
    write_json(outputs["proposal"], proposal.info)


def latest(results: str | Path) -> tuple[pd.DataFrame, dict] | None:
    """The newest ranking.csv and proposal.json of a campaign (the recommendation for its newest dataset), if any."""
    ranking = layout.latest(results, layout.RANKING)
    if ranking is None:
        return None
    return pd.read_csv(ranking), read_json(ranking.with_name(layout.PROPOSAL))
