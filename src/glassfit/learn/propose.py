"""Proposer: CMA-ES on the surrogate's predicted objective, then the best k mutually distant new points."""
from __future__ import annotations

import cma
import numpy as np
import pandas as pd

from .objective import error_terms, fit_targets, objective
from .settings import denormalise, normalise, param_names, settings
from .surrogate import Surrogate, train

PREDICTION_COLUMNS = ["predicted_objective", "predicted_objective_std"]


def predicted_objective(surrogate: Surrogate, unit: np.ndarray, targets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Objective of the ensemble-mean prediction and its spread over members, at normalised points.

    `targets` is fit_targets(config) (computed once by the caller: this runs inside the CMA-ES loop).
    """
    y = surrogate.predict_members(unit, list(targets.index))  # (M, n, G, 2)
    d_mean, b_mean = error_terms(y.mean(axis=0)[..., 0], y.mean(axis=0)[..., 1], targets)
    d_mem, b_mem = error_terms(y[..., 0], y[..., 1], targets)
    return (d_mean + b_mean).sum(axis=-1), (d_mem + b_mem).sum(axis=-1).std(axis=0)


def _select(points: np.ndarray, scores: np.ndarray, existing: np.ndarray, k: int,
            min_distance: float) -> list[int]:
    """Greedy best-first choice of up to k points at least min_distance from each other and from existing."""
    chosen: list[int] = []
    if len(existing):
        near = np.zeros(len(points), dtype=bool)
        for start in range(0, len(existing), 256):
            block = existing[start:start + 256]
            dist = np.sqrt(((points[:, None, :] - block[None, :, :]) ** 2).sum(-1))
            near |= (dist < min_distance).any(axis=1)
    else:
        near = np.zeros(len(points), dtype=bool)
    for i in np.argsort(scores, kind="stable"):
        if near[i]:
            continue
        if chosen and np.sqrt(((points[chosen] - points[i]) ** 2).sum(-1)).min() < min_distance:
            continue
        chosen.append(int(i))
        if len(chosen) == k:
            break
    return chosen


def propose(dataset: pd.DataFrame, config: dict, k: int, seed: int, *,
            surrogate: Surrogate | None = None) -> pd.DataFrame:
    """Propose up to k new parameter sets that the surrogate predicts to minimise the objective.

    Trains the surrogate on `dataset` (unless one is given), runs `learn.proposer.restarts` CMA-ES
    searches in the normalised [0,1]^d box (first from the best observed candidate, others from
    seeded random points) on predicted objective - exploration_kappa x its ensemble std, and returns
    the best evaluated points that are at least `min_distance` apart and from every data-set point.
    Columns: one per tunable (absolute values) + predicted_objective + predicted_objective_std,
    best first; fewer than k rows only when not enough distinct points were found. The surrogate's
    metrics are in result.attrs["surrogate_metrics"].
    """
    names = param_names(config)
    empty = pd.DataFrame({c: pd.Series(dtype=float) for c in [*names, *PREDICTION_COLUMNS]})
    if k <= 0:
        return empty
    cfg = settings(config)["proposer"]
    if surrogate is None:
        surrogate, _ = train(dataset, config, seed)
    kappa = float(cfg["exploration_kappa"])
    d = len(names)
    targets = fit_targets(config)

    def acquisition(unit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What CMA-ES minimises (objective - kappa x std), with the objective and std themselves."""
        mean, std = predicted_objective(surrogate, unit, targets)
        return mean - kappa * std, mean, std

    observed = dataset.drop_duplicates("candidate", keep="last") if len(dataset) else dataset
    existing = normalise(observed[names].to_numpy(dtype=float), config) if len(observed) else np.empty((0, d))
    rng = np.random.default_rng(seed)
    starts = [rng.uniform(0, 1, d) for _ in range(int(cfg["restarts"]))]
    if len(dataset):
        obs = objective(dataset, config)
        best = observed.assign(candidate=observed["candidate"].astype(str)).set_index("candidate").loc[obs.idxmin()]
        starts[0] = np.clip(normalise(best[names].to_numpy(dtype=float)[None, :], config)[0], 0, 1)

    evaluated_x, evaluated = [], []
    np_state = np.random.get_state()  # cma reseeds numpy's global generator: restore it afterwards
    try:
        for r, x0 in enumerate(starts):
            opts = {"bounds": [0.0, 1.0], "verbose": -9,
                    "seed": (int(seed) * 1009 + r) % (2**31 - 2) + 1,  # cma: 0 = seed from the clock
                    "maxfevals": int(cfg["max_evaluations"])}
            if cfg["popsize"]:
                opts["popsize"] = int(cfg["popsize"])
            es = cma.CMAEvolutionStrategy(np.asarray(x0, dtype=float), float(cfg["sigma0"]), opts)
            while not es.stop():
                xs = np.clip(np.asarray(es.ask(), dtype=float), 0.0, 1.0)
                acq, mean, std = acquisition(xs)
                es.tell(list(xs), acq.tolist())
                evaluated_x.append(xs)
                evaluated.append(np.stack([acq, mean, std], axis=1))
    finally:
        np.random.set_state(np_state)
    points = np.concatenate(evaluated_x)
    values = np.concatenate(evaluated)
    chosen = _select(points, values[:, 0], existing, k, float(cfg["min_distance"]))

    out = pd.DataFrame(denormalise(points[chosen], config).reshape(-1, d), columns=names)
    out["predicted_objective"] = values[chosen, 1]
    out["predicted_objective_std"] = values[chosen, 2]
    out.attrs["surrogate_metrics"] = dict(surrogate.metrics)
    return out if len(out) else empty
