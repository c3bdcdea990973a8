"""Campaigns that survive interruption: SIGTERM and SIGKILL mid-iteration, stale locks, two runs at once.

The documented commands: rerun the same `snakemake --profile ...` after an interruption; after a crash or kill -9,
`glassfit recover` first (Snakemake's lock survives a SIGKILL; with the SLURM profile the crashed run's jobs too).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT
from cluster.fixture import slurm_cluster  # noqa: F401  (session-scoped fixture)
from test_slurm_workflow import SLURM_TEST_ARGS, fast_config, run_workflow, slurm_env

pytestmark = pytest.mark.workflow
GLASSFIT = Path(sys.executable).parent / "glassfit"
N_RUNS = 10  # fast_config(): (3 + 2) candidates x 2 glasses (12B, 50B: every candidate runs both)
LOCK_MESSAGE = "Directory cannot be locked"


def properties_files(results: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in results.glob("iter-*/runs/*/*/r*/properties.json")}


def recorded_runs(workdir: Path) -> dict[Path, int]:
    """Finished MD runs as Snakemake recorded them: a properties.json written in the instant before a kill, whose job
    Snakemake had not yet marked complete, is incomplete for Snakemake and rightly redone."""
    import base64

    incomplete = set()
    markers = workdir / ".snakemake/incomplete"
    for marker in (m for m in markers.rglob("*") if m.is_file()):  # urlsafe base64 of the path, split with "@" dirs
        try:
            incomplete.add((workdir / base64.urlsafe_b64decode("".join(p.lstrip("@") for p in marker.relative_to(markers).parts)).decode()).resolve())
        except ValueError:
            pass
    return {p: t for p, t in properties_files(workdir / "results/tiny").items() if p.resolve() not in incomplete}


def assert_nothing_half_written(results: Path) -> None:
    """Every file a rule writes is complete or absent: no temporary names left, every table and JSON parses."""
    leftovers = [p for p in results.rglob(".*.tmp")]
    assert not leftovers, f"half-written files left behind: {leftovers}"
    for p in results.rglob("*.json"):
        json.loads(p.read_text())
    for p in results.rglob("*.csv"):
        pd.read_csv(p) if p.stat().st_size else None


def recover(workdir: Path, *extra: str, env=None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(GLASSFIT), "recover", "--configfile", str(workdir / "config.yaml"), "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir), *extra],
        capture_output=True, text=True, env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def start_and_interrupt(workdir: Path, sig: int, at_runs: int, profile: str = "local", *extra: str, env=None) -> dict[Path, int]:
    """Start the campaign in the background, send ``sig`` to its whole process group once ``at_runs`` MD runs are done."""
    proc = run_workflow(workdir, fast_config(), profile, *extra, env=env, background=True)
    results = workdir / "results/tiny"
    deadline = time.time() + 400
    while len(properties_files(results)) < at_runs and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, f"the campaign ended before it could be interrupted:\n{proc.stdout.read()[-3000:]}"
    os.killpg(proc.pid, sig)
    wait_or_fail(proc, f"{sig.name} to the whole process group")
    return recorded_runs(workdir)


def wait_or_fail(proc: subprocess.Popen, what: str) -> str:
    """The interrupted workflow's output once it has exited; a workflow still running after 180 s is killed and fails the test."""
    try:
        return proc.communicate(timeout=180)[0]
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"Snakemake did not exit within 180 s of {what}:\n{proc.communicate()[0][-3000:]}")


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    """The uninterrupted campaign's final dataset (local profile)."""
    workdir = tmp_path_factory.mktemp("reference")
    run_workflow(workdir, fast_config(), "local")
    return pd.read_csv(workdir / "results/tiny/iter-01/dataset.csv")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_campaign_finishes_on_rerun(tmp_path, reference, sig):
    seed = random.randrange(10_000)
    at_runs = random.Random(seed).randint(1, N_RUNS - 2)  # a random point of iteration 0 or 1
    print(f"\n{sig.name} once {at_runs} MD runs are done (seed {seed})")
    finished = start_and_interrupt(tmp_path, sig, at_runs)
    results = tmp_path / "results/tiny"
    print(f"{len(finished)} finished MD runs survived the interruption")
    assert len(finished) < N_RUNS
    assert_nothing_half_written(results)

    if sig == signal.SIGKILL:
        # Snakemake had no chance to release its lock: a plain rerun refuses, `glassfit recover` clears it
        stale = run_workflow(tmp_path, fast_config(), "local", check=False)
        assert stale.returncode != 0 and LOCK_MESSAGE in stale.stdout + stale.stderr
        out = recover(tmp_path).stdout
        assert f"unlocked {tmp_path}" in out
    rerun_finishes(tmp_path, finished, reference)


