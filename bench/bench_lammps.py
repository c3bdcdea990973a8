"""LAMMPS throughput of glassfit's generated input: 24B glass, ~3000 atoms, buck/coul/long 11 Å, PPPM 1e-5.

Prints ns/day of (1) the generated input and (2) a plain hand-written input of the same physics, each on
1 and 2 MPI ranks, then (3) tuning variants that leave the physics unchanged: neighbour skin, the
real-space Coulomb cutoff (PPPM keeps the 1e-5 accuracy, so only the real/reciprocal split moves), and
2 OpenMP threads on one rank instead of 2 ranks.

Every variant runs the same structure (the campaign's 24B replica 0) for a short warm-up at 3000 K and
then a timed NPT segment at 3000 K; the figure is LAMMPS's own "Performance" line of the timed segment.
Usage: python bench/bench_lammps.py [--steps 400]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
from pathlib import Path

from glassfit import campaign as gc, config, lammps, protocol
from glassfit.protocol import MDSettings, Stage

ROOT = Path(__file__).resolve().parents[1]
HAND = """units metal
atom_style charge
boundary p p p
read_data structure.data
pair_style buck/coul/long 11.0
pair_coeff * * 0.0 1.0 0.0
pair_coeff 1 1 9022.79 0.265 85.0921
pair_coeff 1 2 50306.10 0.161 46.2978
pair_coeff 1 3 206941.81 0.1240 35.0018
pair_coeff 1 4 120303.80 0.17 0.0
pair_coeff 1 5 155667.70 0.178 42.2597
pair_coeff 2 3 337.70 0.29 0.0
pair_coeff 3 3 484.40 0.35 0.0
kspace_style pppm 1.0e-5
timestep 0.001
velocity all create 3000 4928459 dist gaussian
fix 1 all nvt temp 3000 3000 0.1
run {warmup}
unfix 1
fix 1 all npt temp 3000 3000 0.1 iso 0 0 1
thermo 100
run {steps}
"""


def performance(log: Path) -> float:
    """ns/day of the last run in a LAMMPS log."""
    values = re.findall(r"Performance: ([0-9.]+) ns/day", log.read_text())
    if not values:
        raise RuntimeError(f"{log}: no Performance line (did LAMMPS fail?)")
    return float(values[-1])


def run(workdir: Path, text: str, ranks: int, extra: list[str] | None = None, threads: int = 1) -> float:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "in.lammps").write_text(text)
    launcher = lammps.find()
    cmd = launcher.command(ranks, ["-in", "in.lammps", "-log", "log.lammps", "-screen", "none", *(extra or [])])
    env = launcher.environment(threads)
    subprocess.run(cmd, cwd=workdir, env=env, check=True)
    return performance(workdir / "log.lammps")


def generated(campaign: dict, warmup: int, steps: int, skin: float = 2.0, coul_cutoff: float | None = None) -> str:
    """glassfit's own input for a 2-stage protocol: warm-up, then the timed NPT segment."""
    settings = MDSettings(thermo_every_ps=0.1, neighbor_skin_A=skin)
    stages = [Stage("warmup", "nvt", 3000, 3000, warmup / 1000), Stage("timed", "npt", 3000, 3000, steps / 1000)]
    start = {t["name"]: t["start"] for t in campaign["tunable"]}
    lines = gc.potential_lines(campaign, start)
    if coul_cutoff:
        lines = [f"pair_style buck/coul/long {campaign['potential']['cutoff_A']:g} {coul_cutoff:g}" if l.startswith("pair_style") else l for l in lines]
    return protocol.render(stages, settings, lines, "structure.data", 4928459, "bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="timed steps per variant")
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()
    campaign = config.load(ROOT / "config/config.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        info = gc.build_structure(campaign, "24B", 0, tmp / "structure.data")
        print(f"24B glass, {info['n_atoms']} atoms, cutoff 11 A, PPPM 1e-5, {args.steps} timed steps at 3000 K (NPT)\n")
        variants = [
            ("generated input", 1, dict(), []),
            ("generated input", 2, dict(), []),
            ("hand-written input", 1, "hand", []),
            ("hand-written input", 2, "hand", []),
            ("tuned: skin 1.0 A", 2, dict(skin=1.0), []),
            ("tuned: real-space Coulomb 9 A (PPPM 1e-5)", 2, dict(coul_cutoff=9.0), []),
            ("tuned: real-space Coulomb 8 A (PPPM 1e-5)", 2, dict(coul_cutoff=8.0), []),
            ("tuned: 1 rank x 2 OpenMP threads", 1, dict(), ["-sf", "omp", "-pk", "omp", "2"]),
        ]
        print(f"{'variant':48} {'ranks':>5} {'ns/day':>8}")
        for i, (name, ranks, options, extra) in enumerate(variants):
            wd = tmp / f"v{i}"
            wd.mkdir()
            (wd / "structure.data").write_bytes((tmp / "structure.data").read_bytes())
            text = HAND.format(warmup=args.warmup, steps=args.steps) if options == "hand" else generated(campaign, args.warmup, args.steps, **options)
            threads = 2 if "omp" in extra else 1
            print(f"{name:48} {ranks:>5} {run(wd, text, ranks, extra, threads):>8.2f}", flush=True)


if __name__ == "__main__":
    main()
