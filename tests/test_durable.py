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
    return _newest_first(finished, tmp_path / "copy")


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


# The fault matrix of issue 32: every way a user invokes Snakemake, on every kind of copy, plans no record again; a dry
# run leaves every byte, file time and mode of the folder as it was; a real run redoes exactly what was lost.
RECORD_RULES = {"design", "structure", "simulate", "evaluations", "dataset", "propose", "validate_structure", "validate_simulate"}
#: a site profile of a user's own: Snakemake's default rerun triggers (all five), no keep-going
SITE_PROFILE = {"cores": 2, "rerun-triggers": ["mtime", "params", "input", "code", "software-env"], "latency-wait": 1}
INVOCATIONS = ("no profile", "local", "site", "slurm")


def invoke(workdir: Path, how: str, *args: str, snakefile: Path = ROOT / "Snakefile") -> subprocess.CompletedProcess:
    """snakemake as a user types it: no profile, the shipped local or SLURM profile, or a site profile of their own."""
    if how == "site":
        (workdir / "site").mkdir(exist_ok=True)
        (workdir / "site/config.yaml").write_text(yaml.safe_dump(SITE_PROFILE))
    profile = {"no profile": ["--cores", "2"], "local": ["--profile", str(ROOT / "profiles/local")],
               "site": ["--profile", str(workdir / "site")], "slurm": ["--profile", str(ROOT / "profiles/slurm")]}[how]
    cmd = [str(SNAKEMAKE), "--snakefile", str(snakefile), *profile, "--configfile", "config.yaml", *args]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=900)


def snapshot(workdir: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file of the campaign folder: bytes, modification time and mode."""
    results = workdir / "results/tiny"
    return {str(p.relative_to(results)): (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode)
            for p in sorted(results.rglob("*")) if p.is_file()}


def records(workdir: Path) -> dict[str, bytes]:
    """The records: campaign.json, every iteration's files and every finished run (not the products of final/)."""
    return {k: v[0] for k, v in snapshot(workdir).items() if k.startswith(("iter-", "campaign.json", "validation/runs/", "structures/"))}


@pytest.fixture(params=["cp -a", "cp -r", "newest first"])
def any_copy(request, finished, tmp_path) -> Path:
    """The finished working directory (with .snakemake/) copied with cp -a or cp -r, or the campaign alone copied file by
    file, newest first."""
    target = tmp_path / "copy"
    if request.param == "newest first":
        return _newest_first(finished, target)
    subprocess.run(["cp", request.param.split()[1], str(finished), str(target)], check=True)
    return target


def _newest_first(finished: Path, target: Path) -> Path:
    files = sorted((p for p in finished.rglob("*") if p.is_file() and ".snakemake" not in p.parts), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for f in files:
        out = target / f.relative_to(finished)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, out)
    return target


@pytest.fixture
def newer_sources(tmp_path) -> Path:
    """This checkout's Snakefile, rules and scripts with fresh file times, as after `git pull` or a new clone."""
    checkout = tmp_path / "checkout"
    for part in ("workflow", "scripts"):
        shutil.copytree(ROOT / part, checkout / part, copy_function=shutil.copyfile)
    shutil.copyfile(ROOT / "Snakefile", checkout / "Snakefile")
    return checkout / "Snakefile"


@pytest.mark.parametrize("how", INVOCATIONS)
def test_no_invocation_plans_a_record_again_and_a_dry_run_writes_nothing(any_copy, how, newer_sources):
    before = snapshot(any_copy)
    for snakefile in (ROOT / "Snakefile", newer_sources):
        dry = invoke(any_copy, how, "-n", snakefile=snakefile)
        assert dry.returncode == 0, dry.stderr[-3000:]
        assert not set(jobs(dry)) & RECORD_RULES, (snakefile, jobs(dry))
    assert snapshot(any_copy) == before


def test_a_real_run_forced_touched_or_newer_redoes_no_record(finished, tmp_path, newer_sources):
    workdir = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(finished), str(workdir)], check=True)
    kept = records(workdir)
    for how, args in [("no profile", ()), ("site", ()), ("site", ("--forcerun", "propose")), ("no profile", ("--forcerun", "evaluations", "dataset")),
                      ("no profile", ("--touch",))]:
        proc = invoke(workdir, how, *args, snakefile=newer_sources)
        assert proc.returncode == 0, (how, args, proc.stderr[-3000:])
        assert records(workdir) == kept, (how, args)
        if "--forcerun" in args:  # the forced jobs ran and kept every record they found
            assert "kept the finished record results/tiny/iter-01/candidates.csv" in (workdir / "results/tiny/logs/propose/iter-01.log").read_text()
    dry = invoke(workdir, "site", "-n", snakefile=newer_sources)
    assert not set(jobs(dry)) & RECORD_RULES, jobs(dry)
    assert verify(workdir).returncode == 0


@pytest.mark.parametrize("how", ["no profile", "local", "slurm"])
def test_a_dry_run_names_the_repairs_and_makes_none(copied, how):
    run = copied / "results/tiny/iter-01/runs/i01c00/12B/r1/properties.json"
    run.write_text('{"status": "ok", "candidate": ')
    dataset = copied / "results/tiny/iter-00/dataset.csv"
    dataset.write_text("".join(dataset.read_text().splitlines(keepends=True)[:2]))
    before = snapshot(copied)
    dry = invoke(copied, how, "-n")
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert snapshot(copied) == before
    assert "glassfit: a real run moves aside and redoes results/tiny/iter-01/runs/i01c00/12B/r1/properties.json" in dry.stderr
    assert "glassfit: a real run rebuilds results/tiny/iter-00/dataset.csv" in dry.stderr
    assert jobs(dry).get("simulate") is None  # the damaged file is still there: Snakemake sees it until a real run moves it


