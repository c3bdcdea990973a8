"""Synthetic borosilicate campaign: a deterministic stand-in for the MD, for tests and benchmarks only.

The problem has the shape of the real campaign (toy_problem): the five tunables of the B-O and B-B
Buckingham pairs with the real start values and bounds, the eight fitted soda-lime borosilicates 0B-75B
with their real experimental density and B4 (Smedskjaer et al. 2011, as in config/glasses.csv), and the
validation glass 10B. The stand-in "MD" maps a parameter set, through its relative changes from the
published start set (Wang et al. 2018) in per cent,

    a = dA_BO, s = drho_BO, c = dC_BO, b = dA_BB, r = drho_BB        (s = +1 <=> rho_BO x 1.01),

and a glass's composition (B2O3 mol fraction f, modifier ratio R = (Na2O + CaO) / B2O3) to its density
and B4. Which published fact (MD of 3000 atoms quenched at 1 K/ps) each term reproduces:

* B4 cliff in rho_BO (b4): B4 = Bmax(R) (1 - exp(-0.675 softplus(s_eff - s_c(R)))), softplus rounded
  over 0.2 %. At 24B: 0.00 / 0.31 / 0.63 / 0.80 / 0.93 / 0.96 at s = -3 / -1 / 0 / +1 / +3 / +5 %
  (published ~0 / 0.3 / 0.66 / 0.78 / 0.92 / 0.97).
* A_BO moves B4 moderately, like a tenth of rho_BO (published at 24B: A_BO +10 % -> 0.79, -10 % -> 0.30;
  here 0.80 / 0.33): the repulsive wall of A exp(-r/rho) sits at r_w = rho ln(A/E), so
  dr_w/r_w = drho/rho + (dA/A) / ln(A/E), ln(A/E) ~ 10.5. C_BO, A_BB and rho_BB move B4 little:
  s_eff = s + 0.095 a + 0.02 c + 0.01 b + 0.025 r (+-10 % of C_BO, A_BB or rho_BB: B4 at most +-0.06 at 24B).
* B4 falls with B2O3 as in experiment, but with an MD trend of its own: the ceiling Bmax(R) follows the
  modifier supply (a soft Dell-Bray limit, min(0.99, 3 R), scaled to 0.975 at 24B) and the cliff moves
  with R, s_c = -1.55 - 0.4 ln(R / R_24B) %. The MD curve is flatter than experiment (0.74 vs 0.85 in
  6B, 0.49 vs 0.44 in 62B at the start set), so no parameter set fits B4 in every glass (best B4
  term 19.5).
* Density (density): the start set's MD density is within 0.02 g/cm3 for 0B-12B and 0.04-0.08 g/cm3 too
  low for 24B-75B. The parameters act where boron is: B-O terms scale with f, B-B terms (pairs of
  boron atoms) with f^2, so the whole response to +-10 % of one parameter is 0.05-0.25 g/cm3 in 75B
  (rho_BO strongest, its B4 cliff included) and at most 0.025 g/cm3 in 6B. Four-fold boron packs denser:
  + 0.5 f (B4 - B4_start). The direct terms are saturating quadratics: a B-O wall further out
  (s + a / 10.5) makes the glass lighter, more attraction (C_BO) denser up to c ~ +7 %, a B-B wall
  (r + b / 3) further in denser down to ~ -8 %.
* Density and B4 pull against each other: B4 fits best with B4 near the start values, while the
  boron-rich glasses' density asks for more four-fold boron. With the default objective (density scale
  0.01 g/cm3, B4 scale 0.05, B4 weight 2) the optimum scores 62 (density 38 + B4 24), the best-B4 sets
  70 (50 + 19.5), the best-density sets ~570 (9 + 563), the start set 301 (282 + 20). A long, shallow
  valley (A_BO trades against rho_BO, A_BB against rho_BB) holds sets far apart within 10 % of the
  optimum; the best of 2000 uniform random sets is 4 % above it, the median random set 16 x.
* Replica scatter: per 3000-atom replica, density sd 0.015 g/cm3 and B4 sd 0.02 (evaluate()).
* Failure region (p_fail): the "Buckingham catastrophe": where the attraction -C/r^6 of B-O overwhelms a
  short repulsion (high C_BO with low rho_BO, helped by low A_BO), atoms fall into each other and the run
  blows up. Each replica of a boron glass fails with probability p_fail, which rises from 0.01 to 0.99
  within 0.9 % of rho_BO (0.06 of the box's rho_BO side); p_fail > 0.5 covers 12 % of the box, the
  high-C_BO / low-rho_BO corner, whose boundary passes 0.7 % of rho_BO (0.05 of the box) below the
  optimum, which needs a high C_BO.
* A glass that cannot respond: 0B has no boron, so its density does not depend on the five parameters
  (B-O and B-B act only where boron is), it never fails, and its B4 is NaN.

Everything is a deterministic closed form of the absolute parameter values (no global random state; a
tunable the problem leaves out stays at its start value); only evaluate() draws noise, from the generator
it is given. Not a physical model: the numbers are chosen to reproduce the facts above.
"""
from __future__ import annotations

