"""LAMMPS throughput of glassfit's generated MD input against a plain hand-written one, and of the local profile.

1. Input speed: ns/day of the generated input (the published campaign's settings: 24B glass, ~3000 atoms,
   buck/coul/long 11 Å, PPPM 1e-5, PPPM order potential.kspace_order) and of a plain hand-written input of
   the same physics (LAMMPS defaults: PPPM order 5), on 1 and 2 MPI ranks, alternated --repeats times;
   the ratio is what the issue's goal (>= 1.3x) is about. PPPM's own accuracy estimate is printed for each.
2. Tuning variants that leave the physics unchanged (same potential, cutoffs, requested PPPM accuracy,
   ensembles, timestep), each once.
3. Local throughput: total simulated ns/day of the machine with two 1-rank jobs at once vs one 2-rank job,
   for the demo's 300-atom system and the published 3000-atom one (the local profile's choice).

Every run starts from the same melt (a short 3000 K NVT of the random structure, made first) and times
an NPT segment at 3000 K, 97 % of the published protocol being NPT; the figure is LAMMPS's own
"Performance" line. The machine must be otherwise idle: the bench refuses to start when the 1-minute load
average is above 0.5 (override with --allow-load). Usage: python bench/bench_lammps.py [--steps 400]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from glassfit import campaign as gc, config, lammps, protocol
from glassfit.protocol import MDSettings, Stage

ROOT = Path(__file__).resolve().parents[1]
#: A plain hand-written input: LAMMPS defaults wherever the physics leaves a choice.
HAND = """units metal
atom_style charge
boundary p p p
read_data structure.data
pair_style buck/coul/long {cutoff}
kspace_style pppm {accuracy}
{coeffs}
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


def accuracy(log: Path) -> float:
    """The worst PPPM relative force accuracy LAMMPS estimated for the runs of a log."""
    return max(float(v) for v in re.findall(r"estimated relative force accuracy = (\S+)", log.read_text()))


def start(workdir: Path, text: str, ranks: int, extra: list[str] | None = None) -> subprocess.Popen:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "in.lammps").write_text(text)
    launcher = lammps.find()
    cmd = launcher.command(ranks, ["-in", "in.lammps", "-log", "log.lammps", "-screen", "none", *(extra or [])])
    return subprocess.Popen(cmd, cwd=workdir, env=launcher.environment(1))


def run(workdir: Path, text: str, ranks: int, extra: list[str] | None = None) -> float:
    if start(workdir, text, ranks, extra).wait() != 0:
        raise RuntimeError(f"{workdir / 'log.lammps'}: LAMMPS failed")
    return performance(workdir / "log.lammps")


def potential(campaign, glass: str = "24B") -> list[str]:
    return gc.render_potential(campaign, glass, {t.name: t.start for t in campaign.tunables}).lines


def generated(campaign, warmup: int, steps: int, skin: float | None = None, edit=None) -> str:
    """glassfit's own input for a 2-stage protocol: a warm-up, then the timed NPT segment."""
    settings = MDSettings(thermo_every_ps=0.1, neighbor_skin_A=skin or campaign.md.settings.neighbor_skin_A, timestep_fs=1.0)
    stages = [Stage("warmup", "nvt", 3000, 3000, warmup / 1000), Stage("timed", "npt", 3000, 3000, steps / 1000)]
    lines = potential(campaign)
    return protocol.render(stages, settings, [edit(l) for l in lines] if edit else lines, "structure.data", 4928459, "bench")


def hand(campaign, warmup: int, steps: int) -> str:
    p = campaign.potential
    coeffs = "\n".join(l for l in potential(campaign) if l.startswith(("mass", "set type", "pair_coeff")))
    return HAND.format(cutoff=f"{p.cutoff_A:g}", accuracy=f"{p.electrostatics.accuracy:g}", coeffs=coeffs, warmup=warmup, steps=steps)


def melt(campaign, glass: str, workdir: Path) -> Path:
    """A 3000 K melt of the glass (from its random structure), written without pair coefficients."""
    workdir.mkdir(parents=True)
    gc.build_structure(campaign, glass, 0, workdir / "structure.data")
    stages = [Stage("relax", "nvt", 300, 3000, 0.5), Stage("melt", "nvt", 3000, 3000, 1.0)]
    text = protocol.render(stages, MDSettings(thermo_every_ps=0.5, timestep_fs=0.5), potential(campaign, glass), "structure.data", 1, "melt")
    run(workdir, text.replace("write_data final.data", "write_data melt.data nocoeff"), 2)
    return workdir / "melt.data"


def case(root: Path, structure: Path, name: str) -> Path:
    wd = Path(tempfile.mkdtemp(dir=root, prefix=re.sub(r"\W+", "-", name)[:40]))
    (wd / "structure.data").write_bytes(structure.read_bytes())
    return wd


