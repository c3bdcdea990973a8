"""A held-out family of landscapes: the synthetic borosilicate campaign (synthetic.py) changed where no setting was tuned.

Each member (Variant, drawn from a seed) moves and sharpens or softens the B4 cliff in rho_BO (the whole landscape is
seen through a warped rho_BO: s' = s_c24 + steepness (s - s_c24 - shift)), shifts the failure region, makes the replica
scatter heteroscedastic (up to 1 + near_cliff times larger on the cliff, where MD replicas of a glass disagree most),
and adds random failures everywhere (a run lost to a node, a rare blow-up) besides the failure region. The true score
penalises the failure region as synthetic.py does (a glass with p_fail > 0.5 counts as failed: the missing penalty).

Only the benchmarks use these (bench/bench_cost.py); the proposer's settings were chosen on synthetic.py alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import qmc

from glassfit.learn.objective import error_terms, fit_targets
from glassfit.learn.settings import denormalise, param_names
from glassfit.model import LearningProblem

from . import synthetic


@dataclass(frozen=True)
class Variant:
    """One held-out landscape."""

    shift: float  # % of rho_BO: where the cliff sits, relative to the tuned landscape's
    steepness: float  # x the tuned landscape's steepness in rho_BO
    fail_shift: float  # % of rho_BO: the failure region's boundary moves by this
    near_cliff: float  # the replica scatter on the cliff is (1 + near_cliff) x the scatter away from it
    random_fail: float  # probability that any run fails, anywhere

    @classmethod
    def draw(cls, seed: int) -> "Variant":
        """A member of the family: cliff shifted -1.5..+1 %, steepness 0.6-1.8 x, failures shifted +-0.5 %, scatter up to 3 x."""
        rng = np.random.default_rng([seed, 4242])
        return cls(shift=float(rng.uniform(-1.5, 1.0)), steepness=float(rng.uniform(0.6, 1.8)),
                   fail_shift=float(rng.uniform(-0.5, 0.5)), near_cliff=float(rng.uniform(1.0, 2.0)),
                   random_fail=float(rng.uniform(0.01, 0.05)))

    def warp(self, x: np.ndarray) -> np.ndarray:
        """Changes x (n, 5) [%] as the tuned landscape sees them: rho_BO warped about the 24B cliff."""
        x = np.array(x, dtype=float, copy=True)
        x[:, 1] = synthetic.B4_SC24 + self.steepness * (x[:, 1] - synthetic.B4_SC24 - self.shift)
        return x

    def truth(self, values: np.ndarray, problem: LearningProblem, glass_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Noise-free density and B4 (n, G)."""
        x = self.warp(synthetic.changes(values, problem))
        comp = synthetic._composition(problem, glass_ids)
        return synthetic.density(x, comp), synthetic.b4(x, comp["B2O3"], comp["Na2O"] + comp["CaO"])

    def p_region(self, values: np.ndarray, problem: LearningProblem, b2o3: np.ndarray) -> np.ndarray:
        """Failure probability of the failure region (n, G): the tuned one, shifted in rho_BO."""
        x = synthetic.changes(values, problem)
        x[:, 1] -= self.fail_shift
        return synthetic.p_fail(x, b2o3)

    def scatter(self, values: np.ndarray, problem: LearningProblem) -> np.ndarray:
        """Factor (n, 1) on the replica scatter: 1 away from the cliff, 1 + near_cliff on it (a Gaussian over 1 % of rho_BO)."""
        s = self.warp(synthetic.changes(values, problem))[:, [1]]
        return 1.0 + self.near_cliff * np.exp(-0.5 * ((s - synthetic.B4_SC24) / 1.0) ** 2)

    def evaluate(self, candidates: pd.DataFrame, problem: LearningProblem, rng: np.random.Generator, replicas: int,
                 glasses: list[str], noise: float = 1.0) -> pd.DataFrame:
        """Data-set rows as synthetic.evaluate gives them, with this variant's truth, scatter (x noise) and failures."""
        names = param_names(problem)
        values = candidates[names].to_numpy(dtype=float)
        rho, b4_true = self.truth(values, problem, glasses)
        n, g = rho.shape
        b2o3 = synthetic._composition(problem, glasses)["B2O3"]
        fail = 1 - (1 - self.p_region(values, problem, b2o3)) * (1 - self.random_fail)
        ok = rng.random((n, g, replicas)) >= fail[..., None]
        factor = noise * self.scatter(values, problem)[..., None]
        rep_d = rho[..., None] + factor * rng.normal(0.0, synthetic.NOISE_DENSITY, (n, g, replicas))
        rep_b = np.clip(b4_true[..., None] + factor * rng.normal(0.0, synthetic.NOISE_B4, (n, g, replicas)), 0.0, 1.0)
        return synthetic.data_rows(candidates, problem, glasses, ok, {"density_g_cm3": rep_d, "B4": rep_b})

    def true_objective(self, values: np.ndarray, problem: LearningProblem) -> np.ndarray:
        """Noise-free objective (n,); a glass in the failure region (p > 0.5) counts as failed (the missing penalty)."""
        values = np.atleast_2d(np.asarray(values, dtype=float))
        targets = fit_targets(problem)
        glasses = list(targets.index)
        rho, b4 = self.truth(values, problem, glasses)
        failed = self.p_region(values, problem, synthetic._composition(problem, glasses)["B2O3"]) > 0.5
        simulated = {"density_g_cm3": np.where(failed, np.nan, rho), "B4": np.where(failed, np.nan, b4)}
        return sum(error_terms({t.name: simulated[t.name] for t in problem.targets}, targets).values()).sum(axis=1)

    def optimum(self, problem: LearningProblem) -> float:
        """The lowest true objective: L-BFGS-B from the 12 best of 4096 scrambled-Sobol points (outside the failure region)."""
        d = len(problem.tunables)
        unit = qmc.Sobol(d, scramble=True, seed=7).random(4096)
        scores = self.true_objective(denormalise(unit, problem), problem)
        best = float(scores.min())
        for u0 in unit[np.argsort(scores)[:12]]:
            res = minimize(lambda u: float(self.true_objective(denormalise(np.clip(u, 0, 1)[None, :], problem), problem)[0]),
                           u0, method="L-BFGS-B", bounds=[(0.0, 1.0)] * d)
            best = min(best, float(res.fun))
        return best


def start_objective(variant: Variant | None, problem: LearningProblem) -> float:
    """The true objective of the start set on a landscape (None: the tuned synthetic one)."""
    start = np.array([[t.start for t in problem.tunables]])
    return float((variant.true_objective(start, problem) if variant else synthetic.true_objective(start, problem))[0])

