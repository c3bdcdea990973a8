"""Parsing the workflow stays light: what the Snakefile imports and runs at parse time loads no torch/BoTorch."""
import subprocess
import sys

from conftest import ROOT

HEAVY = ("torch", "botorch", "gpytorch", "cma", "matplotlib")


def test_the_workflow_parse_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from glassfit import campaign as gc, config\n"
        "from glassfit.analysis import workflow\n"
        "c = config.load('config/config.yaml')\n"
        "gc.initial_candidates(c)\n"
        "workflow.validation_campaign(c, 'config/config.yaml')\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == ""
