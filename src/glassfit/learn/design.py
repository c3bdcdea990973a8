"""Initial design (iteration 0): the starting set, space-filling scrambled-Sobol points, optional one-at-a-time steps."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import qmc

from .settings import bounds, denormalise, param_names, settings


def initial_design(config: dict, seed: int) -> pd.DataFrame:
    """Return the iteration-0 parameter sets (columns candidate_kind + one per tunable); ids are the caller's.

    The start set, then (learn.design) the one-at-a-time steps if asked for, then scrambled-Sobol points
    (default 3 x the number of tunables) seeded by `seed`.
    """
    names = param_names(config)
    low, high = bounds(config)
    start = np.array([float(p["start"]) for p in config["tunable"]])
    if np.any((start < low) | (start > high)):
        bad = [n for n, s, lo, hi in zip(names, start, low, high) if not lo <= s <= hi]
        raise ValueError(f"config 'tunable': start outside [low, high] for {bad}")
    design = settings(config)["design"]
    pert = float(design["perturbation"])

    kinds: list[str] = ["start"]
    points: list[np.ndarray] = [start]
    for j, name in enumerate(names if design["one_at_a_time"] else []):
        # parameters starting at 0 cannot be moved by a relative step: move them by a fraction of their range
        step = abs(start[j]) * pert if start[j] != 0 else (high[j] - low[j]) * pert
        for sign, label in ((+1, "+"), (-1, "-")):
            point = start.copy()
            point[j] = float(np.clip(start[j] + sign * step, low[j], high[j]))
            if any(np.array_equal(point, other) for other in points):
                continue  # clipped back onto the start or onto an earlier point
            kinds.append(f"oat{label}{name}")
            points.append(point)

    n_sobol = 3 * len(names) if design["sobol_points"] is None else int(design["sobol_points"])
    if n_sobol > 0:
        sampler = qmc.Sobol(d=len(names), scramble=True, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # balance warning for non-powers of 2
            unit = sampler.random(n_sobol)
        for point in denormalise(unit, config):
            kinds.append("sobol")
            points.append(np.clip(point, low, high))

    table = pd.DataFrame(np.array(points), columns=names)
    table.insert(0, "candidate_kind", kinds)
    return table
