"""Analyses of a real (quickly melt-quenched) soda-lime borosilicate glass against independent references."""

from __future__ import annotations

import json

import freud
import numpy as np
import pandas as pd
import pytest

from glassfit.analysis import AnalysisSettingsError, analyse_frames, gather, run_suite
from glassfit.analysis.core import resolve_settings
from glassfit.analysis.scattering import lorch, neutron_lengths_fm
from analysis_testdata import quick_glass_dump, write_dump
from glassfit.trajectory import Frame, read_dump

ELEMENTS = ["O", "Si", "B", "Na", "Ca"]


@pytest.fixture(scope="module")
def glass(tmp_path_factory):
    """24B glass, 338 atoms, NVT melt-quench of a few ps through the campaign's MD machinery (not converged, realistic network)."""
    path = tmp_path_factory.mktemp("glass") / "glass.dump"
    quick_glass_dump(path, "24B", atoms=338, density_g_cm3=2.54, seed=3, cutoff_A=7.0, melt_ps=1.0, quench_ps=1.0,
                     n_frames=3, frame_every_ps=0.05)
    return path


@pytest.fixture(scope="module")
def frames(glass):
    return read_dump(glass)


@pytest.fixture(scope="module")
def results(frames):
    return analyse_frames(frames, ELEMENTS)


pytestmark = pytest.mark.lammps


def test_glass_is_a_network(results):
    c = results["coordination"]
    assert c["mean_cn"]["Si-O"] == pytest.approx(4.0, abs=0.1)
    assert 0.0 < c["B4_fraction"] < 1.0 and c["B3_fraction"] + c["B4_fraction"] + c["B5_fraction"] <= 1.0
    assert 1.35 < c["mean_bond_length_A"]["BIII-O"] < c["mean_bond_length_A"]["BIV-O"] < 1.55
    a = results["angles"]["meta"]["mean_angle_deg"]
    assert a["O-BIII-O"] == pytest.approx(120, abs=2) and a["O-BIV-O"] == pytest.approx(109.5, abs=2)
    assert 130 < a["X-O-X"] < 155
    assert 5 < results["rings"]["mean_ring_size"] < 10  # T-rings up to 16 members (ring_max_size)


def test_coordination_matches_brute_force(frames, results):
    """CN from the neighbour search equals a full distance-matrix count."""
    b4 = []
    for f in frames:
        d = f.positions[:, None, :] - f.positions[None, :, :]
        d -= f.box_len * np.rint(d / f.box_len)
        r = np.sqrt((d**2).sum(-1))
        cn = ((r[f.types == 3][:, f.types == 1]) <= 1.8).sum(1)
        b4.append(np.mean(cn == 4))
    assert results["coordination"]["B4_fraction"] == pytest.approx(np.mean(b4), abs=1e-12)


def test_partial_gr_matches_freud(frames, results):
    table = results["pdf"]["table"]
    r_max = results["pdf"]["meta"]["r_max_A"]
    nb = len(table)
    ref = {"Si-O": np.zeros(nb), "B-O": np.zeros(nb), "Na-O": np.zeros(nb)}
    for f in frames:
        box = freud.box.Box.from_box(f.box_len)
        pos = f.positions - f.box_lo - f.box_len / 2
        for pair in ref:
            t = ELEMENTS.index(pair.split("-")[0]) + 1
            rdf = freud.density.RDF(bins=nb, r_max=r_max)
            rdf.compute(system=(box, pos[f.types == 1]), query_points=pos[f.types == t])
            ref[pair] += rdf.rdf / len(frames)
    r = table["r_A"].to_numpy()
    dr = r[1] - r[0]
    for pair, g_ref in ref.items():
        g = table[f"g_{pair}"].to_numpy()
        # both bin in float32: a pair within ~1e-6 Å of a bin edge may land in the neighbouring bin
        assert np.mean(np.isclose(g, g_ref, rtol=1e-4, atol=1e-6)) > 0.98, pair
        np.testing.assert_allclose(np.cumsum(g * r**2) * dr, np.cumsum(g_ref * r**2) * dr, rtol=5e-3, atol=1e-3, err_msg=pair)


