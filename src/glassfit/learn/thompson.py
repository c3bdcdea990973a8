"""Batch Thompson sampling from pathwise posterior samples: the proposal once the data set is large.

qLogNEI's cost per evaluation grows with the training rows (every evaluation conditions the joint posterior of the batch
and the incumbents on every row), and optimising a batch of 10 takes thousands of evaluations: 500 sets x 9 glasses
would take hours. Beyond learn.proposer.thompson_rows rows, each point of the batch is instead the minimiser of the
campaign objective on one posterior sample of every target's GP and of the failure classifier (parallel Thompson
sampling, Hernandez-Lobato et al., ICML 2017; with the constraint as in Eriksson & Poloczek's SCBO, AISTATS 2021). BoTorch
draws each sample as a function (Matheron's rule: a random-Fourier-feature prior path plus its data update; Wilson et
al., ICML 2020), so a sample costs one solve against the training rows and is then evaluated anywhere, with gradients.
"""
from __future__ import annotations

import numpy as np
import torch
from botorch.sampling.pathwise import draw_matheron_paths
from scipy.stats import qmc

from glassfit.model import LearningProblem

from .gp import DTYPE, GlassProperty, Models

CANDIDATES = 4096  # Sobol points scored per sample before the gradient polish
POLISHED = 3  # best candidates per sample polished by L-BFGS-B on the sample
CHUNK = 256  # points scored at once: a point is one row per glass, each a kernel row against every training row


class Samples(torch.nn.Module):
    """k joint posterior samples of every model output as functions of the unit box: X (..., n, d) -> (k, ..., n, outputs)."""

    def __init__(self, models: Models, k: int, seed: int):
        super().__init__()
        torch.manual_seed(seed)  # the random Fourier features and the sample weights
        self.models = models
        with torch.no_grad():  # the paths' weights are constants: gradients flow to the points only
            self.paths = [draw_matheron_paths(m.gp if isinstance(m, GlassProperty) else m, torch.Size([k]))
                          for m in models.model.models]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Every output of every sample at every point, on each target's model scale (logit B4) as GlassProperty's posterior
        gives it: per-glass offset and pooled scale applied; the failure classifier's logit last."""
        outputs, points = [], X.reshape(-1, X.shape[-1])  # a path evaluates (rows, d) only
        for model, path in zip(self.models.model.models, self.paths):
            if isinstance(model, GlassProperty):
                g, f = model.features.shape
                rows = torch.cat([points.unsqueeze(-2).expand(-1, g, -1), model.features.expand(len(points), g, f)], dim=-1)
                values = path(rows.reshape(-1, rows.shape[-1])).reshape(-1, *X.shape[:-1], g)
                outputs.append(values * model.scale + model.offset)  # (k, ..., n, glasses)
            else:  # the failure classifier, on the unit box
                outputs.append(path(points).reshape(-1, *X.shape[:-1], 1))
        return torch.cat(outputs, dim=-1)

    def objective(self, X: torch.Tensor) -> torch.Tensor:
        """Campaign objective of every sample (k, ..., n), +inf where that sample predicts failures over the limit."""
        return self.models.sample_objective(self(X))


def _polish(samples: Samples, starts: torch.Tensor) -> torch.Tensor:
    """L-BFGS-B in the unit box from starts (k, polished, d), each point on its own sample; the objectives are separate,
    so one minimisation of their sum moves every point downhill on its own sample (a failure over the limit is a steep
    penalty here, Models.penalised, and excluded afterwards)."""
    from scipy.optimize import minimize

    k, shape = starts.shape[0], starts.shape
    models = samples.models

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        X = torch.tensor(flat, dtype=DTYPE).reshape(shape).requires_grad_(True)
        values = samples(X)[torch.arange(k), torch.arange(k)]  # (k, polished, outputs): each start on its own sample
        total = -models.penalised(values)
        (grad,) = torch.autograd.grad(total.sum(), X)
        return float(total.sum().detach()), grad.numpy().ravel()

    res = minimize(loss, starts.numpy().ravel(), jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * starts.numel(),
                   options={"maxiter": 200})
    return torch.tensor(res.x, dtype=DTYPE).reshape(shape)


def applies(models: Models, problem: LearningProblem) -> bool:
    """Whether a batch comes from Thompson sampling: scalar mode, and a target with more than thompson_rows training rows."""
    rows = max(len(obs.y) for obs in models.observed)
    return problem.learn.mode != "pareto" and rows > problem.learn.proposer.thompson_rows


def propose(models: Models, problem: LearningProblem, k: int, seed: int) -> np.ndarray:
    """Up to k points of the unit box: the feasible minimiser of the objective on each of k posterior samples, at least
    learn.proposer.min_distance from the evaluated sets and from each other."""
    d = models.X_baseline.shape[-1]
    samples = Samples(models, k, seed)
    points = torch.tensor(qmc.Sobol(d, scramble=True, seed=seed).random(CANDIDATES), dtype=DTYPE)
    with torch.no_grad():
        scores = torch.cat([samples.objective(points[i:i + CHUNK]) for i in range(0, len(points), CHUNK)], dim=-1)  # (k, n)
    order = scores.argsort(dim=-1)
    starts = points[order[:, :POLISHED]]  # (k, polished, d)
    polished = _polish(samples, starts)
    with torch.no_grad():
        own = samples.objective(polished)[torch.arange(k), torch.arange(k)]  # (k, polished)
    min_distance = problem.learn.proposer.min_distance
    taken = list(models.X_baseline.numpy())
    chosen: list[np.ndarray] = []
    for j in range(k):  # each sample's best point that is new: polished first, then its next Sobol candidates
        ranked = [polished[j, i].numpy() for i in own[j].argsort() if torch.isfinite(own[j, i])]
        ranked += [points[i].numpy() for i in order[j, :64] if torch.isfinite(scores[j, i])]
        for x in ranked:
            if not taken or np.min(np.linalg.norm(np.asarray(taken) - x, axis=1)) >= min_distance:
                chosen.append(x)
                taken.append(x)
                break
    return np.asarray(chosen).reshape(-1, d).clip(0.0, 1.0)
