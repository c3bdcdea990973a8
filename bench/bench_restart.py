"""Benchmark: what restart files cost one MD run of the published campaign (~3000-atom 24B glass).

Usage: python bench/bench_restart.py [--config config/config.yaml] [--glass 24B] [--writes 10] [--steps 20]

Builds the glass's replica-0 structure with the campaign's own code (glassfit.campaign.build_structure),
sets it up in LAMMPS exactly as a run does (the config's potential, cutoff, PPPM accuracy; one rank),
runs a few MD steps for the time per step, writes ``--writes`` restart files (timed inside LAMMPS with a
timer variable) and probes one as a resume does. It prints one file's size and write time, and the
per-run totals at the config's ``md.restart_every_ps``: periodic writes toggle between two files, plus
one file per stage end, so disk use is 2 + (number of stages) files whatever the interval.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from glassfit import campaign as gc, config, lammps, md, protocol

ROOT = Path(__file__).resolve().parents[1]


def bench_input(campaign, glass: str, stage_steps: int, writes: int) -> str:
    """A run's input (one short NPT stage at 3000 K, no restarts) followed by ``writes`` timed write_restart commands."""
    settings = protocol.MDSettings(**{**campaign.md.settings.__dict__, "restart_every_ps": None})
    stage = protocol.Stage("bench", "npt", 3000.0, 3000.0, stage_steps * settings.timestep_fs / 1000.0)
    start = {t.name: t.start for t in campaign.tunables}
    text = protocol.render([stage], settings, gc.render_potential(campaign, glass, start).lines, "structure.data", 12345, "bench_restart")
    timed = ["variable t0 timer", *(f"write_restart restart/bench.{i}.restart" for i in range(writes)), "variable t1 timer"]
    return text + "\n".join(timed) + "\nprint 'glassfit bench write_restart_s $(v_t1-v_t0)'\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "config/config.yaml"))
    ap.add_argument("--glass", default="24B")
    ap.add_argument("--writes", type=int, default=10, help="restart files to write for the timing")
    ap.add_argument("--steps", type=int, default=20, help="MD steps for the time per step")
    args = ap.parse_args()

    campaign = config.load(args.config)
    settings = campaign.md.settings
    stages = list(campaign.md.protocol)
    launcher = gc.launcher(campaign)
    with tempfile.TemporaryDirectory(prefix="bench_restart_") as tmp:
        wd = Path(tmp)
        info = gc.build_structure(campaign, args.glass, 0, wd / "structure.data")
        (wd / "restart").mkdir()
        (wd / "in.lammps").write_text(bench_input(campaign, args.glass, args.steps, args.writes))
        t = time.perf_counter()
        code = lammps.run(launcher, 1, "in.lammps", wd)
        total_s = time.perf_counter() - t
        log = (wd / "log.lammps").read_text()
        if code != 0:
            raise SystemExit(f"LAMMPS failed (exit {code}); see the end of its log:\n{log[-2000:]}")
        write_s = float(re.search(r"^glassfit bench write_restart_s (\S+)", log, re.M).group(1)) / args.writes
        loop_s, loop_steps = re.search(r"^Loop time of (\S+) on \d+ procs for (\d+) steps", log, re.M).groups()
        step_s = float(loop_s) / int(loop_steps)
        size_B = (wd / "restart/bench.0.restart").stat().st_size
        t = time.perf_counter()
        assert md.restart_step(launcher, wd, "restart/bench.0.restart") == args.steps
        probe_s = time.perf_counter() - t

    every_ps = settings.restart_every_ps
    run_steps = protocol.boundaries(stages, settings)[-1][1]
    periodic = run_steps // protocol.steps(every_ps, settings) if every_ps else 0
    boundary = len(stages) if every_ps else 0
    run_s = run_steps * step_s
    mb = 1e6
    print(f"system: {args.glass}, {info['n_atoms']} atoms, {len(stages)} stages, {protocol.total_ps(stages):g} ps ({run_steps} steps); LAMMPS on 1 rank")
    print(f"time per MD step: {step_s * 1e3:.1f} ms  -> the protocol takes ~{run_s / 3600:.1f} h on 1 rank ({run_s / 3600 / 16:.2f} h at ideal 16-rank scaling)")
    print(f"one restart file: {size_B / mb:.3f} MB ({size_B / info['n_atoms']:.0f} B/atom), written in {write_s * 1e3:.2f} ms")
    print(f"probing one restart file (a LAMMPS launch that reads it, as a resume does): {probe_s:.2f} s; whole bench {total_s:.1f} s")
    if not every_ps:
        print("md.restart_every_ps is null: no restart files, a killed run starts over")
        return
    print(f"\nper run at md.restart_every_ps = {every_ps:g} ps ({protocol.steps(every_ps, settings)} steps):")
    print(f"  writes: {periodic} periodic + {boundary} stage ends = {periodic + boundary} -> {(periodic + boundary) * write_s:.2f} s of writing, "
          f"{(periodic + boundary) * write_s / run_s * 100:.4f} % of the run's MD time")
    print(f"  disk: {2 + boundary} files at most (2 toggling + {boundary} stage ends) = {(2 + boundary) * size_B / mb:.1f} MB "
          f"(a non-toggling restart.* series would leave {periodic + boundary} files = {(periodic + boundary) * size_B / mb:.0f} MB)")
    lost_s = protocol.steps(every_ps, settings) * step_s
    print(f"  a kill loses at most {every_ps:g} ps = {lost_s / 60:.1f} min on 1 rank ({lost_s / 60 / 16:.1f} min at ideal 16-rank scaling), half that on average;"
          f" resuming costs ~{2 * probe_s:.1f} s of probing plus one PPPM setup")
    glasses = gc.candidate_glasses(campaign, "proposed", 1)  # the glasses a candidate runs on (not inert, not validation)
    runs = len(glasses) * campaign.system.replicas
    print(f"  per candidate ({len(glasses)} glasses x {campaign.system.replicas} replicas = {runs} runs): "
          f"{runs * (2 + boundary) * size_B / mb:.0f} MB while its runs are in flight, none after (deleted unless md.keep_restarts)")


if __name__ == "__main__":
    main()
