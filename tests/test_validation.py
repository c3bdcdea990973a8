"""The final validation's sets and campaign (glassfit.validation, no MD): named sets are complete sets, never hybrids."""

from __future__ import annotations

import pandas as pd
import pytest

from glassfit import campaign as gc, config, validation
from conftest import ROOT, tiny

NAMED = ["yang2026_bo", "yang2026_cmaes", "yang2026_b4"]


def resolved(**analysis) -> config.Campaign:
    return config.resolve({**tiny(), "analysis": analysis}, "tiny.yaml")


def error_of(cfg: dict) -> str:
    with pytest.raises(config.ConfigError) as info:
        config.resolve(cfg, "tiny.yaml")
    assert "\n" not in str(info.value)
    return str(info.value)


def test_default_sets_are_best_start_and_every_named_set():
    assert validation.labels(resolved()) == ["best", "start", *NAMED]
    only = config.resolve({**tiny(fit=False), "analysis": {}}, "tiny.yaml")
    assert validation.labels(only) == ["start", *NAMED]  # nothing fitted, so no 'best'


def test_validation_campaign_has_every_glass_and_its_own_seed():
    campaign = resolved()
    v = validation.validation_campaign(campaign, "tiny.yaml")
    ids = [g.id for g in v.glasses]
    assert ids == list(config.read_glasses(campaign.glasses_table, ("density_g_cm3", "B4")).index) and "10B" in ids
    assert v.seed != campaign.seed and v.tunables == campaign.tunables
    assert validation.simulated_glasses(campaign) == ["12B", "50B", *[g for g in ids if g not in ("12B", "50B")]]
    only = resolved(validation_glasses=["10B"])
    assert [g.id for g in validation.validation_campaign(only, "tiny.yaml").glasses] == ["10B"]
    for off in ({"validation_analyses": []}, {"validation_sets": []}):
        assert validation.validation_campaign(resolved(**off), "tiny.yaml") is None
        assert validation.simulated_glasses(resolved(**off)) == ["12B", "50B"]


@pytest.mark.parametrize(
    "analysis, message",
    [
        ({"validation_glasses": ["12B", "99B"]}, "tiny.yaml: analysis.validation_glasses[1]: glass '99B' is not defined"),
        ({"measured_sq": {"12B": {"neutron": "nowhere.csv"}}}, "tiny.yaml: analysis.measured_sq.12B.neutron: file nowhere.csv not found"),
        ({"validation_glasses": ["10B"], "measured_sq": {"24B": {"xray": "x.csv"}}}, "analysis.measured_sq.24B: glass '24B' is neither fitted nor validated"),
    ],
)
def test_bad_analysis_sections_are_explained(analysis, message):
    with pytest.raises(config.ConfigError) as info:
        validation.validation_campaign(resolved(**analysis), "tiny.yaml")
    assert message in str(info.value)


@pytest.mark.parametrize("text, message", [
    ("Q,S\n1.0,1.1\n1.5,x\n", "{path}, line 3: not a number in '1.5,x' (named in tiny.yaml: analysis.measured_sq.12B.xray)"),
    ("# measured\nQ\n1.0\n", "{path}, line 3: needs at least two columns"),
    ("Q,S\n1.0,1.1\n", "{path}: fewer than two data rows"),
])
def test_malformed_measured_data_give_one_line(tmp_path, text, message):
    path = tmp_path / "sq.csv"
    path.write_text(text)
    with pytest.raises(config.ConfigError) as info:
        validation.validation_campaign(resolved(measured_sq={"12B": {"xray": str(path)}}), "tiny.yaml")
    assert message.format(path=path) in str(info.value) and "\n" not in str(info.value)


def test_small_boxes_of_validation_glasses_are_caught():
    """6 A fits below half the box of 150-atom 12B (6.2 A) but not of 75B (5.9 A), which only the validation runs."""
    cfg = {**tiny(**{"potential.cutoff_A": 6.0, "glasses.use": ["12B"]}), "analysis": {"validation_glasses": ["75B"]}}
    assert "potential.cutoff_A: 6 Å is not below half the box" in error_of(cfg)
    assert error_of(cfg).endswith("(in the final validation on analysis.validation_glasses: 75B)")


