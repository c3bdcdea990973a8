"""Each target observable on structures with a known answer: crystals, hand-built clusters, a hand evaluation of R_chi."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glassfit.analysis import observables
from glassfit.analysis.measured import MeasuredSet, simulated_t
from glassfit.analysis.pdf import PDFAccumulator
from glassfit.analysis.core import FrameContext, resolve_settings
from analysis_testdata import orthogonal_supercell
from glassfit.model import Observable
from glassfit.trajectory import Frame
from test_analysis_crystals import ELEMENTS, bpo4, quartz


def frame(types, positions, box=30.0) -> Frame:
    """One frame in a cubic box of edge ``box`` with atoms in the given order."""
    positions = np.asarray(positions, float) % box
    n = len(types)
    return Frame(0, np.zeros(3), np.full(3, box), np.arange(1, n + 1), np.asarray(types), positions)


def crystal_frame(atoms, reps) -> Frame:
    box, types, pos = orthogonal_supercell(atoms, ELEMENTS, reps)
    return Frame(0, np.zeros(3), np.asarray(box, float), np.arange(1, len(types) + 1), np.asarray(types), np.asarray(pos, float))


def measure(f: Frame, elements, **observables_by_name):
    return observables.measure([f, f], elements, observables_by_name)


O, SI, B, NA, CA, P = 1, 2, 3, 4, 5, 6  # types of ELEMENTS


def test_quartz_is_all_q4_with_tetrahedral_silicon():
    out = measure(crystal_frame(quartz(), (5, 3, 5)), ELEMENTS,
                  q4=Observable("qn_fraction", center="Si", neighbour="O", n=4, cutoff_A=2.0, formers=("Si",)),
                  q3=Observable("qn_fraction", center="Si", neighbour="O", n=3, cutoff_A=2.0, formers=("Si",)),
                  si4=Observable("coordination_fraction", center="Si", neighbour="O", n=4, cutoff_A=2.0),
                  sio=Observable("mean_bond_length", center="Si", neighbour="O", cutoff_A=2.0),
                  sios=Observable("mean_angle", center="O", neighbour="Si", cutoff_A=2.0))
    assert out["q4_mean"] == 1.0 and out["q3_mean"] == 0.0 and out["si4_mean"] == 1.0
    # Levien et al. (1980): two Si-O bonds of 1.605 and 1.614 A per Si pair; Si-O-Si 143.7 degrees
    assert out["sio_mean"] == pytest.approx((1.605 + 1.614) / 2, abs=0.005)
    assert out["sios_mean"] == pytest.approx(143.7, abs=0.3)
    assert out["q4_std"] == 0.0 and out["n_frames"] == 2


def test_bpo4_boron_is_four_fold_and_its_bridges_count_both_formers():
    f = crystal_frame(bpo4(), (4, 4, 3))
    out = measure(f, ELEMENTS, b4=Observable("coordination_fraction", center="B", neighbour="O", n=4, cutoff_A=1.8),
                  bq4=Observable("qn_fraction", center="B", neighbour="O", n=4, cutoff_A=2.0, formers=("B", "P")),
                  bq0=Observable("qn_fraction", center="B", neighbour="O", n=0, cutoff_A=2.0, formers=("B",)))
    # every O links one B and one P: bridging with both formers counted, non-bridging with boron alone
    assert out["b4_mean"] == 1.0 and out["bq4_mean"] == 1.0 and out["bq0_mean"] == 1.0


def _five_fold_aluminium(distance):
    """One Al with five O at ``distance`` (trigonal bipyramid) at the centre of an otherwise empty box, plus a far O."""
    centre = np.array([15.0, 15.0, 15.0])
    directions = [(0, 0, 1), (0, 0, -1), (1, 0, 0), (-0.5, math.sqrt(3) / 2, 0), (-0.5, -math.sqrt(3) / 2, 0)]
    positions = [centre] + [centre + distance * np.array(d) for d in directions] + [centre + (0, 0, 6.0)]
    return frame([2, 1, 1, 1, 1, 1, 1], positions)


def test_aluminium_with_five_oxygens_at_a_known_distance():
    f = _five_fold_aluminium(1.85)
    elements = ["O", "Al"]
    out = measure(f, elements, al5=Observable("coordination_fraction", center="Al", neighbour="O", n=5, cutoff_A=2.3),
                  al4=Observable("coordination_fraction", center="Al", neighbour="O", n=4, cutoff_A=2.3),
                  alo=Observable("mean_bond_length", center="Al", neighbour="O", cutoff_A=2.3),
                  oalo=Observable("mean_angle", center="Al", neighbour="O", cutoff_A=2.3))
    assert out["al5_mean"] == 1.0 and out["al4_mean"] == 0.0
    assert out["alo_mean"] == pytest.approx(1.85, abs=1e-9)
    # trigonal bipyramid: 1 axial-axial 180, 6 axial-equatorial 90, 3 equatorial 120 -> (180 + 540 + 360) / 10
    assert out["oalo_mean"] == pytest.approx(108.0, abs=1e-9)


def test_tetrahedron_angle_and_two_linked_tetrahedra_are_q1():
    d = 1.6
    tet = np.array([(1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)]) / math.sqrt(3)
    a = np.array([10.0, 10.0, 10.0])
    b = a + 2 * d * tet[0]  # the second Si: its tetrahedron is the first one inverted through the shared O
    positions = [a, b, a + d * tet[0], *(a + d * tet[1:]), *(b - d * tet[1:])]
    types = [2, 2, 1, 1, 1, 1, 1, 1, 1]
    out = measure(frame(types, positions), ["O", "Si"],
                  osio=Observable("mean_angle", center="Si", neighbour="O", cutoff_A=2.0),
                  q1=Observable("qn_fraction", center="Si", neighbour="O", n=1, cutoff_A=2.0, formers=("Si",)),
                  q0=Observable("qn_fraction", center="Si", neighbour="O", n=0, cutoff_A=2.0, formers=("Si",)))
    assert out["osio_mean"] == pytest.approx(math.degrees(math.acos(-1 / 3)), abs=1e-9)
    assert out["q1_mean"] == 1.0 and out["q0_mean"] == 0.0


def test_an_absent_element_is_undefined_not_zero():
    out = measure(_five_fold_aluminium(1.85), ["O", "Al", "B"], b4=Observable("coordination_fraction", center="B", neighbour="O", n=4, cutoff_A=1.8))
    assert out["b4_mean"] is None and out["b4_note"] == "undefined: the glass has no B"


def test_diffraction_r_chi_against_scaled_measured_data_is_the_scale(tmp_path):
    """R_chi of a run against its own broadened T(r) times (1 + e) is e / (1 + e): sqrt(sum (eT)^2 / sum ((1+e)T)^2)."""
    rng = np.random.default_rng(3)
    f = crystal_frame(quartz(), (5, 3, 5))
    f = Frame(0, f.box_lo, f.box_len, f.ids, f.types, f.positions + rng.normal(0, 0.1, f.positions.shape))  # a warm crystal
    settings = resolve_settings(None)
    acc = PDFAccumulator(settings, ELEMENTS)
    acc.add(FrameContext(f, ELEMENTS, settings, 2.0, None))
    pdf = acc.result()
    r = np.arange(0.5, 9.0, 0.01)
    spec = MeasuredSet(path="", radiation="neutron", quantity="T(r)", q_max_inv_A=20.0)
    t = simulated_t(pdf["table"], pdf["meta"]["concentrations"], pdf["meta"]["number_density_inv_A3"], spec, r)
    for e in (0.0, 0.1):
        path = tmp_path / f"t{e}.dat"
        np.savetxt(path, np.column_stack([r, (1 + e) * t]))
        data = MeasuredSet(path=str(path), name="neutron", radiation="neutron", quantity="T(r)", q_max_inv_A=20.0)
        out = observables.measure([f], ELEMENTS, {"rchi": Observable("diffraction", measured="neutron")}, None, {"neutron": data})
        assert out["rchi_mean"] == pytest.approx(e / (1 + e), abs=1e-6)


def test_the_structure_suite_reports_qn_of_every_former():
    from glassfit.analysis import analyse_frames, summarize

    quartz_summary = summarize(analyse_frames([crystal_frame(quartz(), (5, 3, 5))], ELEMENTS, {}, ["coordination"]))
    assert quartz_summary["Q4_Si"] == 1.0 and quartz_summary["Q3_Si"] == 0.0 and "Q4_B" not in quartz_summary
    settings = {"network_formers": ["B", "P"], "network_bond_cutoffs_A": {"P-O": 2.0}}
    bpo4_summary = summarize(analyse_frames([crystal_frame(bpo4(), (4, 4, 3))], ELEMENTS, settings, ["coordination"]))
    assert bpo4_summary["Q4_B"] == 1.0 and bpo4_summary["Q4_P"] == 1.0
