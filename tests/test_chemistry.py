import pytest

from glassfit import chemistry, potential
from conftest import ROOT

SPECIES = {s.element: s for s in potential.read_species(ROOT / "config/species.csv")}
CHARGES = {el: s.charge_e for el, s in SPECIES.items()}
GLASSES = {
    "0B": {"SiO2": 75, "Na2O": 15, "CaO": 10},
    "24B": {"SiO2": 51, "B2O3": 24, "Na2O": 15, "CaO": 10},
    "75B": {"B2O3": 75, "Na2O": 15, "CaO": 10},
}


def test_parse_formula():
    assert chemistry.parse_formula("B2O3") == {"B": 2, "O": 3}
    assert chemistry.parse_formula("CaO") == {"Ca": 1, "O": 1}
    with pytest.raises(ValueError, match="cannot parse"):
        chemistry.parse_formula("b2o3")


@pytest.mark.parametrize("glass", GLASSES)
@pytest.mark.parametrize("n", [150, 400, 3000])
def test_realised_composition_is_neutral_and_close(glass, n):
    r = chemistry.realise(GLASSES[glass], n)
    assert abs(r.charge_e(CHARGES)) < 1e-9
    assert abs(r.n_atoms - n) <= 5
    for ox, x in GLASSES[glass].items():
        # whole formula units: the error shrinks with system size
        assert abs(r.mol_percent[ox] - x) <= 100.0 * 3.0 / (n / 3.0)


def test_24B_at_3000_atoms_counts():
    # by hand: 3.38 atoms per formula unit -> 888 units; 452.88, 213.12, 133.2, 88.8 rounded by largest remainder
    r = chemistry.realise(GLASSES["24B"], 3000)
    assert r.formula_units == {"SiO2": 453, "B2O3": 213, "Na2O": 133, "CaO": 89}
    assert r.atoms == {"Si": 453, "O": 1767, "B": 426, "Na": 266, "Ca": 89}


def test_box_length_matches_density():
    r = chemistry.realise(GLASSES["24B"], 3000)
    masses = {el: s.mass_g_mol for el, s in SPECIES.items()}
    L = chemistry.box_length_A(r.mass_g(masses), 2.5)
    assert r.mass_g(masses) / (L**3 * 1e-24) == pytest.approx(2.5)


def test_figures_plot_against_b2o3_or_the_oxide_that_varies_most():
    from glassfit.chemistry import axis_label, composition_axis

    assert composition_axis([{"SiO2": 75, "Na2O": 15, "CaO": 10}, {"SiO2": 63, "B2O3": 12, "Na2O": 15, "CaO": 10}]) == "B2O3"
    assert composition_axis([{"SiO2": 80, "Na2O": 20}, {"SiO2": 66.7, "Na2O": 33.3}]) == "Na2O"  # a tie: the first in alphabetical order
    assert axis_label("B2O3") == "B$_{2}$O$_{3}$ (mol %)"