def input_speed(campaign, structure: Path, root: Path, warmup: int, steps: int, repeats: int) -> None:
    print(f"1. generated vs hand-written input, {repeats} alternating repeats, median ns/day")
    print(f"{'ranks':>5} {'generated':>10} {'hand':>8} {'ratio':>6}   PPPM accuracy generated / hand")
    for ranks in (1, 2):
        gen, plain = [], []
        for _ in range(repeats):
            wd = case(root, structure, "gen")
            gen.append(run(wd, generated(campaign, warmup, steps), ranks))
            acc_gen = accuracy(wd / "log.lammps")
            wd = case(root, structure, "hand")
            plain.append(run(wd, hand(campaign, warmup, steps), ranks))
            acc_hand = accuracy(wd / "log.lammps")
        g, h = statistics.median(gen), statistics.median(plain)
        print(f"{ranks:>5} {g:>10.2f} {h:>8.2f} {g / h:>5.2f}x   {acc_gen:.2e} / {acc_hand:.2e}", flush=True)


def tuning(campaign, structure: Path, root: Path, warmup: int, steps: int) -> None:
    order = campaign.potential.electrostatics.order
    kspace = re.compile(r"^(kspace_style .*)$")
    variants = [
        (f"generated (PPPM order {order})", {}, []),
        ("PPPM order 5 (LAMMPS default)", dict(edit=lambda l: "" if l.startswith("kspace_modify") else l), []),
        ("PPPM order 6", dict(edit=lambda l: "kspace_modify order 6" if l.startswith("kspace_modify") else l), []),
        ("+ kspace_modify diff ad", dict(edit=lambda l: kspace.sub(r"\1\nkspace_modify diff ad", l)), []),
        ("+ neighbour skin 1.5 A", dict(skin=1.5), []),
        ("+ neighbour skin 1.0 A", dict(skin=1.0), []),
        ("+ real-space Coulomb 13 A", dict(edit=lambda l: l + " 13" if l.startswith("pair_style") else l), []),
        ("+ OPENMP kernels (-sf omp), 1 thread", {}, ["-sf", "omp", "-pk", "omp", "1"]),
    ]
    print("\n2. tuning variants, 1 rank (same potential, cutoffs, requested PPPM accuracy, ensembles, timestep)")
    print(f"{'variant':40} {'ns/day':>8} {'PPPM accuracy':>14}")
    for name, options, extra in variants:
        wd = case(root, structure, name)
        perf = run(wd, generated(campaign, warmup, steps, **options), 1, extra)
        print(f"{name:40} {perf:>8.2f} {accuracy(wd / 'log.lammps'):>14.2e}", flush=True)


def throughput(campaign, structure: Path, root: Path, warmup: int, steps: int, label: str) -> None:
    """Total ns/day of the machine: two 1-rank jobs at once vs one 2-rank job."""
    text = generated(campaign, warmup, steps)
    pair = [case(root, structure, "pair") for _ in range(2)]
    procs = [start(wd, text, 1) for wd in pair]
    if any(p.wait() for p in procs):
        raise RuntimeError(f"{pair}: LAMMPS failed")
    two_jobs = sum(performance(wd / "log.lammps") for wd in pair)
    one_job = run(case(root, structure, "single"), text, 2)
    print(f"{label:32} {two_jobs:>14.2f} {one_job:>14.2f} {two_jobs / one_job:>6.2f}x", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="timed NPT steps per run (3000-atom system)")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2, help="alternating repeats of generated vs hand-written")
    parser.add_argument("--allow-load", action="store_true", help="run even if the machine is busy")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    if load > 0.5 and not args.allow_load:
        sys.exit(f"bench_lammps: the 1-minute load average is {load:.2f}: other work would distort the figures (--allow-load runs anyway)")
    published = config.load(ROOT / "config/config.yaml")
    demo = config.load(ROOT / "config/demo.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        structure = melt(published, "24B", root / "melt-24B")
        n = int(re.search(r"(\d+) atoms", structure.read_text()).group(1))
        print(f"24B glass, {n} atoms, buck/coul/long {published.potential.cutoff_A:g} A, PPPM {published.potential.electrostatics.accuracy:g}, "
              f"{args.steps} NPT steps at 3000 K per run; load average at start {load:.2f}\n")
        input_speed(published, structure, root, args.warmup, args.steps, args.repeats)
        tuning(published, structure, root, args.warmup, args.steps)
        print("\n3. machine throughput, total ns/day (the local profile's choice of ranks and concurrent jobs)")
        print(f"{'system':32} {'2 jobs x 1 rank':>14} {'1 job x 2 ranks':>14} {'ratio':>6}")
        throughput(published, structure, root, args.warmup, args.steps, f"published: 24B, {n} atoms")
        small = melt(demo, "50B", root / "melt-50B")
        throughput(demo, small, root, args.warmup, args.steps * 10, "demo: 50B, 300 atoms")
        print(f"\nload average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