import json
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import qmc

from glassfit import config
from glassfit.model import LearningProblem, Problem, from_dict, to_dict

from glassfit.learn.objective import error_terms, fit_targets
from glassfit.learn.settings import denormalise, fitted_glasses, mol_fractions, normalise, param_names

#: The real campaign's tunables (config/config.yaml): name, pair, coefficient (table column), start, relative low, relative high.
TUNABLES = (
    ("BO_A_eV", "B-O", "A_eV", 206941.81, -0.10, 0.10),
    ("BO_rho_A", "B-O", "rho_A", 0.1240, -0.05, 0.10),
    ("BO_C_eVA6", "B-O", "C_eVA6", 35.0018, -0.10, 0.10),
    ("BB_A_eV", "B-B", "A_eV", 484.40, -0.10, 0.10),
    ("BB_rho_A", "B-B", "rho_A", 0.35, -0.10, 0.10),
)
#: The glasses (config/glasses.csv): id, mol % SiO2, B2O3, Na2O, CaO, density (g/cm3), B4, role.
GLASSES = (
    ("0B", 75, 0, 15, 10, 2.4751, None, "fit-density-only"),
    ("6B", 69, 6, 15, 10, 2.530772, 0.847370, "fit"),
    ("12B", 63, 12, 15, 10, 2.545141, 0.789770, "fit"),
    ("24B", 51, 24, 15, 10, 2.537477, 0.623000, "fit"),
    ("37B", 38, 37, 15, 10, 2.516597, 0.548420, "fit"),
    ("50B", 25, 50, 15, 10, 2.453333, 0.509580, "fit"),
    ("62B", 13, 62, 15, 10, 2.390069, 0.444960, "fit"),
    ("75B", 0, 75, 15, 10, 2.319200, 0.425950, "fit"),
    ("10B", 60, 10, 15, 15, None, None, "validation"),
)
R_24B = 25.0 / 24.0   # modifier ratio of 24B, where the cliff numbers are anchored

# --- B4 (b4) ----------------------------------------------------------------------------------------
B4_K = 0.675          # 1/%: steepness of the saturation above the cliff
B4_WIDTH = 0.2        # %: softplus width (rounding of the cliff's foot)
B4_SC24 = -1.55       # %: cliff position at 24B
B4_MAX24 = 0.975      # B4 ceiling at 24B
B4_TOP = 0.99         # ceiling with plenty of modifier
B4_GAMMA = 3.0        # ceiling ~ B4_GAMMA x R where modifier is short (softer than Dell-Bray's R)
B4_P = 4.0            # sharpness of the soft minimum of B4_TOP and B4_GAMMA x R
B4_DELTA = 0.4        # %: the cliff moves by -B4_DELTA x ln(R / R_24B): earlier where modifier abounds
S_EFF = {"a": 0.095, "c": 0.02, "b": 0.01, "r": 0.025}  # s_eff = s + sum coef x change (% of rho_BO per %)

