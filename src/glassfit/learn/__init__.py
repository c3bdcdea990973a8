"""Active learning: initial design, objective, surrogates (BoTorch GPs, MLP ensemble), proposals, recommendation, stop rules.

Every function takes the typed learning problem (glassfit.model.LearningProblem: a Campaign, or a Problem
built by glassfit.config.problem), whose learn settings glassfit.config has filled with every default.

torch, BoTorch and the MLP surrogate load on first use (Surrogate, train, the botorch/mlp engines), so that
parsing the workflow and MD jobs never import them.
"""
from .design import initial_design
from .objective import best_observed, fit_targets, glass_errors, objective
from .propose import Engine, Recommendation, pareto_flags, pareto_front, propose, rank, recommend, recommendation
from .stopping import affordable_candidates, best_so_far, confirms_last, converged, md_runs_used, stop_reason

__all__ = [
    "affordable_candidates", "best_observed", "best_so_far", "confirms_last", "converged", "fit_targets", "glass_errors",
    "initial_design", "md_runs_used", "objective", "Engine", "pareto_flags", "pareto_front", "propose",
    "rank", "recommend", "recommendation", "Recommendation", "stop_reason", "Surrogate", "train",
]


def __getattr__(name: str):
    """Surrogate and train come from the torch-based MLP module, imported only when asked for."""
    if name in ("Surrogate", "train"):
        from . import surrogate

        return getattr(surrogate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
