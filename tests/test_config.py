"""Every config problem stops with one line that names the file, the key and the problem."""

import pytest

from glassfit import cli, config
from glassfit.config import ConfigError
from conftest import ROOT, shipped, tiny


def error_of(cfg: dict, tmp_path=None, glasses_csv: str | None = None) -> str:
    if glasses_csv is not None:
        path = tmp_path / "glasses.csv"
        path.write_text(glasses_csv)
        cfg["glasses"]["table"] = str(path)
        cfg["glasses"]["use"] = None
    with pytest.raises(ConfigError) as info:
        config.resolve(cfg, "cfg.yaml")
    message = str(info.value)
    assert "\n" not in message
    return message


def test_shipped_configs_are_valid():
    for name in ("config.yaml", "demo.yaml"):
        campaign = config.load(ROOT / "config" / name)
        assert campaign.tunables and campaign.glasses
    published = config.load(ROOT / "config/config.yaml")
    assert [g.id for g in published.glasses] == ["0B", "6B", "12B", "24B", "37B", "50B", "62B", "75B", "10B"]
    assert [t.name for t in published.tunables] == ["BO_A_eV", "BO_rho_A", "BO_C_eVA6", "BB_A_eV", "BB_rho_A"]
    rho = published.tunables[1]
    assert rho.low == pytest.approx(0.124 * 0.95) and rho.high == pytest.approx(0.124 * 1.10)


def test_defaults_are_filled_in():
    campaign = config.resolve(tiny(), "cfg.yaml")
    assert campaign.md.b4_cutoff_A == 1.8 and campaign.results_dir == "results"


def test_unknown_key():
    cfg = tiny()
    cfg["system"]["atomz"] = 3
    assert error_of(cfg) == "cfg.yaml: system.atomz: unknown key (allowed: atoms, replicas, start_density_g_cm3, min_separation_A)"


def test_wrong_type():
    assert error_of(tiny(**{"system.replicas": "six"})) == "cfg.yaml: system.replicas: 'six' is not of type 'integer'"


def test_oxides_not_summing_to_100(tmp_path):
    msg = error_of(tiny(), tmp_path, "id,SiO2,B2O3,Na2O,CaO,density_g_cm3,B4,role\nX,50,24,15,10,2.5,0.6,fit\n")
    assert msg.endswith("glasses.csv: line 2, columns SiO2, B2O3, Na2O, CaO: glass 'X': oxides sum to 99 mol %, not 100 (named in cfg.yaml)")


def test_target_for_undefined_glass(tmp_path):
    msg = error_of(tiny(), tmp_path, "id,SiO2,B2O3,Na2O,CaO,density_g_cm3,B4,role\nX,,,,,2.5,0.6,fit\n")
    assert "glass 'X' has a target but no composition" in msg
    assert "glasses.use[1]: glass 'nope' is not defined" in error_of(tiny(**{"glasses.use": ["12B", "nope"]}))


def test_bounds_low_not_below_high():
    cfg = tiny()
    cfg["potential"]["tunable"][1]["bounds_rel"] = [0.1, -0.05]
    assert error_of(cfg) == "cfg.yaml: potential.tunable[1].bounds_rel: low (0.1) must be below high (-0.05)"


def test_tunable_naming_no_pair():
    cfg = tiny()
    cfg["potential"]["tunable"][0]["pair"] = "B-Na"
    assert "potential.tunable[0].pair: 'B-Na' names no pair of set 'wang2018'" in error_of(cfg)


def test_cutoff_longer_than_half_box():
    msg = error_of(tiny(**{"potential.cutoff_A": 11.0}))
    assert msg.startswith("cfg.yaml: potential.cutoff_A: 11 Å is not below half the box") and "system.atoms = 150" in msg


@pytest.mark.parametrize("duration", [0, -1])
def test_stage_without_positive_duration(duration):
    cfg = tiny()
    cfg["md"]["protocol"][2]["duration_ps"] = duration
    assert f"md.protocol[2].duration_ps: stage 'quench' must last a finite time longer than 0 ps (got {duration})" in error_of(cfg)