# --- density (density) -----------------------------------------------------------------------------
DENSITY_POLY = (2.490, 0.630, -3.311, 4.033, -1.776)  # g/cm3: start-set density sum_i d_i f^i ...
DENSITY_OXIDE = {"CaO": 0.6, "Na2O": 0.3}              # ... + g/cm3 per mol fraction above 0.10 CaO, 0.15 Na2O
KAPPA = 0.5           # g/cm3 per unit B4 per unit f: four-fold boron packs denser
ALPHA_WALL = -0.010   # g/cm3 per % per unit f: B-O wall (s + a / WALL_BO) further out -> lighter
ALPHA_SOFT = 0.001    # g/cm3 per % per unit f: softer B-O repulsion (s alone) ...
ALPHA_SS = -0.001     # g/cm3 per %^2 per unit f: ... curvature (densest at s = +0.5 %)
ALPHA_C = 0.013       # g/cm3 per % per unit f: more B-O attraction -> denser ...
ALPHA_CC = -0.0009    # g/cm3 per %^2 per unit f: ... saturating (densest at c = +7.2 %)
ALPHA_BB = -0.020     # g/cm3 per % per unit f^2: B-B wall (r + b / WALL_BB) further out -> lighter ...
ALPHA_BB2 = -0.0012   # g/cm3 per %^2 per unit f^2: ... saturating (densest at a wall shift of -8.3 %)
ALPHA_B2 = -0.0001    # g/cm3 per %^2 per unit f^2: A_BB alone
WALL_BO = 10.5        # ln(A_BO / E), E ~ 5 eV: A_BO moves the B-O wall like rho_BO / 10.5
WALL_BB = 3.0         # A_BB moves the B-B wall like rho_BB / 3

# --- failure (p_fail) -------------------------------------------------------------------------------
FAIL_S0 = 0.8         # %: margin m = s - FAIL_S0 - FAIL_C (c - 10) + FAIL_A a, in % of rho_BO
FAIL_C = 0.45
FAIL_A = 0.05
FAIL_WIDTH = 0.1      # %: p_fail = 1 / (1 + exp(m / FAIL_WIDTH))

NOISE_DENSITY = 0.015  # g/cm3 per replica
NOISE_B4 = 0.02        # per replica
_CHANGE_COLUMN = {(pair, coefficient): j for j, (_, pair, coefficient, *_) in enumerate(TUNABLES)}
_REFERENCE = np.array([t[3] for t in TUNABLES])


def toy_problem(**learn) -> Problem:
    """The synthetic campaign as a learning problem, with the real values and the learn section `learn` (defaults filled;
    the published fixed design unless it names learn.cost).

    Tunables: name, pair, coefficient, start, low, high (absolute; bounds +-10 %, rho_BO -5 %...+10 %). Glasses:
    id, composition (mol %), density_g_cm3, B4 (None where unknown) and role (0B fit-density-only, 6B-75B
    fit, 10B validation).
    """
    tunables = [{"name": n, "pair": pair, "coefficient": coefficient, "start": start,
                 "low": start * (1 + lo), "high": start * (1 + hi)}
                for n, pair, coefficient, start, lo, hi in TUNABLES]
    glasses = [{"id": gid,
                "composition": {"SiO2": float(si), "B2O3": float(b), "Na2O": float(na), "CaO": float(ca)},
                "density_g_cm3": rho, "B4": b4_exp, "role": role}
               for gid, si, b, na, ca, rho, b4_exp, role in GLASSES]
    return config.problem(tunables, glasses, {"cost": {"mode": "fixed"}, **learn})  # the published design unless given


