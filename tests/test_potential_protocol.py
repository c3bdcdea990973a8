import dataclasses
import re

import pytest

from glassfit import config, potential, protocol
from glassfit.model import Tunable
from conftest import ROOT, tiny

CAMPAIGN = config.resolve(tiny(), "tiny")
POTENTIAL = CAMPAIGN.potential
SETS = potential.read_parameter_sets(ROOT / "config/potential.csv")
SPECIES = potential.read_species(ROOT / "config/species.csv")
ELEMENTS = [s.element for s in SPECIES]
CHARGES = {s.element: s.charge_e for s in SPECIES}


def test_named_sets_complete_with_fixed_pairs():
    pairs = POTENTIAL.complete_set("yang2026_bo")
    assert pairs["B-O"].coefficients["A_eV"] == pytest.approx(191757.12)
    assert pairs["Si-O"].coefficients["rho_A"] == pytest.approx(0.161) and pairs["Si-O"].form == "buckingham"
    assert set(SETS) >= {"fixed", "wang2018", "yang2026_bo", "yang2026_cmaes", "yang2026_b4"}
    with pytest.raises(KeyError, match="unknown parameter set 'nope'"):
        POTENTIAL.complete_set("nope")


def test_apply_values_changes_only_the_tunable():
    pairs = POTENTIAL.complete_set("wang2018")
    t = Tunable("BO_rho_A", 0.124, 0.1178, 0.1364, pair="B-O", coefficient="rho_A")
    new = potential.apply_values(pairs, [t], {"BO_rho_A": 0.13})
    assert new["B-O"].coefficients["rho_A"] == 0.13 and new["B-O"].coefficients["A_eV"] == pairs["B-O"].coefficients["A_eV"]
    assert pairs["B-O"].coefficients["rho_A"] == 0.124  # the original is untouched
    assert potential.values_of(POTENTIAL, new, [t]) == {"BO_rho_A": 0.13}


def test_rendered_lines_cover_every_type_pair_with_correct_terms():
    order5 = dataclasses.replace(POTENTIAL, cutoff_A=11.0, electrostatics=dataclasses.replace(POTENTIAL.electrostatics, cutoff_A=11.0, accuracy=1e-5, order=5))
    lines = potential.render(order5, order5.complete_set("wang2018"), CHARGES, ELEMENTS).lines
    coeffs = {tuple(map(int, l.split()[1:3])): l for l in lines if l.startswith("pair_coeff")}
    assert len(coeffs) == 15  # 5 types -> 15 unordered pairs
    # types: 1 O, 2 Si, 3 B, 4 Na, 5 Ca
    assert coeffs[(1, 3)].split()[3:6] == ["206941.81", "0.124", "35.0018"]
    assert coeffs[(3, 3)].split()[3:6] == ["484.4", "0.35", "0"]
    assert coeffs[(2, 3)].split()[3:6] == ["337.7", "0.29", "0"]  # Si-B written B-Si order-independently
    assert "Coulomb only" in coeffs[(4, 5)]
    assert "pair_style buck/coul/long 11" in lines and "kspace_style pppm 1e-05" in lines
    assert not any(l.startswith("kspace_modify") for l in lines)  # LAMMPS's default order 5
    order7 = dataclasses.replace(order5, electrostatics=dataclasses.replace(order5.electrostatics, order=7))
    assert "kspace_modify order 7" in potential.render(order7, order7.complete_set("wang2018"), CHARGES, ELEMENTS).lines
    masses = {int(l.split()[1]): float(l.split()[2]) for l in lines if l.startswith("mass")}
    assert masses == {1: 15.9994, 2: 28.0855, 3: 10.811, 4: 22.98977, 5: 40.078}


def test_include_file_has_units_and_provenance():
    rendered = potential.include_file(POTENTIAL, POTENTIAL.complete_set("wang2018"), CHARGES, ELEMENTS, ["fitted by glassfit"])
    text = "\n".join(rendered.lines)
    assert rendered.files == {}  # Buckingham: native LAMMPS, no table
    assert "units metal" in text and "fitted by glassfit" in text and "1=O 2=Si 3=B 4=Na 5=Ca" in text
    assert "buckingham: A exp(-r/rho) - C/r^6" in text and "electrostatics: pppm" in text


