"""The tiny campaign through `snakemake --profile profiles/slurm` on the localhost SLURM cluster (tests/cluster/).

Compared with the same campaign through the local profile on the same number of MPI ranks (2): LAMMPS with the
same domain decomposition is bit-identical whether its 2 ranks are started by MPICH's mpiexec or by
`srun --mpi=pmi2`, so iter-01/dataset.csv must match exactly (tolerance: none).
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, SHORT_PROTOCOL, default_sigint, tiny
from cluster.fixture import slurm_cluster  # noqa: F401  (session-scoped fixture)

pytestmark = [pytest.mark.slurm, pytest.mark.workflow]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
RANKS = 2
N_RUNS = (3 + 2) * 2  # (candidates of iteration 0 + of iteration 1) x glasses (12B, 50B: every candidate runs both)


def fast_config() -> dict:
    """Two iterations on two glasses, 3 + 2 candidates (10 MD runs), with a 1.2 ps protocol.

    Two tunables whose lower bounds are their start values, and the one-at-a-time design without Sobol points, so the
    initial design is start + one step each;
    no structural validation (its MD is another stage's business); no restart files, so that a run killed and
    redone is bit-identical to an uninterrupted one.
    """
    cfg = tiny()
    cfg["potential"]["tunable"] = [{"pair": "B-O", "term": term, "bounds_rel": [0.0, 0.1]} for term in ("A", "rho")]
    cfg["md"]["restart_every_ps"] = None
    cfg["md"]["protocol"] = copy.deepcopy(SHORT_PROTOCOL)
    cfg["learn"] = {"iterations": 2, "candidates_per_iteration": 2, "surrogate": {"ensemble_size": 3},
                    "design": {"one_at_a_time": True, "sobol_points": 0}}
    cfg["analysis"] = {"validation_analyses": []}
    return cfg


def slurm_env(cluster, ranks: int = RANKS) -> dict[str, str]:
    """The cluster's environment plus the profile's documented variables."""
    env = dict(cluster.env)
    env.update(GLASSFIT_SLURM_PARTITION=cluster.partition, GLASSFIT_SLURM_ACCOUNT=cluster.account, GLASSFIT_SLURM_RANKS=str(ranks))
    return env


#: What the 2-core test node needs beyond the profile: status checks from 2 s on (default 40 s), and batches of
#: at most 2 one-core structure builds (the profile's 8 would ask for 8 cores).
SLURM_TEST_ARGS = ("--slurm-init-seconds-before-status-checks", "2", "--group-components", "structures=2", "analyses=2")


def run_workflow(workdir: Path, cfg: dict, profile: str, *extra: str, env=None, background=False, check=True, snakefile: Path = ROOT / "Snakefile"):
    (workdir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    cmd = [str(SNAKEMAKE), "--snakefile", str(snakefile), "--profile", str(ROOT / "profiles" / profile),
           "--configfile", str(workdir / "config.yaml"), "--directory", str(workdir), *extra]
    if background:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                start_new_session=True, preexec_fn=default_sigint)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        logs = "\n".join(f"--- {p}\n{p.read_text(errors='replace')[-1500:]}" for p in sorted((workdir / ".snakemake/slurm_logs").rglob("*.log")))
        pytest.fail(f"snakemake --profile {profile} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}\n{logs}")
    return proc


def test_campaign_through_slurm_matches_local(slurm_cluster, tmp_path):
    c = slurm_cluster
    local, slurm = tmp_path / "local", tmp_path / "slurm"
    local.mkdir(), slurm.mkdir()

    t0 = time.monotonic()
    run_workflow(local, fast_config(), "local", "--set-threads", f"simulate={RANKS}", "--set-resources", f"simulate:tasks={RANKS}")
    local_s = time.monotonic() - t0

    t0 = time.monotonic()
    proc = run_workflow(slurm, fast_config(), "slurm", *SLURM_TEST_ARGS, env=slurm_env(c))
    slurm_s = time.monotonic() - t0

    # every MD run was a SLURM job on 2 MPI ranks started by srun (the profile's mpi resource)
    results = slurm / "results/tiny"
    runs = sorted(results.glob("iter-*/runs/*/*/r*"))
    assert len(runs) == N_RUNS
    for run in runs:
        assert any(f"with {RANKS} MPI tasks" in log.read_text() for log in run.glob("log*.lammps")), f"{run}: not {RANKS} MPI ranks"
    stderr = proc.stderr
    submitted = stderr.count("has been submitted with SLURM jobid")
    jobids = [line.split("SLURM jobid ")[1].split()[0] for line in stderr.splitlines() if "has been submitted with SLURM jobid" in line]
    acct = c.run("sacct", "-n", "-X", "-P", "-j", ",".join(jobids), "-o", "JobID,State,AllocCPUS,ElapsedRaw,Timelimit,Comment").stdout.splitlines()
    rows = [line.split("|") for line in acct if line]
    assert all(r[1] == "COMPLETED" for r in rows), rows
    md_jobs = [r for r in rows if r[5].startswith("rule_simulate")]
    assert len(md_jobs) == N_RUNS and all(r[2] == str(RANKS) for r in md_jobs), md_jobs
    assert all(r[4] == "00:10:00" for r in md_jobs), "runtime: the 10-minute floor of md_runtime_minutes"
    steps = c.run("sacct", "-n", "-P", "-j", md_jobs[0][0], "-o", "JobName").stdout.split()
    assert "lmp" in steps, f"LAMMPS was not a job step started by srun: {steps}"
    lammps_s = sum(pd.read_json(p, typ="series")["wall_time_s"] for p in results.glob("iter-*/runs/*/*/r*/properties.json"))
    md_elapsed = sum(int(r[3]) for r in md_jobs)

    # the same numbers, bit for bit
    for it in ("00", "01"):
        pd.testing.assert_frame_equal(pd.read_csv(results / f"iter-{it}/dataset.csv"), pd.read_csv(local / f"results/tiny/iter-{it}/dataset.csv"), check_exact=True)
    assert (results / "final/summary.md").exists()

    print(
        f"\ncluster up in {c.up_seconds:.1f} s; tiny campaign ({N_RUNS} MD runs on {RANKS} ranks, 2 iterations): "
        f"local {local_s:.0f} s, SLURM {slurm_s:.0f} s with {submitted} sbatch jobs "
        f"-> {(slurm_s - local_s) / submitted:.1f} s extra wall time per job; "
        f"MD jobs: {md_elapsed / N_RUNS:.1f} s elapsed in SLURM vs {lammps_s / N_RUNS:.1f} s of LAMMPS each "
        f"({(md_elapsed - lammps_s) / N_RUNS:.1f} s per job for sbatch start, Snakemake start-up inside the job, srun)"
    )