def rerun_finishes(workdir: Path, finished: dict[Path, int], reference: pd.DataFrame) -> None:
    """The documented command, unchanged, finishes the interrupted campaign: no finished MD run redone, nothing
    half-written, the same dataset as the uninterrupted campaign."""
    run_workflow(workdir, fast_config(), "local")
    results = workdir / "results/tiny"
    after = properties_files(results)
    assert len(after) == N_RUNS
    assert all(after[p] == t for p, t in finished.items()), "a finished MD run was redone"
    assert_nothing_half_written(results)
    assert (results / "final/summary.md").exists()
    pd.testing.assert_frame_equal(pd.read_csv(results / "iter-01/dataset.csv"), reference, check_exact=True)


# A Snakefile that runs glassfit's and, as its fault, sends Snakemake SIGTERM in the moment its main thread books the
# first finished MD run, holding the scheduler's lock: Snakemake's own handler waits for that lock forever.
SIGTERM_WHILE_LOCKED = """
import os, signal
from snakemake.scheduling.job_scheduler import JobScheduler

_finish_jobs = JobScheduler._finish_jobs


def finish_jobs_after_sigterm(self):
    if not hasattr(self, "sigterm_sent") and any(getattr(job, "rule", None) and job.rule.name == "simulate" for job in self._tofinish):
        self.sigterm_sent = True
        os.kill(os.getpid(), signal.SIGTERM)  # delivered to the main thread now, inside the lock
    return _finish_jobs(self)


if workflow.is_main_process:  # not in the Snakemake a run: job is spawned into (it parses this file too)
    JobScheduler._finish_jobs = finish_jobs_after_sigterm


include: "{snakefile}"
"""


def test_sigterm_while_snakemake_holds_its_lock_stops_the_campaign(tmp_path, reference):
    wrapper = tmp_path / "Snakefile.sigterm"
    wrapper.write_text(SIGTERM_WHILE_LOCKED.format(snakefile=ROOT / "Snakefile"))
    proc = run_workflow(tmp_path, fast_config(), "local", "all", background=True, snakefile=wrapper)  # "all": an included default_target is not the default
    out = wait_or_fail(proc, "a SIGTERM that arrived while Snakemake held its scheduler's lock")
    assert "Will exit after finishing currently running jobs" in out, out[-3000:]
    finished = recorded_runs(tmp_path)
    assert 0 < len(finished) < N_RUNS  # it stopped early, and kept what it had finished
    assert_nothing_half_written(tmp_path / "results/tiny")
    rerun_finishes(tmp_path, finished, reference)


def test_an_unknown_sigterm_handler_is_left_alone(monkeypatch):
    from snakemake.scheduling.job_scheduler import JobScheduler

    from glassfit import sigterm

    def other_handler(self, *args):  # what a later Snakemake might do instead
        self._user_kill = "graceful"

    monkeypatch.setattr(JobScheduler, "exit_gracefully", other_handler)
    assert not sigterm.install() and JobScheduler.exit_gracefully is other_handler
    monkeypatch.undo()
    assert sigterm.install() and sigterm.install()  # the known one is replaced, once
    assert JobScheduler.exit_gracefully is sigterm._exit_gracefully


