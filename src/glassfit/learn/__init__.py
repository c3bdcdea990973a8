"""Active learning: initial design, objective, MLP-ensemble surrogate, CMA-ES proposer and stop rules."""
from .design import initial_design
from .objective import best_observed, fit_targets, glass_errors, objective
from .propose import predicted_objective, propose
from .settings import defaults, settings
from .stopping import affordable_candidates, best_so_far, converged, md_runs_used, stop_reason
from .surrogate import Surrogate, train

__all__ = [
    "affordable_candidates", "best_observed", "best_so_far", "converged", "defaults", "fit_targets",
    "glass_errors", "initial_design", "md_runs_used", "objective", "predicted_objective", "propose",
    "settings", "stop_reason", "Surrogate", "train",
]
