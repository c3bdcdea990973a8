"""Cost-aware evaluation (learn.cost mode screen) without MD: the plan a proposal writes, the runs it makes, the pooled data
set, the reported set and the budget."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import learn_toy as toy
from conftest import ROOT, tiny

from glassfit import campaign as gc, config, layout, learn
from glassfit.learn import cost, data
from glassfit.learn.propose import box_minimiser, evaluated_at
from glassfit.model import to_dict

SCREEN = {"cost": {"mode": "screen", "screen_replicas": 2, "topups": 2}}


def test_pooled_rows_equal_the_statistics_of_all_replicas():
    rng = np.random.default_rng(3)
    replicas = rng.normal(2.4, 0.02, 6)
    first, second = replicas[:2], replicas[2:]

    def row(values, iteration, failed=0):
        return {"iteration": iteration, "candidate": "i01c03", "glass": "24B", "density_g_cm3_mean": values.mean(),
                "density_g_cm3_std": values.std(ddof=1), "n_ok": len(values), "n_failed": failed, "failures": "r1: lost atoms" if failed else ""}

    other = {**row(first, 1), "candidate": "i01c04"}
    pooled = gc.dataset(pd.DataFrame([row(second, 4, failed=1)]), pd.DataFrame([row(first, 1), other]))
    assert len(pooled) == 2 and list(pooled["candidate"]) == ["i01c03", "i01c04"]
    top = pooled.iloc[0]
    assert top["density_g_cm3_mean"] == pytest.approx(replicas.mean(), rel=1e-12)
    assert top["density_g_cm3_std"] == pytest.approx(replicas.std(ddof=1), rel=1e-12)
    assert (top["n_ok"], top["n_failed"], top["iteration"], top["failures"]) == (6, 1, 1, "r1: lost atoms")


def screened(unit, iteration, rng, replicas, first=0):
    """Toy data-set rows with a given replica count per set."""
    return toy.evaluate(unit, iteration, rng, replicas=replicas, first=first)


def test_a_screening_proposal_plans_replicas_and_tops_up_contenders():
    problem = toy.config(**SCREEN)
    rng = np.random.default_rng(0)
    start = screened(np.array([[0.5, 0.5]]), 0, rng, 6)  # the start set: full
    sobol = screened(np.random.default_rng(1).random((7, 2)), 0, rng, 2, first=1)
    near = screened(np.array([[0.32, 0.68]]), 0, rng, 2, first=8)  # next to the optimum: must beat the start set
    dataset = pd.concat([start, sobol, near], ignore_index=True)
    assert list(cost.usable(dataset, problem)[lambda s: s].index) == ["i00c00"]  # only a fully run set can be reported
    table = learn.propose(dataset, problem, 3, seed=0)
    glasses = [g for g, _ in toy.GLASSES]
    assert [f"replicas_{g}" for g in glasses] == [c for c in table.columns if c.startswith("replicas_")]
    topups = table.attrs["topups"]
    assert 1 <= topups <= 2 and len(table) == 3 + topups
    assert "i00c08" in set(table["topup_of"].iloc[:topups])  # the set at the optimum is a contender
    assert (table.iloc[:topups][[f"replicas_{g}" for g in glasses]] == 6).all().all()
    # every screening batch confirms the posterior's best point; here that is the screened set next to the optimum, topped
    # up, so every new set is screened
    best = box_minimiser(learn.Engine(dataset, problem, 0))
    assert evaluated_at(best, dataset, problem) == "i00c08" and table.attrs["confirm"] == 0
    assert (table.iloc[topups:][[f"replicas_{g}" for g in glasses]] == 2).all().all() and (table["topup_of"].iloc[topups:] == "").all()
    ranking = learn.rank(dataset, problem, seed=0)
    beaten = ranking.set_index("candidate").loc["i00c00", "predicted_objective"]
    assert (ranking.set_index("candidate").loc[list(table["topup_of"].iloc[:topups]), "predicted_objective"] < beaten).all()
    # the fixed design has no plan columns: every set runs every glass with every replica
    fixed = learn.propose(dataset, toy.config(), 2, seed=0)
    assert not any(c.startswith("replicas_") or c == "topup_of" for c in fixed.columns)


def test_the_budget_keeps_the_top_ups_in_reserve():
    problem = toy.config(budget_md_runs=100, **SCREEN)
    rng = np.random.default_rng(0)
    dataset = screened(np.random.default_rng(1).random((8, 2)), 0, rng, 2)  # 48 runs
    # 100 - 48 - (2 top-ups + the confirmation set's 4 extra replicas) x 3 glasses x 4 replicas = 16 runs left: 2 new sets
    # of 3 glasses x 2 replicas
    assert learn.affordable_candidates(dataset, problem) == 2
    # the fixed design budgets by what its sets cost so far (the median runs per set: 3 glasses x 2 replicas here)
    assert learn.affordable_candidates(dataset, toy.config(budget_md_runs=100)) == (100 - 48) // 6


def campaign(tmp_path, **learn_section):
    cfg = tiny()
    cfg["results_dir"] = str(tmp_path / "results")
    cfg["system"]["replicas"] = 3
    cfg["learn"] = {"design": {"one_at_a_time": True, "sobol_points": 1}, **learn_section}
    return config.resolve(cfg, "test")


def test_the_runs_of_an_iteration_follow_its_plan(tmp_path):
    c = campaign(tmp_path, cost={"mode": "screen", "screen_replicas": 1})
    design = gc.initial_candidates(c)
    runs = gc.iteration_runs(c, design, 0)
    assert {r for cand, g, r in runs if cand == "i00c00"} == {0, 1, 2}  # the start set runs in full
    assert {(cand, r) for cand, g, r in runs if cand != "i00c00"} == {(cand, 0) for cand in design["candidate"][1:]}
    results = c.results
    layout.iteration_file(results, 0, layout.CANDIDATES).parent.mkdir(parents=True)
    design.to_csv(layout.iteration_file(results, 0, layout.CANDIDATES), index=False)
    names = [t.name for t in c.tunables]
    plan = pd.DataFrame({"candidate": ["i00c02", "i01c00"], "kind": ["topup", "proposed"],
                         **{n: design[n].iloc[:2].to_list() for n in names},
                         "replicas_12B": [3, 1], "replicas_50B": [3, 0]})
    assert sorted(gc.iteration_runs(c, plan, 1, results)) == [
        ("i00c02", "12B", 1), ("i00c02", "12B", 2), ("i00c02", "50B", 1), ("i00c02", "50B", 2), ("i01c00", "12B", 0)]
    with pytest.raises(ValueError, match="top-up iteration needs the campaign folder"):
        gc.iteration_runs(c, plan, 1)
    fixed = campaign(tmp_path, cost={"mode": "fixed"})
    assert len(gc.iteration_runs(fixed, gc.initial_candidates(fixed), 0)) == len(design) * 2 * 3


def test_auto_screens_a_new_campaign_and_keeps_the_design_its_folder_was_started_with(tmp_path):
    assert campaign(tmp_path).learn.cost.mode == "screen"  # 3 replicas, 2 screened
    assert campaign(tmp_path, cost={"screen_replicas": 3}).learn.cost.mode == "fixed"  # nothing to screen
    assert campaign(tmp_path, proposer={"kind": "mlp"}).learn.cost.mode == "fixed"  # the MLP weighs no replica counts
    assert config.load(ROOT / "config/config.yaml").learn.cost.mode == "fixed"  # the published campaign stays as published
    started = campaign(tmp_path)
    folder = Path(started.results)
    folder.mkdir(parents=True)
    before = to_dict(started)
    del before["learn"]["cost"]  # a campaign.json of a glassfit without learn.cost: its campaign ran the fixed design
    (folder / layout.CAMPAIGN_JSON).write_text(json.dumps(before))
    assert campaign(tmp_path).learn.cost.mode == "fixed"
    assert campaign(tmp_path, cost={"mode": "screen"}).learn.cost.mode == "screen"  # a design the config names wins
    (folder / layout.CAMPAIGN_JSON).write_text(json.dumps(to_dict(started)))
    assert campaign(tmp_path, cost={"screen_replicas": 1}).learn.cost.mode == "screen"
    (folder / layout.CAMPAIGN_JSON).write_text('{"learn": ')  # damaged: glassfit verify names it; the config still resolves
    assert campaign(tmp_path).learn.cost.mode == "screen"


@pytest.mark.parametrize("change, message", [
    ({"cost": {"mode": "screen", "screen_replicas": 3}}, "learn.cost.screen_replicas: 3 screens nothing with system.replicas 3"),
    ({"cost": {"mode": "screen"}, "proposer": {"kind": "mlp"}}, "learn.cost.mode: screen needs learn.proposer.kind: botorch"),
])
def test_a_screen_config_that_cannot_work_is_one_line(tmp_path, change, message):
    with pytest.raises(config.ConfigError, match=message):
        campaign(tmp_path, **change)


def test_full_counts_runs_not_successes():
    problem = toy.config(**SCREEN)
    rows = screened(np.array([[0.5, 0.5], [0.2, 0.2]]), 0, np.random.default_rng(0), 6)
    rows.loc[rows["candidate"] == "i00c01", ["n_ok", "n_failed"]] = [2, 4]
    rows.loc[(rows["candidate"] == "i00c00") & (rows["glass"] == "12B"), "n_ok"] = 5
    assert cost.full(rows, problem).to_dict() == {"i00c00": False, "i00c01": True}


def test_the_screened_set_at_the_best_point_is_topped_up():
    problem = toy.config(**SCREEN)
    rng = np.random.default_rng(4)
    dataset = pd.concat([screened(np.array([[0.5, 0.5]]), 0, rng, 6), screened(np.array([[0.2, 0.2], [0.8, 0.8]]), 0, rng, 2, first=1)],
                        ignore_index=True)
    assert cost.confirmation("i00c01", [], dataset, problem) == ["i00c01"]
    assert cost.confirmation("i00c01", ["i00c01"], dataset, problem) == ["i00c01"]  # once
    assert cost.confirmation("i00c00", ["i00c02"], dataset, problem) == ["i00c02"]  # fully run already
    assert cost.confirmation("i00c01", [], dataset, toy.config()) == []  # the fixed design runs every set in full
    dataset.loc[dataset["candidate"] == "i00c01", ["n_ok", "n_failed"]] = [0, 2]
    assert cost.confirmation("i00c01", [], dataset, problem) == []  # its runs fail


def test_the_confirmation_set_runs_in_full():
    problem = toy.config(**SCREEN)
    rng = np.random.default_rng(2)
    dataset = pd.concat([screened(np.array([[0.5, 0.5]]), 0, rng, 6), screened(np.random.default_rng(5).random((7, 2)), 0, rng, 2, first=1)],
                        ignore_index=True)
    table = learn.propose(dataset, problem, 2, seed=0, confirm=True)
    assert table.attrs["confirm"] == 1
    confirm = table.iloc[table.attrs["topups"]]
    assert all(confirm[f"replicas_{g}"] == 6 for g, _ in toy.GLASSES) and confirm["topup_of"] == ""
    assert all(table.iloc[-1][f"replicas_{g}"] == 2 for g, _ in toy.GLASSES)
