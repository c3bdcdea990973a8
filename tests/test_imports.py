"""Parsing the workflow stays light: a dry run of the published campaign loads no heavy library."""
import subprocess
import sys

import pandas as pd
from conftest import ROOT, shipped_file

from glassfit import campaign as gc, config

#: Libraries only the jobs that use them may import: each costs 0.5-2 s, paid by every dry run and every
#: cluster job (a SLURM job step parses the Snakefile again).
HEAVY = ("torch", "botorch", "gpytorch", "cma", "matplotlib", "scipy.stats", "ovito", "MDAnalysis")


def test_a_dry_run_imports_no_heavy_library(tmp_path):
    published = shipped_file(tmp_path, "config")
    code = (
        "import sys\n"
        "from snakemake.cli import main\n"
        f"sys.argv = ['snakemake', '-n', '--quiet', 'all', '--cores', '1', '--snakefile', {str(ROOT / 'Snakefile')!r}, '--configfile', {str(published)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        f"print('HEAVY:', ' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_the_kinds_known_at_parse_time_are_the_designs():
    campaign = config.load(ROOT / "config" / "config.yaml")
    full = gc.initial_candidates(campaign)
    pd.testing.assert_frame_equal(gc.initial_kinds(campaign), full[["candidate", "kind"]])
    assert len(full) == 1 + 3 * 5 and full["kind"].tolist()[:2] == ["start", "sobol"]
