"""The ``glassfit`` command: campaign status, the next iteration (plan), the closing report of ``make demo``, recovery after a crash."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from glassfit import config
from glassfit.status import format_status, status


def _status(args: argparse.Namespace) -> int:
    s = status(args.results)
    print(json.dumps(s, indent=2) if args.json else format_status(s))
    return 0


def _check(args: argparse.Namespace) -> int:
    """Validate a config file and every table it names; one line naming file, line and column on a problem."""
    campaign = config.load(args.configfile)
    for warning in config.resource_warnings(campaign):
        print(f"glassfit: {args.configfile}: {warning}", file=sys.stderr)
    if campaign.fit:
        print(f"{args.configfile}: ok (campaign {campaign.name}: {len(campaign.glasses)} glasses, {len(campaign.tunables)} tunable parameters)")
    else:
        print(f"{args.configfile}: ok (validation-only campaign {campaign.name})")
    return 0


def _plan(args: argparse.Namespace) -> int:
    """The next iteration's candidates and MD jobs, making its proposal if it is due (seconds, no MD)."""
    from glassfit.plan import plan

    try:
        print(plan(args.configfile, args.profile))
    except RuntimeError as e:
        print(f"glassfit plan: {e}", file=sys.stderr)
        return 1
    return 0


def _report(args: argparse.Namespace) -> int:
    """Status of the campaign a config file describes, and where its products are."""
    campaign = config.load(args.configfile)
    results = Path(campaign.results)
    if not campaign.fit:  # a validation-only campaign: no iterations, only final/validation and final/structure
        table = results / "final" / "validation" / "properties.md"
        if not table.exists():
            print(f"validation-only campaign {campaign.name}: not finished ({table} missing)")
            return 1
        print(table.read_text())
        for f in sorted((results / "final").rglob("*.png")):
            print(f"  plot:    {f}")
        return 0
    s = status(results)
    print(format_status(s))
    final = results / "final"
    if s["finished"]:
        print(f"\nresults: {results}/\n  summary: {final / 'summary.md'}")
        for f in sorted(final.rglob("*.png")):
            print(f"  plot:    {f}")
        print(f"  fitted potential (LAMMPS include file): {final / 'potential.lammps'}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    """A campaign folder against itself (and its config, with --configfile): one line per problem, exit 1 if any."""
    import dataclasses

    from glassfit import verify
    from glassfit.model import Campaign, from_dict

    results = Path(args.results)
    if args.configfile:
        campaign = config.load(args.configfile)
        if results.name != campaign.name:
            print(f"glassfit verify: {results} is not the folder of campaign {campaign.name!r} ({args.configfile})", file=sys.stderr)
            return 2
        campaign = dataclasses.replace(campaign, results_dir=str(results.parent))
    elif (results / "campaign.json").is_file():
        try:
            campaign = from_dict(Campaign, json.loads((results / "campaign.json").read_text()))
        except (ValueError, KeyError, TypeError) as error:
            print(f"{results / 'campaign.json'}: damaged ({type(error).__name__}); give --configfile to check the folder against its config", file=sys.stderr)
            return 1
        campaign = dataclasses.replace(campaign, results_dir=str(results.parent))
    else:
        print(f"glassfit verify: {results}: no campaign.json; give the campaign's --configfile", file=sys.stderr)
        return 2
    problems = [str(p) for p in verify.check(campaign)]
    workdir = Path(args.directory or ".").resolve()
    locks = workdir / ".snakemake" / "locks"
    if locks.is_dir() and any(locks.iterdir()) and not live_snakemake(workdir):
        problems.append(f"{locks}: a stale lock (no Snakemake runs in {workdir}); run glassfit recover (with your --configfile and --profile)")
    for line in problems:
        print(line)
    if not problems:
        print(f"{results}: ok ({len(layout_runs(results))} MD runs checked)")
    return 1 if problems else 0


def layout_runs(results: Path) -> list[Path]:
    """Every run's properties.json of a campaign folder (iterations and validation)."""
    from glassfit import layout

    return [f for stage in [layout.iteration_name(i) for i in layout.iterations(results)] + ["validation"] for f in layout.run_files(results, stage)]


#: Job names the SLURM executor plugin gives its jobs: the run's UUID, optionally after --slurm-jobname-prefix.
_RUN_UUID = re.compile(r"^(?:[A-Za-z0-9_-]{1,50}_)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def live_snakemake(workdir: Path) -> list[int]:
    """PIDs of this user's Snakemake main processes working in ``workdir`` (not the ones inside cluster jobs)."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if proc.stat().st_uid != os.getuid() or Path(os.readlink(proc / "cwd")).resolve() != workdir:
                continue
            argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        runs_snakemake = any(Path(a).name == "snakemake" for a in argv[:2]) or argv[1:3] == ["-m", "snakemake"]
        if runs_snakemake and not {"--unlock", "remote", "subprocess"} & set(argv) and "slurm-jobstep" not in argv:
            pids.append(int(proc.name))
    return [p for p in pids if p != os.getpid()]


def leftover_slurm_jobs(workdir: Path) -> list[dict]:
    """This user's queued or running SLURM jobs that a Snakemake run in ``workdir`` submitted.

    The executor plugin names each job after its run's UUID, comments it ``rule_<rule>...`` and starts it in the
    working directory (``-D``): all three must match.
    """
    out = subprocess.run(["squeue", "-h", "-u", getpass.getuser(), "-o", "%i|%j|%k|%T|%Z"], capture_output=True, text=True, check=True).stdout
    jobs = []
    for line in out.splitlines():
        jobid, name, comment, state, directory = (line.split("|") + [""] * 5)[:5]
        if _RUN_UUID.match(name) and comment.startswith("rule_") and directory and Path(directory).resolve() == workdir:
            jobs.append({"jobid": jobid, "name": name, "comment": comment, "state": state})
    return jobs


def _uses_slurm(profile: str | None) -> bool:
    if not profile:
        return False
    path = Path(profile)
    path = path / "config.yaml" if path.is_dir() else path
    try:
        return (yaml.safe_load(path.read_text()) or {}).get("executor") == "slurm"
    except (OSError, yaml.YAMLError):
        return "slurm" in str(profile)


def _recover(args: argparse.Namespace) -> int:
    """After a crash or kill -9: unlock the working directory and cancel the crashed run's SLURM jobs."""
    workdir = Path(args.directory or ".").resolve()
    config.load(args.configfile)  # a missing or broken config stops here, in one line, before anything is cancelled
    running = live_snakemake(workdir)
    if running and not args.force:
        print(
            f"glassfit recover: Snakemake is still running in {workdir} (pid {', '.join(map(str, running))}); "
            "stop it first (Ctrl-C), or pass --force if that process belongs to another workflow",
            file=sys.stderr,
        )
        return 1
    if _uses_slurm(args.profile):
        if shutil.which("squeue") is None:
            print("glassfit recover: squeue not found: cannot look for leftover SLURM jobs", file=sys.stderr)
            return 2
        try:
            jobs = leftover_slurm_jobs(workdir)
        except (subprocess.CalledProcessError, OSError) as error:
            detail = (getattr(error, "stderr", None) or str(error)).strip().splitlines()
            print(f"glassfit recover: squeue failed ({detail[-1] if detail else error}): is SLURM reachable from here? nothing was changed", file=sys.stderr)
            return 2
        for j in jobs:
            print(f"cancelling SLURM job {j['jobid']} ({j['state'].lower()}, {j['comment']}, run {j['name']})")
        if jobs:
            subprocess.run(["scancel", *[j["jobid"] for j in jobs]], check=True)
        print(f"cancelled {len(jobs)} leftover SLURM job(s) of {workdir}")
    cmd = [sys.executable, "-m", "snakemake", "--unlock", "--cores", "1", "--configfile", args.configfile, "--directory", str(workdir)]
    if args.snakefile:
        cmd += ["--snakefile", args.snakefile]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"glassfit recover: snakemake --unlock failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}", file=sys.stderr)
        return proc.returncode
    print(f"unlocked {workdir}: rerun the same snakemake command to continue the campaign (finished runs are kept)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="glassfit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("status", help="iterations, MD runs done/failed/pending, best set so far")
    p.add_argument("results", help="the campaign's results folder, e.g. results/borosilicate")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_status)
    p = sub.add_parser(
        "verify",
        help="check a campaign folder against itself and its config: one line per problem (what, and what to do)",
        description="Every properties.json parses and belongs to its folder, no run of a finished iteration is missing, "
        "every gathered table agrees with its runs, campaign.json agrees with the config (--configfile) on every key "
        "that changes physics, no stale lock. Exits 1 if there is a problem. Snakemake runs the same check at start.",
    )
    p.add_argument("results", help="the campaign's results folder, e.g. results/borosilicate")
    p.add_argument("--configfile", help="the campaign's config (default: compare with campaign.json only)")
    p.add_argument("--directory", help="the working directory snakemake runs in (for the lock), default: here")
    p.set_defaults(func=_verify)
    p = sub.add_parser("check", help="validate a config file and the tables it names (a YAML error names its line)")
    p.add_argument("--configfile", default="config/config.yaml")
    p.set_defaults(func=_check)
    p = sub.add_parser(
        "plan",
        help="the next iteration's candidates and MD jobs (makes the due proposal: seconds, no MD)",
        description="A plain `snakemake -n` cannot see past the proposal checkpoint. This makes the next proposal if it "
        "is due (only that job runs; its input, the last dataset, must exist) and shows the iteration it proposes: its "
        "candidates and a dry run of its jobs. Run it where you run snakemake, with the same --configfile (and --profile).",
    )
    p.add_argument("--configfile", default="config/config.yaml")
    p.add_argument("--profile", help="the profile the proposal job runs with (default: the repository's profiles/local)")
    p.set_defaults(func=_plan)
    p = sub.add_parser("report", help="status and final products of the campaign of a config file")
    p.add_argument("--configfile", default="config/config.yaml")
    p.set_defaults(func=_report)
    p = sub.add_parser(
        "recover",
        help="after a crash or kill -9: remove Snakemake's stale lock and cancel the crashed run's SLURM jobs",
        description="Run from where you ran snakemake, with the same --configfile and --profile. Unlocks the working "
        "directory (snakemake --unlock); with a SLURM profile, first cancels this user's jobs that a Snakemake run in "
        "this directory submitted (squeue: job name = run UUID, comment rule_*, working directory). Refuses while a "
        "Snakemake process still runs here.",
    )
    p.add_argument("--configfile", default="config/config.yaml")
    p.add_argument("--profile", help="the profile the campaign ran with; a SLURM profile also cancels leftover jobs")
    p.add_argument("--snakefile", help="the Snakefile, if not ./Snakefile")
    p.add_argument("--directory", help="the working directory (snakemake --directory), default: here")
    p.add_argument("--force", action="store_true", help="go ahead although a Snakemake process runs in this directory")
    p.set_defaults(func=_recover)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (config.ConfigError, FileNotFoundError) as e:
        print(f"glassfit: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
