"""Charges: fixed, set by neutrality per glass (SHIK's oxygen), tuned; and tuned coefficients of any form reaching LAMMPS."""
from __future__ import annotations

import copy
import math
import re

import pytest

from glassfit import campaign as gc, config, potential
from conftest import ROOT, shipped, tiny

SHIK_Q = {"Si": 1.7755, "B": 1.6126, "Na": 0.6018, "Ca": 1.4977}  # config/shik_species.csv (lammps-tablegen's SHIK charges)


def shik_config(**changes) -> dict:
    return shipped("shik", **changes)


def charges_in(lines: list[str]) -> dict[str, float]:
    """The charges a LAMMPS input sets, by element (from its 'set type N charge q  # El' lines)."""
    return {m.group(2): float(m.group(1)) for line in lines if (m := re.match(r"set type \d+ charge (\S+)  # (\w+)", line))}


@pytest.mark.parametrize("glass, atoms, counts", [
    # per 100 formula units (atoms per unit: 3.9, 2.9, 4.4), hand-counted from the mol %:
    ("50B", 390, {"Si": 25, "B": 100, "Na": 30, "Ca": 10, "O": 50 + 150 + 15 + 10}),  # 25 SiO2, 50 B2O3, 15 Na2O, 10 CaO
    ("0B", 290, {"Si": 75, "Na": 30, "Ca": 10, "O": 150 + 15 + 10}),                   # 75 SiO2, 15 Na2O, 10 CaO
    ("75B", 440, {"B": 150, "Na": 30, "Ca": 10, "O": 225 + 15 + 10}),                  # 75 B2O3, 15 Na2O, 10 CaO
])
def test_shik_oxygen_charge_is_set_by_neutrality_per_glass(glass, atoms, counts, tmp_path):
    small = {"system.atoms": atoms, "potential.cutoff_A": 5.0, "potential.electrostatics.cutoff_A": 5.5, "other_potentials": {}}
    campaign = config.resolve(shik_config(**small, **{"analysis.validation_sets": ["shik"]}), "shik")
    validation = gc.glass_of(campaign, glass)
    assert gc.realised_of(campaign, glass).atoms == {el: n for el, n in counts.items()}
    q_o = -sum(n * SHIK_Q[el] for el, n in counts.items() if el != "O") / counts["O"]
    written = charges_in(gc.render_potential(campaign, validation.id, {}).lines)
    assert written["O"] == pytest.approx(q_o, rel=1e-12)
    assert sum(n * written[el] for el, n in counts.items()) == pytest.approx(0.0, abs=1e-9)
    assert {el: written[el] for el in SHIK_Q} == SHIK_Q  # the others as the table says


def test_shik_oxygen_differs_between_glasses():
    campaign = config.resolve(shik_config(), "shik")
    q = {g: charges_in(gc.render_potential(campaign, g, {}).lines)["O"] for g in ("0B", "75B")}
    assert q["0B"] != pytest.approx(q["75B"], rel=1e-3)


def test_a_non_neutral_fixed_charge_set_is_one_line(tmp_path):
    species = tmp_path / "species.csv"
    species.write_text((ROOT / "config/species.csv").read_text().replace("Si,1.89,", "Si,1.9,"))
    with pytest.raises(config.ConfigError) as info:
        config.resolve(tiny(**{"potential.species": str(species)}), "tiny.yaml")
    assert str(info.value) == f"tiny.yaml: glass '12B' is not charge-neutral with the charges of {species}"


def test_an_empty_charge_needs_the_balance_rule(tmp_path):
    species = tmp_path / "species.csv"
    species.write_text((ROOT / "config/species.csv").read_text().replace("O,-0.945,", "O,,"))
    with pytest.raises(config.ConfigError, match=r"element O has no charge, and only the balance species"):
        config.resolve(tiny(**{"potential.species": str(species)}), "tiny.yaml")


def test_tuning_a_charge_needs_a_balance_species():
    cfg = tiny()
    cfg["potential"]["tunable"].append({"charge": "Si", "bounds_rel": [-0.05, 0.05]})
    with pytest.raises(config.ConfigError, match=r"potential.tunable\[2\].charge: tuning the charge of Si needs potential.charges.balance"):
        config.resolve(cfg, "tiny.yaml")