def test_sq_matches_direct_debye_sum_at_high_q(frames, results):
    """Faber–Ziman S(Q) from binned g(r) equals the pair sum over sin(Qr)/(Qr) (same window, same r_max)."""
    meta = results["pdf"]["meta"]
    r_max, rho0 = meta["r_max_A"], meta["number_density_inv_A3"]
    b_el = neutron_lengths_fm(ELEMENTS)
    sq = results["scattering"]["sq"]
    sel = sq["Q_inv_A"].to_numpy() >= 8.0
    q = sq["Q_inv_A"].to_numpy()[sel][::20]
    s_binned = sq["S_neutron"].to_numpy()[sel][::20]
    acc = np.zeros_like(q)
    for f in frames:
        b = np.array([b_el[ELEMENTS[t - 1]] for t in f.types])
        iu = np.triu_indices(len(b), 1)
        d = f.positions[:, None, :] - f.positions[None, :, :]
        d -= f.box_len * np.rint(d / f.box_len)
        r = np.sqrt((d**2).sum(-1))[iu]
        bb = (b[:, None] * b[None, :])[iu]
        m = r < r_max
        r, bb = r[m], bb[m]
        acc += 2 * (bb * lorch(r, r_max) * np.sinc(np.outer(q, r) / np.pi)).sum(1) / len(b)
    acc /= len(frames)
    mean_b = np.mean([b_el[ELEMENTS[t - 1]] for t in frames[0].types])
    rr = np.linspace(0, r_max, 20001)
    uniform = 4 * np.pi * rho0 * np.trapezoid(rr**2 * lorch(rr, r_max) * np.sinc(np.outer(q, rr) / np.pi), rr, axis=1)
    s_direct = 1 + (acc - mean_b**2 * uniform) / mean_b**2
    np.testing.assert_allclose(s_binned, s_direct, atol=5e-3)


def test_rings_unchanged_by_replicating_the_box(frames):
    """Rings per T equal those of a 3x3x3 replica (48 Å, where no path of <= 6 T-T links (<= 24 Å) can wind
    through the boundary): periodic images are handled and small boxes are replicated internally."""
    f = frames[0]
    shifts = np.array([(i, j, k) for i in range(3) for j in range(3) for k in range(3)]) * f.box_len
    big = Frame(timestep=0, box_lo=f.box_lo, box_len=3 * f.box_len, ids=np.arange(27 * len(f.ids)) + 1,
                types=np.tile(f.types, 27), positions=np.concatenate([f.positions + s for s in shifts]))
    one = analyse_frames([f], ELEMENTS, analyses=["rings"])["rings"]
    eight = analyse_frames([big], ELEMENTS, analyses=["rings"])["rings"]
    np.testing.assert_allclose(eight["rings_per_T"], one["rings_per_T"], atol=1e-12)


def test_no_boron_and_absent_type(frames):
    f = frames[0]
    keep = f.types != 3  # drop all B: B4 undefined; B is in the element list but has no atoms
    nob = Frame(timestep=0, box_lo=f.box_lo, box_len=f.box_len, ids=f.ids[keep], types=f.types[keep], positions=f.positions[keep])
    res = analyse_frames([nob], ELEMENTS)
    c = res["coordination"]
    assert c["B4_fraction"] is None and c["B3_fraction"] is None
    assert c["boron_undefined_reason"] == "no boron atoms in the trajectory"
    assert c["cn_distribution"]["B-O"] is None
    assert "B" in res["pdf"]["meta"]["absent_elements"]
    assert not any("B" in col.split("_")[1].split("-") for col in res["pdf"]["table"].columns if col != "r_A")
    assert np.isfinite(res["scattering"]["sq"]["S_neutron"]).all()
    assert res["angles"]["meta"]["mean_angle_deg"]["O-B-O"] is None


