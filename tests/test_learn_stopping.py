"""Tests of the stop rules: maximum iterations, MD budget, convergence; and the defaults from the schema."""
import numpy as np
import pandas as pd
import yaml

from glassfit import config as glassfit_config
from glassfit.learn import affordable_candidates, best_so_far, confirms_last, converged, stop_reason

GLASSES = [
    {"id": "24B", "composition": {"SiO2": 51, "B2O3": 24, "Na2O": 15, "CaO": 10}, "density_g_cm3": 2.5,
     "B4": 0.6, "role": "fit"},
    {"id": "10B", "composition": {"SiO2": 60, "B2O3": 10, "Na2O": 15, "CaO": 15}, "density_g_cm3": None,
     "B4": None, "role": "validation"},
]
TUNABLE = [{"name": "p", "pair": "B-O", "coefficient": "A_eV", "start": 1.0, "low": 0.9, "high": 1.1}]


def config(**learn):
    """The problem with the fixed design (its budget is counted per fully run candidate)."""
    return glassfit_config.problem(TUNABLE, GLASSES, {"cost": {"mode": "fixed"}, **learn})


def dataset(density_error_per_iteration, candidates_per_iteration=2, replicas=3):
    """Each iteration's best candidate has the given density error (objective = (error / 0.01)^2)."""
    rows = []
    for it, err in enumerate(density_error_per_iteration):
        for c in range(candidates_per_iteration):
            for glass in ("24B", "10B"):
                rows.append({"iteration": it, "candidate": f"i{it:02d}c{c:02d}", "p": 1.0, "glass": glass,
                             "density_g_cm3_mean": 2.5 + err * (c + 1), "density_g_cm3_std": 0.0,
                             "B4_mean": 0.6, "B4_std": 0.0, "n_ok": replicas, "n_failed": 0})
    return pd.DataFrame(rows)


def test_max_iterations():
    data = dataset([0.1, 0.05])
    assert stop_reason(data, 2, config(iterations=3)) is None
    reason = stop_reason(data, 3, config(iterations=3))
    assert reason is not None and "learn.iterations" in reason
    assert stop_reason(dataset([]), 0, config()) is None  # fresh campaign


def test_budget():
    data = dataset([0.1, 0.05])  # 4 candidates x 2 glasses x 3 replicas = 24 runs, 6 per candidate
    assert affordable_candidates(data, config(budget_md_runs=None)) == 10
    assert affordable_candidates(data, config(budget_md_runs=40)) == 2
    assert stop_reason(data, 2, config(budget_md_runs=40)) is None
    reason = stop_reason(data, 2, config(budget_md_runs=29))  # 5 runs left < 6 per candidate
    assert reason is not None and "budget" in reason and "24 of 29" in reason
    data.loc[0, "n_failed"] = 10  # failed runs count as used: 34 used; a candidate costs (median) 6
    assert affordable_candidates(data, config(budget_md_runs=39)) == 0
    assert affordable_candidates(data, config(budget_md_runs=40)) == 1
    assert affordable_candidates(data, config(budget_md_runs=51)) == 2
    # the start set's one-off reference runs (a glass no tuned pair acts on) do not make candidates look dearer
    reference = data.iloc[[0]].assign(glass="0B", n_ok=3, n_failed=0)
    assert affordable_candidates(pd.concat([data, reference]), config(budget_md_runs=54)) == 2  # 17 left, 6 each (not 37 / 4)


def test_the_last_batch_is_the_last_iteration_or_the_rest_of_the_budget():
    """The batch that spends what is left of the budget is the last one too: it confirms the recommendation."""
    data = dataset([0.1, 0.05])  # 24 runs used, 6 per candidate
    assert not confirms_last(data, 2, config(iterations=10, candidates_per_iteration=2))  # no budget: iterations decide
    assert confirms_last(data, 9, config(iterations=10, candidates_per_iteration=2))
    assert confirms_last(data, 2, config(iterations=10, candidates_per_iteration=2, budget_md_runs=36))  # 12 left: 2 sets, all
    assert not confirms_last(data, 2, config(iterations=10, candidates_per_iteration=2, budget_md_runs=42))  # 18 left: 3 sets
    assert not confirms_last(data, 9, config(iterations=10, candidates_per_iteration=2, proposer={"confirm_last": False}))


def test_convergence():
    assert not converged([10.0, 5.0, 2.0], config())  # not enough history for patience 3
    assert not converged([10.0, 5.0, 2.0, 1.0], config())  # still improving fast
    assert converged([10.0, 1.0, 0.999, 0.998, 0.997], config())  # 0.3 % over 3 iterations
    assert not converged([10.0, 1.0, 0.999, 0.998, 0.997], config(convergence={"tolerance": 0.001}))
    assert converged([1.0, 1.0], config(convergence={"patience": 1}))
    assert not converged([np.inf, np.inf, np.inf, np.inf, 5.0], config())


def test_stop_reason_converged_from_the_data_set():
    # best density errors 0.1, 0.02, 0.02, 0.02, 0.02 -> objective 100, 4, 4, 4, 4
    data = dataset([0.1, 0.02, 0.02, 0.02, 0.02])
    assert np.allclose(best_so_far(data, config()), [100.0, 4.0, 4.0, 4.0, 4.0])
    reason = stop_reason(data, 5, config())
    assert reason is not None and reason.startswith("converged")
    assert stop_reason(data.query("iteration < 4"), 4, config()) is None  # only 2 iterations without gain


def test_defaults_come_from_the_schema_and_every_key_is_documented():
    d = config()
    assert d.learn.iterations == 17 and d.learn.candidates_per_iteration == 10 and d.learn.budget_md_runs is None
    assert {t.name: t.weight for t in d.targets}["B4"] == 2.0 and d.learn.proposer.min_distance == 0.05
    schema = yaml.safe_load(glassfit_config.LEARN_SCHEMA.read_text())

    def walk(node):
        assert node.get("additionalProperties") is False
        for sub in node["properties"].values():
            assert {"type", "default", "description"} <= set(sub)
            if sub["type"] == "object":
                walk(sub)
    walk(schema)


def test_convergence_is_judged_on_the_posterior_when_a_ranking_is_given():
    """Observed best keeps falling by replica luck (100, 4, 3, 2, 1); the posterior-best stalls at 5: converged."""
    data = dataset([0.1, 0.02, 0.0173, 0.0141, 0.01])
    assert stop_reason(data, 5, config()) is None  # the observed objective still 'improves'
    ranking = pd.DataFrame({"candidate": [f"c{i}" for i in range(6)], "iteration": [0, 1, 2, 3, 4, 4],
                            "predicted_objective": [10.0, 5.0, 5.01, 5.02, 5.0, 0.1], "usable": [True] * 5 + [False]})
    reason = stop_reason(data, 5, config(), ranking)
    assert reason is not None and reason.startswith("converged: the recommended set objective 5 (posterior mean)")
    assert stop_reason(data, 5, config(), ranking.assign(predicted_objective=[10.0, 8.0, 6.0, 4.0, 2.0, 0.1])) is None