def changes(values: np.ndarray, problem: LearningProblem) -> np.ndarray:
    """Relative changes (n, 5) in % of (A_BO, rho_BO, C_BO, A_BB, rho_BB) from the published start values.

    `values` are absolute parameter sets (n, d) in the problem's tunable order; tunables are matched by
    (pair, coefficient), and a coefficient the problem does not tune stays at 0 (its start value).
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    x = np.zeros((values.shape[0], 5))
    for j, t in enumerate(problem.tunables):
        col = _CHANGE_COLUMN.get((t.pair, t.coefficient))
        if col is None:
            raise ValueError(f"synthetic landscape knows B-O/B-B A_eV, rho_A, C_eVA6 only, not {t.name}")
        x[:, col] = 100.0 * (values[:, j] / _REFERENCE[col] - 1.0)
    return x


def _composition(problem: LearningProblem, glass_ids: list[str]) -> dict[str, np.ndarray]:
    """Mol fractions of SiO2, B2O3, Na2O, CaO of the given glasses, as arrays (G,)."""
    by_id = {g.id: g for g in problem.glasses}
    oxides = ["SiO2", "B2O3", "Na2O", "CaO"]
    x = np.array([mol_fractions(by_id[str(g)], oxides) for g in glass_ids]).reshape(-1, 4)
    return dict(zip(oxides, x.T))


def _softplus(x: np.ndarray, width: float) -> np.ndarray:
    """width ln(1 + exp(x / width)): the ramp max(0, x) rounded over `width`."""
    return width * np.logaddexp(0.0, x / width)


def b4_ceiling(r_mod: np.ndarray) -> np.ndarray:
    """Bmax(R) = 0.975 g(R) / g(R_24B), g(R) = (0.99^-4 + (3 R)^-4)^(-1/4) (soft min of 0.99 and 3 R)."""
    def g(r):
        return (B4_TOP ** -B4_P + (B4_GAMMA * np.asarray(r, dtype=float)) ** -B4_P) ** (-1.0 / B4_P)
    return B4_MAX24 * g(r_mod) / g(R_24B)


def b4(x: np.ndarray, b2o3: np.ndarray, modifier: np.ndarray) -> np.ndarray:
    """Noise-free B4 (n, G) of changes x (n, 5) [%] in glasses with B2O3 and modifier mol fractions (G,).

    B4 = Bmax(R) (1 - exp(-0.675 softplus_0.2(s_eff - s_c(R)))),
    s_eff = s + 0.095 a + 0.02 c + 0.01 b + 0.025 r,  s_c(R) = -1.55 - 0.4 ln(R / R_24B),
    R = (Na2O + CaO) / B2O3; NaN without boron.
    """
    x = np.atleast_2d(x)
    a, s, c, b, r = (x[:, [j]] for j in range(5))
    f = np.asarray(b2o3, dtype=float)[None, :]
    r_mod = np.asarray(modifier, dtype=float)[None, :] / np.where(f > 0, f, 1.0)
    r_mod = np.where(f > 0, r_mod, R_24B)
    s_eff = s + S_EFF["a"] * a + S_EFF["c"] * c + S_EFF["b"] * b + S_EFF["r"] * r
    s_c = B4_SC24 - B4_DELTA * np.log(r_mod / R_24B)
    value = b4_ceiling(r_mod) * (1.0 - np.exp(-B4_K * _softplus(s_eff - s_c, B4_WIDTH)))
    return np.where(f > 0, value, np.nan)


def density(x: np.ndarray, comp: dict[str, np.ndarray]) -> np.ndarray:
    """Noise-free density (n, G) in g/cm3 of changes x (n, 5) [%] in glasses of composition comp (mol fractions).

    density = rho_start(glass) + 0.5 f (B4(x) - B4(0))
              + f   [-0.010 (s + a / 10.5) + 0.001 s - 0.001 s^2 + 0.013 c - 0.0009 c^2]
              + f^2 [-0.020 w - 0.0012 w^2 - 0.0001 b^2],   w = r + b / 3 (the B-B wall),
    rho_start = 2.490 + 0.630 f - 3.311 f^2 + 4.033 f^3 - 1.776 f^4 + 0.6 (x_CaO - 0.10) + 0.3 (x_Na2O - 0.15).
    Without boron (f = 0) every parameter term vanishes.
    """
    x = np.atleast_2d(x)
    a, s, c, b, r = (x[:, [j]] for j in range(5))
    f = comp["B2O3"][None, :]
    modifier = comp["Na2O"] + comp["CaO"]
    base = (sum(d * f**i for i, d in enumerate(DENSITY_POLY))
            + DENSITY_OXIDE["CaO"] * (comp["CaO"][None, :] - 0.10)
            + DENSITY_OXIDE["Na2O"] * (comp["Na2O"][None, :] - 0.15))
    db4 = np.nan_to_num(b4(x, comp["B2O3"], modifier) - b4(np.zeros((1, 5)), comp["B2O3"], modifier))
    w_bb = r + b / WALL_BB
    bo = (ALPHA_WALL * (s + a / WALL_BO) + ALPHA_SOFT * s + ALPHA_SS * s**2 + ALPHA_C * c + ALPHA_CC * c**2)
    bb = ALPHA_BB * w_bb + ALPHA_BB2 * w_bb**2 + ALPHA_B2 * b**2
    return base + KAPPA * f * db4 + f * bo + f**2 * bb


def stability_margin(x: np.ndarray) -> np.ndarray:
    """Stability margin (n,) of changes x (n, 5) [%], in % of rho_BO: m = s - 0.8 - 0.45 (c - 10) + 0.05 a.

    Negative where the B-O repulsion is too short for its attraction (low rho_BO and A_BO, high C_BO).
    The boundary m = 0 runs from s = +0.8 % at c = +10 % (a = 0) to s = -5 % at c ~ -2.9 %.
    """
    x = np.atleast_2d(x)
    return x[:, 1] - FAIL_S0 - FAIL_C * (x[:, 2] - 10.0) + FAIL_A * x[:, 0]


def p_fail(x: np.ndarray, b2o3: np.ndarray | None = None) -> np.ndarray:
    """Probability that one MD replica blows up: 1 / (1 + exp(m / 0.1)), m = stability_margin(x).

    (n,) for changes x (n, 5); with B2O3 fractions (G,), (n, G) with 0 for boron-free glasses.
    """
    p = 1.0 / (1.0 + np.exp(np.clip(stability_margin(x) / FAIL_WIDTH, -500.0, 500.0)))
    if b2o3 is None:
        return p
    return np.where(np.asarray(b2o3, dtype=float)[None, :] > 0, p[:, None], 0.0)


def truth(values: np.ndarray, problem: LearningProblem, glass_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free density and B4 (n, G) of absolute parameter sets (n, d) in the given glasses."""
    x = changes(values, problem)
    comp = _composition(problem, glass_ids)
    return density(x, comp), b4(x, comp["B2O3"], comp["Na2O"] + comp["CaO"])


