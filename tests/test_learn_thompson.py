"""Thompson sampling, the proposal beyond learn.proposer.thompson_rows rows (glassfit.learn.thompson), on the cheap toy
problem of tests/learn_toy.py: its samples are the GP posterior's, and its batches find the optimum and avoid failures."""
import numpy as np
import pandas as pd
import torch
from scipy.stats import qmc

import learn_toy as toy
from glassfit import learn
from glassfit.learn import gp, thompson

torch.set_num_threads(1)


def sobol(n: int, seed: int) -> np.ndarray:
    return qmc.Sobol(2, seed=seed).random_base2(int(np.log2(n)))


def test_the_pathwise_samples_have_the_posteriors_mean_and_variance():
    """Moments of 2000 pathwise samples of every glass's density and B4 (model scale) and of the failure classifier
    (logit scale, through its Standardize transform) against gpytorch's exact posterior."""
    problem = toy.config()
    models = gp.build(toy.evaluate(sobol(16, 3), 0, np.random.default_rng(0), fail_above=0.7), problem, 0)
    assert models.failure
    X = torch.tensor([[0.2, 0.3], [0.75, 0.5], [0.9, 0.1]], dtype=torch.float64)
    with torch.no_grad():
        values = thompson.Samples(models, 2000, seed=0)(X)  # (2000, 3 points, 3 densities + 3 B4 + failure)
        post = models.model.posterior(X)
    mean, var = post.mean, post.variance  # (3, 7)
    se = (var / 2000).sqrt()
    assert torch.all((values.mean(0) - mean).abs() < 5 * se + 1e-3 * var.sqrt())
    assert torch.allclose(values.var(0), var, rtol=0.2)


def test_a_thompson_batch_is_new_distinct_and_near_the_optimum():
    problem = toy.config(proposer={"thompson_rows": 0})  # every data set counts as large
    data = toy.evaluate(sobol(16, 3), 0, np.random.default_rng(4))
    batch = learn.propose(data, problem, k=4, seed=2)
    unit = toy.unit_of(batch)
    assert len(batch) == 4 and np.all((unit >= 0) & (unit <= 1))
    evaluated = toy.unit_of(data.drop_duplicates("candidate"))
    distance = np.linalg.norm(unit[:, None, :] - np.vstack([evaluated, unit])[None, :, :], axis=-1)
    distance[np.arange(4), len(evaluated) + np.arange(4)] = np.inf  # a point's distance to itself
    assert distance.min() >= problem.learn.proposer.min_distance
    assert np.median(toy.true_objective(unit)) < np.median(toy.true_objective(sobol(64, 9)))
    assert toy.true_objective(unit).min() < 0.05 * toy.true_objective(np.array([0.5, 0.5]))[0]
    models = gp.build(data, problem, 2)
    assert np.allclose(unit, thompson.propose(models, problem, 4, 2))  # Engine.batch dispatched to it


def test_thompson_sampling_avoids_a_region_where_runs_failed():
    problem = toy.config(optimum=np.array([0.85, 0.5]), proposer={"thompson_rows": 0})  # optimum where runs fail
    data = toy.evaluate(sobol(16, 3), 0, np.random.default_rng(0), fail_above=0.7)
    blind = learn.propose(data[data["n_ok"] > 0], problem, k=4, seed=1)
    assert toy.unit_of(blind)[:, 0].max() > 0.8
    batch = learn.propose(data, problem, k=4, seed=1)
    assert toy.unit_of(batch)[:, 0].max() < 0.8


def test_below_the_threshold_the_batch_is_qlognei():
    problem = toy.config()
    data = toy.evaluate(sobol(8, 0), 0, np.random.default_rng(1))
    assert problem.learn.proposer.thompson_rows > len(data)
    models = gp.build(data, problem, 0)
    batch = learn.propose(data, problem, k=2, seed=0)
    assert np.allclose(toy.unit_of(batch), gp.propose(models, problem, 2, 0))
    assert not np.allclose(toy.unit_of(batch), thompson.propose(models, problem, 2, 0))