def test_a_tuned_charge_and_a_tuned_shik_coefficient_reach_lammps(tmp_path):
    """q_Si tuned (O keeps every glass neutral) and SHIK's B-O D tuned: both read back from the written in.lammps."""
    cfg = shik_config(**{"fit": True, "system.atoms": 390, "potential.cutoff_A": 5.0, "potential.electrostatics.cutoff_A": 5.5,
                         "glasses.use": ["50B"], "analysis": {"validation_sets": []}, "other_potentials": {}})
    cfg["potential"]["tunable"] = [{"charge": "Si", "bounds": [1.6, 1.9]}, {"pair": "B-O", "term": "D", "bounds_rel": [-0.5, 0.5]}]
    campaign = config.resolve(cfg, "shik")
    assert [t.name for t in campaign.tunables] == ["q_Si_e", "BO_D_eVA24"]
    values = {"q_Si_e": 1.8123, "BO_D_eVA24": 41.5}
    structure = tmp_path / "s.data"
    gc.build_structure(campaign, "50B", 0, structure)
    spec = gc.run_spec(campaign, {"candidate": "i01c00", **values}, "50B", 0, structure, tmp_path / "run")
    from glassfit import md

    text = md._original_input(spec, spec.protocol, "standard")
    written = charges_in(text.splitlines())
    assert written["Si"] == 1.8123
    q_o = -(25 * 1.8123 + 100 * SHIK_Q["B"] + 30 * SHIK_Q["Na"] + 10 * SHIK_Q["Ca"]) / 225
    assert written["O"] == pytest.approx(q_o, rel=1e-12)
    # B-O is tabulated (SHIK has no native LAMMPS style): the table the input names holds D = 41.5, at r = 1.3 A
    bo = next(line for line in text.splitlines() if line.endswith("# B-O"))
    name, key = bo.split()[3:5]
    section = spec.potential_files[name].split(f"\n{key}\n")[1].split("\n\n")[1].splitlines()
    r, energy = min(((float(x[1]), float(x[2])) for x in map(str.split, section)), key=lambda row: abs(row[0] - 1.3))
    rc = 5.5  # this test's Coulomb cutoff (electrostatics.cutoff_A), where the smoothing ends
    shik = 16182 * math.exp(-5.6069 * r) - 59.203 / r**6 + 41.5 / r**24  # the table's SHIK B-O with the tuned D
    coulomb = 14.399645 * SHIK_Q["B"] * q_o * (1 / r - 1 / rc + (r - rc) / rc**2)
    assert energy == pytest.approx((shik + coulomb) * math.exp(-0.2 / (r - rc) ** 2), rel=1e-9)
    assert energy != pytest.approx((shik - 9.5 / r**24 + coulomb) * math.exp(-0.2 / (r - rc) ** 2), rel=1e-6)  # not the table's D = 32


def test_a_tuned_pmmcs_coefficient_reaches_lammps():
    campaign = config.resolve(shipped("pmmcs"), "pmmcs.yaml")
    assert [t.name for t in campaign.tunables] == ["NaO_D0_eV", "NaO_r0_A"]
    lines = gc.render_potential(campaign, "NS25", {"NaO_D0_eV": 0.0251, "NaO_r0_A": 2.98}).lines
    assert "pair_coeff 1 3 pedone 0.0251 1.763867 2.98 5  # Na-O" in lines
    assert lines[0] == "pair_style hybrid/overlay coul/long 10 pedone 5.5"


@pytest.mark.parametrize("tunable, message", [
    ({"pair": "Na-O", "term": "rho", "bounds_rel": [-0.1, 0.1]}, "potential.tunable[0].term: Na-O is a morse_r12 pair, which has no coefficient 'rho' (it has D0, alpha, r0, C12)"),
    ({"pair": "Na-O", "term": "D0"}, "potential.tunable[0]: give bounds_rel (fractions of the start value) or bounds (absolute), exactly one"),
    ({"pair": "Na-O", "term": "alpha", "bounds": [-1.0, 2.0]}, "potential.tunable[0]: NaO_alpha_invA must stay positive, but its bounds reach -1"),
    ({"pair": "Na-O", "term": "r0", "bounds": [1.0, 2.0]}, "potential.tunable[0].bounds: the start value 3.00631 lies outside [1, 2]"),
])
def test_tunables_of_other_forms_are_checked_in_one_line(tunable, message):
    cfg = shipped("pmmcs")
    cfg["potential"]["tunable"] = [tunable, copy.deepcopy(cfg["potential"]["tunable"][1])]
    with pytest.raises(config.ConfigError) as info:
        config.resolve(cfg, "pmmcs.yaml")
    assert str(info.value) == f"pmmcs.yaml: {message}"


@pytest.mark.parametrize("row, message", [
    ("pedone2006,Na-O,morse_r12,0.02,1.7,3.0,\n", "column C12_eVA12: form morse_r12 needs C12_eVA12 (the cell is empty)"),
    ("pedone2006,Na-O,buckingham,0.02,1.7,3.0,5\n", "header lacks column 'A_eV' that form buckingham needs"),
    ("pedone2006,Na-O,morse,0.02,1.7,3.0,5\n", "column form: form 'morse' is not one of buckingham, born_mayer_huggins, morse_r12, shik"),
    ("pedone2006,Na-O,morse_r12,0.02,-1.7,3.0,5\n", "column alpha_invA: alpha must be positive (got -1.7)"),
])
def test_malformed_rows_of_a_form_table_are_one_line(tmp_path, row, message):
    text = (ROOT / "config/pmmcs_potential.csv").read_text()
    table = tmp_path / "pmmcs.csv"
    table.write_text("".join(line + "\n" for line in text.splitlines() if not line.startswith("pedone2006,Na-O")) + row)
    with pytest.raises(potential.tables.TableError) as info:
        potential.read_parameter_sets(table)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_coefficient_the_form_lacks_is_one_line(tmp_path):
    table = tmp_path / "mixed.csv"
    table.write_text("set,pair,form,A_eV,rho_A,C_eVA6,D0_eV\ns,Si-O,buckingham,1000,0.2,10,0.3\n")
    with pytest.raises(potential.tables.TableError) as info:
        potential.read_parameter_sets(table)
    assert str(info.value) == f"{table}: line 2, column D0_eV: form buckingham has no coefficient D0_eV (leave the cell empty; buckingham has A_eV, rho_A, C_eVA6)"