def test_r_max_beyond_half_box_is_a_clear_error(frames):
    with pytest.raises(AnalysisSettingsError, match="pdf_r_max_A"):
        analyse_frames(frames[:1], ELEMENTS, {"pdf_r_max_A": float(frames[0].box_len.min())}, analyses=["pdf"])
    with pytest.raises(AnalysisSettingsError, match="'ring_size_max' is unknown"):
        resolve_settings({"ring_size_max": 12})


def test_run_suite_and_gather(glass, tmp_path, frames):
    # a second "replica": the same frames in reverse order, written as its own dump
    rep2 = write_dump(tmp_path / "rep2.dump", [(f.box_len, f.types, f.positions - f.box_lo) for f in frames[::-1]])
    runs = []
    for k, dump in enumerate([glass, rep2]):
        out = tmp_path / f"run{k}"
        s = run_suite(dump, ELEMENTS, {"boron_isotope": "11B"}, out)
        runs.append(out)
        assert s["B4_fraction"] is not None and s["mean_ring_size_T"] > 0
        for name in ("coordination.json", "pdf.csv", "pdf.json", "angles.csv", "angles.json", "rings.json",
                     "sq.csv", "gr_total.csv", "scattering.json", "summary.json"):
            assert (out / name).exists(), name
    assert json.loads((runs[0] / "scattering.json").read_text())["neutron_b_fm"]["B"] == pytest.approx(6.65)
    # R_chi_FQ: 0 against the simulation itself, and sqrt(sum F^2 / sum F_exp^2) - like for a 10 % scaled F(Q)
    sim = pd.read_csv(runs[0] / "sq.csv")
    (tmp_path / "exp.csv").write_text("Q,S\n" + "\n".join(f"{q},{1 + 0.9 * (s - 1)}" for q, s in zip(sim["Q_inv_A"], sim["S_neutron"])))
    measured = [{"name": "neutron", "path": str(tmp_path / "exp.csv"), "radiation": "neutron", "boron_isotope": "11B"}]
    s2 = run_suite(glass, ELEMENTS, {"boron_isotope": "11B", "measured": measured}, tmp_path / "cmp", analyses=["pdf", "scattering"])
    assert s2["R_chi_FQ_neutron"] == pytest.approx(0.1 / 0.9, rel=1e-3)
    g = gather(runs, tmp_path / "gathered")
    assert g["B4_fraction"]["n"] == 2 and g["B4_fraction"]["std"] == pytest.approx(0.0, abs=1e-12)
    sq = pd.read_csv(tmp_path / "gathered" / "sq.csv")
    assert {"Q_inv_A", "S_neutron_mean", "S_neutron_std"} <= set(sq.columns)


def _ovito_pipeline(frames, elements):
    """An OVITO pipeline over our frames (types named by element), built in memory."""
    from ovito.pipeline import Pipeline, PythonSource

    from glassfit.analysis.render import ovito_data

    def make(frame_index, data):
        ovito_data(frames[frame_index], elements, data)

    return Pipeline(source=PythonSource(function=make))