def evaluate(candidates: pd.DataFrame, problem: LearningProblem, rng: np.random.Generator, replicas: int = 6,
             glasses: list[str] | None = None, noise_density_g_cm3: float = NOISE_DENSITY,
             noise_B4: float = NOISE_B4) -> pd.DataFrame:
    """Stand-in for MD: data-set rows (candidate x glass), in the data-set format, from noisy replicas.

    `candidates` has columns iteration, candidate and one per tunable; `glasses` = ids of the glasses to
    simulate (default: all fitted glasses). Each replica of a boron glass fails with probability p_fail; a
    successful one gives truth + Gaussian noise (density sd `noise_density_g_cm3`, B4 sd `noise_B4`, B4
    clipped into [0, 1]). Means and std (ddof=1) are over the successful replicas: std 0.0 with one
    left, both NaN with none.
    """
    names = param_names(problem)
    glass_ids = [g.id for g in fitted_glasses(problem)] if glasses is None else [str(g) for g in glasses]
    values = candidates[names].to_numpy(dtype=float)
    rho, b4_true = truth(values, problem, glass_ids)
    n, g = rho.shape
    fail = p_fail(changes(values, problem), _composition(problem, glass_ids)["B2O3"])
    ok = rng.random((n, g, replicas)) >= fail[..., None]
    rep_d = rho[..., None] + rng.normal(0.0, noise_density_g_cm3, (n, g, replicas))
    rep_b = np.clip(b4_true[..., None] + rng.normal(0.0, noise_B4, (n, g, replicas)), 0.0, 1.0)
    return data_rows(candidates, problem, glass_ids, ok, {"density_g_cm3": rep_d, "B4": rep_b})


