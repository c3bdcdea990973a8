"""Benchmark: what each target observable adds to an MD run's job, on 100 frames of a ~3000-atom glass, on ONE core.

Usage: python bench/bench_observables.py [--dump PATH] [--frames N]

The glass is bench_analysis.py's cached 3042-atom 24B glass (made once with LAMMPS). Each observable is measured
alone (glassfit.analysis.observables.measure, as a run measures its targets after LAMMPS), so its time includes the
shared neighbour search; then all of them in one pass. Printed: seconds per run (the dump's frames), per frame, and
as a fraction of the production stage's MD at the published campaign's speed (3.5 ns/day for 3000 atoms on one core:
100 frames of 1 ps are 100 ps of MD, ~41 min).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_v] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_analysis import CACHE, ELEMENTS, make_glass  # noqa: E402

from glassfit.analysis import observables  # noqa: E402
from glassfit.analysis.core import FrameContext, resolve_settings  # noqa: E402
from glassfit.analysis.measured import MeasuredSet, simulated_t  # noqa: E402
from glassfit.analysis.pdf import PDFAccumulator  # noqa: E402
from glassfit.model import Observable  # noqa: E402
from glassfit.trajectory import read_dump  # noqa: E402

MD_S_PER_PS = 86400 / 3500.0  # 3.5 ns/day


def measured_file(frames, folder: Path) -> MeasuredSet:
    """A neutron T(r) 'measurement' (Q_max 20 1/Å, Lorch) made from the glass itself: what a diffraction target compares with."""
    s = resolve_settings(None)
    acc = PDFAccumulator(s, ELEMENTS)
    for f in frames[:5]:
        acc.add(FrameContext(f, ELEMENTS, s, 2.0, None))
    pdf = acc.result()
    r = np.arange(0.5, 10.0, 0.01)
    spec = MeasuredSet(path="", radiation="neutron", quantity="T(r)", q_max_inv_A=20.0)
    t = simulated_t(pdf["table"], pdf["meta"]["concentrations"], pdf["meta"]["number_density_inv_A3"], spec, r)
    path = folder / "neutron_T.dat"
    np.savetxt(path, np.column_stack([r, t]))
    return MeasuredSet(path=str(path), name="neutron", radiation="neutron", quantity="T(r)", q_max_inv_A=20.0)


OBSERVABLES = {
    "B4 (coordination_fraction)": Observable("coordination_fraction", center="B", neighbour="O", n=4, cutoff_A=1.8),
    "Q4 of Si (qn_fraction)": Observable("qn_fraction", center="Si", neighbour="O", n=4, cutoff_A=2.0, formers=("Si", "B")),
    "Si-O (mean_bond_length)": Observable("mean_bond_length", center="Si", neighbour="O", cutoff_A=2.0),
    "O-Si-O (mean_angle)": Observable("mean_angle", center="Si", neighbour="O", cutoff_A=2.0),
    "R_chi neutron (diffraction)": Observable("diffraction", measured="neutron"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dump", type=Path, default=None)
    ap.add_argument("--frames", type=int, default=100)
    args = ap.parse_args()
    frames = read_dump(args.dump or make_glass(CACHE))[: args.frames]
    n, ps = len(frames), float(len(frames))  # one frame per ps of production, as the shipped protocols dump
    print(f"{n} frames of {len(frames[0].ids)} atoms; MD of {ps:g} ps production at 3.5 ns/day = {ps * MD_S_PER_PS / 60:.0f} min")
    with tempfile.TemporaryDirectory() as folder:
        measured = {"neutron": measured_file(frames, Path(folder))}
        t0 = time.perf_counter()
        list(read_dump(args.dump or CACHE))[:n]
        read_s = time.perf_counter() - t0
        print(f"{'observable':32s} {'s/run':>8s} {'ms/frame':>9s} {'of MD':>8s}  value")
        print(f"{'(reading the dump)':32s} {read_s:8.2f} {1000 * read_s / n:9.1f} {read_s / (ps * MD_S_PER_PS):8.2e}")
        for label, o in [*OBSERVABLES.items(), ("all five in one pass", None)]:
            chosen = {"x": o} if o is not None else {k: v for k, v in zip("abcde", OBSERVABLES.values())}
            t0 = time.perf_counter()
            out = observables.measure(frames, ELEMENTS, chosen, None, measured)
            s = time.perf_counter() - t0
            value = f"{out['x_mean']:.4g}" if o is not None else ""
            print(f"{label:32s} {s:8.2f} {1000 * s / n:9.1f} {s / (ps * MD_S_PER_PS):8.2e}  {value}")


if __name__ == "__main__":
    main()