def test_every_partial_gr_matches_mdanalysis(glass, frames, results):
    """MDAnalysis reads our LAMMPS dump to the same frames, and its InterRDF gives every partial g(r), like pairs included."""
    import MDAnalysis as mda
    from MDAnalysis.analysis.rdf import InterRDF

    u = mda.Universe(str(glass), format="LAMMPSDUMP", atom_style="id type x y z")
    assert len(u.trajectory) == len(frames)
    for ts, f in zip(u.trajectory, frames):
        np.testing.assert_allclose(ts.dimensions[:3], f.box_len, rtol=1e-6)
        np.testing.assert_allclose(np.mod(ts.positions - f.box_lo, f.box_len), np.mod(f.positions - f.box_lo, f.box_len), atol=2e-4)
        np.testing.assert_array_equal(u.atoms.types.astype(int), f.types)
    table, r_max = results["pdf"]["table"], results["pdf"]["meta"]["r_max_A"]
    r = table["r_A"].to_numpy()
    dr = r[1] - r[0]
    pairs = [c[2:] for c in table.columns if c.startswith("g_")]
    assert len(pairs) == 15
    for pair in pairs:
        a, b = pair.split("-")
        ga, gb = (u.select_atoms(f"type {ELEMENTS.index(e) + 1}") for e in (a, b))
        rdf = InterRDF(ga, gb, nbins=len(r), range=(0.0, r_max), exclusion_block=(1, 1) if a == b else None).run()
        g, g_ref = table[f"g_{pair}"].to_numpy(), rdf.results.rdf
        # MDAnalysis bins float32 coordinates in float64, we in float32: a pair within ~1e-5 A of an edge may move a bin
        assert np.mean(np.isclose(g, g_ref, rtol=1e-4, atol=1e-6)) > 0.97, pair
        np.testing.assert_allclose(np.cumsum(g * r**2) * dr, np.cumsum(g_ref * r**2) * dr, rtol=5e-3, atol=2e-3, err_msg=pair)


def test_b4_of_the_fit_equals_the_analysis(glass, results):
    """The MD run's own B4 (properties.json, what the fit uses) equals the analysis suite's on the same trajectory."""
    props = json.loads((glass.parent / f"{glass.stem}_lammps" / "properties.json").read_text())
    assert props["B4_mean"] == pytest.approx(results["coordination"]["B4_fraction"], abs=1e-12)


