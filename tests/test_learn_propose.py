"""The MLP-ensemble engine: Monte-Carlo acquisitions over its members, CMA-ES search, distances, determinism."""
import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

import learn_toy as toy
from glassfit.learn import propose, recommend, train
from glassfit.learn.propose import expected_improvement, log_expected_improvement

FAST = {"hidden_layers": [32, 32], "max_steps": 2500, "patience": 150}
COLUMNS = [*toy.NAMES, "predicted_objective", "predicted_objective_std"]


def mlp(acquisition="mean", **proposer):
    return toy.config(proposer={"kind": "mlp", "acquisition": acquisition, "restarts": 2, "max_evaluations": 1000,
                                **proposer}, surrogate=FAST)


class TruthSurrogate:
    """A perfect 'surrogate' (the toy truth) whose members spread by +-`spread`, to test the acquisitions alone."""

    metrics = {"kind": "truth"}
    n_members = 3

    def __init__(self, spread=0.001):
        self.spread = spread
        self.index = {g: i for i, (g, _) in enumerate(toy.GLASSES)}

    def predict_members(self, unit, glasses):
        density, b4 = toy.truth(unit)
        cols = [self.index[g] for g in glasses]
        y = np.stack([density[:, cols], b4[:, cols]], axis=-1)
        return np.stack([y, y + self.spread, y - self.spread])


def dataset(n, seed):
    return toy.evaluate(qmc.Sobol(2, seed=seed).random(n), 0, np.random.default_rng(seed))


def test_expected_improvement_rewards_lower_objectives_and_spread():
    members = np.array([[10.0, 5.0, 1.0, 9.0],    # columns: points; rows: members
                        [10.0, 10.0, 1.0, 9.0],
                        [10.0, 15.0, 1.0, 9.0]])
    ei = expected_improvement(members, best=8.0)
    assert ei == pytest.approx([0.0, 1.0, 7.0, 0.0])
    assert ei[2] > ei[1] > ei[0]  # a sign error would rank the worst point first
    assert ei[1] > ei[3]  # same or better mean, but only the spread point can improve: the spread counts
    smooth = expected_improvement(members, best=8.0, smoothing=0.01)
    assert np.all(smooth > 0) and smooth == pytest.approx(ei, abs=0.01)
    assert np.argsort(smooth).tolist() == [0, 3, 1, 2]  # smoothing breaks the tie by closeness to improving
    log_ei = log_expected_improvement(members, best=8.0, smoothing=0.01)
    assert np.exp(log_ei) == pytest.approx(smooth, rel=1e-9, abs=1e-300)
    far = log_expected_improvement(np.array([[1e4, 2e4]]), best=8.0, smoothing=0.01)
    assert np.all(np.isfinite(far)) and far[0] > far[1]  # no underflow: still a slope far from improving


def test_each_acquisition_finds_the_known_optimum_with_a_perfect_surrogate():
    data = dataset(16, seed=0)
    for acquisition in ("mean", "ei", "thompson"):
        out = propose(data, mlp(acquisition), k=3, seed=0, surrogate=TruthSurrogate())
        assert list(out.columns) == COLUMNS and len(out) == 3, acquisition
        best = toy.unit_of(out)[np.argmin(out["predicted_objective"].to_numpy())]
        assert np.linalg.norm(best - toy.OPTIMUM) < 0.05, acquisition


def test_trained_ensemble_proposes_near_the_optimum_and_recommends_by_its_mean():
    data = dataset(32, seed=1)
    config = mlp("ei")
    surrogate, _ = train(data, config, seed=1)
    out = propose(data, config, k=4, seed=1, surrogate=surrogate)
    unit = toy.unit_of(out)
    assert np.all((unit >= 0) & (unit <= 1))
    assert np.linalg.norm(unit - toy.OPTIMUM, axis=1).min() < 0.15
    best_data = toy.true_objective(toy.unit_of(data.drop_duplicates("candidate"))).min()
    assert toy.true_objective(unit).min() < best_data
    assert out.attrs["surrogate_metrics"]["n_train"] > 0
    rec = recommend(data, config, seed=1, surrogate=surrogate)
    ranking = rec.ranking
    assert rec.candidate == ranking["candidate"].iloc[0]
    assert ranking["predicted_objective"].is_monotonic_increasing


def test_points_near_the_data_are_excluded_and_min_distance_is_configurable():
    at_opt = toy.evaluate(toy.OPTIMUM[None, :], 0, np.random.default_rng(0))
    out = propose(at_opt, mlp(min_distance=0.2), k=4, seed=0, surrogate=TruthSurrogate())
    unit = toy.unit_of(out)
    assert np.linalg.norm(unit - toy.OPTIMUM, axis=1).min() >= 0.2
    assert np.linalg.norm(unit[0] - toy.OPTIMUM) < 0.25  # still as close as allowed
    pairwise = np.sqrt(((unit[:, None] - unit[None]) ** 2).sum(-1)) + np.eye(len(unit))
    assert pairwise.min() >= 0.2


def test_fewer_rows_only_when_not_enough_distinct_points():
    centre = toy.evaluate(np.array([[0.5, 0.5]]), 0, np.random.default_rng(0))
    out = propose(centre, mlp(min_distance=1.5), k=10, seed=0, surrogate=TruthSurrogate())
    assert out.empty and list(out.columns) == COLUMNS  # nothing in the box is 1.5 from its centre
    out = propose(centre, mlp(min_distance=0.6), k=50, seed=0, surrogate=TruthSurrogate())
    assert 1 <= len(out) < 50


def test_k_zero_gives_an_empty_frame():
    out = propose(dataset(4, seed=3), mlp(), k=0, seed=0)
    assert out.empty and list(out.columns) == COLUMNS


def test_deterministic_given_seed():
    data = dataset(8, seed=4)
    config = mlp("ei", max_evaluations=300)
    a = propose(data, config, k=3, seed=7, surrogate=TruthSurrogate(0.01))
    b = propose(data, config, k=3, seed=7, surrogate=TruthSurrogate(0.01))
    pd.testing.assert_frame_equal(a, b)


def test_expected_improvement_and_thompson_avoid_a_region_where_runs_failed():
    class ShiftedTruth(TruthSurrogate):
        """The toy truth with its targets moved to (0.85, 0.5), inside the region where runs fail (u0 > 0.7)."""

    data = toy.evaluate(qmc.Sobol(2, seed=3).random(16), 0, np.random.default_rng(0), fail_above=0.7)
    for acquisition in ("ei", "thompson"):
        config = toy.config(optimum=np.array([0.85, 0.5]),
                            proposer={"kind": "mlp", "restarts": 2, "max_evaluations": 600, "acquisition": acquisition})
        blind = propose(data[data["n_ok"] > 0], config, k=3, seed=0, surrogate=ShiftedTruth())
        assert toy.unit_of(blind)[:, 0].max() > 0.8, acquisition  # without the failures: straight into the region
        out = propose(data, config, k=3, seed=0, surrogate=ShiftedTruth())
        assert toy.unit_of(out)[:, 0].max() < 0.8, acquisition
