"""``glassfit analyse``: the structure suite on trajectories MDAnalysis reads (LAMMPS dump, data file + DCD, XYZ, extended XYZ).

One small glass-like network (jittered beta-cristobalite, a quarter of T = B, Na in the voids: 204 atoms, 3 frames) is
written in every format; its positions lie on a 1/64 Å grid, exact in float32 (DCD, MDAnalysis), float64 and the text
files, so every format must give the same summary, and the MDAnalysis path the same frames as glassfit's own dump reader.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from glassfit.analysis.reader import TrajectoryError, open_trajectory
from glassfit.cli import main
from glassfit.potential import Species
from glassfit.structure import Structure, write_data
from glassfit.trajectory import iter_dump

ELEMENTS = ["O", "Si", "B", "Na"]
TYPES = "1=O,2=Si,3=B,4=Na"
GRID = 64.0  # positions on a 1/64 Å grid
A = 7.125  # cristobalite-like cell edge (Å), a multiple of 1/64
#: fast settings: rings up to 8 T (no replication of the 14.25 Å box), every frame
SETTINGS = "ring_max_size: 8\nring_every_n_frames: 1\n"
GLASSFIT = Path(sys.executable).parent / "glassfit"


def network(seed: int = 0, n_frames: int = 3, jitter_A: float = 0.08) -> tuple[float, np.ndarray, list[np.ndarray]]:
    """Box edge, types (1-based into ELEMENTS, first atoms O, Si, B, Na) and jittered positions per frame."""
    diamond = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    cells = np.array([[i, j, k] for i in range(2) for j in range(2) for k in range(2)])
    a_sites = (cells[:, None, :] + diamond[None]).reshape(-1, 3) * A
    t_sites = np.vstack([a_sites, a_sites + A / 4])  # diamond lattice of the T atoms
    bonds = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) * A / 8
    o_sites = (a_sites[:, None, :] + bonds[None]).reshape(-1, 3)  # O midway along every T-T bond
    voids = (cells[:, None, :] + (diamond + 0.5)[None]).reshape(-1, 3) * A
    rng = np.random.default_rng(seed)
    t_types = np.full(len(t_sites), 2)
    t_types[rng.choice(len(t_sites), len(t_sites) // 4, replace=False)] = 3
    na_sites = voids[rng.choice(len(voids), 12, replace=False)]
    types = np.concatenate([np.ones(len(o_sites), int), t_types, np.full(len(na_sites), 4)])
    base = np.vstack([o_sites, t_sites, na_sites])
    first = [0, len(o_sites) + int(np.argmax(t_types == 2)), len(o_sites) + int(np.argmax(t_types == 3)), len(types) - 1]
    order = np.concatenate([first, rng.permutation(np.setdiff1d(np.arange(len(types)), first))])
    types, base = types[order], base[order]
    box = 2 * A
    frames = [np.mod(np.round((base + rng.normal(0, jitter_A, base.shape)) * GRID) / GRID, box) for _ in range(n_frames)]
    return box, types, frames


def write_lammps_dump(path: Path, box: float, types: np.ndarray, frames: list[np.ndarray], lo: float = 0.0, shuffle: bool = True) -> Path:
    """A LAMMPS text dump as glassfit's MD writes it (``ITEM: ATOMS id type x y z``), box [lo, lo+box), atoms in shuffled id order."""
    rng = np.random.default_rng(1)
    with path.open("w") as fh:
        for k, pos in enumerate(frames):
            n = len(types)
            order = rng.permutation(n) if shuffle else np.arange(n)
            fh.write(f"ITEM: TIMESTEP\n{1000 * k}\nITEM: NUMBER OF ATOMS\n{n}\nITEM: BOX BOUNDS pp pp pp\n")
            fh.write("".join(f"{lo:.10f} {lo + box:.10f}\n" for _ in range(3)))
            fh.write("ITEM: ATOMS id type x y z\n")
            data = np.column_stack([np.arange(1, n + 1), types, pos + lo])[order]
            np.savetxt(fh, data, fmt=["%d", "%d", "%.8f", "%.8f", "%.8f"])
    return path