def test_inspection_commands_write_nothing(copied):
    run = copied / "results/tiny/iter-01/runs/i01c00/12B/r1/properties.json"
    run.write_text("{")
    before = snapshot(copied)
    results = str(copied / "results/tiny")
    for args in (["status", results], ["status", results, "--json"], ["verify", results], ["verify", results, "--configfile", "config.yaml"],
                 ["check", "--configfile", "config.yaml"]):
        subprocess.run([str(GLASSFIT), *args], cwd=copied, capture_output=True, text=True)
    assert snapshot(copied) == before


def test_glassfit_repair_makes_the_repairs_of_a_real_run(copied):
    run = copied / "results/tiny/iter-01/runs/i01c00/12B/r1/properties.json"
    run.write_text("{")
    kept = records(copied)
    (copied / "results/tiny/iter-00/evaluations.csv").unlink()
    proc = subprocess.run([str(GLASSFIT), "repair", str(copied / "results/tiny")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert f"moved aside {run} -> properties.json.damaged: snakemake redoes it" in proc.stdout
    assert f"rebuilt {copied}/results/tiny/iter-00/evaluations.csv from the runs" in proc.stdout
    assert records(copied)["iter-00/evaluations.csv"] == kept["iter-00/evaluations.csv"]
    dry = invoke(copied, "no profile", "-n")  # the evaluations job of iter-01 keeps its tables (glassfit.jobs)
    assert jobs(dry).get("simulate") == 1 and not set(jobs(dry)) & {"propose", "dataset"}, jobs(dry)


def test_a_stale_lock_stops_the_run_before_any_repair(finished, tmp_path):
    workdir = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(finished), str(workdir)], check=True)
    run = workdir / "results/tiny/iter-01/runs/i01c00/12B/r1/properties.json"
    run.write_text("{")
    locks = workdir / ".snakemake/locks"
    locks.mkdir(parents=True, exist_ok=True)
    (locks / "0.output.lock").write_text(str(run) + "\n")  # what a killed Snakemake leaves
    proc = invoke(workdir, "no profile")
    assert "holds a lock" in proc.stderr and "nothing repaired" in proc.stderr and run.read_text() == "{"
    assert not run.with_name("properties.json.damaged").exists()


def glass_table_with(copied: Path, **deltas: float) -> None:
    """The campaign's config pointed at a copy of the glass table with 12B's columns changed by ``deltas``."""
    config = yaml.safe_load((copied / "config.yaml").read_text())
    table = (ROOT / "config/glasses.csv").read_text().splitlines()
    header = next(line for line in table if not line.startswith("#")).split(",")
    for i, line in enumerate(table):
        cells = line.split(",")
        if cells[0] == "12B":
            for column, delta in deltas.items():
                cells[header.index(column)] = str(round(float(cells[header.index(column)]) + delta, 6))
            table[i] = ",".join(cells)
    (copied / "glasses.csv").write_text("\n".join(table) + "\n")
    config["glasses"]["table"] = str(copied / "glasses.csv")
    (copied / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def test_a_changed_composition_stops_and_a_changed_measurement_is_named(copied):
    glass_table_with(copied, SiO2=1.0, Na2O=-1.0)
    dry = invoke(copied, "no profile", "-n")
    assert dry.returncode != 0 and "campaign.json: glasses.12B.composition.SiO2 was 63.0 when the campaign started" in dry.stderr
    assert "stop the workflow" in dry.stderr
    glass_table_with(copied, density_g_cm3=0.01)  # the experimental value: the objective changes, not the MD
    dry = invoke(copied, "no profile", "-n")
    assert dry.returncode == 0 and "campaign.json: glasses.12B.measured.density_g_cm3 was 2.545141 when the campaign started" in dry.stderr
    assert not set(jobs(dry)) & RECORD_RULES


def test_a_finished_campaign_says_how_to_go_on_and_extend_redoes_nothing(copied):
    config = yaml.safe_load((copied / "config.yaml").read_text())
    config["learn"]["iterations"] = 3
    (copied / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    before = records(copied)
    dry = invoke(copied, "no profile", "-n")
    assert dry.returncode == 0 and "the campaign could go on" in dry.stderr and "glassfit extend" in dry.stderr
    proc = subprocess.run([str(GLASSFIT), "extend", "results/tiny", "--configfile", "config.yaml"], cwd=copied, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (copied / "results/tiny/superseded.iter-02/proposal.json").is_file() and (copied / "results/tiny/superseded.final").is_dir()
    dry = invoke(copied, "no profile", "-n")
    planned = jobs(dry)
    assert planned.get("propose") == 1 and not set(planned) & {"simulate", "evaluations", "dataset", "design"}, planned
    assert all(records(copied).get(k) == v for k, v in before.items() if not k.startswith("iter-02"))


def test_redo_names_what_it_redoes_and_refuses_a_proposal_md_was_made_from(copied):
    results = copied / "results/tiny"
    refused = subprocess.run([str(GLASSFIT), "redo", str(results), "iter-01", "--proposal"], capture_output=True, text=True)
    assert refused.returncode == 1 and "2 MD run(s) were made from it" in refused.stderr
    proc = subprocess.run([str(GLASSFIT), "redo", str(results), "iter-01", "--run", "i01c00/12B/r0"], capture_output=True, text=True)
    assert proc.returncode == 0 and (results / "iter-01/runs/i01c00/12B/redone.r0/properties.json").is_file()
    dry = invoke(copied, "local", "-n")
    assert jobs(dry).get("simulate") == 1 and not set(jobs(dry)) & {"propose", "dataset"}, jobs(dry)
    assert "rebuilds" not in dry.stderr  # the tables hold the values the proposals saw: they are not rebuilt