def test_rings_against_ovito_find_rings(frames):
    """OVITO's FindRingsModifier on the T-O bonds of a 3x3x3 replica (no ring of <= 8 T can wind through 48 A):
    the same 2-, 3- and 4-rings; for larger rings OVITO's stricter no-shortcut rule (it drops rings with an equally
    short path off the ring, e.g. 56 % of quartz's Franzblau 8-rings) finds at most as many, and at least 60 % of ours."""
    from ovito.modifiers import CreateBondsModifier, FindRingsModifier

    f = frames[0]
    shifts = np.array([(i, j, k) for i in range(3) for j in range(3) for k in range(3)]) * f.box_len
    big = Frame(timestep=0, box_lo=f.box_lo, box_len=3 * f.box_len, ids=np.arange(27 * len(f.ids)) + 1,
                types=np.tile(f.types, 27), positions=np.concatenate([f.positions + s for s in shifts]))
    ours = analyse_frames([big], ELEMENTS, {"ring_max_size": 8}, analyses=["rings"])["rings"]
    ours = dict(zip(ours["size"], ours["rings_per_frame_mean"]))
    pipe = _ovito_pipeline([big], ELEMENTS)
    bonds = CreateBondsModifier(mode=CreateBondsModifier.Mode.Pairwise)
    for t in ("Si", "B"):
        bonds.set_pairwise_cutoff(t, "O", 2.0)
    pipe.modifiers.extend([bonds, FindRingsModifier(minimum_ring_size=4, maximum_ring_size=16)])
    hist = np.asarray(pipe.compute().tables["ring-size-histogram"].xy())
    ovito = {int(n) // 2: int(c) for n, c in hist if n % 2 == 0}
    assert all(c == 0 for n, c in hist if n % 2)  # T-O rings alternate
    for size in (2, 3, 4):
        assert ovito[size] == ours[size], size
    assert sum(ours[s] for s in (2, 3, 4)) > 0
    for size in range(5, 9):
        assert 0.6 * ours[size] <= ovito[size] <= ours[size], size


def test_r_chi_real_space_is_zero_against_its_own_broadened_t(results, tmp_path):
    """R_chi (Wright, on T(r) broadened by Q_max and the modification function) is 0 for the simulation itself, in
    every file layout the reader takes, and grows for a scaled copy; a malformed file names its line."""
    from glassfit.analysis.measured import MeasuredSet, r_chi_real_space, simulated_t

    pdf, meta = results["pdf"]["table"], results["pdf"]["meta"]
    conc, rho0 = meta["concentrations"], meta["number_density_inv_A3"]
    r = np.arange(0.5, 9.0, 0.01)
    t = simulated_t(pdf, conc, rho0, MeasuredSet("self", quantity="T(r)", q_max_inv_A=25.0), r)
    (tmp_path / "t.dat").write_text("# T(r), 11B neutron\nr T(r) err\n" + "".join(f"{x:.4f}  {y:.8f} 0.1\n" for x, y in zip(r, t)))
    (tmp_path / "d.csv").write_text("".join(f"{x:.4f},{y - 4 * np.pi * rho0 * x:.8f}\n" for x, y in zip(r, t)))
    (tmp_path / "scaled.dat").write_text("".join(f"{x} {1.1 * y}\n" for x, y in zip(r, t)))
    for name, quantity in (("t.dat", "T(r)"), ("d.csv", "D(r)")):
        res = r_chi_real_space(pdf, conc, rho0, MeasuredSet(str(tmp_path / name), quantity=quantity, q_max_inv_A=25.0))
        assert res["R_chi"] < 1e-6 and res["r_range_A"] == [1.0, 8.0]
    scaled = r_chi_real_space(pdf, conc, rho0, MeasuredSet(str(tmp_path / "scaled.dat"), quantity="T(r)", q_max_inv_A=25.0))
    assert scaled["R_chi"] == pytest.approx(0.1 / 1.1, rel=1e-3)
    assert r_chi_real_space(pdf, conc, rho0, MeasuredSet(str(tmp_path / "t.dat"), quantity="T(r)", q_max_inv_A=15.0))["R_chi"] > 0.01
    (tmp_path / "bad.dat").write_text("1.0 2.0\n1.1 x\n")
    with pytest.raises(ValueError, match="bad.dat, line 2"):
        r_chi_real_space(pdf, conc, rho0, MeasuredSet(str(tmp_path / "bad.dat"), quantity="T(r)", q_max_inv_A=25.0))


def test_isotope_and_xray_normalisation_weights_by_hand():
    """Pair weights for 11B vs natural B (Sears b_c, fm) and X-ray <f>^2 vs <f^2> (f(0) = Z) as computed by hand."""
    from glassfit.analysis.measured import MeasuredSet, weights

    conc = {"O": 0.6, "Si": 0.2, "B": 0.2}
    b = {"O": 5.803, "Si": 4.1491, "B": 5.30}
    for isotope, b_b in (("natural", 5.30), ("11B", 6.65)):
        b["B"] = b_b
        mean = 0.6 * b["O"] + 0.2 * b["Si"] + 0.2 * b["B"]
        w = weights(conc, MeasuredSet("x", radiation="neutron", boron_isotope=isotope))
        assert w["O-B"] == pytest.approx(2 * 0.6 * 0.2 * b["O"] * b_b / mean**2, rel=2e-3)
        assert sum(w.values()) == pytest.approx(1.0)
    z = {"O": 8, "Si": 14, "B": 5}
    w1 = weights(conc, MeasuredSet("x", radiation="xray", xray_normalisation="<f>^2"))
    w2 = weights(conc, MeasuredSet("x", radiation="xray", xray_normalisation="<f^2>"))
    assert w1["O-O"] == pytest.approx(0.36 * 64 / (0.6 * 8 + 0.2 * 14 + 0.2 * 5) ** 2, rel=1e-2)
    assert w2["O-O"] == pytest.approx(0.36 * 64 / sum(conc[e] * z[e] ** 2 for e in z), rel=1e-2)
