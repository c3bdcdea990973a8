"""`glassfit plan`: an honest look at the campaign's next iteration, which a plain dry run cannot give.

Snakemake cannot see past a checkpoint: mid-campaign, ``snakemake -n`` lists the next ``propose`` and then the
final products, as if the campaign ended there. The proposal itself takes seconds (no MD), so this makes it for
real (only that job: its input, the last dataset, exists) and then asks Snakemake for a dry run of the iteration it
proposed: that iteration's candidates and every MD job they need.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

from glassfit import config, layout, verify
from glassfit.files import read_json

ROOT = Path(__file__).resolve().parents[2]


def next_iteration(results: Path) -> int:
    """The iteration after the last one whose dataset exists (0 for a campaign that has not finished iteration 0)."""
    done = [i for i in layout.iterations(results) if layout.iteration_file(results, i, layout.DATASET).is_file()]
    return max(done) + 1 if done else 0


def job_counts(dry_run: str) -> dict[str, int]:
    """The 'Job stats' table of a Snakemake dry run: jobs per rule."""
    if "Job stats:" not in dry_run:
        return {}
    table = dry_run.split("Job stats:")[1].split("Reasons:")[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\S+)\s+(\d+)\s*$", table, re.M) if m[1] != "total"}


def snakemake(args: list[str], configfile: str, profile: str | None) -> subprocess.CompletedProcess:
    """Run Snakemake on the glassfit workflow in the working directory with this config and profile."""
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--configfile", configfile]
    cmd += ["--profile", profile or str(ROOT / "profiles" / "local"), *args]
    return subprocess.run(cmd, capture_output=True, text=True)


def plan(configfile: str, profile: str | None = None) -> str:
    """Make the next proposal if it is due (no MD) and describe the next iteration: candidates and MD jobs. Raises RuntimeError."""
    campaign = config.load(configfile)
    if not campaign.fit:
        raise RuntimeError(f"{configfile}: a validation-only campaign (fit: false) has no iterations; `snakemake -n` lists all of its runs")
    results = Path(campaign.results)
    problems = [p for p in verify.check(campaign) if not p.warning]
    if problems:  # plan writes the next proposal and nothing else: repairs are a real run's, or glassfit repair's
        raise RuntimeError(f"{problems[0]} ({len(problems)} problem(s): see glassfit verify; glassfit repair makes the repairs)")
    iteration = next_iteration(results)
    if iteration == 0:
        target = f"{results}/iter-00/dataset.csv"
        lines = ["iteration 0 (the initial design) is known before anything runs:"]
    else:
        folder = results / f"iter-{iteration:02d}"
        if not (folder / "candidates.csv").exists():
            target = str(folder / "candidates.csv")
            check = snakemake(["-n", target], configfile, profile)
            jobs = job_counts(check.stdout)
            if check.returncode != 0 or set(jobs) - {"propose"}:
                raise RuntimeError(f"cannot make iteration {iteration}'s proposal alone (a dry run wants {jobs or check.stderr[-500:]})")
            proc = snakemake([target], configfile, profile)
            if proc.returncode != 0:
                raise RuntimeError(f"the proposal of iteration {iteration} failed; see {results}/logs/propose/iter-{iteration:02d}.log")
        proposal = read_json(folder / "proposal.json")
        table = pd.read_csv(folder / "candidates.csv")
        if table.empty:
            return f"the campaign stops after iteration {iteration - 1}: {proposal.get('stop_reason')}; what is left: final/ and the validation (snakemake -n lists them)"
        names = [t.name for t in campaign.tunables]
        lines = [f"iteration {iteration}: {len(table)} candidates proposed ({folder / 'candidates.csv'})", table[["candidate", "kind", *names, *(c for c in table.columns if c.startswith("replicas_"))]].to_string(index=False)]
        target = f"{folder}/dataset.csv"
    dry = snakemake(["-n", target], configfile, profile)
    if dry.returncode != 0:
        raise RuntimeError(f"dry run failed: {dry.stderr[-1000:]}")
    jobs = job_counts(dry.stdout)
    lines.append(f"its jobs (snakemake -n {target}): " + ", ".join(f"{n} {rule}" for rule, n in jobs.items()) if jobs else "nothing left to run for it")
    lines.append(f"MD runs: {jobs.get('simulate', 0)}")
    return "\n".join(lines)