def test_missing_lammps_executable():
    msg = error_of(tiny(**{"md.lammps": "/no/such/lmp"}))
    assert msg == "cfg.yaml: md.lammps: LAMMPS executable '/no/such/lmp' not found (not a file, not on PATH)"


def test_unknown_start_set_and_roles():
    assert "potential.start: unknown parameter set 'nope'" in error_of(tiny(**{"potential.start": "nope"}))
    cfg = tiny()
    cfg["md"]["protocol"][3].pop("role")
    assert "exactly one stage needs role: density" in error_of(cfg)


def test_load_reports_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="nothere.yaml: config file not found"):
        config.load(tmp_path / "nothere.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("campaign: tiny\nseed: [1\nglasses: {}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: line 3, column 8: not valid YAML \(did not find expected ',' or '\]'\)"):
        config.load(bad)


def test_a_single_tunable_parameter_is_refused():
    cfg = tiny()
    cfg["potential"]["tunable"] = cfg["potential"]["tunable"][:1]
    assert error_of(cfg).startswith("cfg.yaml: potential.tunable: proposing candidates needs at least 2 parameters")
    cfg["learn"] = {"iterations": 1}  # a campaign that never proposes may tune one parameter
    assert config.resolve(cfg, "cfg.yaml").tunables[0].name == "BO_A_eV"


def test_pareto_mode_needs_the_botorch_engine():
    cfg = tiny()
    cfg["learn"] = {"iterations": 2, "mode": "pareto", "proposer": {"kind": "mlp"}}
    message = error_of(cfg)
    assert message.startswith("cfg.yaml: learn.mode:") and "botorch" in message


def test_shipped_published_config_uses_botorch_and_sobol():
    campaign = config.load(ROOT / "config/config.yaml")
    assert campaign.learn.proposer.kind == "botorch"
    assert campaign.learn.design.sobol_points in (None, 15)


GLASSES = "# a comment line\nid,SiO2,B2O3,Na2O,CaO,density_g_cm3,B4,role\n12B,63,12,15,10,2.545141,0.789770,fit\n"
SPECIES = (ROOT / "config/species.csv").read_text()
POTENTIAL = (ROOT / "config/potential.csv").read_text()


@pytest.mark.parametrize(
    "table, text, message",
    [
        ("glasses", None, "{path}: glass table not found"),
        ("species", None, "{path}: species table not found"),
        ("potential", None, "{path}: potential table not found"),
        ("glasses", GLASSES.replace("role", "rôle"), "{path}: line 2: header lacks column 'role' (a glass table needs: id, role)"),
        ("glasses", GLASSES.replace("CaO,dens", "CaO2x,dens"), "{path}: line 2, column CaO2x: neither an oxide formula nor one of id, role, density_g_cm3, B4"),
        ("glasses", GLASSES.replace("2.545141", "2,5"), "{path}: line 3: 9 cells, but the header (line 2) has 8 columns"),
        ("glasses", GLASSES.replace("2.545141", "dense"), "{path}: line 3, column density_g_cm3: 'dense' is not a number"),
        ("glasses", GLASSES.replace(",63,", ",6x3,"), "{path}: line 3, column SiO2: '6x3' is not a number"),
        ("glasses", GLASSES.replace(",63,", ",62,"), "{path}: line 3, columns SiO2, B2O3, Na2O, CaO: glass '12B': oxides sum to 99 mol %, not 100"),
        ("glasses", GLASSES.replace("CaO,", "XxO,"), "{glasses}: glass '12B', column XxO: element Xx is not defined in {species}"),
        ("glasses", GLASSES + "12B,63,12,15,10,,,fit\n", "{path}: line 4, column id: glass id '12B' appears twice"),
        ("species", SPECIES.replace("1.89", "one"), "{path}: line 5, column charge_e: 'one' is not a number"),
        ("species", SPECIES.replace("element", "elem"), "{path}: line 3: header lacks column 'element' (a species table needs: element, charge_e, mass_g_mol)"),
        ("species", SPECIES.replace("\nB,", "\nb,"), "{path}: line 6, column element: 'b' is not an element symbol (e.g. Si, O)"),
        ("species", SPECIES + "O,-0.945,15.9994\n", "{path}: line 9, column element: element 'O' is defined twice"),
        ("potential", POTENTIAL.replace("0.1240", "0.12.4"), "{path}: line 14, column rho_A: '0.12.4' is not a number"),
        ("potential", POTENTIAL.replace("C_eVA6", "C"), "{path}: line 8: column 'C' is no coefficient of any form (columns: A_eV, rho_A, C_eVA6, sigma_A, D_eVA8, D0_eV, alpha_invA, r0_A, C12_eVA12, B_invA, D_eVA24)"),
        ("potential", POTENTIAL + "wang2018,B-O,1,1,1\n", "{path}: line 23, column pair: pair B-O of set 'wang2018' is defined twice"),
        ("potential", POTENTIAL.replace("wang2018,B-B", "wang2018,BB"), "{path}: line 15, column pair: 'BB' is not two element symbols joined by '-', e.g. B-O"),
        ("potential", POTENTIAL.replace("wang2018,B-B", "other,B-B"), "cfg.yaml: analysis.validation_sets[2]: set 'other' lacks pair(s) B-O that the campaign needs (defined by the start set 'wang2018')"),
    ],
)
def test_malformed_tables_give_one_line_naming_file_line_and_column(tmp_path, table, text, message):
    paths = {"glasses": str(ROOT / "config/glasses.csv"), "species": str(ROOT / "config/species.csv"), "potential": str(ROOT / "config/potential.csv")}
    paths[table] = str(tmp_path / f"{table}.csv")
    if text is not None:
        (tmp_path / f"{table}.csv").write_text(text)
    cfg = tiny(**{"glasses.table": paths["glasses"], "glasses.use": None, "potential.species": paths["species"], "potential.table": paths["potential"]})
    expected = message.format(path=paths[table], **paths)
    assert expected in error_of(cfg)


def test_glassfit_check_names_the_line_of_a_yaml_error(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    glassfit = Path(sys.executable).parent / "glassfit"
    bad = tmp_path / "bad.yaml"
    bad.write_text("campaign: tiny\nseed: 3\nglasses:\n  table: config/glasses.csv\n   use: [12B]\n")
    proc = subprocess.run([str(glassfit), "check", "--configfile", str(bad)], cwd=ROOT, capture_output=True, text=True)
    # (the column and wording are libyaml's or PyYAML's, whichever parses)
    assert proc.returncode == 2 and proc.stderr.startswith(f"glassfit: {bad}: line 5, column ") and proc.stderr.count("\n") == 1
    assert "not valid YAML (mapping values are not allowed" in proc.stderr
    ok = subprocess.run([str(glassfit), "check", "--configfile", "config/validate.yaml"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout == "config/validate.yaml: ok (validation-only campaign published-sets)\n"


@pytest.mark.parametrize("name, design", [("config", "every set with 6 replicas"), ("pmmcs", "screening 2 of 4 replicas")])
def test_glassfit_check_says_the_design_a_campaign_runs(capsys, monkeypatch, name, design):
    """learn.cost.mode auto resolved: the published campaign pins the fixed design, pmmcs (4 replicas) screens."""
    monkeypatch.chdir(ROOT)
    assert cli.main(["check", "--configfile", f"config/{name}.yaml"]) == 0
    assert capsys.readouterr().out.endswith(f"tunable parameters, {design})\n")


def test_the_md_estimate_counts_the_one_at_a_time_steps():
    """The 2 x 5 one-at-a-time steps of the published campaign each run on its 7 modelled glasses (6B-75B) x 6 replicas."""
    base = config.resolve(shipped("config"), "cfg.yaml")
    steps = config.resolve(shipped("config", **{"learn.design.one_at_a_time": True}), "cfg.yaml")
    assert config.md_runs_estimate(steps) - config.md_runs_estimate(base) == 2 * 5 * 7 * 6
