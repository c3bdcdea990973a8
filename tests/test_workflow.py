"""The campaign through real Snakemake with the local profile: dry run, two iterations, stop rules, resume."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from glassfit import config, learn
from conftest import ROOT, default_sigint, shipped_file, tiny

pytestmark = pytest.mark.workflow
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def loop_config(**learn_changes) -> dict:
    cfg = tiny()
    cfg["learn"] = {"iterations": 2, "candidates_per_iteration": 2, "surrogate": {"ensemble_size": 5},
                    "design": {"one_at_a_time": True, "sobol_points": 0}, **learn_changes}  # start + 4 one-at-a-time steps
    cfg["analysis"] = {"validation_analyses": []}  # the final structural validation has its own test
    return cfg


def snakemake(workdir: Path, cfg: dict, *extra: str, background: bool = False, **popen) -> subprocess.CompletedProcess | subprocess.Popen:
    """Run the workflow in ``workdir`` (in the background with ``background=True``); fails the test on error."""
    (workdir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    cmd = [str(SNAKEMAKE), "--snakefile", str(ROOT / "Snakefile"), "--profile", str(ROOT / "profiles/local"),
           "--configfile", str(workdir / "config.yaml"), "--directory", str(workdir), *extra]
    if background:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def incomplete(workdir: Path) -> set[Path]:
    """Outputs Snakemake has marked incomplete (jobs that were running when it stopped)."""
    root = workdir / ".snakemake" / "incomplete"
    names = ("".join(part.lstrip("@") for part in p.relative_to(root).parts) for p in root.rglob("*") if p.is_file())
    return {(workdir / base64.urlsafe_b64decode(n).decode()).resolve() for n in names}


def properties_files(results: Path) -> dict[Path, int]:
    """Every finished run's properties.json (a job Snakemake saw finish) with its modification time (ns)."""
    running = incomplete(results.parents[1])
    return {p: p.stat().st_mtime_ns for p in results.glob("iter-*/runs/*/*/r*/properties.json") if p.resolve() not in running}


