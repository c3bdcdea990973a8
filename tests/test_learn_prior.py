"""Warm starts (learn.prior_data, glassfit import-dataset): published wide tables in kcal/mol, one-line errors, sets outside
the box, and what prior data do to the Gaussian processes (pooled when of the campaign's fidelity, modelled as another
fidelity when not)."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import yaml

import learn_toy as toy

from glassfit import cli, config
from glassfit.learn import gp, prior
from glassfit.learn.settings import denormalise
from glassfit.model import PriorData

KCAL_PER_MOL_IN_EV = 0.0433641  # 1 kcal/mol = 4184 J / (6.02214076e23 x 1.602176634e-19 J/eV) = 0.0433641 eV, by hand


def wide_table(unit: np.ndarray, rng: np.random.Generator, shift: float = 0.0, units: str = "real") -> pd.DataFrame:
    """A published-style table of the toy problem: one row per set, BO_A in kcal/mol (units real) or eV, <glass>_<target> columns."""
    params = denormalise(unit, toy.config())
    density, b4 = toy.truth(unit)
    table = pd.DataFrame({"BO_A": params[:, 0] / (KCAL_PER_MOL_IN_EV if units == "real" else 1.0), "BO_rho": params[:, 1]})
    for j, (glass, _) in enumerate(toy.GLASSES):
        table[f"{glass}_density_g_cm3"] = density[:, j] + shift + rng.normal(0, 0.015 / np.sqrt(4), len(unit))
        table[f"{glass}_density_g_cm3_std"] = 0.015
        table[f"{glass}_density_g_cm3_n"] = 4
        table[f"{glass}_B4"] = b4[:, j] + rng.normal(0, 0.02 / np.sqrt(4), len(unit))
    return table


def test_a_wide_table_in_kcal_per_mol_becomes_data_set_rows_in_ev(tmp_path):
    problem = toy.config()
    table = pd.DataFrame({"BO_A": [23.0, 24.0], "BO_rho": [1.0, 1.05],
                          "12B_density_g_cm3": [2.41, 2.43], "12B_density_g_cm3_std": [0.01, None], "12B_density_g_cm3_n": [3, 5],
                          "37B_B4": [0.6, None]})
    for path in (tmp_path / "published.csv", tmp_path / "published.xlsx"):
        table.to_csv(path, index=False) if path.suffix == ".csv" else table.to_excel(path, index=False, sheet_name="MD")
        rows = prior.load(PriorData(str(path), units="real", sheet="MD" if path.suffix == ".xlsx" else None), problem, 2)
        assert sorted(rows["candidate"].unique()) == ["prior2:row1", "prior2:row2"]
        first = rows[(rows["candidate"] == "prior2:row1") & (rows["glass"] == "12B")].iloc[0]
        assert first["BO_A"] == pytest.approx(23.0 * KCAL_PER_MOL_IN_EV, rel=1e-6)  # an energy: converted
        assert first["BO_rho"] == 1.0  # a length: as given
        assert (first["density_g_cm3_mean"], first["density_g_cm3_std"], first["n_ok"]) == (2.41, 0.01, 3)
        second = rows[(rows["candidate"] == "prior2:row2") & (rows["glass"] == "37B")].iloc[0]
        assert np.isnan(second["B4_mean"]) and second["n_ok"] == 0  # an empty cell: no value, no replica
        assert set(rows["fidelity"]) == {"same"}
    metal = prior.load(PriorData(str(tmp_path / "published.csv")), problem)
    assert metal["BO_A"].iloc[0] == 23.0


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.drop(columns="BO_rho"), "no column BO_rho"),
    (lambda t: t.assign(BO_rho=["1.0", "one"]), "row 2, column BO_rho: 'one' is not a number"),
    (lambda t: t.assign(**{"12B_density_g_cm3": ["2.4", "x"]}), "row 2, column 12B_density_g_cm3: 'x' is not a number"),
    (lambda t: t.assign(**{"99B_density_g_cm3": 2.4}), "column 99B_density_g_cm3 is neither a tunable nor <glass>_<target>"),
    (lambda t: t[["BO_A", "BO_rho"]], "no <glass>_<target> column"),
])
def test_a_bad_table_is_one_line_naming_row_and_column(tmp_path, edit, message):
    path = tmp_path / "bad.csv"
    edit(pd.DataFrame({"BO_A": [1.0, 1.01], "BO_rho": [1.0, 1.0], "12B_density_g_cm3": [2.4, 2.41]})).to_csv(path, index=False)
    with pytest.raises(prior.PriorDataError) as error:
        prior.load(PriorData(str(path)), toy.config())
    assert message in str(error.value) and str(path) in str(error.value) and "\n" not in str(error.value)


def campaign_config(tmp_path, entries: list[dict], kind: str = "botorch") -> str:
    """The demo config with learn.prior_data (and the proposer kind) set, written next to the test's files."""
    with open(config.ROOT / "config" / "demo.yaml") as f:
        cfg = yaml.safe_load(f)
    cfg.setdefault("learn", {})["prior_data"] = entries
    cfg["learn"].setdefault("proposer", {})["kind"] = kind
    cfg["results_dir"] = str(tmp_path / "results")
    for key in ("glasses", "potential"):
        for sub, value in list(cfg[key].items()):
            if isinstance(value, str) and (config.ROOT / value).exists():
                cfg[key][sub] = str(config.ROOT / value)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def test_import_dataset_converts_validates_and_lists_the_sets_outside_the_box(tmp_path, capsys):
    campaign = config.load(campaign_config(tmp_path, []))
    names = [t.name for t in campaign.tunables]
    glass = next(g.id for g in campaign.glasses if g.role == "fit")
    inside = [t.start for t in campaign.tunables]
    outside = [t.high * 1.2 if i == 1 else t.start for i, t in enumerate(campaign.tunables)]
    kcal = [[v / KCAL_PER_MOL_IN_EV if t.coefficient and "_eV" in t.coefficient else v for v, t in zip(row, campaign.tunables)]
            for row in (inside, outside)]
    table = pd.DataFrame(kcal, columns=names).assign(**{f"{glass}_density_g_cm3": [2.5, 2.6]})
    table.to_excel(tmp_path / "published.xlsx", index=False)
    out = tmp_path / "prior.csv"
    code = cli.main(["import-dataset", str(tmp_path / "published.xlsx"), "--configfile", campaign_config(tmp_path, []),
                     "--units", "real", "--fidelity", "short-quench", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert f"1 set(s) outside the search box, not used: row2 ({names[1]} = {outside[1]:.6g})" in printed
    written = pd.read_csv(out)
    assert list(written["candidate"]) == ["row1", "row2"] and set(written["fidelity"]) == {"short-quench"}
    assert written[names].iloc[0].to_numpy() == pytest.approx(inside, rel=1e-6)
    # the written data set is a valid prior_data entry; only the set inside the box trains the surrogates
    campaign = config.load(campaign_config(tmp_path, [{"path": str(out), "fidelity": "short-quench"}]))
    assert campaign.learn.prior_data == (PriorData(str(out), "metal", "short-quench", None),)
    assert list(prior.training_rows(campaign)["candidate"]) == ["prior1:row1"]


def test_config_errors_name_the_entry(tmp_path):
    with pytest.raises(config.ConfigError, match=r"missing.csv: no such file \(learn.prior_data\[0\]"):
        config.load(campaign_config(tmp_path, [{"path": str(tmp_path / "missing.csv")}]))
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    with pytest.raises(config.ConfigError, match="learn.prior_data needs learn.proposer.kind: botorch"):
        config.load(campaign_config(tmp_path, [{"path": str(tmp_path / "t.csv")}], kind="mlp"))
    with pytest.raises(config.ConfigError, match=r"learn.prior_data\[0\].units"):
        config.load(campaign_config(tmp_path, [{"path": str(tmp_path / "t.csv"), "units": "si"}]))


def prediction_error(problem, dataset: pd.DataFrame, test_unit: np.ndarray) -> tuple[float, float]:
    """RMS error of the posterior-mean density and B4 against the truth at test points (all three glasses)."""
    models = gp.build(dataset, problem, seed=0)
    table = gp.glass_predictions(models, test_unit)
    density, b4 = toy.truth(test_unit)
    order = {g: j for j, (g, _) in enumerate(toy.GLASSES)}
    cols = table["glass"].map(order).to_numpy()
    return (float(np.sqrt(np.mean((table["density_g_cm3_mean"].to_numpy() - density[table["point"], cols]) ** 2))),
            float(np.sqrt(np.mean((table["B4_mean"].to_numpy() - b4[table["point"], cols]) ** 2))))


def test_prior_data_of_the_same_protocol_sharpen_the_surrogate(tmp_path):
    rng = np.random.default_rng(4)
    dataset = toy.evaluate(rng.random((4, 2)), 0, rng)
    test_unit = np.random.default_rng(99).random((40, 2))
    wide_table(np.random.default_rng(7).random((30, 2)), rng).to_excel(tmp_path / "earlier.xlsx", index=False)
    alone = prediction_error(toy.config(), dataset, test_unit)
    problem = toy.config()
    warm = replace(problem, learn=replace(problem.learn, prior_data=(PriorData(str(tmp_path / "earlier.xlsx"), units="real"),)))
    joined = prediction_error(warm, dataset, test_unit)
    assert joined[0] < 0.5 * alone[0] and joined[1] < 0.5 * alone[1], (alone, joined)
    # the prior sets are training data only: the baseline the acquisition improves on is the campaign's own sets
    assert gp.build(dataset, warm, seed=0).X_baseline.shape[0] == 4


def test_another_protocol_is_a_fidelity_of_its_own_not_pooled_blindly(tmp_path):
    """Prior data 0.06 g/cm3 too dense (a faster quench, say): pooled as the campaign's own they bias its density; as another
    fidelity the GP learns the offset from the campaign's few sets and predicts the campaign's density."""
    rng = np.random.default_rng(5)
    dataset = toy.evaluate(np.random.default_rng(6).random((8, 2)), 0, rng)
    wide_table(np.random.default_rng(8).random((30, 2)), rng, shift=0.06).to_csv(tmp_path / "fast.csv", index=False)
    test_unit = np.random.default_rng(99).random((40, 2))
    problem = toy.config()

    def with_fidelity(label: str):
        return replace(problem, learn=replace(problem.learn, prior_data=(PriorData(str(tmp_path / "fast.csv"), units="real", fidelity=label),)))

    pooled = prediction_error(with_fidelity("same"), dataset, test_unit)[0]
    own = prediction_error(with_fidelity("fast-quench"), dataset, test_unit)[0]
    assert pooled > 0.02  # the shift leaks into the campaign's predictions
    assert own < 0.5 * pooled, (own, pooled)
