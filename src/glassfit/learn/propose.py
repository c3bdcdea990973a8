"""Which parameter sets to simulate next (propose) and which evaluated set to report as best (recommend).

learn.proposer.kind picks the engine: botorch (default; glassfit.learn.gp) or the paper's MLP ensemble with an
acquisition over its members, searched by CMA-ES. Both report the evaluated set with the best posterior-mean
objective, which is robust to the replica noise that makes the best observed objective an optimistic pick.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from glassfit.model import LearningProblem, Proposer

from . import cost, data
from .objective import best_observed, error_terms, fit_targets, inert_terms, pareto_targets, term_column
from .settings import denormalise, modelled_glasses, normalise, param_names

PREDICTION_COLUMNS = ["predicted_objective", "predicted_objective_std"]


@dataclass
class Recommendation:
    """The set a campaign reports as best, with the ranking it was chosen from."""

    candidate: str
    parameters: dict[str, float]
    predicted_objective: float  # posterior mean of the objective at the set
    observed_objective: float  # objective of its replica means
    ranking: pd.DataFrame = field(repr=False)  # every evaluated set, recommended first (see rank())


# ---------------------------------------------------------------- MLP ensemble: acquisitions over members


def by_target(y: np.ndarray, problem: LearningProblem) -> dict[str, np.ndarray]:
    """Surrogate predictions (..., targets) split by target name: the ensemble's outputs are problem.targets in order."""
    return {t.name: y[..., j] for j, t in enumerate(problem.targets)}


def predicted_objective(y: np.ndarray, targets: pd.DataFrame, problem: LearningProblem) -> np.ndarray:
    """Objective of predictions y (..., glasses, targets) on the glasses of `targets` (rows of fit_targets): (...)."""
    return sum(error_terms(by_target(y, problem), targets).values()).sum(axis=-1)


def member_objectives(surrogate, unit: np.ndarray, problem: LearningProblem, constant: float = 0.0) -> np.ndarray:
    """Objective of each ensemble member's prediction at normalised points: (members, points)."""
    glasses = modelled_glasses(problem)
    y = surrogate.predict_members(unit, glasses)  # (M, n, G, targets)
    return predicted_objective(y, fit_targets(problem).loc[glasses], problem) + constant


def expected_improvement(member_obj: np.ndarray, best: float, smoothing: float = 0.0) -> np.ndarray:
    """Monte-Carlo expected improvement below `best` over the members' objectives (members, points) -> (points,).

    smoothing > 0 replaces max(best - f, 0) by smoothing x softplus((best - f) / smoothing), which is never
    flat, so a search still finds its way where no member predicts an improvement yet.
    """
    gain = best - np.asarray(member_obj, dtype=float)
    if smoothing > 0:
        gain = smoothing * np.logaddexp(0.0, gain / smoothing)
    return np.maximum(gain, 0.0).mean(axis=0)


def log_expected_improvement(member_obj: np.ndarray, best: float, smoothing: float) -> np.ndarray:
    """log of expected_improvement(..., smoothing), computed without underflow far from any improvement.

    log softplus(z) tends to z for z << 0, so the search keeps a slope towards the improving region
    however far away it starts (as BoTorch's LogEI does for GPs).
    """
    z = (best - np.asarray(member_obj, dtype=float)) / smoothing
    with np.errstate(divide="ignore"):
        log_sp = np.where(z > -30, np.log(np.logaddexp(0.0, np.maximum(z, -30))), z)
    top = log_sp.max(axis=0)
    return np.log(smoothing) + top + np.log(np.exp(log_sp - top).mean(axis=0))


