"""Shared fixtures: a tiny but real campaign config, and paths of the repository."""

from __future__ import annotations

import copy
import signal
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

#: A real campaign, shrunk until one MD run takes seconds: 2 glasses, 150 atoms, 5 A cutoff, 3 ps.
TINY = {
    "campaign": "tiny",
    "seed": 11,
    "glasses": {"table": str(ROOT / "config/glasses.csv"), "use": ["12B", "50B"]},
    "potential": {
        "species": str(ROOT / "config/species.csv"),
        "table": str(ROOT / "config/potential.csv"),
        "start": "wang2018",
        "cutoff_A": 5.0,
        "kspace_accuracy": 1.0e-4,
        "tunable": [
            {"pair": "B-O", "term": "A", "bounds_rel": [-0.1, 0.1]},
            {"pair": "B-O", "term": "rho", "bounds_rel": [-0.05, 0.1]},
        ],
    },
    "system": {"atoms": 150, "replicas": 1, "start_density_g_cm3": 2.2, "min_separation_A": 1.6},
    "md": {
        "thermo_every_ps": 0.05,
        "protocol": [
            {"name": "melt_nvt", "ensemble": "nvt", "T_start_K": 3000, "duration_ps": 0.5},
            {"name": "melt_npt", "ensemble": "npt", "T_start_K": 3000, "duration_ps": 0.5},
            {"name": "quench", "ensemble": "npt", "T_start_K": 3000, "T_end_K": 300, "duration_ps": 1.0},
            {"name": "relax_npt", "ensemble": "npt", "T_start_K": 300, "duration_ps": 0.5, "role": "density"},
            {"name": "production", "ensemble": "nvt", "T_start_K": 300, "duration_ps": 0.5, "dump_every_ps": 0.1, "role": "production"},
        ],
        "fallback": [
            {"name": "precondition_melt", "ensemble": "nvt", "T_start_K": 3000, "duration_ps": 0.5},
            {"name": "precondition_cool", "ensemble": "nvt", "T_start_K": 3000, "T_end_K": 300, "duration_ps": 0.5},
        ],
    },
}


#: A 1.2 ps melt-quench for campaigns whose tests count runs and files rather than look at the glass.
SHORT_PROTOCOL = [
    {"name": "melt_nvt", "ensemble": "nvt", "T_start_K": 3000, "duration_ps": 0.2},
    {"name": "melt_npt", "ensemble": "npt", "T_start_K": 3000, "duration_ps": 0.2},
    {"name": "quench", "ensemble": "npt", "T_start_K": 3000, "T_end_K": 300, "duration_ps": 0.4},
    {"name": "relax_npt", "ensemble": "npt", "T_start_K": 300, "duration_ps": 0.2, "role": "density"},
    {"name": "production", "ensemble": "nvt", "T_start_K": 300, "duration_ps": 0.2, "dump_every_ps": 0.05, "role": "production"},
]


def worktree_status() -> str:
    """`git status --porcelain` of the repository (untracked files included), and every file under its (ignored) results/
    and .snakemake/ with its modification time: what a user's `make demo` left there must stay as it was."""
    import subprocess

    proc = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT, capture_output=True, text=True)
    kept = [f"{p.relative_to(ROOT)} {p.stat().st_mtime_ns}" for d in ("results", ".snakemake") for p in sorted((ROOT / d).rglob("*")) if p.is_file()]
    return (proc.stdout if proc.returncode == 0 else "") + "\n".join(kept)


#: the work tree when the session started (tests/test_zz_worktree.py compares it with the end)
WORKTREE_AT_START = worktree_status()


def default_sigint() -> None:
    """preexec_fn of a workflow started in the background: Ctrl-C (SIGINT) acts on it as on a terminal's foreground
    job. A non-interactive shell starts background commands (`make test &`) with SIGINT ignored, and Python keeps an
    inherited SIG_IGN, so without this a Snakemake started from such a test run would never see Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def changed(config: dict, **changes) -> dict:
    """A copy of a config with dotted-key changes, e.g. ``changed(cfg, **{"md.max_volume_factor": 1.01})``."""
    config = copy.deepcopy(config)
    for key, value in changes.items():
        *path, last = (int(p) if p.isdigit() else p for p in key.split("."))  # a number indexes a list: md.protocol.2.duration_ps
        node = config
        for p in path:
            node = node[p]
        node[last] = value
    return config


def tiny(**changes) -> dict:
    """A copy of TINY with dotted-key changes, e.g. ``tiny(**{"md.max_volume_factor": 1.01})``."""
    return changed(TINY, **changes)


def shipped_file(tmp_path: Path, name: str, **changes) -> Path:
    """A shipped config written into tmp_path (absolute table paths), so that a workflow runs there, never in the repository."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(shipped(name, **changes), sort_keys=False))
    return path


def shipped(name: str, **changes) -> dict:
    """A shipped config (config/<name>.yaml) with its tables' paths made absolute (it runs from any folder), and changes."""
    config = yaml.safe_load((ROOT / "config" / f"{name}.yaml").read_text())
    config["glasses"]["table"] = str(ROOT / config["glasses"]["table"])
    for section in [config["potential"], *(o["potential"] for o in config.get("other_potentials", {}).values())]:
        section["species"], section["table"] = str(ROOT / section["species"]), str(ROOT / section["table"])
    return changed(config, **changes)


@pytest.fixture
def tiny_config():
    return tiny


@pytest.fixture
def write_config(tmp_path):
    """Write a config dict as YAML under tmp_path; returns the file."""

    def write(config: dict, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    return write
from cluster.fixture import slurm_cluster  # noqa: F401,E402  (the localhost SLURM cluster, session-scoped)
