"""LAMMPS speed of each electrostatics method and of each way to render a pair form, on the 3000-atom 24B glass.

1. Electrostatics: the published Buckingham set (wang2018) on the published 24B system with PPPM (1e-5, order 7,
   11 A: the published campaign), Ewald (1e-5), Wolf and DSF (damping 0.2/A, 11 A), as glassfit renders them
   (buck/coul/long; born/coul/wolf and born/coul/dsf, Buckingham being Born-Mayer-Huggins with sigma = D = 0): ns/day
   on 1 and 2 MPI ranks, alternated --repeats times (median), and the ratio to PPPM.
2. Forms without a native LAMMPS style (SHIK's smoothed pair function, config/shik.yaml on the same glass): glassfit's
   analytic lepton/coul against the tabulated alternative (pair_style table, written by pair_write from the same
   expression with --points points linear in r from 0.5 A to the cutoff): ns/day of each, and the table's largest
   energy and force error against the analytic function over 4000 off-grid distances from 1.2 A to the cutoff.

Every run starts from the same melt (3000 K) and times an NPT segment at 3000 K. The figures are LAMMPS's own
"Performance" lines; compare ratios, not absolute values (the machine is shared). Usage:
    python bench/bench_forms.py [--steps 300] [--repeats 2] [--points 2000]
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lammps import case, melt, run  # noqa: E402  (same folder)

from glassfit import campaign as gc, config, lammps, potential, protocol  # noqa: E402
from glassfit.model import Electrostatics  # noqa: E402
from glassfit.protocol import MDSettings, Stage  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GLASS = "24B"


def timed_input(lines: list[str], warmup: int, steps: int, timestep_fs: float = 1.0) -> str:
    """glassfit's input for a warm-up and the timed NPT segment at 3000 K with these potential lines."""
    settings = MDSettings(thermo_every_ps=0.1, timestep_fs=timestep_fs)
    stages = [Stage("warmup", "nvt", 3000, 3000, warmup * timestep_fs / 1000), Stage("timed", "npt", 3000, 3000, steps * timestep_fs / 1000)]
    return protocol.render(stages, settings, lines, "structure.data", 4928459, "bench_forms")


def lines_with(campaign, electrostatics: Electrostatics) -> list[str]:
    p = dataclasses.replace(campaign.potential, electrostatics=electrostatics)
    pairs = p.complete_set(p.start)
    q = {s.element: s.charge_e for s in gc.glass_species(campaign, GLASS)}
    return potential.lammps_lines(p, pairs, q, gc.elements(campaign))


def electrostatics(campaign, structure: Path, root: Path, warmup: int, steps: int, repeats: int) -> None:
    variants = {
        "pppm 1e-5, order 7 (published)": Electrostatics("pppm", 11.0, accuracy=1e-5, order=7),
        "ewald 1e-5": Electrostatics("ewald", 11.0, accuracy=1e-5),
        "wolf, alpha 0.2/A": Electrostatics("wolf", 11.0, damping_invA=0.2),
        "dsf, alpha 0.2/A": Electrostatics("dsf", 11.0, damping_invA=0.2),
    }
    print(f"1. electrostatics, Buckingham wang2018, 11 A cutoffs, median ns/day of {repeats} alternating repeats")
    print(f"{'method':32} {'style':18} {'1 rank':>8} {'ratio':>6} {'2 ranks':>8} {'ratio':>6}")
    speed: dict[tuple[str, int], list[float]] = {}
    for _ in range(repeats):
        for ranks in (1, 2):
            for name, e in variants.items():
                text = timed_input(lines_with(campaign, e), warmup, steps)
                speed.setdefault((name, ranks), []).append(run(case(root, structure, name), text, ranks))
    for name, e in variants.items():
        style = lines_with(campaign, e)[0].split()[1]
        one, two = (statistics.median(speed[(name, r)]) for r in (1, 2))
        ref1, ref2 = (statistics.median(speed[(next(iter(variants)), r)]) for r in (1, 2))
        print(f"{name:32} {style:18} {one:>8.2f} {one / ref1:>5.2f}x {two:>8.2f} {two / ref2:>5.2f}x", flush=True)


