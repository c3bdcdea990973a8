"""LAMMPS speed of each electrostatics method and of each way to render a pair form, on the 3000-atom 24B glass.

1. Electrostatics: the published Buckingham set (wang2018) on the published 24B system with PPPM (1e-5, order 7,
   11 A: the published campaign), Ewald (1e-5), Wolf and DSF (damping 0.2/A, 11 A), as glassfit renders them
   (buck/coul/long; born/coul/wolf and born/coul/dsf, Buckingham being Born-Mayer-Huggins with sigma = D = 0): ns/day
   on 1 and 2 MPI ranks, alternated --repeats times (median), and the ratio to PPPM.
2. Forms without a native LAMMPS style (SHIK's smoothed pair function, config/shik.yaml on the same glass): glassfit's
   table (glassfit.pairtable) against LAMMPS's analytic lepton/coul evaluating the same expressions: the table's
   largest energy and force error over 3000 off-grid distances (from 1.0, 1.3 and 1.5 A to the cutoff, every type
   pair), and ns/day of each.

Every run starts from the same melt (3000 K) and times an NPT segment at 3000 K. The figures are LAMMPS's own
"Performance" lines; compare ratios, not absolute values (the machine is shared). Usage:
    python bench/bench_forms.py [--steps 300] [--repeats 2]
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

from glassfit import campaign as gc, config, lammps, pairtable, potential, protocol  # noqa: E402
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
    return potential.render(p, pairs, q, gc.elements(campaign)).lines


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


def lepton_lines(campaign, rendered: potential.Rendered) -> list[str]:
    """The same SHIK potential evaluated analytically by LAMMPS (pair_style lepton/coul), for comparison with glassfit's table."""
    p = campaign.potential
    el = gc.elements(campaign)
    index = {e: i + 1 for i, e in enumerate(el)}
    terms = {tuple(sorted((index[a], index[b]))): t for t in p.complete_set(p.start).values() for a, b in [t.elements]}
    pairs = [(i, j) for i in range(1, len(el) + 1) for j in range(i, len(el) + 1)]
    return [f"pair_style lepton/coul {p.electrostatics.cutoff_A:g}", *(l for l in rendered.lines if l.startswith(("mass", "set type"))),
            *(f'pair_coeff {i} {j} "{potential.smoothed_expression(p, terms.get((i, j)))}"' for i, j in pairs)]


def smoothed_forms(root: Path, warmup: int, steps: int) -> None:
    shik = config.load(ROOT / "config/shik.yaml")
    structure = minimised_melt(shik, root / "melt-shik")
    elements = gc.elements(shik)
    charges = {s.element: s.charge_e for s in gc.glass_species(shik, GLASS)}
    rendered = gc.render_potential(shik, GLASS, {})
    table_dir = root / "table"
    table_dir.mkdir()
    for name, text in rendered.files.items():
        (table_dir / name).write_text(text)
    table_lines = [l.replace(potential.TABLE_FILE, str(table_dir / potential.TABLE_FILE)) for l in rendered.lines]
    exact_lines = lepton_lines(shik, rendered)
    cutoff = shik.potential.electrostatics.cutoff_A
    print(f"\n2. SHIK (config/shik.yaml) on {GLASS}: glassfit's table ({pairtable.POINTS} points from {pairtable.R_MIN_A} A, "
          f"spacing {(cutoff - pairtable.R_MIN_A) / (pairtable.POINTS - 1):.5f} A, {pairtable.STYLE}) vs LAMMPS's analytic lepton/coul")
    exact = curves(pair_write(exact_lines, elements, charges, 3000, 1.0 + 0.000123, cutoff - 0.01, root / "exact"))
    table = curves(pair_write(table_lines, elements, charges, 3000, 1.0 + 0.000123, cutoff - 0.01, root / "tabulated"))
    for r_min in (1.0, 1.3, 1.5):
        de = max(float(np.max(np.abs(table[k][:, 1] - exact[k][:, 1])[exact[k][:, 0] >= r_min])) for k in exact)
        df = max(float(np.max((np.abs(table[k][:, 2] - exact[k][:, 2]) / np.maximum(1.0, np.abs(exact[k][:, 2])))[exact[k][:, 0] >= r_min])) for k in exact)
        print(f"   table error, 3000 off-grid r from {r_min} A to the cutoff, every type pair: energy {de:.1e} eV, force {df:.1e} (relative above 1 eV/A)")
    step = shik.md.settings.timestep_fs
    speed = {}
    for name, lines in (("table", table_lines), ("lepton", exact_lines)):
        speed[name] = run(case(root, structure, name), timed_input(lines, warmup, steps, step), 1)
    print(f"   ns/day on 1 rank: table {speed['table']:.2f}, lepton {speed['lepton']:.2f} (table / lepton {speed['table'] / speed['lepton']:.2f}x)")


def minimised_melt(campaign, workdir: Path) -> Path:
    """A 4000 K melt of the glass with the campaign's potential, from its random structure relaxed first (SHIK needs it)."""
    workdir.mkdir(parents=True)
    gc.build_structure(campaign, GLASS, 0, workdir / "structure.data")
    settings = MDSettings(thermo_every_ps=0.5, timestep_fs=1.0, minimize=campaign.md.settings.minimize)
    rendered = gc.render_potential(campaign, GLASS, {})
    lines = [line.replace(potential.TABLE_FILE, str(workdir / potential.TABLE_FILE)) for line in rendered.lines]
    for name, text in rendered.files.items():
        (workdir / name).write_text(text)
    text = protocol.render([Stage("melt", "nvt", 4000, 4000, 1.0)], settings, lines, "structure.data", 1, "melt")
    run(workdir, text.replace("write_data final.data", "write_data melt.data nocoeff"), 2)
    return workdir / "melt.data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="timed NPT steps per run")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    published = config.load(ROOT / "config/config.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        structure = melt(published, GLASS, root / "melt-24B")
        n = int(re.search(r"(\d+) atoms", structure.read_text()).group(1))
        print(f"{GLASS} glass, {n} atoms, {args.steps} NPT steps at 3000 K per run\n")
        electrostatics(published, structure, root, args.warmup, args.steps, args.repeats)
        smoothed_forms(root, args.warmup, args.steps)


if __name__ == "__main__":
    main()
