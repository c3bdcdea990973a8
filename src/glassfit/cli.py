"""The ``glassfit`` command: campaign status, the next iteration (plan), the closing report of ``make demo``, recovery after a crash,
and the structure analysis of any trajectory (analyse)."""

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
from glassfit.model import PriorData
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
        from glassfit.learn import cost

        design = f"screening {cost.new_set_replicas(campaign)} of {campaign.replicas} replicas" if cost.screening(campaign) else \
            f"every set with {campaign.replicas} replicas"
        print(f"{args.configfile}: ok (campaign {campaign.name}: {len(campaign.glasses)} glasses, {len(campaign.tunables)} tunable parameters, "
              f"{design})")
    else:
        print(f"{args.configfile}: ok (validation-only campaign {campaign.name})")
    return 0


def _import_dataset(args: argparse.Namespace) -> int:
    """Convert a published wide table (or a glassfit dataset.csv) into the data-set rows a campaign's learn.prior_data uses."""
    from glassfit.files import write_csv
    from glassfit.learn import prior

    campaign = config.load(args.configfile)
    entry = PriorData(path=args.table, units=args.units, fidelity=args.fidelity, sheet=args.sheet)
    try:
        rows = prior.load(entry, campaign, 1)
    except prior.PriorDataError as error:
        print(f"glassfit import-dataset: {error}", file=sys.stderr)
        return 1
    rows = rows.assign(candidate=rows["candidate"].str.split(":", n=1).str[1])
    print(f"{args.table} ({args.units} units, fidelity {args.fidelity}): {prior.summary(rows, campaign)}")
    if args.out:
        write_csv(args.out, rows)
        print(f"wrote {args.out}: use it as learn.prior_data: [{{path: {args.out}, fidelity: {args.fidelity}}}]")
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


def _folder_campaign(args: argparse.Namespace, command: str):
    """The campaign of a results folder (args.results): from --configfile, else from its campaign.json; None (said) if neither."""
    import dataclasses

    from glassfit.model import Campaign, from_dict

    results = Path(args.results)
    if getattr(args, "configfile", None):
        campaign = config.load(args.configfile)
        if results.name != campaign.name:
            print(f"glassfit {command}: {results} is not the folder of campaign {campaign.name!r} ({args.configfile})", file=sys.stderr)
            return None
    elif (results / "campaign.json").is_file():
        try:
            campaign = from_dict(Campaign, json.loads((results / "campaign.json").read_text()))
        except (ValueError, KeyError, TypeError) as error:
            print(f"{results / 'campaign.json'}: damaged ({type(error).__name__}); give --configfile to check the folder against its config", file=sys.stderr)
            return None
    else:
        print(f"glassfit {command}: {results}: no campaign.json; give the campaign's --configfile", file=sys.stderr)
        return None
    return dataclasses.replace(campaign, results_dir=str(results.parent))


def _verify(args: argparse.Namespace) -> int:
    """A campaign folder against itself (and its config, with --configfile): one line per problem, exit 1 if any (changes it
    only names, such as new experimental values or a campaign that could go on, do not count)."""
    from glassfit import verify

    results = Path(args.results)
    campaign = _folder_campaign(args, "verify")
    if campaign is None:
        return 2
    found = verify.check(campaign)
    problems = [str(p) for p in found if not p.warning]
    workdir = Path(args.directory or ".").resolve()
    locks = workdir / ".snakemake" / "locks"
    if locks.is_dir() and any(locks.iterdir()) and not live_snakemake(workdir):
        problems.append(f"{locks}: a stale lock (no Snakemake runs in {workdir}); run glassfit recover (with your --configfile and --profile)")
    for line in problems + [str(p) for p in found if p.warning]:
        print(line)
    if not problems:
        print(f"{results}: ok ({len(layout_runs(results))} MD runs checked)")
    return 1 if problems else 0


