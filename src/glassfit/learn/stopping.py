"""Stop rules of the active-learning loop: maximum iterations, MD-run budget, convergence."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from glassfit.model import LearningProblem

from . import cost
from .objective import objective


def best_so_far(dataset: pd.DataFrame, problem: LearningProblem) -> list[float]:
    """Best observed objective after each iteration present in the data set, in iteration order."""
    if dataset.empty:
        return []
    obj = objective(dataset, problem)
    first_iter = (dataset.assign(candidate=dataset["candidate"].astype(str))
                  .groupby("candidate")["iteration"].min())
    per_iter = pd.DataFrame({"objective": obj, "iteration": first_iter.reindex(obj.index)})
    best = per_iter.groupby("iteration")["objective"].min().sort_index()
    return [float(v) for v in np.minimum.accumulate(best.to_numpy())]


def posterior_so_far(ranking: pd.DataFrame) -> list[float]:
    """Best posterior-mean objective among the (usable) sets evaluated up to each iteration, under one surrogate: the
    recommendation's history without the replica noise that the best observed objective carries."""
    ok = ranking[ranking["usable"].astype(bool)] if ranking["usable"].astype(bool).any() else ranking
    best = ok.groupby("iteration")["predicted_objective"].min()
    best = best.reindex(range(int(best.index.min()), int(best.index.max()) + 1)).ffill()  # an iteration of unusable sets
    return [float(v) for v in np.minimum.accumulate(best.to_numpy())]


def converged(history: list[float], problem: LearningProblem) -> bool:
    """True when the best-so-far objective improved by less than `tolerance` (relative) over `patience` iterations."""
    conv = problem.learn.convergence
    patience = conv.patience
    if len(history) <= patience:
        return False
    old, new = float(history[-1 - patience]), float(history[-1])
    if not math.isfinite(old):
        return False
    if old <= 0:
        return True  # a perfect fit cannot improve
    return (old - new) / abs(old) < conv.tolerance


def md_runs_used(dataset: pd.DataFrame) -> int:
    """MD runs spent so far (successful and failed replicas of every candidate x glass)."""
    if dataset.empty:
        return 0
    return int(dataset["n_ok"].fillna(0).sum() + dataset["n_failed"].fillna(0).sum())


def affordable_candidates(dataset: pd.DataFrame, problem: LearningProblem) -> int:
    """Candidates the next iteration may propose: candidates_per_iteration, reduced to fit the MD budget (learn.cost mode
    screen keeps in reserve the runs of learn.cost.topups top-ups and those a confirmation set runs beyond a screened one)."""
    left = sets_left(dataset, problem)
    k = problem.learn.candidates_per_iteration
    return k if left is None else min(k, left)


def sets_left(dataset: pd.DataFrame, problem: LearningProblem) -> int | None:
    """New sets the rest of learn.budget_md_runs pays for (None: no budget, or nothing run yet to price a set by)."""
    budget = problem.learn.budget_md_runs
    if budget is None or dataset.empty:
        return None
    used = md_runs_used(dataset)
    if cost.screening(problem):  # what the plan costs: screened new sets, with the top-ups and the confirmation in reserve
        left = budget - used - cost.runs_in_reserve(problem)
        return max(0, int(left // max(cost.runs_per_new_set(problem), 1)))
    # the median, not the mean: the start set also carries the one-off reference runs of inert glasses
    per_candidate = float((dataset["n_ok"].fillna(0) + dataset["n_failed"].fillna(0)).groupby(dataset["candidate"]).sum().median())
    if per_candidate <= 0:
        return None
    return max(0, int((budget - used) // per_candidate))


def confirms_last(dataset: pd.DataFrame, iteration: int, problem: LearningProblem) -> bool:
    """Whether iteration's batch, proposed from `dataset`, confirms the recommendation (learn.proposer.confirm_last): it is
    the campaign's last, the last of learn.iterations or all that is left of learn.budget_md_runs."""
    if not problem.learn.proposer.confirm_last:
        return False
    left = sets_left(dataset, problem)
    return iteration >= problem.learn.iterations - 1 or (left is not None and left <= problem.learn.candidates_per_iteration)


def stop_reason(dataset: pd.DataFrame, iteration_next: int, problem: LearningProblem, ranking: pd.DataFrame | None = None) -> str | None:
    """Why the campaign should not start iteration `iteration_next` (human-readable), or None to go on.

    Convergence is judged on the posterior (``ranking``: rank() of the data set) when given, else on the best observed
    objective, whose replica noise can exceed the tolerance.
    """
    learn = problem.learn
    if iteration_next >= learn.iterations:
        return (f"reached the maximum number of iterations ({learn.iterations}, learn.iterations, "
                f"iteration 0 included)")
    budget = learn.budget_md_runs
    if budget is not None and not dataset.empty and affordable_candidates(dataset, problem) == 0:
        return (f"MD budget exhausted: {md_runs_used(dataset)} of {budget} runs used (learn.budget_md_runs), "
                f"not enough left for one more candidate")
    posterior = ranking is not None and not ranking.empty and "predicted_objective" in ranking
    history = posterior_so_far(ranking) if posterior else best_so_far(dataset, problem)
    if converged(history, problem):
        conv = learn.convergence
        return (f"converged: {'the recommended set' if posterior else 'best'} objective {history[-1]:.4g}"
                f"{' (posterior mean)' if posterior else ''} improved by less than "
                f"{conv.tolerance:.3g} (relative) over the last {conv.patience} iterations "
                f"(learn.convergence)")
    return None
