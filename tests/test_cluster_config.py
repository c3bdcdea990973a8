"""Cluster execution without a cluster: MD wall-time estimate, the job's LAMMPS launcher, the SLURM profile."""

from __future__ import annotations

import dataclasses
import math

import pytest
from snakemake.profiles import ProfileConfigFileParser

from glassfit import campaign as gc, config, lammps
from conftest import ROOT, tiny

PROFILE = ROOT / "profiles/slurm/config.yaml"


def published() -> dict:
    return config.load(ROOT / "config/config.yaml")


def test_runtime_follows_protocol_ranks_and_attempt():
    campaign = published()
    # published: fallback 2800 ps + protocol 3010 ps = 5.81 ns at 2.4 ns/day/rank, safety factor 2
    assert campaign.md.simulated_ps == pytest.approx(5810.0)
    one = 5.81 / 2.4 * 24 * 60 * 2
    assert gc.md_runtime_minutes(campaign, ranks=1) == math.ceil(one)
    assert gc.md_runtime_minutes(campaign, ranks=8) == math.ceil(one / 8)
    assert gc.md_runtime_minutes(campaign, ranks=8, attempt=2) == math.ceil(2 * one / 8)
    campaign = dataclasses.replace(campaign, md=dataclasses.replace(campaign.md, throughput_ns_per_day_per_rank=4.8, runtime_safety_factor=3.0))
    assert gc.md_runtime_minutes(campaign, ranks=8) == math.ceil(5.81 / 4.8 * 24 * 60 * 3 / 8)


def test_runtime_has_a_floor_and_defaults():
    campaign = config.resolve(tiny(), "tiny")  # 3 ps + 1 ps fallback: seconds of MD
    assert campaign.md.throughput_ns_per_day_per_rank == 2.4 and campaign.md.runtime_safety_factor == 2.0
    assert gc.md_runtime_minutes(campaign, ranks=2, attempt=3) == gc.MIN_RUNTIME_MIN


def test_bad_throughput_is_a_config_error():
    with pytest.raises(config.ConfigError, match="throughput_ns_per_day_per_rank"):
        config.resolve(tiny(**{"md.throughput_ns_per_day_per_rank": 0}), "tiny")
    with pytest.raises(config.ConfigError, match="runtime_safety_factor"):
        config.resolve(tiny(**{"md.runtime_safety_factor": 0.5}), "tiny")


def test_job_launcher_uses_the_jobs_mpi_resource():
    campaign = config.resolve(tiny(), "tiny")
    slurm = gc.job_launcher(campaign, "srun --mpi=pmi2")
    assert slurm.command(2, ["-in", "in.lmp"])[:4] == ["srun", "--mpi=pmi2", "-n", "2"]
    assert slurm.command(1, ["-in", "in.lmp"])[0] == str(slurm.executable)  # one rank: no launcher
    # without resources.mpi: exactly what the config says (md.launcher, else the wheel's mpiexec)
    assert gc.job_launcher(campaign, None) == gc.launcher(campaign)
    campaign = dataclasses.replace(campaign, md=dataclasses.replace(campaign.md, launcher="mpirun -np {ranks}"))
    assert gc.job_launcher(campaign, None).command(4, [])[:3] == ["mpirun", "-np", "4"]
    assert lammps.for_job(None, "mpirun -np {ranks}", "srun").command(3, [])[:3] == ["srun", "-n", "3"]


def _profile(monkeypatch, **env) -> dict:
    for key in ("GLASSFIT_SLURM_PARTITION", "GLASSFIT_SLURM_ACCOUNT", "GLASSFIT_SLURM_QOS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with open(PROFILE) as f:
        return ProfileConfigFileParser().parse(f)


def test_slurm_profile_site_settings_come_from_the_environment(monkeypatch):
    bare = _profile(monkeypatch)
    assert bare["executor"] == "slurm" and bare["rerun-triggers"] == ["mtime"]
    assert not any(r.startswith(("slurm_partition", "slurm_account", "qos")) for r in bare["default-resources"])
    site = _profile(monkeypatch, GLASSFIT_SLURM_PARTITION="all", GLASSFIT_SLURM_ACCOUNT="123456", GLASSFIT_SLURM_QOS="long")
    # quoted, so that names like "all" or "123456" stay strings when Snakemake evaluates resources
    assert {"slurm_partition='all'", "slurm_account='123456'", "qos='long'"} <= set(site["default-resources"])


def test_slurm_profile_threads_equal_tasks(monkeypatch):
    p = _profile(monkeypatch)
    threads = dict(s.split("=") for s in p["set-threads"])
    resources = dict(s.split("=", 1) for s in p["set-resources"])
    for rule in ("simulate", "validate_simulate"):
        assert int(threads[rule]) == int(resources[f"{rule}:tasks"]) >= 2
        assert resources[f"{rule}:cpus_per_task"] == "1" and "srun" in resources[f"{rule}:mpi"]
