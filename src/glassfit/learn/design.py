"""Initial design (iteration 0): the starting set, space-filling scrambled-Sobol points, optional one-at-a-time steps."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from glassfit.model import LearningProblem

from .settings import bounds, denormalise, param_names


def _steps(problem: LearningProblem) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
    """The start set and the one-at-a-time steps from it (kind, point), if learn.design asks for them."""
    names = param_names(problem)
    low, high = bounds(problem)
    start = np.array([t.start for t in problem.tunables], dtype=float)
    if np.any((start < low) | (start > high)):
        bad = [n for n, s, lo, hi in zip(names, start, low, high) if not lo <= s <= hi]
        raise ValueError(f"tunable: start outside [low, high] for {bad}")
    design = problem.learn.design
    pert = design.perturbation
    steps: list[tuple[str, np.ndarray]] = []
    for j, name in enumerate(names if design.one_at_a_time else []):
        # parameters starting at 0 cannot be moved by a relative step: move them by a fraction of their range
        step = abs(start[j]) * pert if start[j] != 0 else (high[j] - low[j]) * pert
        for sign, label in ((+1, "+"), (-1, "-")):
            point = start.copy()
            point[j] = float(np.clip(start[j] + sign * step, low[j], high[j]))
            if any(np.array_equal(point, other) for other in [start, *(p for _, p in steps)]):
                continue  # clipped back onto the start or onto an earlier point
            steps.append((f"oat{label}{name}", point))
    return start, steps


def _sobol_points(problem: LearningProblem) -> int:
    """How many Sobol points the design has: learn.design.sobol_points, default 3 x the tunables."""
    n = problem.learn.design.sobol_points
    return 3 * len(problem.tunables) if n is None else n


def design_kinds(problem: LearningProblem) -> list[str]:
    """The kinds of initial_design's rows, in order, without computing the Sobol points (no scipy.stats import)."""
    return ["start", *(kind for kind, _ in _steps(problem)[1]), *["sobol"] * _sobol_points(problem)]


def initial_design(problem: LearningProblem, seed: int) -> pd.DataFrame:
    """Return the iteration-0 parameter sets (columns candidate_kind + one per tunable); ids are the caller's.

    The start set, then (learn.design) the one-at-a-time steps if asked for, then scrambled-Sobol points
    (default 3 x the number of tunables) seeded by `seed`.
    """
    start, steps = _steps(problem)
    kinds = ["start", *(kind for kind, _ in steps)]
    points = [start, *(point for _, point in steps)]
    n_sobol = _sobol_points(problem)
    if n_sobol > 0:
        from scipy.stats import qmc  # scipy.stats takes ~1 s to import: only the design job pays it

        low, high = bounds(problem)
        sampler = qmc.Sobol(d=len(start), scramble=True, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # balance warning for non-powers of 2
            unit = sampler.random(n_sobol)
        for point in denormalise(unit, problem):
            kinds.append("sobol")
            points.append(np.clip(point, low, high))

    table = pd.DataFrame(np.array(points), columns=param_names(problem))
    table.insert(0, "candidate_kind", kinds)
    return table
