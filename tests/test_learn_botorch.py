"""The BoTorch engine on a cheap known problem (tests/learn_toy.py): it finds the optimum, chooses sane batches,
weighs observations by their noise, avoids regions where runs fail, and reports the posterior-mean best."""
import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import norm, qmc

import learn_toy as toy
from glassfit import learn
from glassfit.learn import gp
from glassfit.learn.propose import box_minimiser

torch.set_num_threads(1)
SE_DENSITY, SE_B4 = 0.015 / np.sqrt(6), 0.02 / np.sqrt(6)  # standard error of a 6-replica mean in learn_toy


def sobol(n: int, seed: int) -> np.ndarray:
    return qmc.Sobol(2, seed=seed).random_base2(int(np.log2(n)))


def test_finds_the_optimum_region_within_a_small_budget():
    config, rng = toy.config(), np.random.default_rng(0)
    design = learn.initial_design(config, seed=1)
    assert len(design) == 7  # start + 3 x 2 Sobol points
    data = toy.evaluate(toy.unit_of(design), 0, rng)
    for it in range(1, 4):
        batch = learn.propose(data, config, k=3, seed=it)
        data = pd.concat([data, toy.evaluate(toy.unit_of(batch), it, rng)], ignore_index=True)
    rec = learn.recommend(data, config, seed=0)
    unit = toy.unit_of(pd.DataFrame([rec.parameters]))[0]
    assert np.linalg.norm(unit - toy.OPTIMUM) < 0.1
    start_objective = toy.true_objective(np.array([0.5, 0.5]))[0]
    assert toy.true_objective(unit)[0] < 0.02 * start_objective


def test_batch_points_are_distinct_inside_the_bounds_and_new():
    config = toy.config()
    data = toy.evaluate(sobol(8, 0), 0, np.random.default_rng(1))
    batch = learn.propose(data, config, k=4, seed=0)
    assert len(batch) == 4
    unit = toy.unit_of(batch)
    assert np.all((unit >= 0) & (unit <= 1))
    gaps = np.linalg.norm(unit[:, None] - unit[None], axis=-1)[np.triu_indices(4, 1)]
    assert gaps.min() > 1e-3
    assert np.linalg.norm(unit[:, None] - sobol(8, 0)[None], axis=-1).min() > 1e-3
    for column in ("predicted_objective", "predicted_objective_std", "predicted_density_term", "predicted_B4_term"):
        assert np.all(np.isfinite(batch[column]))
    per_glass = batch.attrs["predictions"]
    assert len(per_glass) == 4 * 3 and per_glass["B4_mean"].between(0, 1).all()


def move(data, grid, i, k):
    """Replica means of candidate i set to its truth moved k standard errors towards the targets (k < 0: away)."""
    d0, b0 = toy.truth(toy.OPTIMUM)
    d, b = toy.truth(grid[i])
    rows = data["candidate"] == f"i00c{i:02d}"
    data.loc[rows, "density_g_cm3_mean"] = d[0] + k * SE_DENSITY * np.sign(d0[0] - d[0])
    data.loc[rows, "B4_mean"] = b[0] + k * SE_B4 * np.sign(b0[0] - b[0])


def lucky_case(twins: bool):
    """16 Sobol points; the truly second-best set observed 4 standard errors too good, the best 2.5 too bad."""
    grid = sobol(16, 5)
    order = np.argsort(toy.true_objective(grid))
    best, lucky = order[0], order[1]
    if twins:  # two honest near-duplicates of the lucky set contradict it
        grid = np.vstack([grid, grid[lucky] + [0.02, -0.01], grid[lucky] + [-0.015, 0.015]])
    data = toy.evaluate(grid, 0, np.random.default_rng(0))
    for i in range(len(grid)):
        move(data, grid, i, 0.0)
    move(data, grid, best, -2.5)
    move(data, grid, lucky, 4.0)
    return data, f"i00c{best:02d}", f"i00c{lucky:02d}"


def test_the_reported_best_is_the_posterior_mean_best_not_the_noisy_minimum():
    config = toy.config()
    data, best, lucky = lucky_case(twins=True)
    assert learn.objective(data, config).idxmin() == lucky  # the noisy minimum is the lucky set
    rec = learn.recommend(data, config, seed=0)
    assert rec.candidate == best
    ranking = rec.ranking.set_index("candidate")
    assert ranking.loc[lucky, "predicted_objective"] > ranking.loc[best, "predicted_objective"]
    assert rec.observed_objective == pytest.approx(learn.objective(data, config)[best])


def test_noisy_observations_move_the_prediction_less_than_precise_ones():
    config = toy.config()
    predicted = {}
    for n_ok in (6, 1):  # the same replica means, from 6 replicas or from 1
        data, _, lucky = lucky_case(twins=False)
        data.loc[data["candidate"] == lucky, "n_ok"] = n_ok
        predicted[n_ok] = learn.rank(data, config, seed=0).set_index("candidate").loc[lucky, "predicted_objective"]
    truth = toy.true_objective(sobol(16, 5)[int(lucky[-2:])])[0]
    assert predicted[6] < predicted[1] - 3 < truth  # the one-replica mean counts less: its prediction stays nearer the truth


