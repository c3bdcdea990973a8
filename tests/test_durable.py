"""A campaign folder is a durable record (real Snakemake and LAMMPS): copied, damaged or given a changed config, it
never redoes or overwrites finished MD, redoes exactly what was lost, and names every problem in one line.

One tiny campaign is run once (12B, two replicas, 150 atoms, the 1.2 ps protocol; iteration 0 with the start set and
two Sobol points, one proposed candidate; the validation of best and start on 12B: 12 MD runs); every scenario works
on a copy of it, made as users copy campaigns: file by file, newest first, so that every file gets a fresh time and
inputs end up newer than the outputs made from them.
"""
from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SHORT_PROTOCOL, tiny

pytestmark = [pytest.mark.workflow, pytest.mark.lammps]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
GLASSFIT = Path(sys.executable).parent / "glassfit"
MD_RULES = ("simulate", "validate_simulate")


def durable_config() -> dict:
    cfg = tiny(**{"glasses.use": ["12B"], "system.replicas": 2})
    cfg["md"]["protocol"] = copy.deepcopy(SHORT_PROTOCOL)
    cfg["learn"] = {"iterations": 2, "candidates_per_iteration": 1, "design": {"sobol_points": 2}}
    cfg["analysis"] = {"validation_sets": ["best", "start"], "validation_glasses": ["12B"], "validation_analyses": ["pdf"]}
    return cfg


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [str(SNAKEMAKE), "--snakefile", str(ROOT / "Snakefile"), "--profile", str(ROOT / "profiles/local"),
           "--configfile", str(workdir / "config.yaml"), "--directory", str(workdir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


def jobs(proc: subprocess.CompletedProcess) -> dict[str, int]:
    """The job counts Snakemake printed (a dry run's plan, or a real run's), by rule; {} for nothing to be done."""
    text = proc.stdout + proc.stderr
    if "Job stats:" not in text:
        return {}
    block = text.split("Job stats:")[1].split("\n\n")[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", block, re.M) if m.group(1) != "total"}


def verify(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(GLASSFIT), "verify", str(workdir / "results/tiny"), *args], cwd=workdir, capture_output=True, text=True)


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("durable")
    (workdir / "config.yaml").write_text(yaml.safe_dump(durable_config(), sort_keys=False))
    proc = snakemake(workdir)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return workdir


@pytest.fixture
def copied(finished, tmp_path) -> Path:
    """The finished campaign copied file by file, newest first (no .snakemake/): fresh times, inputs newer than outputs."""
    target = tmp_path / "copy"
    files = sorted((p for p in finished.rglob("*") if p.is_file() and ".snakemake" not in p.parts), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for f in files:
        out = target / f.relative_to(finished)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, out)
    return target


def md_files(workdir: Path) -> dict[str, bytes]:
    results = workdir / "results/tiny"
    return {str(p.relative_to(results)): p.read_bytes() for p in sorted(results.glob("*/runs/*/*/r*/properties.json"))}


def candidates(workdir: Path) -> dict[str, str]:
    results = workdir / "results/tiny"
    return {str(p.relative_to(results)): p.read_text() for p in sorted(results.glob("*/candidates.csv"))}


def test_a_copied_campaign_plans_no_md(copied):
    dry = snakemake(copied, "-n")
    assert dry.returncode == 0, dry.stderr[-3000:]
    planned = jobs(dry)
    assert not set(planned) & {*MD_RULES, "propose", "design"}, planned
    assert verify(copied).returncode == 0


def test_a_damaged_run_is_named_and_redone_alone(copied):
    run = copied / "results/tiny/iter-01/runs/i01c00/12B/r1/properties.json"
    before, other = md_files(copied), candidates(copied)
    run.write_text('{"status": "ok", "candidate": ')  # cut off mid-write, as a disk-full copy leaves it
    check = verify(copied)
    assert check.returncode == 1 and f"{run}: damaged" in check.stdout and check.stdout.count("\n") == 1
    proc = snakemake(copied)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert jobs(proc).get("simulate") == 1 and "validate_simulate" not in jobs(proc)
    assert "moved aside" in proc.stderr and run.with_name("properties.json.damaged").is_file()
    after = md_files(copied)
    assert {k for k in after if after[k] != before[k]} == {"iter-01/runs/i01c00/12B/r1/properties.json"}
    assert candidates(copied) == other  # no proposal was made again
    assert verify(copied).returncode == 0


def test_a_lost_run_is_named_and_redone_alone(copied):
    run = copied / "results/tiny/iter-00/runs/i00c01/12B/r0/properties.json"
    run.unlink()
    check = verify(copied)
    assert check.returncode == 1 and f"{run}: missing (the iteration had finished); snakemake redoes this run" in check.stdout
    dry = snakemake(copied, "-n")
    assert jobs(dry).get("simulate") == 1 and "propose" not in jobs(dry)
    proc = snakemake(copied)
    assert proc.returncode == 0 and run.is_file() and jobs(proc).get("simulate") == 1


@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_a_damaged_dataset_is_rebuilt_without_md_or_a_new_proposal(copied, damage):
    dataset = copied / "results/tiny/iter-00/dataset.csv"
    lines = dataset.read_text().splitlines(keepends=True)
    dataset.write_text("".join(lines[:2]) if damage == "truncated" else "")
    other = candidates(copied)
    check = verify(copied)
    assert check.returncode == 1 and str(dataset) in check.stdout and "rebuilds it from the runs" in check.stdout
    proc = snakemake(copied)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not set(jobs(proc)) & {*MD_RULES, "propose", "dataset"} and f"rebuilt results/tiny/iter-00/dataset.csv from the runs" in proc.stderr
    assert dataset.read_text() == "".join(lines) and candidates(copied) == other
    assert verify(copied).returncode == 0


def test_lost_candidates_of_an_iteration_with_md_stop_the_workflow(copied):
    lost = copied / "results/tiny/iter-01/candidates.csv"
    lost.unlink()
    check = verify(copied)
    assert check.returncode == 1 and f"{lost}: missing, but 2 MD run(s) of the iteration exist; restore it from a copy" in check.stdout
    dry = snakemake(copied, "-n")
    assert dry.returncode != 0 and "glassfit: results/tiny/iter-01/candidates.csv: missing, but 2 MD run(s)" in dry.stderr


def test_a_changed_physics_key_is_named_by_verify_and_the_workflow(copied):
    config = yaml.safe_load((copied / "config.yaml").read_text())
    config["md"]["timestep_fs"] = 2.0
    (copied / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    check = verify(copied, "--configfile", str(copied / "config.yaml"))
    line = "campaign.json: md.settings.timestep_fs was 1.0 when the campaign started, the config says 2.0"
    assert check.returncode == 1 and line in check.stdout
    dry = snakemake(copied, "-n")
    assert dry.returncode != 0 and line in dry.stderr and "stop the workflow" in dry.stderr
    status = json.loads(subprocess.run([str(GLASSFIT), "status", str(copied / "results/tiny"), "--json"], capture_output=True, text=True).stdout)
    assert status["md_runs"]["pending"] == 0  # nothing was touched


def test_a_target_the_runs_measured_otherwise_is_named_and_an_earlier_campaign_json_still_reads(copied):
    config = yaml.safe_load((copied / "config.yaml").read_text())
    config["targets"] = ["density", {"name": "B4", "kind": "coordination_fraction", "center": "B", "n": 4, "cutoff_A": 1.9, "scale": 0.05}]
    (copied / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    check = verify(copied, "--configfile", str(copied / "config.yaml"))
    line = "campaign.json: targets.B4.observable.cutoff_A was 1.8 when the campaign started, the config says 1.9"
    assert check.returncode == 1 and line in check.stdout
    # campaign.json of glassfit before configured targets: density and B4 without their observables, same physics
    del config["targets"]
    (copied / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    record = copied / "results/tiny/campaign.json"
    old = json.loads(record.read_text())
    for target in old["targets"]:
        del target["observable"]
    record.write_text(json.dumps(old))
    assert verify(copied, "--configfile", str(copied / "config.yaml")).returncode == 0
    dry = snakemake(copied, "-n")
    assert dry.returncode == 0 and not set(jobs(dry)) & {*MD_RULES, "propose", "design"}, dry.stderr[-3000:]


def test_extending_a_finished_campaign_redoes_only_the_validation_of_the_new_best(copied):
    """README: raise learn.iterations, remove the last (empty) iteration and final/: only new work is planned."""
    config = yaml.safe_load((copied / "config.yaml").read_text())
    config["learn"]["iterations"] = 3
    (copied / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    results = copied / "results/tiny"
    shutil.rmtree(results / "iter-02")
    shutil.rmtree(results / "final")
    dry = snakemake(copied, "-n")
    assert dry.returncode == 0, dry.stderr[-3000:]
    planned = jobs(dry)
    # the new proposal; the validation of best (which may change: 1 glass x 2 replicas), never start's, whose set is the same
    assert planned.get("propose") == 1 and planned.get("validate_simulate") == 2, planned
    assert "simulate" not in planned  # no earlier iteration's MD