def test_dry_run_of_published_campaign_lists_iteration_zero(tmp_path):
    published = shipped_file(tmp_path, "config")
    proc = subprocess.run([str(SNAKEMAKE), "-n", "--cores", "1", "--snakefile", str(ROOT / "Snakefile"), "--configfile", str(published)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = dict(
        line.split()[:2] for line in proc.stdout.split("Job stats:")[1].split("Reasons:")[0].splitlines()[3:] if len(line.split()) == 2
    )
    # 16 initial candidates (start + 3 x 5 Sobol points) x 7 boron-bearing fitted glasses x 6 replicas, plus the
    # boron-free 0B (which no B-O/B-B parameter changes) once: by the start set, 6 replicas. The validation glass 10B
    # runs only in the final validation; its structures are the validation's own (validate_structure).
    assert stats["simulate"] == str((16 * 7 + 1) * 6) and stats["structure"] == str(8 * 6) and stats["propose"] == "1"


@pytest.fixture(scope="module")
def campaign_dir(tmp_path_factory):
    """A two-iteration tiny campaign, run once for the tests below."""
    workdir = tmp_path_factory.mktemp("campaign")
    snakemake(workdir, loop_config())
    return workdir


def test_two_iterations_end_to_end(campaign_dir):
    results = campaign_dir / "results" / "tiny"
    campaign = config.resolve(loop_config(), "tiny")
    design = pd.read_csv(results / "iter-00/candidates.csv")
    assert list(design["kind"]) == ["start", "oat+BO_A_eV", "oat-BO_A_eV", "oat+BO_rho_A", "oat-BO_rho_A"]
    proposed = pd.read_csv(results / "iter-01/candidates.csv")
    # the last iteration confirms the posterior's box minimiser first (unless an evaluated set is already there)
    assert len(proposed) == 2 and proposed["kind"].iloc[0] in ("confirm", "proposed") and proposed["kind"].iloc[1] == "proposed"
    for t in campaign.tunables:
        assert proposed[t.name].between(t.low, t.high).all()
    stop = json.loads((results / "iter-02/proposal.json").read_text())
    assert "maximum number of iterations" in stop["stop_reason"] and pd.read_csv(results / "iter-02/candidates.csv").empty
    # the dataset grows by exactly each iteration's evaluations and is never edited
    d0, d1 = pd.read_csv(results / "iter-00/dataset.csv"), pd.read_csv(results / "iter-01/dataset.csv")
    e1 = pd.read_csv(results / "iter-01/evaluations.csv")
    pd.testing.assert_frame_equal(d1, pd.concat([d0, e1], ignore_index=True), check_dtype=False)
    assert len(d1) == (5 + 2) * 2 and (d1["n_ok"] + d1["n_failed"] == 1).all()
    # the checkpoint ranks what it learned from: iter-01's predictions are checked against iter-01's MD in the report
    predictions = pd.read_csv(results / "iter-01/predictions.csv")
    assert set(predictions["candidate"]) == set(proposed["candidate"]) and predictions["B4_mean"].between(0, 1).all()
    # final products: the reported set is the best posterior mean among the evaluated sets, shown with its observed objective
    best = pd.read_csv(results / "final/best.csv")
    ranking = pd.read_csv(results / "iter-02/ranking.csv")
    pd.testing.assert_frame_equal(best, ranking)
    assert set(best["candidate"]) == set(d1["candidate"])
    usable = best[best["usable"]]
    assert best["candidate"].iloc[0] == usable.loc[usable["predicted_objective"].idxmin(), "candidate"]
    objective = learn.objective(d1, campaign)
    assert best["objective"].to_numpy() == pytest.approx(objective.loc[best["candidate"]].to_numpy())
    assert stop["recommendation"]["candidate"] == best["candidate"].iloc[0]
    potential = (results / "final/potential.lammps").read_text()
    bo = [l for l in potential.splitlines() if l.startswith("pair_coeff 1 3")][0].split()
    assert float(bo[3]) == pytest.approx(best["BO_A_eV"].iloc[0], rel=1e-6) and float(bo[4]) == pytest.approx(best["BO_rho_A"].iloc[0], rel=1e-6)
    assert "units metal" in potential
    for png in ("convergence.png", "properties_vs_B2O3.png"):
        assert (results / "final" / png).stat().st_size > 10_000
    assert best["candidate"].iloc[0] in (results / "final/summary.md").read_text()
    ensemble = pd.read_csv(results / "final/ensemble.csv")  # the sets within the noise of the optimum
    assert (ensemble["probability_near"] > 0).all() and abs(ensemble["probability_minimiser"].sum() - 1) < 1e-9
    assert "## Uncertainty of the fitted parameters" in (results / "final/summary.md").read_text()


def test_status_command(campaign_dir):
    proc = subprocess.run([str(Path(sys.executable).parent / "glassfit"), "status", "results/tiny", "--json"], cwd=campaign_dir, capture_output=True, text=True)
    s = json.loads(proc.stdout)
    assert s["md_runs"] == {"expected": 14, "ok": 14, "failed": 0, "pending": 0}
    assert s["iterations_done"] == 2 and s["finished"] and s["best"]["candidate"] == pd.read_csv(campaign_dir / "results/tiny/final/best.csv")["candidate"].iloc[0]
    text = subprocess.run([str(Path(sys.executable).parent / "glassfit"), "status", "results/tiny"], cwd=campaign_dir, capture_output=True, text=True).stdout
    assert "MD runs: 14 done, 0 failed, 0 pending" in text and "12B" in text


def test_converged_campaign_proposes_nothing_and_redoes_no_run(campaign_dir):
    """Continue the finished campaign with more iterations but a convergence rule that is already met."""
    results = campaign_dir / "results" / "tiny"
    before = properties_files(results)
    for stale in ("iter-02", "final"):
        subprocess.run(["rm", "-r", str(results / stale)], check=True)
    snakemake(campaign_dir, loop_config(iterations=6, convergence={"tolerance": 100.0, "patience": 1}))
    stop = json.loads((results / "iter-02/proposal.json").read_text())
    assert stop["stop_reason"].startswith("converged") and stop["proposed"] == 0
    assert (results / "final/summary.md").exists()
    assert properties_files(results) == before  # not one MD run was redone


def test_interrupted_campaign_resumes_without_redoing_runs(tmp_path, campaign_dir):
    """Ctrl-C mid-iteration, rerun the same command: finished runs stay, the result equals an uninterrupted run."""
    proc = snakemake(tmp_path, loop_config(), background=True, start_new_session=True, preexec_fn=default_sigint)
    results = tmp_path / "results" / "tiny"
    deadline = time.time() + 300
    while len(properties_files(results)) < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.5)
    assert proc.poll() is None, "the campaign finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
    output, _ = proc.communicate(timeout=120)
    finished = properties_files(results)
    assert 3 <= len(finished) < 14, f"Ctrl-C did not stop the campaign:\n{output[-3000:]}"
    assert not list(results.rglob(".*.tmp")), "half-written files left behind"
    snakemake(tmp_path, loop_config())
    after = properties_files(results)
    assert all(after[p] == t for p, t in finished.items()), "a finished MD run was redone"
    reference = pd.read_csv(campaign_dir / "results/tiny/iter-01/dataset.csv")
    resumed = pd.read_csv(results / "iter-01/dataset.csv")
    pd.testing.assert_frame_equal(resumed, reference)


def test_plan_makes_the_next_proposal_and_shows_its_md_jobs(tmp_path, campaign_dir):
    """Mid-campaign (iteration 0 done): `glassfit plan` proposes iteration 1 (no MD) and lists its candidates and MD jobs."""
    import shutil

    from glassfit.plan import job_counts

    results = tmp_path / "results/tiny"
    source = campaign_dir / "results/tiny"
    results.mkdir(parents=True)
    for part in ("campaign.json", "structures", "iter-00"):
        copy = shutil.copytree if (source / part).is_dir() else shutil.copy2
        copy(source / part, results / part)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(loop_config(), sort_keys=False))
    plain = subprocess.run([str(SNAKEMAKE), "-n", "--snakefile", str(ROOT / "Snakefile"), "--configfile", "config.yaml", "--cores", "1"],
                           cwd=tmp_path, capture_output=True, text=True)
    assert set(job_counts(plain.stdout)) == {"propose", "final", "all"}  # it cannot see past the checkpoint
    proc = subprocess.run([str(SNAKEMAKE.parent / "glassfit"), "plan", "--configfile", "config.yaml", "--profile", str(ROOT / "profiles/local")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proposed = pd.read_csv(results / "iter-01/candidates.csv")
    assert len(proposed) == 2 and not (results / "iter-01/runs").exists()  # proposed, nothing simulated
    assert proc.stdout.startswith("iteration 1: 2 candidates proposed") and all(c in proc.stdout for c in proposed["candidate"])
    # 2 candidates x 2 boron glasses x 1 replica
    assert "4 simulate" in proc.stdout and proc.stdout.rstrip().endswith("MD runs: 4")