def _repair(args: argparse.Namespace) -> int:
    """Make the repairs a real Snakemake run makes before its jobs start: damaged runs moved aside, tables rebuilt."""
    from glassfit import verify

    campaign = _folder_campaign(args, "repair")
    if campaign is None:
        return 2
    found = verify.check(campaign)
    blocking = [p for p in found if p.blocking]
    for p in blocking:
        print(f"{p} (glassfit repair cannot do this)")
    if blocking:
        return 1
    done = verify.repair(campaign, found)
    for line in done:
        print(line)
    if not done:
        print(f"{args.results}: nothing to repair")
    return 0


def _redo(args: argparse.Namespace) -> int:
    """Redo one record on purpose: its files are kept aside (``.redone``) and the next snakemake run makes it again."""
    from glassfit import layout, verify

    campaign = _folder_campaign(args, "redo")
    if campaign is None:
        return 2
    results = Path(campaign.results)
    iteration = layout.iteration_of(args.iteration)
    if iteration is None or not layout.iteration_dir(results, iteration).is_dir():
        print(f"glassfit redo: {results / args.iteration}: no such iteration folder (iter-NN)", file=sys.stderr)
        return 2
    folder = layout.iteration_dir(results, iteration)
    if args.proposal:
        started = layout.run_files(results, folder.name)
        if iteration == 0 or started:
            why = "iteration 0's design is not a proposal" if iteration == 0 else f"{len(started)} MD run(s) were made from it"
            print(f"glassfit redo: {folder}: its proposal stays ({why}); start a new campaign instead", file=sys.stderr)
            return 1
        files = [folder / n for n in (layout.CANDIDATES, layout.PREDICTIONS, layout.RANKING, layout.PROPOSAL) if (folder / n).is_file()]
    else:
        candidate, glass, replica = (args.run.split("/") + ["", "", ""])[:3]
        run = layout.run_dir(results, folder.name, candidate, glass, replica.removeprefix("r"))
        if not (run / layout.PROPERTIES).is_file():
            print(f"glassfit redo: {run}: no finished run there (CANDIDATE/GLASS/rK)", file=sys.stderr)
            return 2
        files = [run]
    for path in files:
        print(f"kept aside {path} -> {verify.set_aside(path, 'redone').name}")
    print("the next snakemake run makes it again" + ("" if args.proposal else "; the iteration's tables keep the values its proposals saw"))
    return 0


def _extend(args: argparse.Namespace) -> int:
    """Let a campaign stopped by its iteration or MD-run limit go on under a raised limit: the empty last proposal and final/
    are kept aside (``superseded.``), nothing else is touched."""
    from glassfit import layout, verify

    campaign = _folder_campaign(args, "extend")
    if campaign is None:
        return 2
    results = Path(campaign.results)
    why = verify.could_go_on(campaign, results)
    if why is None:
        print(f"glassfit extend: {results}: nothing to extend (no iteration or MD-run limit in {args.configfile} lets it go on)", file=sys.stderr)
        return 1
    iteration = verify.stopped(results)[0]
    for path in (layout.iteration_dir(results, iteration), results / "final"):
        if path.exists():
            print(f"kept aside {path} -> {verify.set_aside(path).name}")
    print(f"{results}: {why}; the next snakemake run proposes iteration {iteration:02d}")
    return 0


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


#: the files of each analysis (as run_suite writes them), in the order ``glassfit analyse`` reports them
ANALYSE_FILES = {
    "coordination": ("coordination.json",),
    "pdf": ("pdf.csv", "pdf.json"),
    "angles": ("angles.csv", "angles.json"),
    "rings": ("rings.json",),
    "scattering": ("sq.csv", "gr_total.csv", "scattering.json"),
}
#: summary scalars ``glassfit analyse`` prints (when defined), as (key prefix, label, format)
ANALYSE_SCALARS = (
    ("number_density_inv_A3", "density", "{:.5f} 1/Å³"),
    ("B4_fraction", "B4", "{:.3f}"),
    ("mean_cn_", "CN ", "{:.3f}"),
    ("mean_angle_X-O-X_deg", "mean X-O-X", "{:.1f}°"),
    ("mean_ring_size_T", "mean ring size", "{:.2f}"),
    ("R_chi_FQ_", "R_chi_FQ ", "{:.3f}"),
    ("R_chi_", "R_chi ", "{:.3f}"),
)