def pair_write(lines: list[str], elements: list[str], charges: dict[str, float], points: int, r_lo: float, r_hi: float, workdir: Path) -> Path:
    """pair_write of every type pair of a potential (N points linear in r, each with its types' charges): the file."""
    n = len(elements)
    writes = [f"pair_write {i} {j} {points} r {r_lo!r} {r_hi!r} pairs.txt P{i}_{j} {charges[elements[i - 1]]!r} {charges[elements[j - 1]]!r}"
              for i in range(1, n + 1) for j in range(i, n + 1)]
    text = ["units metal", "atom_style charge", "region b block 0 40 0 40 0 40", f"create_box {n} b",
            "create_atoms 1 single 1 1 1", "create_atoms 1 single 20 20 20", *lines, *writes]
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "in.write").write_text("\n".join(text) + "\n")
    if lammps.run(lammps.find(), 1, "in.write", workdir, log="log.write") != 0:
        raise RuntimeError(f"{workdir}: pair_write failed")
    return workdir / "pairs.txt"


def curves(path: Path) -> dict[str, np.ndarray]:
    """(r, energy, force) rows of every section of a pair_write file, by section name."""
    blocks = re.split(r"^(P\d+_\d+)\s*$", path.read_text(), flags=re.M)
    return {key: np.array([[float(x) for x in line.split()[1:4]] for line in body.splitlines() if line.strip() and not line.startswith(("N ", "#"))])
            for key, body in zip(blocks[1::2], blocks[2::2])}


def smoothed_forms(root: Path, warmup: int, steps: int, points: int) -> None:
    shik = config.load(ROOT / "config/shik.yaml")
    structure = minimised_melt(shik, root / "melt-shik")
    elements = gc.elements(shik)
    charges = {s.element: s.charge_e for s in gc.glass_species(shik, GLASS)}
    lines = gc.potential_lines(shik, GLASS, {})
    cutoff, r_lo = shik.potential.electrostatics.cutoff_A, 0.5
    table_file = pair_write(lines, elements, charges, points, r_lo, cutoff, root / "table")
    spacing = (cutoff - r_lo) / (points - 1)
    n = len(elements)
    table_lines = [f"pair_style table linear {points}", *(l for l in lines[1:] if not l.startswith("pair_coeff")),
                   *(f"pair_coeff {i} {j} {table_file} P{i}_{j} {cutoff:g}" for i in range(1, n + 1) for j in range(i, n + 1))]
    lo, hi = 1.2 + spacing / np.pi, cutoff - 0.05  # off the table's grid
    exact = curves(pair_write(lines, elements, charges, 4000, lo, hi, root / "exact"))
    table = curves(pair_write(table_lines, elements, charges, 4000, lo, hi, root / "tabulated"))
    de = max(float(np.max(np.abs(table[k][:, 1] - exact[k][:, 1]))) for k in exact)
    df = max(float(np.max(np.abs(table[k][:, 2] - exact[k][:, 2]) / np.maximum(1.0, np.abs(exact[k][:, 2])))) for k in exact)
    step = shik.md.settings.timestep_fs
    speed = {name: run(case(root, structure, name), timed_input(text, warmup, steps, step), 1) for name, text in (("lepton", lines), ("table", table_lines))}
    print(f"\n2. SHIK (config/shik.yaml) on {GLASS}: analytic lepton/coul vs pair_style table ({points} points, spacing {spacing:.4f} A, linear)")
    print(f"   table error over 4000 off-grid r in [1.2, {hi:.2f}] A: energy {de:.2e} eV, force {df:.2e} (eV/A, relative above 1 eV/A)")
    print(f"   ns/day on 1 rank: lepton {speed['lepton']:.2f}, table {speed['table']:.2f} (table / lepton {speed['table'] / speed['lepton']:.2f}x)")


def minimised_melt(campaign, workdir: Path) -> Path:
    """A 4000 K melt of the glass with the campaign's potential, from its random structure relaxed first (SHIK needs it)."""
    workdir.mkdir(parents=True)
    gc.build_structure(campaign, GLASS, 0, workdir / "structure.data")
    settings = MDSettings(thermo_every_ps=0.5, timestep_fs=1.0, minimize=campaign.md.settings.minimize)
    text = protocol.render([Stage("melt", "nvt", 4000, 4000, 1.0)], settings, gc.potential_lines(campaign, GLASS, {}), "structure.data", 1, "melt")
    run(workdir, text.replace("write_data final.data", "write_data melt.data nocoeff"), 2)
    return workdir / "melt.data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="timed NPT steps per run")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--points", type=int, default=2000, help="points of the SHIK table (linear in r)")
    args = parser.parse_args()
    published = config.load(ROOT / "config/config.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        structure = melt(published, GLASS, root / "melt-24B")
        n = int(re.search(r"(\d+) atoms", structure.read_text()).group(1))
        print(f"{GLASS} glass, {n} atoms, {args.steps} NPT steps at 3000 K per run\n")
        electrostatics(published, structure, root, args.warmup, args.steps, args.repeats)
        smoothed_forms(root, args.warmup, args.steps, args.points)


if __name__ == "__main__":
    main()
