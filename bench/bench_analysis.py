"""Benchmark: the whole analysis suite on 100 frames of a ~3000-atom glass, on ONE core.

Usage: python bench/bench_analysis.py [--dump PATH] [--frames N] [--skip-alternatives]

Without --dump, a 3042-atom 24B glass is made once with a short LAMMPS melt-quench (random positions,
the campaign's MD machinery, 10 Å cutoff, not converged; ~3 min) and cached under /tmp/glassfit_bench/. The process pins
itself to one CPU with single-threaded BLAS/OpenMP, then prints per-analysis times of ``run_suite``
(wall and CPU: CPU time is the fair figure on a shared machine) and the same analyses through
alternative libraries (freud, OVITO if installed, a cKDTree pair list, a direct Debye sum), per frame.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS", "OVITO_THREAD_COUNT"):
    os.environ[_v] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the test structures (tests/analysis_testdata.py)

import numpy as np  # noqa: E402

from glassfit.analysis import run_suite  # noqa: E402
from glassfit.analysis.core import FrameContext, find_pairs, resolve_settings  # noqa: E402
from glassfit.analysis.pdf import pair_histogram  # noqa: E402
from analysis_testdata import quick_glass_dump, write_dump  # noqa: E402
from glassfit.trajectory import read_dump  # noqa: E402

ELEMENTS = ["O", "Si", "B", "Na", "Ca"]
CACHE = Path("/tmp/glassfit_bench/glass_24B_3042.dump")


def timed(fn, *args):
    """(cpu_s, wall_s, result) of one call."""
    c, w = time.process_time(), time.perf_counter()
    out = fn(*args)
    return time.process_time() - c, time.perf_counter() - w, out


def make_glass(path: Path) -> Path:
    """The cached benchmark glass, made on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"making the benchmark glass {path} (LAMMPS, a few minutes) ...", flush=True)
        quick_glass_dump(path, "24B", atoms=3042, density_g_cm3=2.54, seed=7, cutoff_A=10.0, melt_ps=1.0, quench_ps=2.0,
                         n_frames=100, frame_every_ps=0.01)
    return path