class AnalyseError(ValueError):
    """A bad ``glassfit analyse`` option: one line naming it."""


def _pairs_option(values: list[str] | None, option: str) -> dict[str, float]:
    """``["B-O=1.8", "Si-O=2.0,Na-O=3.0"]`` → ``{"B-O": 1.8, ...}``."""
    out: dict[str, float] = {}
    for item in [p.strip() for v in values or [] for p in v.split(",") if p.strip()]:
        pair, sep, value = (t.strip() for t in item.partition("="))
        if not sep or not re.fullmatch(r"[A-Z][a-z]?-[A-Z][a-z]?", pair):
            raise AnalyseError(f"{option}: {item!r} is not PAIR=Å, e.g. {option} B-O=1.8 (cation first, element symbols)")
        try:
            r = float(value)
        except ValueError:
            r = float("nan")
        if not (r > 0 and r < float("inf")):
            raise AnalyseError(f"{option}: {item!r}: the cutoff must be a positive number of Å")
        out[pair] = r
    return out


def _analyses_option(text: str | None) -> list[str]:
    from glassfit.analysis.core import ALL_ANALYSES

    if text is None:
        return list(ALL_ANALYSES)
    names = [a.strip() for a in text.split(",") if a.strip()]
    bad = [a for a in names if a not in ALL_ANALYSES]
    if bad or not names:
        raise AnalyseError(f"--analyses: {'unknown ' + ', '.join(bad) if bad else 'empty'}; choose from {','.join(ALL_ANALYSES)}")
    return [a for a in ALL_ANALYSES if a in names]


def _measured_option(items: list[list[str]] | None, analyses: list[str]) -> list:
    """``--measured FILE [KEY=VALUE ...]`` (repeatable) → measured sets, each checked (file, columns, keys)."""
    from dataclasses import fields

    from glassfit.analysis.measured import QUANTITIES, RADIATIONS, MeasuredSet, measured_sets, read_columns

    if not items:
        return []
    if not {"pdf", "scattering"} <= set(analyses):
        raise AnalyseError("--measured: comparing with measured data needs the pdf and scattering analyses (--analyses ...,pdf,scattering)")
    known = [f.name for f in fields(MeasuredSet) if f.name != "path"]
    entry: dict[str, dict] = {}
    for words in items:
        path, options = Path(words[0]), words[1:]
        spec: dict = {"file": str(path)}
        for option in options:
            key, sep, value = (t.strip() for t in option.partition("="))
            if not sep or key not in known:
                raise AnalyseError(f"--measured {path}: {option!r} is not KEY=VALUE with KEY one of {', '.join(known)}")
            if key == "q_max_inv_A":
                try:
                    spec[key] = float(value)
                except ValueError:
                    raise AnalyseError(f"--measured {path}: q_max_inv_A={value!r} is not a number (1/Å)") from None
            elif key == "r_range_A":
                try:
                    lo, hi = (float(v) for v in value.split(","))
                except ValueError:
                    raise AnalyseError(f"--measured {path}: r_range_A={value!r} is not LO,HI (Å)") from None
                spec[key] = [lo, hi]
            else:
                spec[key] = value
        if "radiation" in spec and spec["radiation"] not in RADIATIONS:
            raise AnalyseError(f"--measured {path}: radiation must be one of {', '.join(RADIATIONS)}, not {spec['radiation']!r}")
        name = spec.pop("name", None) or spec.get("radiation")
        if name is None:
            raise AnalyseError(f"--measured {path}: say which radiation (radiation=neutron or radiation=xray)")
        if name in entry:
            raise AnalyseError(f"--measured {path}: a second set named {name!r}; give each set its own name=...")
        if spec.get("quantity", "S(Q)") not in QUANTITIES:
            raise AnalyseError(f"--measured {path}: quantity must be one of {', '.join(QUANTITIES)}, not {spec['quantity']!r}")
        if spec.get("modification", "lorch") not in ("lorch", "none"):
            raise AnalyseError(f"--measured {path}: modification must be lorch or none, not {spec['modification']!r}")
        if spec.get("xray_normalisation", "<f>^2") not in ("<f>^2", "<f^2>"):
            raise AnalyseError(f"--measured {path}: xray_normalisation must be '<f>^2' or '<f^2>', not {spec['xray_normalisation']!r}")
        if spec.get("quantity") in ("T(r)", "D(r)") and "q_max_inv_A" not in spec:
            raise AnalyseError(f"--measured {path}: real-space data need q_max_inv_A=... (the experiment's Q_max)")
        if not path.is_file():
            raise AnalyseError(f"--measured {path}: no such file")
        try:
            read_columns(path)  # its format: a one-line error naming the file and line
        except ValueError as error:
            raise AnalyseError(f"--measured {error}") from None
        entry[name] = spec
    return measured_sets(entry, "--measured")


