"""Composite Bayesian optimisation with BoTorch: Gaussian processes of the per-glass properties, the objective on their samples.

One GP per property (density, B4) learns it as a smooth function of the parameters (scaled to the unit box)
and the glass composition, on every glass at once, with each candidate's replica standard error as known
observation noise. B4, a fraction with a cliff in rho_BO, is modelled on the logit scale by default. The
campaign objective (weighted squared errors against experiment) is applied to joint posterior samples of all
glasses (an MC objective), so the model never regresses the jagged scalar objective; a batch is chosen jointly
by qLogNoisyExpectedImprovement (qLogNEHVI on the density and B4 terms in pareto mode). A GP of the fraction of
failed MD runs, once any run has failed, keeps proposals out of regions where the MD blows up.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from botorch.acquisition.logei import qLogNoisyExpectedImprovement
from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
from botorch.acquisition.multi_objective.objective import GenericMCMultiOutputObjective
from botorch.acquisition.objective import GenericMCObjective
from botorch.exceptions.warnings import InputDataWarning
from botorch.fit import fit_gpytorch_mll
from botorch.models import ModelList, SingleTaskGP
from botorch.models.model import Model
from botorch.optim import optimize_acqf
from botorch.posteriors.gpytorch import GPyTorchPosterior
from botorch.sampling import SobolQMCNormalSampler
from botorch.sampling.list_sampler import ListSampler
from botorch.utils.multi_objective.hypervolume import infer_reference_point
from botorch.utils.multi_objective.pareto import is_non_dominated
from gpytorch.distributions import MultitaskMultivariateNormal
from gpytorch.mlls import ExactMarginalLogLikelihood

from . import data
from .objective import fit_targets, inert_constant
from .settings import normalise, settings

DTYPE = torch.float64
B4_EPS = 0.01  # B4 is clipped into [eps, 1 - eps] before the logit: MD gives exactly 0 below the cliff


class GlassProperty(Model):
    """One property on every glass it is modelled on: points X (..., q, d) -> posterior (..., q, glasses).

    The GP was trained on rows (parameters, composition features of the glass); this appends each glass's
    features to each point, so the posterior is joint over points and glasses, and undoes the scaling.
    """

    def __init__(self, gp: SingleTaskGP, features: torch.Tensor, offset: torch.Tensor, scale: float):
        super().__init__()
        self.gp = gp
        self.register_buffer("features", features)
        self.register_buffer("offset", offset)
        self.scale = float(scale)

    @property
    def num_outputs(self) -> int:
        return int(self.features.shape[0])

    @property
    def batch_shape(self) -> torch.Size:
        return torch.Size()

    def posterior(self, X, output_indices=None, observation_noise=False, posterior_transform=None, **kwargs):
        """Joint posterior of the property (model scale, e.g. logit B4) on every glass at every point of X."""
        n_glass, n_feat = self.features.shape
        *batch, q, d = X.shape
        rows = torch.cat([X.unsqueeze(-2).expand(*batch, q, n_glass, d),
                          self.features.expand(*batch, q, n_glass, n_feat)], dim=-1).reshape(*batch, q * n_glass, d + n_feat)
        mvn = self.gp.posterior(rows).distribution
        mean = mvn.mean.reshape(*batch, q, n_glass) * self.scale + self.offset
        cov = mvn.lazy_covariance_matrix * self.scale**2
        posterior = GPyTorchPosterior(MultitaskMultivariateNormal(mean, cov, interleaved=True))
        return posterior_transform(posterior) if posterior_transform is not None else posterior


def _fit(gp: SingleTaskGP) -> SingleTaskGP:
    """Maximum-marginal-likelihood fit of the GP's hyperparameters, quietly (BoTorch retries on failure)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_gpytorch_mll(ExactMarginalLogLikelihood(gp.likelihood, gp))
    gp.eval()
    return gp


def fit_property(obs: data.Observations, features: np.ndarray, logit: bool) -> GlassProperty:
    """GP of one property over (parameters, composition): per-glass offsets, one pooled scale, known noise."""
    y, var = obs.y.copy(), obs.y_var.copy()
    if logit:
        p = np.clip(y, B4_EPS, 1 - B4_EPS)
        y, var = np.log(p / (1 - p)), var / (p * (1 - p)) ** 2  # delta method
    offset = np.array([y[obs.glass_index == g].mean() if (obs.glass_index == g).any() else y.mean()
                       for g in range(len(obs.glasses))])
    resid = y - offset[obs.glass_index]
    scale = float(resid.std()) if len(resid) > 1 and resid.std() > 1e-9 else max(float(np.sqrt(var.mean())), 1e-6)
    x = torch.tensor(np.concatenate([obs.unit, features[obs.glass_index]], axis=1), dtype=DTYPE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputDataWarning)  # standardised by hand: per-glass offsets, pooled scale
        gp = SingleTaskGP(x, torch.tensor(resid / scale, dtype=DTYPE)[:, None],
                          torch.tensor(var / scale**2, dtype=DTYPE).clamp_min(1e-8)[:, None], outcome_transform=None)
    return GlassProperty(_fit(gp), torch.tensor(features, dtype=DTYPE), torch.tensor(offset, dtype=DTYPE), scale)