def alternatives(frames, n: int = 1) -> None:
    """Per-frame times of the same analyses through other libraries (first n frames)."""
    s = resolve_settings({})
    f0 = frames[0]
    r_max = 0.02 * np.floor((0.5 * f0.box_len.min() - 1e-9) / 0.02)
    nb = int(round(r_max / 0.02))
    rows = []

    def ours_pdf(f):
        return pair_histogram(f.positions - f.box_lo, f.box_len, f.types - 1, 5, 0.02, nb)

    def kdtree_pdf(f):
        p = find_pairs(f, r_max)
        t = f.types - 1
        code = np.minimum(t[p.i], t[p.j]) * 5 + np.maximum(t[p.i], t[p.j])
        b = (p.d / 0.02).astype(np.int32)
        m = b < nb
        return np.bincount(code[m] * nb + b[m], minlength=25 * nb)

    rows.append(("pdf (15 partials)", "glassfit (numpy float32 blocks)", ours_pdf))
    rows.append(("pdf (15 partials)", "scipy cKDTree pairs + bincount", kdtree_pdf))
    try:
        import freud

        freud.parallel.set_num_threads(1)

        def freud_pdf(f):
            box = freud.box.Box.from_box(f.box_len)
            pos = f.positions - f.box_lo - f.box_len / 2
            for a in range(1, 6):
                for b in range(a, 6):
                    freud.density.RDF(bins=nb, r_max=r_max).compute(system=(box, pos[f.types == a]), query_points=pos[f.types == b])

        def freud_cn(f):
            box = freud.box.Box.from_box(f.box_len)
            pos = f.positions - f.box_lo - f.box_len / 2
            aq = freud.locality.AABBQuery(box, pos[f.types == 1])
            nl = aq.query(pos[f.types == 3], dict(r_max=1.8)).toNeighborList()
            return np.bincount(nl.query_point_indices, minlength=(f.types == 3).sum())

        rows.append(("pdf (15 partials)", "freud RDF x15", freud_pdf))
        rows.append(("coordination (B-O)", "freud AABBQuery", freud_cn))
    except ImportError:
        print("freud not installed: skipping freud comparisons")
    try:
        from ovito.modifiers import CoordinationAnalysisModifier
        from ovito.pipeline import Pipeline, StaticSource

        from glassfit.analysis.render import ovito_data

        def ovito_pdf(f):
            pipe = Pipeline(source=StaticSource(data=ovito_data(f, ELEMENTS)))
            pipe.modifiers.append(CoordinationAnalysisModifier(cutoff=r_max, number_of_bins=nb, partial=True))
            return pipe.compute()

        rows.append(("pdf (15 partials)", "OVITO CoordinationAnalysisModifier", ovito_pdf))
        from ovito.modifiers import CreateBondsModifier, FindRingsModifier

        def ovito_rings(f):
            pipe = Pipeline(source=StaticSource(data=ovito_data(f, ELEMENTS)))
            bonds = CreateBondsModifier(mode=CreateBondsModifier.Mode.Pairwise)
            for t in ("Si", "B"):
                bonds.set_pairwise_cutoff(t, "O", 2.0)
            pipe.modifiers.extend([bonds, FindRingsModifier(minimum_ring_size=4, maximum_ring_size=32)])
            return pipe.compute()

        rows.append(("rings (<= 16 T)", "OVITO FindRingsModifier (stricter rule)", ovito_rings))
    except ImportError:
        print("ovito not installed: skipping OVITO comparison")

    def ours_cn(f):
        ctx = FrameContext(f, ELEMENTS, s, 1.8, None)
        return np.bincount(ctx.bonds_between("B", "O", 1.8).i, minlength=len(f.ids))

    rows.append(("coordination (B-O)", "glassfit (scipy cKDTree)", ours_cn))
    from glassfit.analysis.rings import RingsAccumulator

    def ours_rings(f):
        acc = RingsAccumulator({**s, "ring_every_n_frames": 1}, ELEMENTS)
        acc.add(FrameContext(f, ELEMENTS, s, 2.0, None))
        return acc

    rows.append(("rings (<= 16 T)", "glassfit (matscipy, T-O graph)", ours_rings))
    try:
        import MDAnalysis as mda
        from MDAnalysis.analysis.rdf import InterRDF

        def mda_pdf(f):
            u = mda.Universe.empty(len(f.ids), trajectory=True, atom_resindex=np.zeros(len(f.ids), int))
            u.add_TopologyAttr("types", f.types.astype(str))
            u.atoms.positions = f.positions
            u.dimensions = [*f.box_len, 90, 90, 90]
            for a in range(1, 6):
                for b in range(a, 6):
                    InterRDF(u.select_atoms(f"type {a}"), u.select_atoms(f"type {b}"), nbins=nb, range=(0, r_max)).run()

        rows.append(("pdf (15 partials)", "MDAnalysis InterRDF x15", mda_pdf))
    except ImportError:
        print("MDAnalysis not installed: skipping its comparison")

    def debye(f):  # direct neutron Debye sum at 50 Q points over all pairs within r_max
        from glassfit.analysis.scattering import neutron_lengths_fm

        b_el = neutron_lengths_fm(ELEMENTS)
        b = np.array([b_el[ELEMENTS[t - 1]] for t in f.types])
        p = find_pairs(f, r_max)
        q = np.linspace(0.3, 20, 50)
        acc = np.zeros_like(q)
        bb = b[p.i] * b[p.j]
        for k in range(0, len(p.d), 200000):
            acc += (bb[k:k + 200000] * np.sinc(np.outer(q, p.d[k:k + 200000]) / np.pi)).sum(1)
        return acc

    rows.append(("S(Q)", "direct Debye sum, 50 Q (per frame)", debye))
    print(f"\nalternatives, per frame (mean of {n} frames):")
    print(f"{'analysis':22s} {'implementation':38s} {'cpu_s':>8s} {'wall_s':>8s}")
    for analysis, name, fn in rows:
        cpu = wall = 0.0
        for f in frames[:n]:
            c, w, _ = timed(fn, f)
            cpu += c
            wall += w
        print(f"{analysis:22s} {name:38s} {cpu / n:8.3f} {wall / n:8.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dump", type=Path, default=None)
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--skip-alternatives", action="store_true")
    args = ap.parse_args()
    dump = args.dump or make_glass(CACHE)
    frames = read_dump(dump)
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"{dump}: {len(frames)} frames of {len(frames[0].ids)} atoms, box {frames[0].box_len.round(2)} Å; CPUs {affinity}")
    if args.frames < len(frames):
        dump = write_dump(Path(tempfile.mkdtemp()) / "sub.dump",
                          [(f.box_len, f.types, f.positions - f.box_lo) for f in frames[: args.frames]])
    with tempfile.TemporaryDirectory() as out:
        cpu, wall, summary = timed(run_suite, dump, ELEMENTS, {}, out)
    print(f"\nrun_suite on {summary['n_frames']} frames: cpu {cpu:.1f} s, wall {wall:.1f} s (target < 60 s on one core)")
    print("per analysis (wall s, whole run; 'read' = parsing the dump, 'neighbours' = shared bond search):")
    for k, v in summary["timing_s"].items():
        print(f"  {k:14s} {v:7.2f}")
    print(f"B4 = {summary['B4_fraction']:.3f}, mean X-O-X = {summary['mean_angle_X-O-X_deg']:.1f}°, "
          f"mean ring size = {summary['mean_ring_size_T']:.2f}")
    if not args.skip_alternatives:
        alternatives(frames)


if __name__ == "__main__":
    main()