def _analyse_settings(args: argparse.Namespace, analyses: list[str], measured: list) -> dict:
    """The analysis settings: defaults (glassfit's campaign defaults), --settings, --cutoff/--bond-cutoff, analyses, measured data."""
    from glassfit.analysis.core import default_settings, resolve_settings
    from glassfit.analysis.measured import as_dicts

    settings = default_settings()
    if args.settings:
        path = Path(args.settings)
        if not path.is_file():
            raise AnalyseError(f"--settings {path}: no such file")
        try:
            given = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            raise AnalyseError(f"--settings {path}{f', line {mark.line + 1}' if mark else ''}: not valid YAML") from None
        if isinstance(given, dict) and isinstance(given.get("analysis"), dict):  # a campaign config: its analysis.settings
            given = given["analysis"].get("settings") or {}
        if not isinstance(given, dict):
            raise AnalyseError(f"--settings {path}: needs a mapping of analysis settings (as a config's analysis.settings)")
        for key in ("analyses", "measured"):
            if key in given:
                raise AnalyseError(f"--settings {path}: {key!r} is set on the command line (--{key}), not in the settings file")
        for key, value in given.items():
            settings[key] = {**settings[key], **value} if isinstance(settings.get(key), dict) and isinstance(value, dict) else value
    settings["coordination_cutoffs_A"].update(_pairs_option(args.cutoff, "--cutoff"))
    settings["network_bond_cutoffs_A"].update(_pairs_option(args.bond_cutoff, "--bond-cutoff"))
    settings["analyses"] = analyses
    settings["measured"] = as_dicts(measured)
    return resolve_settings(settings)


def _progress(frames, n: int, every: int):
    """The frames, printing a line every ``every`` frames (and after the last)."""
    import time

    start = time.perf_counter()
    k = 0
    for k, frame in enumerate(frames, 1):
        yield frame
        if k % every == 0 or k == n:
            print(f"  frame {k}/{n} analysed ({time.perf_counter() - start:.1f} s)", flush=True)


