"""Time of `snakemake -n` on the published campaign (config/config.yaml), and the jobs it plans.

Also times `snakemake --list-rules` (start-up and parsing the workflow, no DAG) and a trivial one-rule
workflow (Snakemake's own start-up), so the figure splits into Snakemake, glassfit's parse, and the DAG.
"""

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def timed(args: list[str], cwd: Path, repeats: int) -> tuple[float, str]:
    """Median wall time of a Snakemake command, and its last output."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run([str(SNAKEMAKE), *args], cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit(proc.stderr[-2000:])
    return statistics.median(times), proc.stdout


def main(repeats: int = 3) -> None:
    dry, out = timed(["-n", "--quiet", "rules", "--cores", "1"], ROOT, repeats)
    jobs = re.search(r"^total\s+(\d+)", out, re.M)
    listed, _ = timed(["--list-rules"], ROOT, repeats)
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "Snakefile").write_text('rule a:\n    output: "a"\n    shell: "touch a"\n')
        trivial, _ = timed(["-n", "--quiet", "rules", "--cores", "1"], Path(tmp), repeats)
    print(f"snakemake -n on config/config.yaml: {dry:.2f} s for {jobs.group(1) if jobs else '?'} jobs (median of {repeats}; load average {os.getloadavg()[0]:.2f})")
    print(f"  Snakemake start-up (trivial workflow)   {trivial:.2f} s")
    print(f"  + parsing glassfit's workflow           {listed - trivial:.2f} s")
    print(f"  + building and printing the DAG         {dry - listed:.2f} s")


if __name__ == "__main__":
    main()