def test_a_set_lacking_a_needed_pair_is_refused(tmp_path):
    table = tmp_path / "potential.csv"
    rows = [line for line in (ROOT / "config/potential.csv").read_text().splitlines() if not line.startswith("yang2026_bo,B-B")]
    table.write_text("\n".join(rows) + "\n")
    for key, cfg in (("analysis.validation_sets[0]", {**tiny(**{"potential.table": str(table)}), "analysis": {"validation_sets": ["yang2026_bo"]}}),
                     ("potential.initial_sets[0]", tiny(**{"potential.table": str(table), "potential.initial_sets": ["yang2026_bo"]}))):
        assert error_of(cfg) == (f"tiny.yaml: {key}: set 'yang2026_bo' lacks pair(s) B-B that the campaign needs (defined by the start set "
                                 "'wang2018'); add them to the table or leave the set out")
    assert "analysis.validation_sets[0]: unknown parameter set 'nope'" in error_of({**tiny(), "analysis": {"validation_sets": ["nope"]}})
    assert "analysis.validation_sets[0]: 'best' needs a campaign that fits" in error_of({**tiny(fit=False), "analysis": {"validation_sets": ["best"]}})


def test_a_named_initial_set_outside_the_tuned_parameters_is_refused_not_mixed():
    """tiny tunes B-O A and rho only: yang2026_bo also changes B-O C and both B-B terms, so iteration 0 cannot run it."""
    message = error_of(tiny(**{"potential.initial_sets": ["yang2026_bo"]}))
    assert message.startswith("tiny.yaml: potential.initial_sets[0]: set 'yang2026_bo' differs from the start set 'wang2018' in B-B A_eV, B-B rho_A, B-O C_eVA6")
    full = tiny(**{"potential.initial_sets": ["yang2026_bo"]})
    full["potential"]["tunable"] = [{"pair": p, "term": t, "bounds_rel": [-0.1, 0.1]} for p, t in (("B-O", "A"), ("B-O", "rho"), ("B-O", "C"), ("B-B", "A"), ("B-B", "rho"))]
    campaign = config.resolve(full, "tiny.yaml")  # every parameter it changes is tuned: it is a point of the search space
    row = gc.initial_candidates(campaign).iloc[-1]
    assert row["kind"] == "set:yang2026_bo" and row["BB_A_eV"] == 532.85 and row["BO_C_eVA6"] == 32.56


def test_validated_named_sets_are_rendered_complete():
    """With two tuned B-O parameters, a validated named set still runs with all of its own B-O and B-B terms."""
    campaign = resolved(validation_sets=["best", "start", "yang2026_bo"])
    best = pd.DataFrame([{"candidate": "i03c01", "BO_A_eV": 200000.0, "BO_rho_A": 0.125}])
    table = validation.candidates(campaign, best)
    assert table["candidate"].tolist() == ["best", "start", "yang2026_bo"]
    assert table["source"].tolist() == ["i03c01", "set:wang2018", "set:yang2026_bo"]
    assert table["set"].tolist() == ["wang2018", "wang2018", "yang2026_bo"]

    def coefficients(label):
        row = {"candidate": label, **table.set_index("candidate").loc[label].to_dict()}
        spec = gc.run_spec(campaign, row, "12B", 0, "s.data", "w")
        return {line.split("# ")[1]: line.split()[3:6] for line in spec.potential_lines if line.startswith("pair_coeff") and "Coulomb" not in line}

    assert coefficients("yang2026_bo")["B-O"] == ["191757.12", "0.1249", "32.56"]
    assert coefficients("yang2026_bo")["B-B"] == ["532.85", "0.3527", "0"]
    assert coefficients("start")["B-B"] == ["484.4", "0.35", "0"]
    assert coefficients("best")["B-O"] == ["200000", "0.125", "35.0018"] and coefficients("best")["B-B"] == ["484.4", "0.35", "0"]


def test_final_targets_follow_the_section():
    assert validation.final_targets(resolved(validation_analyses=[]), "R") == []
    campaign = resolved(validation_analyses=["coordination", "angles"], validation_glasses=["10B", "50B"])
    targets = validation.final_targets(campaign, "R")
    assert validation.labels(campaign) == ["best", "start", "yang2026_bo", "yang2026_cmaes", "yang2026_b4"]
    assert targets == [
        "R/final/validation/properties.csv", "R/final/validation/properties.md", "R/final/validation/density_vs_B2O3.png",
        "R/final/validation/B4_vs_B2O3.png", "R/final/structure/validation.csv", "R/final/structure/mean_XOX_vs_B2O3.png", "R/final/structure/density_vs_XOX.png",
        "R/final/structure/10B/bond_angles.png", "R/final/structure/50B/bond_angles.png",
        *(f"R/final/pictures/{label}.png" for label in validation.labels(campaign)),
    ]


def test_shipped_validation_only_config():
    campaign = config.load(ROOT / "config/validate.yaml")
    assert campaign.fit is False and validation.labels(campaign) == ["wang2018", *NAMED]
    assert [g.id for g in validation.validation_campaign(campaign, "validate.yaml").glasses] == ["0B", "6B", "12B", "24B", "37B", "50B", "62B", "75B", "10B"]
