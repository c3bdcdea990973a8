"""Helpers over the typed learning problem: the parameter box, and which glasses are fitted, modelled or inert.

Defaults are filled by glassfit.config only (from workflow/schemas/learn.schema.yaml); the learn package reads
the resolved settings from ``problem.learn`` and the fitted observables from ``problem.targets``.
"""
from __future__ import annotations

import numpy as np

from glassfit.model import FIT_ROLES, Glass, LearningProblem


def param_names(problem: LearningProblem) -> list[str]:
    """Names of the tunable parameters, in problem order."""
    return [t.name for t in problem.tunables]


def bounds(problem: LearningProblem) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the tunable parameters (absolute values), in problem order."""
    low = np.array([t.low for t in problem.tunables], dtype=float)
    high = np.array([t.high for t in problem.tunables], dtype=float)
    if np.any(high <= low):
        bad = [t.name for t in problem.tunables if t.high <= t.low]
        raise ValueError(f"tunable: high must exceed low for {bad}")
    return low, high


def normalise(values: np.ndarray, problem: LearningProblem) -> np.ndarray:
    """Map absolute parameter values to the [0,1] box spanned by the bounds."""
    low, high = bounds(problem)
    return (np.asarray(values, dtype=float) - low) / (high - low)


def denormalise(unit: np.ndarray, problem: LearningProblem) -> np.ndarray:
    """Map points of the normalised [0,1] box back to absolute parameter values."""
    low, high = bounds(problem)
    return low + np.asarray(unit, dtype=float) * (high - low)


def fitted_glasses(problem: LearningProblem) -> list[Glass]:
    """Glasses that enter the objective (roles fit and fit-density-only), in problem order."""
    return [g for g in problem.glasses if g.role in FIT_ROLES]


def responds(glass: Glass, problem: LearningProblem) -> bool:
    """Whether at least one tunable acts on a glass (the glass holds every element it needs), so its properties can respond.

    A glass without boron cannot feel B-O or B-B parameters: it is simulated once per campaign as a
    reference, and its objective term is the same for every candidate.
    """
    return any(t.elements <= glass.elements for t in problem.tunables)


def inert_glasses(problem: LearningProblem) -> list[str]:
    """Ids of fitted glasses that no tunable acts on (see responds())."""
    return [g.id for g in fitted_glasses(problem) if not responds(g, problem)]


def modelled_glasses(problem: LearningProblem) -> list[str]:
    """Ids of fitted glasses whose properties depend on the tunable parameters: the ones a surrogate models."""
    return [g.id for g in fitted_glasses(problem) if responds(g, problem)]


def oxides(problem: LearningProblem) -> list[str]:
    """All oxides appearing in the problem's glasses, sorted, with B2O3 always present."""
    return sorted({ox for g in problem.glasses for ox in g.composition} | {"B2O3"})


def mol_fractions(glass: Glass, oxide_names: list[str]) -> list[float]:
    """Mol fractions (0-1) of the given oxides in a glass whose composition is in mol %."""
    total = float(sum(glass.composition.values())) or 1.0
    return [float(glass.composition.get(ox, 0.0)) / total for ox in oxide_names]
