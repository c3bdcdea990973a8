"""Cost-aware evaluation (learn.cost mode screen): new sets are screened with a few replicas, contenders topped up.

A candidate's replica mean is known to within sigma / sqrt(n), and the Gaussian processes weigh each mean by it
(glassfit.learn.data), so a screened set teaches the surrogate about its neighbourhood at a fraction of the MD cost
of a full one. Only a set with the full replica count on every modelled glass is reported (data.usable): each
iteration tops up the screened sets whose posterior-mean objective beats the best fully run set's, best first, and
runs its batch's first set, the minimiser of the posterior-expected objective over the box (propose.box_minimiser), in
full at once. Without that confirmation the reported set stalls among the few fully run sets: a screened set near the
optimum carries the variance of two replicas in its expected objective and rarely beats them (bench/bench_cost.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from glassfit.model import LearningProblem

from .data import candidates, failures_within_limit
from .settings import modelled_glasses, param_names


def column(glass: str) -> str:
    """The candidates.csv column of a glass's planned replica count."""
    return f"replicas_{glass}"


def screening(problem: LearningProblem) -> bool:
    """Whether learn.cost screens new sets (mode screen)."""
    return problem.learn.cost.mode == "screen"


def runs_so_far(dataset: pd.DataFrame, problem: LearningProblem) -> pd.DataFrame:
    """MD runs (successful and failed) per evaluated candidate x modelled glass: rows candidate, columns glass, 0 where none."""
    data = dataset.assign(candidate=dataset["candidate"].astype(str), glass=dataset["glass"].astype(str))
    runs = (data["n_ok"].fillna(0) + data["n_failed"].fillna(0)).groupby([data["candidate"], data["glass"]]).sum()
    glasses = modelled_glasses(problem)
    table = runs.unstack("glass").reindex(columns=glasses).fillna(0.0) if len(runs) else pd.DataFrame(columns=glasses)
    return table.reindex(list(dict.fromkeys(data["candidate"]))).fillna(0.0)


def full(dataset: pd.DataFrame, problem: LearningProblem, ids: pd.Index | None = None) -> pd.Series:
    """Per evaluated candidate (or per id of ``ids``, False without runs): whether it has the full replica count
    (problem.replicas) on every modelled glass."""
    done = (runs_so_far(dataset, problem) >= problem.replicas).all(axis=1)
    return done if ids is None else done.reindex(ids).fillna(False).astype(bool)


def new_set_replicas(problem: LearningProblem) -> int:
    """Replicas per modelled glass of a new set: screen_replicas (screen), the full count otherwise."""
    return problem.learn.cost.screen_replicas if screening(problem) else problem.replicas


def new_sets(n: int, problem: LearningProblem) -> pd.DataFrame:
    """The replica columns of n new sets: new_set_replicas on every modelled glass."""
    return pd.DataFrame({column(g): [new_set_replicas(problem)] * n for g in modelled_glasses(problem)}, dtype=int)


def contenders(ranking: pd.DataFrame, dataset: pd.DataFrame, problem: LearningProblem) -> list[str]:
    """Screened sets to top up this iteration (at most learn.cost.topups), best posterior-mean objective first: those that
    beat the best fully run usable set, whose failures are within the limit (data.failures_within_limit)."""
    if not screening(problem) or problem.learn.cost.topups == 0 or ranking.empty:
        return []
    table = ranking.set_index(ranking["candidate"].astype(str))
    is_full = full(dataset, problem, table.index)
    done = table[is_full & table["usable"].astype(bool)]["predicted_objective"]
    bar = float(done.min()) if len(done) else np.inf
    ok = failures_within_limit(dataset, problem, table.index)
    pick = table[~is_full & ok & (table["predicted_objective"] < bar)].sort_values("predicted_objective", kind="stable")
    return list(pick.index[: problem.learn.cost.topups])


def confirmation(there: str, topups: list[str], dataset: pd.DataFrame, problem: LearningProblem) -> list[str]:
    """The sets to top up, with ``there`` (the evaluated set at the posterior's best point) if it is a screened set
    whose failures are within the limit (data.failures_within_limit; screen mode; topups unchanged otherwise)."""
    if not screening(problem) or there in topups:
        return topups
    one = pd.Index([there])
    return [*topups, there] if not full(dataset, problem, one).iloc[0] and failures_within_limit(dataset, problem, one).iloc[0] else topups


def topup_rows(ids: list[str], dataset: pd.DataFrame, problem: LearningProblem) -> pd.DataFrame:
    """Rows of the sets to top up: their parameters, topup_of = their id, and the full replica count on every modelled glass."""
    params = candidates(dataset, problem).loc[ids, param_names(problem)].reset_index(drop=True)
    return pd.concat([params, pd.DataFrame({column(g): [problem.replicas] * len(ids) for g in modelled_glasses(problem)}, dtype=int),
                      pd.DataFrame({"topup_of": ids})], axis=1)


def runs_per_new_set(problem: LearningProblem) -> int:
    """MD runs a new set costs: its replicas on every modelled glass."""
    return len(modelled_glasses(problem)) * new_set_replicas(problem)


def runs_in_reserve(problem: LearningProblem) -> int:
    """MD runs an iteration may spend beyond its new screened sets: learn.cost.topups top-ups and the confirmation set's
    extra replicas (screen; 0 for the fixed design)."""
    return (problem.learn.cost.topups + 1) * runs_per_topup(problem) if screening(problem) else 0


def runs_per_topup(problem: LearningProblem) -> int:
    """MD runs a top-up costs at most: the replicas a screened set lacks on every modelled glass."""
    return len(modelled_glasses(problem)) * max(problem.replicas - problem.learn.cost.screen_replicas, 0)


def usable(dataset: pd.DataFrame, problem: LearningProblem) -> pd.Series:
    """Candidates a recommendation may name: a value on every modelled glass, failures within the limit, and (learn.cost
    mode screen) the full replica count."""
    data = dataset.assign(candidate=dataset["candidate"].astype(str), glass=dataset["glass"].astype(str))
    glasses = modelled_glasses(problem)
    has = data[data["glass"].isin(glasses) & (data["n_ok"].fillna(0) > 0)].groupby("candidate")["glass"].nunique()
    ids = candidates(dataset, problem).index
    complete = has.reindex(ids).fillna(0) >= len(glasses)
    usable = complete & failures_within_limit(dataset, problem, ids)
    if screening(problem):  # a screened set is reported only once topped up to the full replica count
        usable &= full(dataset, problem, ids)
    return usable