@dataclass
class Problem:
    """The fitted models and everything needed to turn their samples into the campaign objective."""

    model: ModelList
    props: list[data.Observations]  # in model-output order
    targets: dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]  # prop -> (exp, weight, scale) per glass
    logit_B4: bool
    constant: float  # objective terms of the inert glasses (the same for every candidate)
    failure: bool  # whether the last model output is the failed-run fraction
    max_failure: float
    X_baseline: torch.Tensor  # every evaluated candidate, in the unit box

    def terms(self, samples: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Density and B4 objective terms, summed over glasses, of samples (..., q, outputs) -> (..., q) each."""
        out = {}
        start = 0
        for obs in self.props:
            values = samples[..., start:start + len(obs.glasses)]
            start += len(obs.glasses)
            if obs.prop == "B4" and self.logit_B4:
                values = torch.sigmoid(values)
            exp, weight, scale = self.targets[obs.prop]
            out[obs.prop] = (weight * ((values - exp) / scale) ** 2).sum(-1)
        zero = torch.zeros(samples.shape[:-1], dtype=samples.dtype)
        return out.get("density_g_cm3", zero), out.get("B4", zero)

    def objective(self, samples: torch.Tensor, X=None) -> torch.Tensor:
        """Negative campaign objective (BoTorch maximises)."""
        d, b = self.terms(samples)
        return -(d + b + self.constant)

    def pair(self, samples: torch.Tensor, X=None) -> torch.Tensor:
        """Negative density and B4 terms as two objectives (pareto mode); inert glasses count for density."""
        d, b = self.terms(samples)
        return torch.stack([-(d + self.constant), -b], dim=-1)

    def constraints(self) -> list | None:
        """Feasibility: the predicted failed-run fraction stays below the limit (negative = feasible)."""
        return [lambda z: z[..., -1] - self.max_failure] if self.failure else None


def build(dataset: pd.DataFrame, config: dict, seed: int) -> Problem:
    """Fit the property GPs (and the failure GP once a run has failed) to the data set."""
    torch.manual_seed(seed)
    cfg = settings(config)["proposer"]
    targets = fit_targets(config)
    models, props, target_tensors = [], [], {}
    for prop in data.PROPERTIES:
        obs = data.observations(dataset, config, prop)
        if not obs.glasses or not len(obs.y):
            continue
        features = data.composition_features(config, obs.glasses)
        logit = prop == "B4" and cfg["B4_transform"] == "logit"
        models.append(fit_property(obs, features, logit))
        props.append(obs)
        rows = targets.loc[obs.glasses]
        target_tensors[prop] = tuple(torch.tensor(rows[f"{prop}_{k}"].to_numpy(dtype=float), dtype=DTYPE)
                                     for k in ("exp", "weight", "scale"))
    if not models:
        raise ValueError("no fitted glass has a simulated value that responds to the tunable parameters: "
                         "nothing to model")
    X = torch.tensor(normalise(data.candidates(dataset, config).to_numpy(dtype=float), config), dtype=DTYPE)
    failure_gp = failure_model(dataset, config)
    failure = failure_gp is not None
    if failure:
        models.append(failure_gp)
    return Problem(model=ModelList(*models), props=props, targets=target_tensors,
                   logit_B4=cfg["B4_transform"] == "logit", constant=inert_constant(dataset, config), failure=failure,
                   max_failure=float(cfg["max_failure_fraction"]), X_baseline=X)


def failure_model(dataset: pd.DataFrame, config: dict) -> SingleTaskGP | None:
    """GP of the fraction of failed MD runs per evaluated set over the unit box; None while no run has failed."""
    frac = data.failure_fraction(dataset, config)
    if not (frac > 0).any():
        return None
    X = torch.tensor(normalise(data.candidates(dataset, config).to_numpy(dtype=float), config), dtype=DTYPE)
    return _fit(SingleTaskGP(X, torch.tensor(frac.to_numpy(), dtype=DTYPE)[:, None]))


def log_feasibility(model: SingleTaskGP, unit: np.ndarray, limit: float) -> np.ndarray:
    """log P(failed-run fraction < limit) at unit-box points, from the failure GP's posterior."""
    with torch.no_grad():
        post = model.posterior(torch.as_tensor(np.asarray(unit, dtype=float), dtype=DTYPE))
        z = (limit - post.mean[..., 0]) / post.variance[..., 0].clamp_min(1e-12).sqrt()
        return torch.special.log_ndtr(z).numpy()


def _sampler(problem: Problem, config: dict, seed: int, n: int | None = None) -> ListSampler:
    """Quasi-MC sampler of the model list's posterior (one Sobol sampler per model, seeded)."""
    shape = torch.Size([n or int(settings(config)["proposer"]["mc_samples"])])
    return ListSampler(*[SobolQMCNormalSampler(shape, seed=seed + i) for i in range(len(problem.model.models))])


def posterior_terms(problem: Problem, unit: np.ndarray, config: dict, seed: int, n_samples: int = 512) -> pd.DataFrame:
    """Posterior mean and std of the objective and its terms at each point (marginally), and failure fraction."""
    X = torch.as_tensor(np.asarray(unit, dtype=float), dtype=DTYPE).reshape(-1, 1, problem.X_baseline.shape[-1])
    with torch.no_grad():
        samples = _sampler(problem, config, seed, n_samples)(problem.model.posterior(X))  # (S, n, 1, outputs)
        d, b = problem.terms(samples)
    d, b = (d + problem.constant)[..., 0], b[..., 0]
    out = pd.DataFrame({
        "predicted_objective": (d + b).mean(0).numpy(), "predicted_objective_std": (d + b).std(0).numpy(),
        "predicted_density_term": d.mean(0).numpy(), "predicted_B4_term": b.mean(0).numpy(),
    })
    if problem.failure:
        out["predicted_failure_fraction"] = samples[..., 0, -1].mean(0).clamp(0, 1).numpy()
    return out


def glass_predictions(problem: Problem, unit: np.ndarray) -> pd.DataFrame:
    """Posterior mean and std of every modelled property on its glasses at each point (physical units).

    Rows point x glass (point = row index of `unit`); logit-B4 moments are taken by sampling.
    """
    X = torch.as_tensor(np.asarray(unit, dtype=float), dtype=DTYPE).reshape(-1, 1, problem.X_baseline.shape[-1])
    frames = []
    with torch.no_grad():
        for model, obs in zip(problem.model.models, problem.props):
            post = model.posterior(X)
            if obs.prop == "B4" and problem.logit_B4:
                s = torch.sigmoid(SobolQMCNormalSampler(torch.Size([256]), seed=0)(post))[..., 0, :]
                mean, std = s.mean(0), s.std(0)
            else:
                mean, std = post.mean[:, 0, :], post.variance[:, 0, :].sqrt()
            frames.append(pd.DataFrame({"point": np.repeat(np.arange(len(X)), len(obs.glasses)),
                                        "glass": np.tile(obs.glasses, len(X)),
                                        f"{obs.prop}_mean": mean.reshape(-1).numpy(),
                                        f"{obs.prop}_std": std.reshape(-1).numpy()}))
    out = frames[0]
    for f in frames[1:]:
        out = out.merge(f, on=["point", "glass"], how="outer")
    return out


def propose(problem: Problem, config: dict, k: int, seed: int) -> np.ndarray:
    """A batch of k points of the unit box that maximises qLogNEI (qLogNEHVI in pareto mode) as a whole.

    learn.proposer.batch: sequential (greedy, each point with the earlier ones pending) or joint optimisation.
    """
    learn = settings(config)
    cfg = learn["proposer"]
    sampler = _sampler(problem, config, seed)
    if learn["mode"] == "pareto":
        with torch.no_grad():
            base = problem.pair(_sampler(problem, config, seed, 256)(problem.model.posterior(problem.X_baseline[:, None, :]))).mean(0)[:, 0, :]
        acq = qLogNoisyExpectedHypervolumeImprovement(
            problem.model, infer_reference_point(base[is_non_dominated(base)]), problem.X_baseline, sampler=sampler,
            objective=GenericMCMultiOutputObjective(problem.pair), constraints=problem.constraints(),
            prune_baseline=True, cache_root=False)
    else:
        acq = qLogNoisyExpectedImprovement(
            problem.model, problem.X_baseline, sampler=sampler, objective=GenericMCObjective(problem.objective),
            constraints=problem.constraints(), prune_baseline=True, cache_root=False)
    d = problem.X_baseline.shape[-1]
    bounds = torch.stack([torch.zeros(d, dtype=DTYPE), torch.ones(d, dtype=DTYPE)])
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, _ = optimize_acqf(acq, bounds, q=k, num_restarts=int(cfg["num_restarts"]),
                             raw_samples=int(cfg["raw_samples"]), options={"batch_limit": 4, "maxiter": 200},
                             sequential=cfg["batch"] == "sequential")
    return X.detach().numpy().clip(0.0, 1.0)