def _stages():
    return [
        protocol.Stage("melt", "nvt", 3000, 3000, 10),
        protocol.Stage("quench", "npt", 3000, 300, 2700),
        protocol.Stage("prod", "nvt", 300, 300, 100, dump_every_ps=1.0, role="production"),
    ]


def test_protocol_boundaries_and_ramps():
    s = protocol.MDSettings(timestep_fs=1.0)
    assert protocol.boundaries(_stages(), s) == [(0, 10000), (10000, 2710000), (2710000, 2810000)]
    text = protocol.render(_stages(), s, ["pair_style x"], "structure.data", 42, "test")
    assert "fix md all npt temp 3000 300 0.1 iso 0 0 1" in text
    assert "run 2710000 upto start 10000 stop 2710000" in text
    # the production dump starts one interval into the stage: exactly 100 frames
    assert re.search(r"run 2711000 upto start 2710000 stop 2810000\ndump traj all custom 1000 trajectory.dump id type x y z", text)
    assert "velocity all create 3000 42" in text
    assert "fix guard all halt" in text and "v_vratio > 2" in text


def test_stage_from_config_defaults():
    st = protocol.Stage.from_config({"name": "a", "ensemble": "npt", "T_start_K": 300, "duration_ps": 5})
    assert st.T_end_K == 300 and st.pressure_bar == 0.0 and st.role is None


def test_restart_files_toggle_and_mark_stage_ends():
    s = protocol.MDSettings(timestep_fs=1.0, restart_every_ps=10.0)
    text = protocol.render(_stages(), s, ["pair_style x"], "structure.data", 42, "test", volume_A3=12345.5)
    assert "restart 10000 restart/md.a.restart restart/md.b.restart" in text
    assert re.search(r"unfix md\nwrite_restart restart/md.10000.restart\n# stage quench", text)  # after unfix: no thermostat state
    assert text.count("write_restart") == 3 and "variable V0 equal 12345.5\n" in text
    assert "restart " not in protocol.render(_stages(), protocol.MDSettings(), ["pair_style x"], "s.data", 1, "t")


def test_resume_continues_the_stage_of_the_restart_file():
    s = protocol.MDSettings(timestep_fs=1.0, restart_every_ps=10.0)
    pot = ["pair_style buck/coul/long 11", "kspace_style pppm 1e-05", "mass 1 15.9994", "set type 1 charge -0.945", "pair_coeff 1 1 9022.79 0.265 85.0921"]
    original = protocol.render(_stages(), s, pot, "structure.data", 42, "test", volume_A3=100.0)
    text = protocol.render_resume(_stages(), s, pot, "restart/md.a.restart", 1_500_000, True, "resumed", 100.0)
    lines = text.splitlines()
    assert lines[2] == "read_restart restart/md.a.restart"
    # kspace is not in a restart file; charges and masses are, and `set` would drop the saved thermostat state
    assert "kspace_style pppm 1e-05" in lines and "pair_coeff 1 1 9022.79 0.265 85.0921" in lines
    assert not any(l.startswith(("set ", "mass ", "velocity", "read_data", "pair_style")) for l in lines)
    assert "variable V0 equal 100\n" in text  # the original volume, not the volume at the restart
    assert "restart 10000 restart/md.b.restart restart/md.a.restart" in text  # first overwrite the other file
    # the quench continues with its fix (same ID) and ramp; the rest is the original input, verbatim
    assert "glassfit stage melt" not in text
    tail = text[text.index("# stage quench"):]
    assert tail == original[original.index("# stage quench"):]
    # a stage-boundary restart at the end of the melt: the quench starts afresh, as in the original
    fresh = protocol.render_resume(_stages(), s, pot, "restart/md.10000.restart", 10_000, False, "resumed", 100.0)
    assert fresh[fresh.index("# stage quench"):] == tail
    # inside production, past its first frame: append the frames after the restart step only
    prod = protocol.render_resume(_stages(), s, pot, "restart/md.b.restart", 2_750_000, True, "resumed", 100.0)
    assert re.search(
        r"fix md all nvt temp 300 300 0.1\ndump traj all custom 1000 trajectory.dump id type x y z\n"
        r"dump_modify traj sort id\ndump_modify traj append yes delay 2750001\nrun 2810000 upto start 2710000 stop 2810000\n",
        prod,
    )