def data_rows(candidates: pd.DataFrame, problem: LearningProblem, glass_ids: list[str], ok: np.ndarray,
              replicas: dict[str, np.ndarray]) -> pd.DataFrame:
    """Data-set rows (candidate x glass) of replica values (n, G, replicas) per target where `ok` (the same shape) says a
    replica succeeded: means and std (ddof=1) over the successful ones, std 0.0 with one left, both NaN with none."""
    names = param_names(problem)
    values = candidates[names].to_numpy(dtype=float)
    n, g = ok.shape[:2]
    n_ok = ok.sum(-1)
    rows = pd.DataFrame({
        "iteration": np.repeat(candidates["iteration"].to_numpy(), g),
        "candidate": np.repeat(candidates["candidate"].astype(str).to_numpy(), g),
    })
    for j, name in enumerate(names):
        rows[name] = np.repeat(values[:, j], g)
    rows["glass"] = np.tile(glass_ids, n)
    for name, rep in replicas.items():
        masked = np.where(ok, rep, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all replicas failed / a single one left
            mean = np.nanmean(masked, axis=-1)
            std = np.nanstd(masked, axis=-1, ddof=1)
        rows[f"{name}_mean"] = mean.ravel()
        rows[f"{name}_std"] = np.where((n_ok == 1) & ~np.isnan(mean), 0.0, std).ravel()
    rows["n_ok"] = n_ok.ravel()
    rows["n_failed"] = ok.shape[-1] - n_ok.ravel()
    return rows


def _scorer(problem: LearningProblem):
    """Noise-free scorer of a problem: values (n, d) -> objective term (n, G) of each target, by name, on the glasses of fit_targets.

    The terms are error_terms of the problem's targets applied to the stand-in MD's density and B4. With
    `failures` (default), a boron glass with p_fail > 0.5 counts as failed: its values are NaN, so it gets
    the missing penalty.
    """
    targets = fit_targets(problem)
    comp = _composition(problem, list(targets.index))
    modifier = comp["Na2O"] + comp["CaO"]

    def score(values: np.ndarray, failures: bool = True) -> dict[str, np.ndarray]:
        x = changes(values, problem)
        simulated = {"density_g_cm3": density(x, comp), "B4": b4(x, comp["B2O3"], modifier)}  # what the stand-in MD measures
        if failures:
            failed = p_fail(x, comp["B2O3"]) > 0.5
            simulated = {name: np.where(failed, np.nan, v) for name, v in simulated.items()}
        return error_terms({t.name: simulated[t.name] for t in problem.targets}, targets)

    return score


def _total(terms: dict[str, np.ndarray]) -> np.ndarray:
    """Objective (n,) of per-target terms (n, G): the sum over targets and glasses."""
    return sum(terms.values()).sum(axis=1)


def true_objective(params: pd.DataFrame | np.ndarray, problem: LearningProblem) -> np.ndarray:
    """Noise-free objective (n,) of absolute parameter sets (frame with tunable columns, or an (n, d) array).

    fit_targets/error_terms of the problem's targets applied to the truth; a set in the failure
    region (p_fail > 0.5) scores as failed in every boron glass (missing penalty each).
    """
    values = params[param_names(problem)].to_numpy(dtype=float) if isinstance(params, pd.DataFrame) else params
    return _total(_scorer(problem)(np.atleast_2d(np.asarray(values, dtype=float))))


@lru_cache(maxsize=16)
def _optimum(key: str) -> tuple[tuple[float, ...], float]:
    """Cached optimum of a problem given as JSON (see optimum)."""
    problem = from_dict(Problem, json.loads(key))
    d = len(problem.tunables)
    score = _scorer(problem)
    start = normalise(np.array([t.start for t in problem.tunables]), problem)

    def smooth(u: np.ndarray) -> np.ndarray:
        """Objective without the failure step, plus a steep wall where the margin falls below 0.5 %."""
        values = denormalise(np.clip(np.atleast_2d(u), 0.0, 1.0), problem)
        margin = stability_margin(changes(values, problem))
        return _total(score(values, failures=False)) + 1e4 * np.maximum(0.0, 0.5 - margin) ** 2

    starts = np.vstack([qmc.Sobol(d, scramble=True, seed=12345).random(256), start])
    best_u, best = start, np.inf
    for u0 in starts[np.argsort(smooth(starts))[:12]]:
        res = minimize(lambda u: float(smooth(u)[0]), u0, method="L-BFGS-B", bounds=[(0.0, 1.0)] * d)
        u = np.clip(res.x, 0.0, 1.0)
        value = float(sum(t.sum() for t in score(denormalise(u, problem)[None, :]).values()))
        if value < best:
            best_u, best = u, value
    return tuple(float(v) for v in denormalise(best_u, problem)), best


def optimum(problem: LearningProblem) -> tuple[np.ndarray, float]:
    """Numerical global optimum of the noise-free true objective: (absolute parameters (d,), objective).

    L-BFGS-B in the normalised box from the 12 best of 256 scrambled-Sobol points and the start set, kept
    0.5 % of rho_BO inside the stable side of the failure boundary (p_fail < 0.01); cached per problem
    (tunables, glasses, targets and learn settings).
    """
    key = json.dumps(to_dict(Problem(problem.tunables, problem.glasses, problem.targets, problem.learn)), sort_keys=True)
    params, value = _optimum(key)
    return np.array(params), value
