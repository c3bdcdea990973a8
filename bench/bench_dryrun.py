"""Time of `snakemake -n` on the published campaign (config/config.yaml: 678 MD jobs in iteration 0)."""

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def main(repeats: int = 3) -> None:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run([str(SNAKEMAKE), "-n", "--quiet", "rules", "--cores", "1"], cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit(proc.stderr[-2000:])
    print(f"snakemake -n on config/config.yaml: median {statistics.median(times):.2f} s over {repeats} runs (min {min(times):.2f} s, max {max(times):.2f} s)")
    print(proc.stdout.strip())


if __name__ == "__main__":
    main()
