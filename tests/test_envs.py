"""The conda environment for clusters installs the same stack as pyproject.toml."""

import re
import tomllib

import yaml

from conftest import ROOT


def _normalise(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement).lower()


def test_conda_env_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "envs/glassfit.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert sorted(map(_normalise, pip)) == sorted(map(_normalise, project["dependencies"]))
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    version = tuple(int(v) for v in python.split("=")[1].split("."))
    minimum = tuple(int(v) for v in project["requires-python"].removeprefix(">=").split("."))
    assert version >= minimum
