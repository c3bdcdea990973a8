"""Structural analyses on crystals with published structures, written as LAMMPS dumps and read back.

Structures (lattice parameters, Wyckoff positions):
- alpha-quartz, P3_121: a = 4.9160, c = 5.4054 Å; Si 3a (0.4697, 0, 1/3); O 6c (0.4135, 0.2669, 0.2144)
  (Levien, Prewitt & Weidner, Am. Mineral. 65, 920 (1980); origin of the P3_121 setting). Si-O 1.605/1.614 Å,
  Si-O-Si 143.7°; shortest-path rings of 6 and 8 Si (1 and 5 per Si).
- alpha-cristobalite, P4_12_12: a = 4.9717, c = 6.9223 Å; Si 4a (0.3003, 0.3003, 0); O 8b (0.2392, 0.1044, 0.1787)
  (Downs & Palmer, Am. Mineral. 79, 9 (1994)). Only 6-rings (2 per Si).
- BPO4 (all boron four-fold), I-4: a = 4.3447, c = 6.6415 Å; P 2a (0, 0, 0); B 2c (0, 1/2, 1/4);
  O 8g (0.1384, 0.2576, 0.1276) (Schmidt et al., Z. Anorg. Allg. Chem. 630, 655 (2004)). B-O 1.46 Å,
  P-O 1.53 Å; cristobalite-like network of alternating BO4/PO4: only 6-rings.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from ase.spacegroup import crystal

from glassfit.analysis import analyse_frames
from analysis_testdata import orthogonal_supercell, write_dump
from glassfit.trajectory import Frame, read_dump


def quartz():
    return crystal(["Si", "O"], basis=[(0.4697, 0, 1 / 3), (0.4135, 0.2669, 0.2144)], spacegroup=152,
                   cellpar=[4.9160, 4.9160, 5.4054, 90, 90, 120])


def cristobalite():
    return crystal(["Si", "O"], basis=[(0.3003, 0.3003, 0), (0.2392, 0.1044, 0.1787)], spacegroup=92,
                   cellpar=[4.9717, 4.9717, 6.9223, 90, 90, 90])


def bpo4():
    return crystal(["P", "B", "O"], basis=[(0, 0, 0), (0, 0.5, 0.25), (0.1384, 0.2576, 0.1276)], spacegroup=82,
                   cellpar=[4.3447, 4.3447, 6.6415, 90, 90, 90])


ELEMENTS = ["O", "Si", "B", "Na", "Ca", "P"]


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """Each crystal as an orthogonal supercell dump (2 identical frames), analysed by the suite."""
    out = {}
    cells = {"quartz": (quartz(), (5, 3, 5)), "cristobalite": (cristobalite(), (6, 6, 4)), "bpo4": (bpo4(), (6, 6, 4))}
    for name, (atoms, reps) in cells.items():
        box, types, pos = orthogonal_supercell(atoms, ELEMENTS, reps)
        path = write_dump(tmp_path_factory.mktemp(name) / "xtal.dump", [(box, types, pos)] * 2)
        settings = {"network_formers": ["Si", "B", "P"], "network_bond_cutoffs_A": {"P-O": 2.0},
                    "coordination_cutoffs_A": {"P-O": 2.0}, "ring_max_size": 10}
        out[name] = (analyse_frames(read_dump(path), ELEMENTS, settings), box, types, pos)
    return out


def test_quartz_coordination_and_angles(analysed):
    res = analysed["quartz"][0]
    c = res["coordination"]
    assert c["cn_distribution"]["Si-O"] == {"4": 1.0}
    assert c["mean_bond_length_A"]["Si-O"] == pytest.approx((1.605 + 1.614) / 2, abs=0.003)
    assert c["B4_fraction"] is None and c["boron_undefined_reason"] == "no boron atoms in the trajectory"
    a = res["angles"]["meta"]["mean_angle_deg"]
    assert a["O-Si-O"] == pytest.approx(109.47, abs=0.1)
    assert a["Si-O-Si"] == pytest.approx(143.7, abs=0.3)
    assert a["X-O-X"] == pytest.approx(a["Si-O-Si"])
    assert a["O-B-O"] is None


def test_quartz_rings_6_and_8(analysed):
    r = analysed["quartz"][0]["rings"]
    per_t = dict(zip(r["size"], r["rings_per_T"]))
    assert per_t[6] == pytest.approx(1.0) and per_t[8] == pytest.approx(5.0)
    assert sum(v for k, v in per_t.items() if k not in (6, 8)) == 0
    assert r["mean_ring_size"] == pytest.approx((6 * 1 + 8 * 5) / 6)


def test_cristobalite_rings_of_six(analysed):
    r = analysed["cristobalite"][0]["rings"]
    per_t = dict(zip(r["size"], r["rings_per_T"]))
    assert per_t[6] == pytest.approx(2.0)
    assert r["mean_ring_size"] == pytest.approx(6.0)
    a = analysed["cristobalite"][0]["angles"]["meta"]["mean_angle_deg"]
    assert a["Si-O-Si"] == pytest.approx(146.5, abs=0.5)  # Downs & Palmer: 146.5°


def test_bpo4_four_fold_boron(analysed):
    res = analysed["bpo4"][0]
    c = res["coordination"]
    assert c["B4_fraction"] == 1.0 and c["B3_fraction"] == 0.0 and c["boron_undefined_reason"] is None
    assert c["mean_bond_length_A"]["BIV-O"] == pytest.approx(1.46, abs=0.01)
    assert c["mean_bond_length_A"]["BIII-O"] is None
    a = res["angles"]["meta"]
    assert a["n_angles"]["O-BIII-O"] == 0
    assert a["mean_angle_deg"]["O-BIV-O"] == pytest.approx(109.47, abs=0.2)
    r = res["rings"]
    assert r["mean_ring_size"] == pytest.approx(6.0)
    assert dict(zip(r["size"], r["rings_per_T"]))[6] == pytest.approx(2.0)


def _reference_sp_rings(box, types, pos, former_types, max_size):
    """Independent SP-ring count: enumerate simple cycles with networkx on a T-T graph of a supercell large
    enough that no cycle of <= max_size can wind through the boundary, then keep cycles with no shortcut
    (every pair of members is as far apart in the graph as along the ring; Franzblau 1991)."""
    t_idx = np.flatnonzero(np.isin(types, former_types))
    o_idx = np.flatnonzero(types == 1)
    g = nx.Graph()
    g.add_nodes_from(t_idx.tolist())
    for o in o_idx:
        d = pos[t_idx] - pos[o]
        d -= box * np.rint(d / box)
        near = t_idx[(d * d).sum(1) <= 4.0]
        g.add_edges_from(itertools.combinations(near.tolist(), 2))
    dist = dict(nx.all_pairs_shortest_path_length(g, cutoff=max_size // 2 + 1))
    counts = np.zeros(max_size + 1, int)
    for cyc in nx.simple_cycles(g, length_bound=max_size):
        n = len(cyc)
        if n < 3:
            continue
        ok = all(dist[cyc[a]].get(cyc[b], 99) == min(b - a, n - (b - a)) for a in range(n) for b in range(a + 1, n))
        counts[n] += ok
    return counts


@pytest.mark.parametrize("name,reps", [("cristobalite", (6, 6, 4))])
def test_rings_match_independent_enumeration(analysed, name, reps):
    res, box, types, pos = analysed[name]
    ref = _reference_sp_rings(box, types, pos, [2], 8)
    ours = dict(zip(res["rings"]["size"], res["rings"]["rings_per_frame_mean"]))
    for size in range(3, 9):
        assert ours[size] == ref[size], size


def test_sq_bragg_peak_at_lattice_reflection(analysed):
    """The strongest low-Q neutron peak of cristobalite sits at the (101) reflection, Q = 2π/d(101)."""
    sq = analysed["cristobalite"][0]["scattering"]["sq"]
    q, s = sq["Q_inv_A"].to_numpy(), sq["S_neutron"].to_numpy()
    m = (q > 1.0) & (q < 2.0)
    q_peak = q[m][np.argmax(s[m])]
    a, c = 4.9717, 6.9223
    q101 = 2 * np.pi * np.sqrt(1 / a**2 + 1 / c**2)
    assert q_peak == pytest.approx(q101, abs=0.04)
    # structure factor of the unit cell confirms (101) is the strongest reflection below 2 1/Å
    cell = cristobalite()
    b = {"Si": 4.1491, "O": 5.803}
    best = max(
        (abs(sum(b[s_] * np.exp(2j * np.pi * np.dot((h, k, l), f)) for s_, f in zip(cell.get_chemical_symbols(), cell.get_scaled_positions()))) ** 2, (h, k, l))
        for h, k, l in itertools.product(range(-2, 3), repeat=3)
        if 0 < 2 * np.pi * np.sqrt((h * h + k * k) / a**2 + l * l / c**2) < 2.0
    )
    assert sorted(abs(x) for x in best[1]) == [0, 1, 1] and best[1][2] != 0


@pytest.fixture(scope="module")
def quartz_frame():
    box, types, pos = orthogonal_supercell(quartz(), ELEMENTS, (5, 3, 5))
    return Frame(0, np.zeros(3), box, np.arange(len(types)) + 1, types, pos)


@pytest.mark.parametrize("criterion,sizes", [("primitive", {6, 8}), ("king", {6, 8}), ("guttman", {6})])
def test_quartz_ring_criteria(quartz_frame, criterion, sizes):
    """Quartz, the textbook case: King's criterion finds 6- and 8-rings, Guttman's 6-rings only, each Si on one 6-ring."""
    r = analyse_frames([quartz_frame], ELEMENTS, {"ring_criterion": criterion, "ring_max_size": 10}, analyses=["rings"])["rings"]
    per_t = dict(zip(r["size"], r["rings_per_T"]))
    assert {k for k, v in per_t.items() if v > 0} == sizes
    assert per_t[6] == pytest.approx(1.0) and r["fraction_at_max_size"] == 0.0 and r["criterion"] == criterion


def _planar_triangle(centre, radius):
    return [np.asarray(centre) + radius * np.array([np.cos(a), np.sin(a), 0.0]) for a in (0, 2 * np.pi / 3, 4 * np.pi / 3)]


@pytest.mark.parametrize("criterion", ["primitive", "king", "guttman"])
def test_tricluster_is_not_a_three_ring(criterion):
    """Three Si bonded to one O (a tricluster) close no ring; three Si joined by three O (a real Si3O3 ring) do."""
    tri_si = _planar_triangle((5, 5, 5), 1.70)  # Si-O 1.70 A, Si-Si 2.94 A
    ring_si = _planar_triangle((15, 15, 15), 3.0 / np.sqrt(3))  # Si-Si 3.0 A
    ring_o = [0.5 * (a + b) for a, b in itertools.combinations(ring_si, 2)]
    centre = np.array([15.0, 15.0, 15.0])
    ring_o = [o + (o - centre) / np.linalg.norm(o - centre) * np.sqrt(1.65**2 - 1.5**2) for o in ring_o]  # Si-O 1.65 A
    pos = np.array([[5.0, 5.0, 5.0], *ring_o, *tri_si, *ring_si])
    types = np.array([1, 1, 1, 1, 2, 2, 2, 2, 2, 2])
    frame = Frame(0, np.zeros(3), np.full(3, 20.0), np.arange(10) + 1, types, pos)
    r = analyse_frames([frame], ELEMENTS, {"ring_criterion": criterion, "ring_max_size": 6}, analyses=["rings"])["rings"]
    assert dict(zip(r["size"], r["rings_per_frame_mean"])) == {2: 0, 3: 1, 4: 0, 5: 0, 6: 0}
