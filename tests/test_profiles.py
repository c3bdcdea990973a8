"""`snakemake --profile slurm` and `--profile local` work as typed from the repository root after `make install`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from glassfit import profiles
from conftest import ROOT, shipped_file

SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def env_with_config_home(tmp_path: Path) -> dict:
    """A user with no Snakemake profiles at all: an empty config home."""
    return {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}


def test_short_profile_names_work_after_install(tmp_path):
    env = env_with_config_home(tmp_path)
    demo = shipped_file(tmp_path, "demo")  # run in tmp_path: the repository's results/ (e.g. after make demo) plays no part
    before = subprocess.run([str(SNAKEMAKE), "--profile", "slurm", "-n"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert before.returncode != 0 and "profile directory given (slurm), but no profile.yaml" in before.stderr
    install = subprocess.run([sys.executable, "-m", "glassfit.profiles"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    assert (tmp_path / "config/snakemake/slurm").resolve() == (ROOT / "profiles/slurm").resolve()
    for name in ("slurm", "local"):
        proc = subprocess.run([str(SNAKEMAKE), "--profile", name, "-n", "--snakefile", str(ROOT / "Snakefile"), "--configfile", str(demo)],
                              cwd=tmp_path, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert f"Using profile {name} for setting default command line arguments" in proc.stdout + proc.stderr
        assert "validate_simulate" in proc.stdout
    again = subprocess.run([sys.executable, "-m", "glassfit.profiles"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "already linked" in again.stdout


def test_a_different_profile_of_the_same_name_is_left_alone(tmp_path):
    own = tmp_path / "snakemake/slurm"
    own.mkdir(parents=True)
    (own / "config.yaml").write_text("executor: slurm\njobs: 5\n")
    with pytest.raises(profiles.ProfileConflict) as info:
        profiles.install(tmp_path / "snakemake")
    assert str(info.value).startswith(f"{own} exists and is not glassfit's slurm profile") and "\n" not in str(info.value)
    assert sorted(p.name for p in (tmp_path / "snakemake").iterdir()) == ["slurm"]  # local was not linked either
    assert (own / "config.yaml").read_text() == "executor: slurm\njobs: 5\n"