def _analyse_figures(outdir: Path, analyses: list[str], settings: dict, label: str, elements: list[str], measured: list) -> list[Path]:
    """The validation's per-glass figures (glassfit.validation.GLASS_FIGURES) of one trajectory, with the measured S(Q)."""
    import inspect
    import warnings

    import pandas as pd

    from glassfit.analysis import plots
    from glassfit.analysis.measured import measured_sq
    from glassfit.validation import glass_figures

    anion = settings["bridging_anion"]

    def partial_pdfs(path: Path) -> None:
        table = pd.read_csv(outdir / "pdf.csv")
        pairs = [f"{e}-{anion}" for e in elements if e != anion and f"g_{e}-{anion}" in table]  # cation-anion pairs present
        plots.plot_partial_pdfs({label: table}, path, (pairs or [c[2:] for c in table if c.startswith("g_")])[:6])

    def bond_angles(path: Path) -> None:
        table = pd.read_csv(outdir / "angles.csv")
        kinds = [c.removesuffix("_pdf_per_deg") for c in table if c.endswith("_pdf_per_deg") and table[c].notna().any()]
        validation = inspect.signature(plots.plot_bond_angles).parameters["kinds"].default  # the validation's panels, where there are data
        plots.plot_bond_angles({label: table}, path, [k for k in validation if k in kinds] or kinds[:4] or validation)

    def sq(kind: str):
        sets = [m for m in measured if m.radiation == kind and m.quantity in ("S(Q)", "F(Q)")]  # the first set of that radiation
        return lambda path: plots.plot_structure_factor({label: pd.read_csv(outdir / "sq.csv")}, path, kind,
                                                        {label: measured_sq(sets[0])} if sets else None)

    draw = {
        "partial_pdfs": partial_pdfs,
        "bond_angles": bond_angles,
        "ring_sizes": lambda path: plots.plot_ring_distribution({label: json.loads((outdir / "rings.json").read_text())}, path),
        "sq_neutron": sq("neutron"),
        "sq_xray": sq("xray"),
    }
    written = []
    for name in glass_figures(analyses):
        with warnings.catch_warnings():  # e.g. matplotlib's "no artists with labels" for a panel without data
            warnings.simplefilter("ignore")
            draw[name](outdir / f"{name}.png")
        written.append(outdir / f"{name}.png")
    return written


def _summary_line(summary: dict) -> str:
    parts = []
    for prefix, label, fmt in ANALYSE_SCALARS:
        for key, value in summary.items():
            if key.startswith(prefix) and isinstance(value, (int, float)) and not isinstance(value, bool):
                if prefix == "R_chi_" and key.startswith("R_chi_FQ_"):
                    continue
                suffix = key[len(prefix):] if prefix.endswith("_") else ""
                parts.append(f"{label}{suffix} {fmt.format(value)}")
    return ", ".join(parts)


def _analyse(args: argparse.Namespace) -> int:
    """The structure suite on one trajectory of any format MDAnalysis reads, into the folder --out."""
    try:
        return _run_analyse(args)
    except (ValueError, OSError) as error:  # TrajectoryError, AnalyseError, AnalysisSettingsError, measured data: one line
        text = " ".join(str(error).split()) or type(error).__name__
        print(f"glassfit analyse: {text}", file=sys.stderr)
        return 2