def write_xyz(path: Path, box: float, types: np.ndarray, frames: list[np.ndarray], extended: bool) -> Path:
    """Plain XYZ (element names, no box) or extended XYZ with an orthogonal Lattice= per frame."""
    names = np.asarray(ELEMENTS)[types - 1]
    with path.open("w") as fh:
        for k, pos in enumerate(frames):
            comment = (f'Lattice="{box} 0.0 0.0 0.0 {box} 0.0 0.0 0.0 {box}" Properties=species:S:1:pos:R:3 pbc="T T T" frame={k}'
                       if extended else f"frame {k}")
            fh.write(f"{len(types)}\n{comment}\n")
            fh.write("".join(f"{e} {x:.6f} {y:.6f} {z:.6f}\n" for e, (x, y, z) in zip(names, pos)))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The same frames in every format (and the settings file of the runs)."""
    import MDAnalysis as mda

    d = tmp_path_factory.mktemp("formats")
    box, types, frames = network()
    out = {"dump": write_lammps_dump(d / "glass.dump", box, types, frames)}
    out["dump_offset"] = write_lammps_dump(d / "offset.dump", box, types, frames, lo=-7.0)
    species = [Species("O", -0.945, 15.9994), Species("Si", 1.89, 28.0855), Species("B", 1.4175, 10.811), Species("Na", 0.4725, 22.98977)]
    write_data(d / "glass.data", Structure(box, types, frames[0]), species, "test glass")  # atom_style charge, Masses '# El'
    out["data"] = d / "glass.data"
    with warnings.catch_warnings():  # MDAnalysis: masses guessed, no dt
        warnings.simplefilter("ignore")
        u = mda.Universe(str(out["dump"]), format="LAMMPSDUMP")
        with mda.coordinates.DCD.DCDWriter(str(d / "glass.dcd"), u.atoms.n_atoms) as w:
            for _ in u.trajectory:
                w.write(u.atoms)
    out["dcd"] = d / "glass.dcd"
    out["xyz"] = write_xyz(d / "glass.xyz", box, types, frames, extended=False)
    out["extxyz"] = write_xyz(d / "glass.extxyz", box, types, frames, extended=True)
    (d / "settings.yaml").write_text(SETTINGS)
    out["settings"] = d / "settings.yaml"
    out["box"] = box
    return out


def analyse(args: list, capsys=None) -> tuple[int, str, str]:
    """``glassfit analyse`` in-process: exit code, stdout, stderr."""
    code = main(["analyse", *map(str, args)])
    out, err = capsys.readouterr() if capsys else ("", "")
    return code, out, err


@pytest.fixture(scope="module")
def runs(files, tmp_path_factory) -> dict[str, Path]:
    """``glassfit analyse`` on every format (the dump through the real command in a subprocess, with figures)."""
    d = tmp_path_factory.mktemp("runs")
    common = ["--settings", files["settings"], "--no-figures"]
    proc = subprocess.run([str(GLASSFIT), "analyse", str(files["dump"]), "--types", TYPES, "--out", str(d / "dump"), "--settings", str(files["settings"])],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    (d / "dump.stdout").write_text(proc.stdout)
    commands = {
        "dump_offset": [files["dump_offset"], "--types", TYPES],
        "dcd": [files["dcd"], "--topology", files["data"]],  # elements from the data file's Masses comments
        "dcd_types": [files["dcd"], "--topology", files["data"], "--types", TYPES, "--atom-style", "charge"],
        "xyz": [files["xyz"], "--box", f"{files['box']},{files['box']},{files['box']}"],
        "extxyz": [files["extxyz"]],
        "data": [files["data"], "--types", TYPES],  # one frame: the first
    }
    for name, args in commands.items():
        assert main(["analyse", *map(str, args), "--out", str(d / name), *map(str, common)]) == 0, name
    return {name: d / name for name in ["dump", *commands]} | {"stdout": d / "dump.stdout"}


def summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())


def scalars(s: dict) -> dict:
    return {k: v for k, v in s.items() if k not in ("timing_s", "trajectory", "topology", "format") and (v is None or isinstance(v, (int, float)))}


def assert_close(got: dict, want: dict, name: str) -> None:
    """Same keys, None where the other is None, numbers to float32 tolerance."""
    assert got.keys() == want.keys(), name
    assert {k for k, v in got.items() if v is None} == {k for k, v in want.items() if v is None}, name
    assert {k: v for k, v in got.items() if v is not None} == pytest.approx({k: v for k, v in want.items() if v is not None}, rel=1e-6, abs=1e-6), name


def test_mdanalysis_frames_equal_glassfit_dump_reader(files):
    """MDAnalysis' reading of the dump gives glassfit's own frames: ids, types, box, positions (box origin shifted to 0)."""
    for name in ("dump", "dump_offset"):
        t = open_trajectory(files[name], type_map={"1": "O", "2": "Si", "3": "B", "4": "Na"})
        assert t.elements == ELEMENTS and t.n_frames == 3 and t.n_atoms == 204
        mine, theirs = list(t), list(iter_dump(files[name]))
        assert len(mine) == len(theirs) == 3
        for a, b in zip(mine, theirs):
            assert a.timestep == b.timestep
            np.testing.assert_array_equal(a.ids, b.ids)
            np.testing.assert_array_equal(a.types, b.types)
            np.testing.assert_array_equal(a.box_len, b.box_len)
            np.testing.assert_array_equal(a.box_lo, 0.0)
            assert a.positions.min() >= 0 and (a.positions < a.box_len).all()
            np.testing.assert_array_equal(a.positions, np.mod(b.positions - b.box_lo, b.box_len))
    dcd = list(open_trajectory(files["dcd"], topology=files["data"]))
    xyz = list(open_trajectory(files["xyz"], box=[files["box"]] * 3))
    for frames in (dcd, xyz, list(open_trajectory(files["extxyz"]))):
        for a, b in zip(frames, iter_dump(files["dump"])):
            np.testing.assert_array_equal(a.types, b.types)
            np.testing.assert_allclose(a.positions, b.positions, rtol=0, atol=1e-6)  # exact on the 1/64 Å grid; float32 otherwise
            np.testing.assert_array_equal(a.box_len, b.box_len)


def test_every_format_gives_the_same_analysis(runs):
    """Coordination and mean CN exactly, g(r), angles, rings and S(Q) to float32 tolerance, in every format."""
    ref = summary(runs["dump"])
    assert ref["n_frames"] == 3 and ref["elements"] == ELEMENTS and ref["n_atoms"] == 204
    assert ref["mean_cn_Si-O"] == pytest.approx(4.0, abs=0.05) and ref["B4_fraction"] > 0.9  # a tetrahedral network
    assert ref["mean_ring_size_T"] == pytest.approx(6.0, abs=0.5)  # cristobalite: 6-rings
    pdf, sq = pd.read_csv(runs["dump"] / "pdf.csv"), pd.read_csv(runs["dump"] / "sq.csv")
    coordination = json.loads((runs["dump"] / "coordination.json").read_text())
    for name in ("dump_offset", "dcd", "dcd_types", "xyz", "extxyz"):
        s = summary(runs[name])
        assert s["elements"] == ELEMENTS and s["n_frames"] == 3, name
        exact = {k: v for k, v in scalars(ref).items() if k.startswith(("B3", "B4", "B5", "mean_cn_", "ring_fraction", "n_"))}
        assert {k: s[k] for k in exact} == exact, name
        assert_close(scalars(s), scalars(ref), name)
        c = json.loads((runs[name] / "coordination.json").read_text())
        assert c["cn_distribution"] == coordination["cn_distribution"], name
        pd.testing.assert_frame_equal(pd.read_csv(runs[name] / "pdf.csv"), pdf, rtol=1e-5, atol=1e-6)
        pd.testing.assert_frame_equal(pd.read_csv(runs[name] / "sq.csv"), sq, rtol=1e-5, atol=1e-5)
    one = summary(runs["data"])  # the data file alone: its one frame (frame 0 of the dump)
    assert one["n_frames"] == 1 and one["elements"] == ELEMENTS


def test_reader_path_equals_glassfit_dump_path(files, runs, tmp_path):
    """run_suite on glassfit's own dump reader (as the campaign runs it) gives the files of ``glassfit analyse``."""
    from glassfit.analysis.core import default_settings
    from glassfit.analysis.suite import run_suite

    settings = {**default_settings(), "ring_max_size": 8, "ring_every_n_frames": 1}
    own = run_suite(files["dump"], ELEMENTS, settings, tmp_path)
    assert own["trajectory"] == str(files["dump"])
    assert scalars(own) == {k: v for k, v in scalars(summary(runs["dump"])).items() if k != "n_atoms"}
    for name in ("pdf.csv", "angles.csv", "sq.csv", "gr_total.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / name), pd.read_csv(runs["dump"] / name))
    assert json.loads((tmp_path / "rings.json").read_text()) == json.loads((runs["dump"] / "rings.json").read_text())


def test_command_output_and_figures(runs):
    """The real command prints a line per file group and a summary, and draws the validation's figures."""
    out = runs["stdout"].read_text()
    for group in ("coordination:", "pdf:", "angles:", "rings:", "scattering:", "figures:", "summary:"):
        assert any(line.startswith(group) for line in out.splitlines()), group
    assert "frame 3/3" in out and "204 atoms" in out and "elements O,Si,B,Na" in out and "B4 " in out
    for name in ("summary.json", "coordination.json", "pdf.csv", "angles.csv", "rings.json", "sq.csv", "gr_total.csv",
                 "partial_pdfs.png", "bond_angles.png", "ring_sizes.png", "sq_neutron.png", "sq_xray.png"):
        assert (runs["dump"] / name).is_file(), name
    assert not list(runs["dcd"].glob("*.png"))  # --no-figures


def test_measured_sq_gives_r_chi_and_figure(files, runs, tmp_path, capsys):
    """A measured S(Q) file on the command line: R_chi (real space) and R_chi_FQ in the summary, and in the S(Q) figure."""
    sq = pd.read_csv(runs["dump"] / "sq.csv")
    q = sq["Q_inv_A"].to_numpy()[::5]
    s = np.interp(q, sq["Q_inv_A"], sq["S_neutron"]) + 0.02 * np.sin(q)  # "measured": the simulation, slightly off
    measured = tmp_path / "sq_neutron.dat"
    measured.write_text("# Q(1/A) S(Q)\n" + "".join(f"{a:.4f} {b:.6f}\n" for a, b in zip(q, s)))
    code, out, err = analyse([files["dump"], "--types", TYPES, "--out", tmp_path / "m", "--settings", files["settings"],
                              "--analyses", "pdf,scattering", "--measured", measured, "radiation=neutron"], capsys)
    assert code == 0, err
    result = summary(tmp_path / "m")
    assert 0 < result["R_chi_FQ_neutron"] < 0.5
    assert 0 < result["R_chi_neutron"] < 0.5
    comparison = json.loads((tmp_path / "m" / "comparison.json").read_text())
    assert comparison["sets"]["neutron"]["R_chi"] == result["R_chi_neutron"]
    assert "R_chi neutron" in out and "R_chi_FQ neutron" in out
    figure = tmp_path / "m" / "sq_neutron.png"
    assert figure.is_file() and figure.read_bytes() != (runs["dump"] / "sq_neutron.png").read_bytes()  # the measured dots
    assert not (tmp_path / "m" / "coordination.json").exists() and not (tmp_path / "m" / "bond_angles.png").exists()


@pytest.mark.parametrize(
    "args, words",
    [
        (["{dump}", "--types", "1=O,2=Si,3=B"], ["--types", "4"]),  # a type of the file missing from the map
        (["{dump}", "--types", "1=O,2=Si,3=B,4=Xq"], ["--types", "Xq"]),  # not an element
        (["{dump}"], ["--types", "1"]),  # LAMMPS type numbers without a map
        (["{xyz}"], ["--box", "glass.xyz"]),  # XYZ without a box
        (["{dir}/missing.dump", "--types", TYPES], ["missing.dump", "no such file"]),
        (["{dcd}"], ["--topology"]),  # DCD without a topology
        (["{dcd}", "--topology", "{dir}/nothere.data"], ["nothere.data"]),
        (["{dump}", "--types", TYPES, "--cutoff", "B-O"], ["--cutoff"]),
        (["{dump}", "--types", TYPES, "--frames", "5:"], ["--frames"]),
        (["{dump}", "--types", TYPES, "--analyses", "coordination,bogus"], ["--analyses", "bogus"]),
        (["{dump}", "--types", TYPES, "--measured", "{dir}/none.dat", "radiation=neutron"], ["--measured", "none.dat"]),
        (["{dump}", "--types", TYPES, "--measured", "{dump}"], ["--measured", "radiation"]),
        (["{xyz}", "--box", "14.25,14.25"], ["--box"]),
        (["{triclinic}", "--types", TYPES], ["triclinic"]),
        (["--measured", "{dump}", "radiation=neutron"], ["give the trajectory file"]),
        (["{dump}", "--types", TYPES, "--measured", "{dump}", "radiation=neutron", "q_max=20"], ["--measured", "q_max=20"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(files, tmp_path, capsys, args, words):
    triclinic = tmp_path / "tri.dump"
    text = files["dump"].read_text().replace("ITEM: BOX BOUNDS pp pp pp", "ITEM: BOX BOUNDS xy xz yz pp pp pp")
    triclinic.write_text(text.replace(f"0.0000000000 {files['box']:.10f}\n", f"0.0000000000 {files['box']:.10f} 0.5\n"))
    names = {"dump": files["dump"], "xyz": files["xyz"], "dcd": files["dcd"], "dir": files["dump"].parent, "triclinic": triclinic}
    code, out, err = analyse([a.format(**names) for a in args] + ["--out", tmp_path / "out"], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("glassfit analyse: "), err
    assert all(w in lines[0] for w in words), lines[0]
    assert "Traceback" not in err


def test_bad_input_through_the_real_command(tmp_path):
    proc = subprocess.run([str(GLASSFIT), "analyse", str(tmp_path / "missing.xyz"), "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"glassfit analyse: {tmp_path / 'missing.xyz'}: no such file"]


def test_reader_options(files):
    """Type maps with two labels per element, --frames, and errors as TrajectoryError."""
    t = open_trajectory(files["dump"], type_map={"1": "O", "2": "Si", "3": "Si", "4": "Na"}, frames=slice(1, None, 1))
    frames = list(t)
    assert t.elements == ["O", "Si", "Na"] and len(frames) == 2 and frames[0].timestep == 1000
    assert set(np.unique(frames[0].types)) == {1, 2, 3}
    with pytest.raises(TrajectoryError, match="--box .* disagrees"):
        list(open_trajectory(files["extxyz"], box=[10, 10, 10]))