def _select(points: np.ndarray, scores: np.ndarray, existing: np.ndarray, k: int, min_distance: float) -> list[int]:
    """Greedy best-first choice of up to k points at least min_distance from each other and from existing."""
    chosen: list[int] = []
    near = np.zeros(len(points), dtype=bool)
    for start in range(0, len(existing), 256):
        block = existing[start:start + 256]
        near |= (np.sqrt(((points[:, None, :] - block[None, :, :]) ** 2).sum(-1)) < min_distance).any(axis=1)
    for i in np.argsort(scores, kind="stable"):
        if near[i]:
            continue
        if chosen and np.sqrt(((points[chosen] - points[i]) ** 2).sum(-1)).min() < min_distance:
            continue
        chosen.append(int(i))
        if len(chosen) == k:
            break
    return chosen


def _cmaes(score, starts: list[np.ndarray], cfg: Proposer, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Every point CMA-ES evaluated while minimising `score` (normalised box) from each start, with its score."""
    import cma

    xs_all, ys_all = [], []
    np_state = np.random.get_state()  # cma reseeds numpy's global generator: restore it afterwards
    try:
        for r, x0 in enumerate(starts):
            opts = {"bounds": [0.0, 1.0], "verbose": -9, "seed": (int(seed) * 1009 + r) % (2**31 - 2) + 1,
                    "maxfevals": cfg.max_evaluations}
            if cfg.popsize:
                opts["popsize"] = cfg.popsize
            es = cma.CMAEvolutionStrategy(np.asarray(x0, dtype=float), cfg.sigma0, opts)
            while not es.stop():
                xs = np.clip(np.asarray(es.ask(), dtype=float), 0.0, 1.0)
                ys = score(xs)
                es.tell(list(xs), ys.tolist())
                xs_all.append(xs)
                ys_all.append(ys)
    finally:
        np.random.set_state(np_state)
    return np.concatenate(xs_all), np.concatenate(ys_all)


def _infeasibility(dataset: pd.DataFrame, problem: LearningProblem):
    """-log P(the runs of a point do not fail), from gp.failure_model; 0 everywhere while no run has failed."""
    from . import gp

    model = gp.failure_model(dataset, problem)
    if model is None:
        return lambda xs: np.zeros(len(xs))
    limit = problem.learn.proposer.max_failure_fraction
    return lambda xs: -gp.log_feasibility(model, xs, limit)


def _feasible(points: np.ndarray, scores: np.ndarray, infeasible) -> tuple[np.ndarray, np.ndarray]:
    """The searched points where a failure is not more likely than not (-log P(ok) < log 2), with their scores.

    The soft penalty alone is not enough: on the log-EI scale an infeasible point that would improve outranks
    every feasible point that would not.
    """
    keep = infeasible(points) < np.log(2.0)
    return points[keep], scores[keep]


def _mlp_propose(dataset: pd.DataFrame, problem: LearningProblem, k: int, seed: int, surrogate) -> np.ndarray:
    """A batch from the MLP ensemble: expected improvement, Thompson sampling or the mean (learn.proposer)."""
    cfg = problem.learn.proposer
    d = len(param_names(problem))
    constant = sum(inert_terms(dataset, problem).values())
    cands = data.candidates(dataset, problem)
    existing = normalise(cands.to_numpy(dtype=float), problem).reshape(len(cands), d)
    rng = np.random.default_rng(seed)
    starts = [rng.uniform(0, 1, d) for _ in range(cfg.restarts)]
    observed_mean = member_objectives(surrogate, existing, problem, constant).mean(axis=0)
    usable = cost.usable(dataset, problem).to_numpy()
    best = float(observed_mean[usable].min() if usable.any() else observed_mean.min())
    starts[0] = existing[int(np.argmin(np.where(usable, observed_mean, np.inf)))]
    min_distance = cfg.min_distance

    def members(xs):
        return member_objectives(surrogate, xs, problem, constant)

    # once runs have failed, ei and thompson weigh each point by its probability of not failing (the failure GP)
    infeasible = _infeasibility(dataset, problem) if cfg.acquisition != "mean" else (lambda xs: np.zeros(len(xs)))

    if cfg.acquisition == "thompson":
        chosen: list[np.ndarray] = []
        for j in range(k):
            m = (seed + j) % surrogate.n_members
            score_m = lambda xs, m=m: members(xs)[m] * np.exp(infeasible(xs))  # noqa: E731  (objective / P(ok))
            pts, vals = _feasible(*_cmaes(score_m, [starts[j % len(starts)]], cfg, seed + j), infeasible)
            taken = np.vstack([existing, *chosen]) if chosen else existing
            pick = _select(pts, vals, taken, 1, min_distance)
            if pick:
                chosen.append(pts[pick])
        return np.vstack(chosen) if chosen else np.empty((0, d))
    if cfg.acquisition == "ei":
        tau = 1e-3 * max(abs(best), 1.0)
        score = lambda xs: -log_expected_improvement(members(xs), best, tau) + infeasible(xs)  # noqa: E731
    else:  # mean: the objective of the ensemble mean, minus kappa x spread (the first proposer)
        kappa = cfg.exploration_kappa
        targets = fit_targets(problem).loc[modelled_glasses(problem)]

        def score(xs):
            y = surrogate.predict_members(xs, list(targets.index)).mean(axis=0)
            return predicted_objective(y, targets, problem) + constant - kappa * members(xs).std(axis=0)
    pts, vals = _feasible(*_cmaes(score, starts, cfg, seed), infeasible)
    return pts[_select(pts, vals, existing, k, min_distance)]


# ---------------------------------------------------------------- public API


class Engine:
    """The configured surrogate fitted once to a data set: predicts at any points and proposes batches."""

    def __init__(self, dataset: pd.DataFrame, problem: LearningProblem, seed: int, surrogate=None):
        self.dataset, self.problem, self.seed = dataset, problem, seed
        self.kind = problem.learn.proposer.kind
        if self.kind == "botorch":
            from . import gp

            self.model = gp.build(dataset, problem, seed)
        else:
            from .surrogate import train

            self.model = surrogate if surrogate is not None else train(dataset, problem, seed)[0]

    @property
    def metrics(self) -> dict:
        """Training metrics of the MLP ensemble (the GPs report none)."""
        return dict(getattr(self.model, "metrics", {}) or {})

    def predict(self, unit: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Posterior objective (mean, std, terms) per point, and every target per point x modelled glass."""
        if self.kind == "botorch":
            from . import gp

            return gp.posterior_terms(self.model, unit, self.problem, self.seed), gp.glass_predictions(self.model, unit)
        obj = member_objectives(self.model, unit, self.problem, sum(inert_terms(self.dataset, self.problem).values()))
        terms = pd.DataFrame({"predicted_objective": obj.mean(axis=0), "predicted_objective_std": obj.std(axis=0)})
        glasses = modelled_glasses(self.problem)
        y = by_target(self.model.predict_members(unit, glasses), self.problem)
        per_glass = pd.DataFrame({"point": np.repeat(np.arange(len(unit)), len(glasses)), "glass": np.tile(glasses, len(unit))})
        for name, values in y.items():
            per_glass[f"{name}_mean"] = values.mean(axis=0).ravel()
            per_glass[f"{name}_std"] = values.std(axis=0).ravel()
        return terms, per_glass

    def batch(self, k: int) -> np.ndarray:
        """Up to k new points of the unit box."""
        if self.kind == "botorch":
            from . import gp, thompson

            if thompson.applies(self.model, self.problem):
                return thompson.propose(self.model, self.problem, k, self.seed)
            return gp.propose(self.model, self.problem, k, self.seed)
        return _mlp_propose(self.dataset, self.problem, k, self.seed, self.model)


def box_minimiser(engine: Engine) -> np.ndarray | None:
    """The point of the whole box with the lowest posterior-expected objective where the failure classifier puts the
    failure probability within learn.proposer.max_failure_fraction at 4 to 1 (Models.within_limit: a point on the edge
    of a blow-up region is no set to report; botorch; None for the MLP, or if no minimum is)."""
    if engine.kind != "botorch":
        return None
    from . import ensemble, gp

    starts = ensemble.local_minima(engine.model, engine.problem, engine.seed).numpy()
    terms = gp.posterior_terms(engine.model, starts, engine.problem, engine.seed)
    objective = np.where(engine.model.within_limit(starts), terms["predicted_objective"].to_numpy(), np.inf)
    return starts[int(np.argmin(objective))] if np.isfinite(objective).any() else None


def evaluated_at(unit: np.ndarray, dataset: pd.DataFrame, problem: LearningProblem) -> str | None:
    """The evaluated set nearest to a unit-box point, if it lies within learn.proposer.min_distance (that point is known)."""
    cands = data.candidates(dataset, problem)
    if cands.empty:
        return None
    distance = np.linalg.norm(normalise(cands.to_numpy(dtype=float), problem).reshape(len(cands), -1) - unit, axis=1)
    return str(cands.index[int(np.argmin(distance))]) if distance.min() < problem.learn.proposer.min_distance else None


def propose(dataset: pd.DataFrame, problem: LearningProblem, k: int, seed: int, *, surrogate=None,
            engine: Engine | None = None, confirm: bool = False, ranking: pd.DataFrame | None = None) -> pd.DataFrame:
    """Up to k new parameter sets to simulate, chosen by learn.proposer from everything in `dataset`.

    Columns: one per tunable (absolute values), predicted_objective and its std (posterior), then the
    predicted term of each target where the engine gives them. result.attrs["predictions"] holds every
    target's prediction per proposed set ("point" = row) and glass; attrs["surrogate_metrics"] the MLP's.
    ``confirm``: the first set is the box minimiser of the posterior-expected objective (attrs["confirm"] = 1), to
    be confirmed by MD (box_minimiser; none if an evaluated set is that point already, or if no minimum is feasible).
    learn.cost mode screen: the first rows top up evaluated contenders besides the k new sets (cost.contenders, from
    ``ranking`` = rank() of the data set, computed if not given; column topup_of names the set, attrs["topups"] counts
    them); every batch confirms, since only a fully run set is reported (the model's best point runs in full at once,
    or the screened set already there is topped up); every row says in columns replicas_<glass> how many replicas it
    has on each modelled glass once run.
    """
    names = param_names(problem)
    empty = pd.DataFrame({c: pd.Series(dtype=float) for c in [*names, *PREDICTION_COLUMNS]})
    if k <= 0:
        return empty
    engine = engine or Engine(dataset, problem, seed, surrogate)
    topups = cost.contenders(ranking if ranking is not None else rank(dataset, problem, seed, engine=engine), dataset, problem) \
        if cost.screening(problem) else []
    first = box_minimiser(engine) if confirm or cost.screening(problem) else None  # screened sets cannot be reported
    there = evaluated_at(first, dataset, problem) if first is not None else None
    if there is not None:  # the best point is an evaluated set: confirmed already, or topped up now
        first, topups = None, cost.confirmation(there, topups, dataset, problem)
    rest = engine.batch(k - 1) if first is not None and k > 1 else np.empty((0, len(names))) if first is not None else engine.batch(k)
    unit = np.concatenate([first[None, :], rest]) if first is not None else rest
    if not len(unit) and not topups:
        return empty
    if topups:  # the sets to top up come first
        again = cost.topup_rows(topups, dataset, problem)
        unit = np.concatenate([normalise(again[names].to_numpy(dtype=float), problem).reshape(-1, len(names)), unit.reshape(-1, len(names))])
    terms, per_glass = engine.predict(unit)
    out = pd.concat([pd.DataFrame(denormalise(unit, problem).reshape(-1, len(names)), columns=names), terms], axis=1)
    if cost.screening(problem):
        fresh = cost.new_sets(len(unit) - len(topups), problem).assign(topup_of="")
        if first is not None:  # the confirmation set is reported if it wins: full MD at once
            fresh.iloc[0, :-1] = problem.replicas
        plan = pd.concat([again.drop(columns=names), fresh], ignore_index=True) if topups else fresh
        out = pd.concat([out, plan], axis=1)
    out.attrs["predictions"] = per_glass
    out.attrs["surrogate_metrics"] = engine.metrics
    out.attrs["topups"] = len(topups)
    out.attrs["confirm"] = int(first is not None)
    return out


def rank(dataset: pd.DataFrame, problem: LearningProblem, seed: int, *, surrogate=None, engine: Engine | None = None) -> pd.DataFrame:
    """Every evaluated set with its posterior-mean objective next to its observed one, the recommended set first.

    Sets whose runs failed on a modelled glass, or too often (learn.proposer.max_failure_fraction, judged on their run
    counts: data.failures_within_limit), are ranked after all usable ones (column `usable`).
    """
    cands = data.candidates(dataset, problem)
    unit = normalise(cands.to_numpy(dtype=float), problem).reshape(len(cands), -1)
    terms, _ = (engine or Engine(dataset, problem, seed, surrogate)).predict(unit)
    terms.index = cands.index
    observed = best_observed(dataset, problem).set_index("candidate")
    table = observed.join(terms).assign(usable=cost.usable(dataset, problem))
    table = table.sort_values(["usable", "predicted_objective"], ascending=[False, True], kind="stable")
    front = [c for c in ["iteration", *param_names(problem), *terms.columns, "objective", "usable"] if c in table.columns]
    table = table[front + [c for c in table.columns if c not in front]]
    table.index.name = "candidate"
    return table.reset_index()


def pareto_front(dataset: pd.DataFrame, problem: LearningProblem, seed: int) -> pd.DataFrame:
    """rank() with a column pareto_optimal: usable sets no other usable set beats on both posterior-mean terms.

    The terms are the summed terms of the first two targets (objective.pareto_targets: density and B4); the
    front is what pareto mode reports beside the best scalar objective (a "best overall" and a "best B4" set
    are its two ends).
    """
    return pareto_flags(rank(dataset, problem, seed), problem)


def pareto_flags(table: pd.DataFrame, problem: LearningProblem) -> pd.DataFrame:
    """A rank() table with column pareto_optimal (see pareto_front)."""
    columns = [f"predicted_{term_column(t)}" for t in pareto_targets(problem)]
    if not set(columns) <= set(table.columns):
        raise ValueError("a Pareto front needs learn.proposer.kind botorch (the MLP ranks the scalar objective only)")
    terms = table[columns].to_numpy(dtype=float)
    ok = table["usable"].to_numpy(dtype=bool)
    optimal = np.zeros(len(table), dtype=bool)
    for i in np.flatnonzero(ok):
        better = (terms[ok] <= terms[i]).all(axis=1) & (terms[ok] < terms[i]).any(axis=1)
        optimal[i] = not better.any()
    return table.assign(pareto_optimal=optimal)


def recommend(dataset: pd.DataFrame, problem: LearningProblem, seed: int, *, surrogate=None,
              engine: Engine | None = None) -> Recommendation:
    """The evaluated set with the best posterior-mean objective (usable sets only, if any): what a campaign reports."""
    return recommendation(rank(dataset, problem, seed, surrogate=surrogate, engine=engine), problem)


def recommendation(table: pd.DataFrame, problem: LearningProblem) -> Recommendation:
    """The Recommendation of a rank() table (its first row)."""
    best = table.iloc[0]
    return Recommendation(candidate=str(best["candidate"]),
                          parameters={n: float(best[n]) for n in param_names(problem)},
                          predicted_objective=float(best["predicted_objective"]),
                          observed_objective=float(best["objective"]), ranking=table)