def _run_analyse(args: argparse.Namespace) -> int:
    import time

    from glassfit.analysis.reader import open_trajectory, parse_box, parse_frames, parse_type_map
    from glassfit.analysis.suite import run_suite

    if args.trajectory is None:  # given after --measured FILE KEY=VALUE..., which took it: the first word there without '='
        group = args.measured[-1] if args.measured else []
        k = next((i for i, word in enumerate(group) if i > 0 and "=" not in word), None)
        if k is None or k != len(group) - 1:
            raise AnalyseError("give the trajectory file: glassfit analyse TRAJECTORY --out FOLDER [options]")
        args.trajectory = group.pop(k)
    analyses = _analyses_option(args.analyses)
    type_map = parse_type_map(args.types) if args.types else None
    box = parse_box(args.box) if args.box else None
    frames = parse_frames(args.frames) if args.frames else None
    if args.progress_every is not None and args.progress_every < 1:
        raise AnalyseError(f"--progress-every: must be at least 1, not {args.progress_every}")
    measured = _measured_option(args.measured, analyses)
    settings = _analyse_settings(args, analyses, measured)
    outdir = Path(args.out)
    if outdir.exists() and not outdir.is_dir():
        raise AnalyseError(f"--out {outdir}: exists and is not a folder")
    traj = open_trajectory(args.trajectory, topology=args.topology, format=args.format, atom_style=args.atom_style,
                           type_map=type_map, box=box, frames=frames)
    try:
        source = f"{traj.path}" + (f" with topology {traj.topology}" if traj.topology else "")
        print(f"analysing {source} ({traj.format or 'format guessed by MDAnalysis'}): {traj.n_frames} of {traj.n_frames_file} frames, "
              f"{traj.n_atoms} atoms, elements {','.join(traj.elements)}; analyses {','.join(analyses)}", flush=True)
        outdir.mkdir(parents=True, exist_ok=True)
        every = args.progress_every or max(1, -(-traj.n_frames // 10))
        start = time.perf_counter()
        extra = {"trajectory": str(traj.path), "topology": None if traj.topology is None else str(traj.topology),
                 "format": traj.format, "n_atoms": traj.n_atoms}
        summary = run_suite(_progress(traj, traj.n_frames, every), traj.elements, settings, outdir, analyses, extra=extra, real_space_r_chi=True)
    finally:
        traj.close()
    for analysis in analyses:
        files = [outdir / f for f in ANALYSE_FILES[analysis] if (outdir / f).is_file()]
        print(f"{analysis}: {', '.join(map(str, files))}")
    if measured:
        print(f"comparison with measured data: {outdir / 'comparison.json'}")
    figures = [] if args.no_figures else _analyse_figures(outdir, analyses, settings, traj.path.name, traj.elements, measured)
    if figures:
        print(f"figures: {', '.join(map(str, figures))}")
    print(f"summary: {outdir / 'summary.json'}")
    print(f"{summary['n_frames']} frames, {traj.n_atoms} atoms, elements {','.join(traj.elements)} in {time.perf_counter() - start:.1f} s"
          + (f"; {line}" if (line := _summary_line(summary)) else ""))
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
    p = sub.add_parser("repair", help="make the repairs a real snakemake run makes first: damaged runs moved aside, tables rebuilt")
    p.add_argument("results", help="the campaign's results folder, e.g. results/borosilicate")
    p.add_argument("--configfile", help="the campaign's config (default: its campaign.json)")
    p.set_defaults(func=_repair)
    p = sub.add_parser("redo", help="redo one record on purpose (a proposal no MD was made from, or one MD run)",
                       description="Keeps the record's files aside (<name>.redone) so that the next snakemake run makes it again. "
                       "A proposal can be redone only while no MD of its iteration exists.",
                       epilog="examples: glassfit redo results/demo iter-03 --proposal; glassfit redo results/demo iter-01 --run i01c02/12B/r0")
    p.add_argument("results", help="the campaign's results folder")
    p.add_argument("iteration", help="the iteration folder, e.g. iter-03")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--proposal", action="store_true", help="the iteration's candidates, predictions, ranking and proposal.json")
    what.add_argument("--run", metavar="CANDIDATE/GLASS/rK", help="one MD run of the iteration")
    p.add_argument("--configfile", help="the campaign's config (default: its campaign.json)")
    p.set_defaults(func=_redo)
    p = sub.add_parser("extend", help="let a campaign stopped by learn.iterations or learn.budget_md_runs go on under a raised limit")
    p.add_argument("results", help="the campaign's results folder")
    p.add_argument("--configfile", required=True, help="the campaign's config, with the raised limit")
    p.set_defaults(func=_extend)
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
    p = sub.add_parser(
        "import-dataset",
        help="check and convert a table of earlier MD results for learn.prior_data (warm start): one line naming row and column on a problem",
        description="Reads a wide table (CSV or XLSX: one row per parameter set, a column per tunable of the campaign, "
        "<glass>_<target> columns with optional _std and _n) or a glassfit dataset.csv, converts energy coefficients to eV "
        "(--units real: kcal/mol), says what it holds for the campaign and which sets lie outside the search box (those "
        "are not used), and with --out writes it as a glassfit data set.",
        epilog="example: glassfit import-dataset published.xlsx --units real --fidelity 1000-atoms --out data/prior.csv",
    )
    p.add_argument("table", help="the table: .csv, .xlsx, or a glassfit dataset.csv")
    p.add_argument("--configfile", default="config/config.yaml")
    p.add_argument("--units", choices=["metal", "real"], default="metal", help="energy unit of the coefficients: metal = eV, real = kcal/mol")
    p.add_argument("--fidelity", default="same", help="same = the campaign's protocol; any other label = another fidelity")
    p.add_argument("--sheet", help="the XLSX sheet (default: the first)")
    p.add_argument("--out", help="write the converted data set here (CSV)")
    p.set_defaults(func=_import_dataset)
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
    p = sub.add_parser(
        "analyse",
        help="the structure suite (coordination, g(r), angles, rings, S(Q)) on any trajectory MDAnalysis reads",
        description="Reads a trajectory with MDAnalysis (LAMMPS dump, LAMMPS data file, DCD with a topology, XYZ, extended XYZ, "
        "and what else MDAnalysis reads; orthogonal boxes only) and runs the campaign's structure analyses on it, with the "
        "campaign's default settings. Writes into --out the analyses' files (summary.json, coordination.json, pdf.csv, "
        "angles.csv, rings.json, sq.csv, ...), comparison.json with Wright's R_chi against each measured data set, and the "
        "validation's figures as PNG. Elements come from the file where it names them (XYZ, the '# El' comments of a data "
        "file's Masses, a dump's element column), else from --types.",
        epilog="example: glassfit analyse run/trajectory.dump --types 1=O,2=Si,3=B,4=Na,5=Ca --out analysis "
        "--measured sq_neutron.dat radiation=neutron --frames 10::2",
    )
    p.add_argument("trajectory", nargs="?", help="the trajectory file")
    p.add_argument("--out", required=True, help="folder to write the results into (created if missing)")
    p.add_argument("--topology", help="topology for a trajectory without one (DCD): e.g. the LAMMPS data file of the run")
    p.add_argument("--format", help="MDAnalysis format of the trajectory, e.g. LAMMPSDUMP, DATA, DCD, XYZ (default: from the suffix: "
                   ".dump/.lammpstrj LAMMPSDUMP, .data DATA, .dcd DCD, .xyz/.extxyz XYZ, else MDAnalysis' guess)")
    p.add_argument("--topology-format", help="MDAnalysis format of --topology (default: from its suffix)")
    p.add_argument("--atom-style", help="atom style of a LAMMPS data file: atomic, charge, molecular, full or the columns "
                   "('id type charge x y z'); default: its 'Atoms # style' comment")
    p.add_argument("--types", help="element of each atom type (LAMMPS type numbers, or atom names): 1=O,2=Si,3=B,4=Na,5=Ca")
    p.add_argument("--box", help="box edge lengths Lx,Ly,Lz in Å for files without a box (plain XYZ)")
    p.add_argument("--measured", nargs="+", action="append", metavar=("FILE", "KEY=VALUE"),
                   help="a measured data set (repeatable): the file (Q or r, then S(Q), F(Q), T(r) or D(r)) and its keys as in "
                   "the config's analysis.measured_sq: radiation=neutron|xray (required unless name=neutron|xray), quantity=S(Q), "
                   "boron_isotope=11B, xray_normalisation='<f>^2', q_max_inv_A=..., modification=lorch|none, r_range_A=1,8, name=...")
    p.add_argument("--analyses", help="comma-separated subset of coordination,pdf,angles,rings,scattering (default: all)")
    p.add_argument("--cutoff", action="append", metavar="PAIR=Å", help="coordination cutoff, e.g. --cutoff B-O=1.8 (repeatable or comma-separated)")
    p.add_argument("--bond-cutoff", action="append", metavar="PAIR=Å", help="network bond cutoff of angles and rings, e.g. --bond-cutoff Si-O=2.0")
    p.add_argument("--settings", help="YAML file of further analysis settings (as a config's analysis.settings: bins, ring criterion, ...)")
    p.add_argument("--frames", help="frames to analyse as start:stop:step (Python slice, 0-based), e.g. 10::2")
    p.add_argument("--no-figures", action="store_true", help="write the data files only, no PNG figures")
    p.add_argument("--progress-every", type=int, help="print a progress line every N frames (default: every tenth of the frames)")
    p.set_defaults(func=_analyse)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (config.ConfigError, FileNotFoundError) as e:
        print(f"glassfit: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