def test_a_region_where_runs_failed_is_avoided():
    config = toy.config(optimum=np.array([0.85, 0.5]))  # the optimum lies where runs fail (u0 > 0.7)
    data = toy.evaluate(sobol(16, 3), 0, np.random.default_rng(0), fail_above=0.7)
    assert (data["n_ok"] == 0).any()
    blind = learn.propose(data[data["n_ok"] > 0], config, k=4, seed=1)  # the failures not shown to the model
    assert toy.unit_of(blind)[:, 0].max() > 0.8
    batch = learn.propose(data, config, k=4, seed=1)
    assert toy.unit_of(batch)[:, 0].max() < 0.8
    assert np.all(batch["predicted_failure_fraction"] < 0.7)
    # nor is the posterior's best point, which the last batch confirms, taken where runs are predicted to fail
    engine = learn.Engine(data, config, 1)
    best = box_minimiser(engine)
    terms = gp.posterior_terms(engine.model, best[None], config, seed=1)
    assert best[0] < 0.8 and terms["predicted_failure_fraction"].iloc[0] < config.learn.proposer.max_failure_fraction
    # nor on the edge of that region: the classifier puts the failure probability within the limit at 4 to 1 there
    post = engine.model.model.models[-1].posterior(torch.as_tensor(best[None], dtype=torch.float64))
    z = (np.log(0.5 / 0.5) - float(post.mean.squeeze())) / float(post.variance.squeeze()) ** 0.5
    assert norm.cdf(z) >= 0.8  # the mean rule before put it where the odds were even (0.51)
    confirmed = learn.propose(data, config, k=4, seed=1, confirm=True, engine=engine)
    assert toy.unit_of(confirmed)[:, 0].max() < 0.8
    # and a failed set is never recommended, however good the model thinks it is
    rec = learn.recommend(data, config, seed=0)
    assert toy.unit_of(pd.DataFrame([rec.parameters]))[0, 0] <= 0.7


def test_pareto_mode_proposes_a_batch_and_ranks_a_front():
    config = toy.config(mode="pareto")
    data = toy.evaluate(sobol(8, 0), 0, np.random.default_rng(2))
    batch = learn.propose(data, config, k=3, seed=0)
    assert len(batch) == 3 and np.all((toy.unit_of(batch) >= 0) & (toy.unit_of(batch) <= 1))
    front = learn.pareto_front(data, config, seed=0)
    optimal = front[front["pareto_optimal"]]
    assert len(optimal) >= 1
    terms = front[["predicted_density_term", "predicted_B4_term"]].to_numpy()
    for d, b in optimal[["predicted_density_term", "predicted_B4_term"]].to_numpy():
        assert not np.any((terms[:, 0] <= d) & (terms[:, 1] <= b) & ((terms[:, 0] < d) | (terms[:, 1] < b)))
    dominated = front[~front["pareto_optimal"]]
    for d, b in dominated[["predicted_density_term", "predicted_B4_term"]].to_numpy():
        assert np.any((terms[:, 0] <= d) & (terms[:, 1] <= b) & ((terms[:, 0] < d) | (terms[:, 1] < b)))


def test_the_last_batch_confirms_the_box_minimiser_of_the_posterior():
    """confirm=True: the first set is the minimiser of the posterior-expected objective over the whole box, which no
    evaluated set beats (the recommendation would otherwise be the best of the evaluated sets only)."""
    config, rng = toy.config(), np.random.default_rng(5)
    data = toy.evaluate(sobol(16, 3), 0, rng)
    batch = learn.propose(data, config, k=3, seed=0, confirm=True)
    assert batch.attrs["confirm"] == 1 and len(batch) == 3
    ranking = learn.rank(data, config, seed=0)
    assert batch["predicted_objective"].iloc[0] <= ranking["predicted_objective"].min()
    assert np.linalg.norm(toy.unit_of(batch.iloc[[0]])[0] - toy.OPTIMUM) < 0.1
    assert learn.propose(data, config, k=2, seed=0).attrs["confirm"] == 0


def test_the_acquisitions_fast_covariance_is_the_exact_one_at_campaign_sizes():
    """propose() evaluates posteriors under LOVE (fast_pred_var); up to 800 training rows its root is an exact Cholesky
    factor, so the joint covariance of a batch over every glass equals gpytorch's exact solve."""
    import gpytorch

    problem = toy.config()
    models = gp.build(toy.evaluate(sobol(64, 3), 0, np.random.default_rng(3)), problem, 0)  # 192 rows per target
    X = torch.rand(3, 4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for model in models.model.models:
        exact = model.posterior(X).distribution.covariance_matrix.detach()
        with gpytorch.settings.fast_pred_var():
            fast = model.posterior(X).distribution.covariance_matrix.detach()
        assert fast.shape == exact.shape
        assert torch.allclose(fast, exact, rtol=1e-6, atol=1e-10 * float(exact.abs().max()))
