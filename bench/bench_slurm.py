"""Per-job overhead through SLURM: the tiny campaign through `--profile slurm` on the localhost test cluster.

Runs tests/test_slurm_workflow.py (which starts the cluster, runs the same tiny campaign through the local and
the SLURM profile on 2 MPI ranks and checks that both give bit-identical datasets) and prints its figures:
extra wall time per sbatch job against the local run, and per MD job the time SLURM counts beyond LAMMPS's own
(sbatch start, Snakemake's start-up inside the job, srun). Usage: python bench/bench_slurm.py
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "tests/test_slurm_workflow.py"], cwd=ROOT, capture_output=True, text=True)
lines = [line for line in proc.stdout.splitlines() if line.startswith("cluster up in")]
if proc.returncode != 0 or not lines:
    sys.exit(proc.stdout[-4000:] + proc.stderr[-2000:])
print(lines[-1])