def test_second_workflow_on_same_directory_refuses(tmp_path):
    first = run_workflow(tmp_path, fast_config(), "local", background=True)
    try:
        deadline = time.time() + 120
        while not list((tmp_path / ".snakemake/locks").glob("*.lock")) and time.time() < deadline:
            time.sleep(0.2)
        assert first.poll() is None
        second = run_workflow(tmp_path, fast_config(), "local", check=False)
        message = second.stdout + second.stderr
        assert second.returncode != 0 and LOCK_MESSAGE in message, message[-2000:]
        # Snakemake's own message is clear: it names the directory, the likely cause, and the way out of a stale lock
        assert "no other Snakemake process" in message and str(tmp_path) in message and "--unlock" in message
        # and recover will not break the lock of a workflow that is still running
        refused = subprocess.run(
            [str(GLASSFIT), "recover", "--configfile", str(tmp_path / "config.yaml"), "--snakefile", str(ROOT / "Snakefile"), "--directory", str(tmp_path)],
            capture_output=True, text=True,
        )
        assert refused.returncode == 1 and "still running" in refused.stderr, refused.stderr
        assert first.poll() is None, "the second workflow disturbed the first"
    finally:
        os.killpg(first.pid, signal.SIGINT)
        first.wait(timeout=180)


def one_iteration() -> dict:
    """fast_config() cut to iteration 0 on one glass: 3 MD jobs, enough to leave some queued behind."""
    cfg = fast_config()
    cfg["glasses"]["use"] = ["12B"]
    cfg["learn"]["iterations"] = 1
    return cfg


@pytest.mark.slurm
def test_slurm_recover_cancels_leftover_jobs(slurm_cluster, tmp_path):
    c = slurm_cluster
    env = slurm_env(c)

    def ours() -> list[str]:
        out = c.run("squeue", "-h", "-o", "%i|%Z").stdout
        return [line.split("|")[0] for line in out.splitlines() if Path(line.split("|")[1]).resolve() == tmp_path.resolve()]

    proc = run_workflow(tmp_path, one_iteration(), "slurm", *SLURM_TEST_ARGS, env=env, background=True)
    deadline = time.time() + 240
    while len(ours()) < 2 and time.time() < deadline and proc.poll() is None:  # MD jobs queued and running
        time.sleep(0.5)
    assert proc.poll() is None and len(ours()) >= 2, "no MD jobs in the queue to leave behind"
    os.killpg(proc.pid, signal.SIGKILL)  # Snakemake dies without cancelling its jobs or releasing its lock
    proc.wait(timeout=60)
    left = ours()
    assert left, "SIGKILL left no jobs behind"
    finished = recorded_runs(tmp_path)

    stale = run_workflow(tmp_path, one_iteration(), "slurm", *SLURM_TEST_ARGS, env=env, check=False)
    assert stale.returncode != 0 and LOCK_MESSAGE in stale.stdout + stale.stderr
    out = recover(tmp_path, "--profile", str(ROOT / "profiles/slurm"), env=env).stdout
    print(out)
    assert "cancelling SLURM job" in out and f"unlocked {tmp_path}" in out
    deadline = time.time() + 30
    while ours() and time.time() < deadline:
        time.sleep(0.5)
    assert not ours(), "leftover jobs still queued after glassfit recover"

    run_workflow(tmp_path, one_iteration(), "slurm", *SLURM_TEST_ARGS, env=env)
    after = properties_files(tmp_path / "results/tiny")
    assert len(after) == 3 and (tmp_path / "results/tiny/final/summary.md").exists()
    assert all(after[p] == t for p, t in finished.items()), "a finished MD run was redone"
    assert_nothing_half_written(tmp_path / "results/tiny")
