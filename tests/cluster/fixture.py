"""Session-scoped pytest fixture for a real single-node SLURM cluster on localhost.

The cluster is brought up by ``tests/cluster/slurm-cluster.sh up STATE_DIR``
(installs Debian's slurm-wlm/slurmdbd/munge/mariadb-server if missing, starts a
private munged, MariaDB, slurmdbd, slurmctld and slurmd, all with state under
STATE_DIR) and torn down with ``slurm-cluster.sh down STATE_DIR``.

Nothing global is changed in the test process: clients find the cluster through
``SLURM_CONF``, which is only in :attr:`SlurmCluster.env`; pass that env to every
subprocess that talks to SLURM (sbatch, sacct, snakemake --executor slurm, ...).

Use it from a test module with::

    from cluster.fixture import slurm_cluster  # noqa: F401  (tests/ is on sys.path)

or, for the whole suite, from ``tests/conftest.py`` the same way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "slurm-cluster.sh"

#: Seconds allowed for ``up`` (includes apt-get install on a fresh machine).
UP_TIMEOUT = int(os.environ.get("SLURM_CLUSTER_FIXTURE_UP_TIMEOUT", "900"))
DOWN_TIMEOUT = 180

PARTITION = "debug"
ACCOUNT = "glassfit"
CLUSTER_NAME = "glassfit"

# Job states after which a job will not change any more.
TERMINAL_STATES = {
    "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY",
    "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE",
}


@dataclass
class SlurmCluster:
    """Handle on the running test cluster."""

    state_dir: Path
    slurm_conf: Path
    #: Full environment for subprocesses (os.environ + SLURM_CONF); copy before changing.
    env: dict[str, str] = field(repr=False)
    partition: str = PARTITION
    account: str = ACCOUNT
    cluster_name: str = CLUSTER_NAME
    #: Seconds ``up`` took (install + start + node idle).
    up_seconds: float = 0.0

    def run(self, *args: str, check: bool = True, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
        """Run a command with the cluster's environment; text output captured."""
        kw.setdefault("env", self.env)
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        proc = subprocess.run(list(args), timeout=timeout, **kw)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc

    def sbatch(self, *args: str, cwd: str | os.PathLike | None = None) -> str:
        """``sbatch --parsable ARGS...``; returns the job id."""
        out = self.run("sbatch", "--parsable", f"--partition={self.partition}", *args, cwd=cwd).stdout
        return out.strip().split(";")[0]

    def job_state(self, jobid: str) -> str | None:
        """The job's state as recorded by accounting (sacct), or None if not yet there."""
        out = self.run("sacct", "-n", "-X", "-P", "-j", jobid, "-o", "State", check=False).stdout
        lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
        return lines[0].split()[0] if lines else None

    def wait_job(self, jobid: str, timeout: float = 120, poll: float = 0.2) -> str:
        """Poll sacct until the job reaches a terminal state; return that state."""
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.job_state(jobid)
            if state in TERMINAL_STATES:
                return state
            time.sleep(poll)
        squeue = self.run("squeue", "-j", jobid, check=False)
        raise AssertionError(
            f"job {jobid} not finished after {timeout}s (sacct state {state!r});\n"
            f"squeue: {squeue.stdout}{squeue.stderr}\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        """Last lines of the daemons' logs, for assertion messages."""
        parts = []
        for name in ("slurmctld.log", "slurmd.log", "slurmdbd.log"):
            p = self.state_dir / "log" / name
            if p.exists():
                text = p.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"----- {p} -----\n" + "\n".join(text))
        return "\n".join(parts)


def _skip_reason() -> str | None:
    if not sys.platform.startswith("linux"):
        return "the SLURM test cluster needs Linux"
    if os.geteuid() != 0:
        return "the SLURM test cluster must be started as root"
    if shutil.which("slurmctld") is None and shutil.which("apt-get") is None:
        return "SLURM is not installed and apt-get is unavailable"
    return None


def _down(state_dir: Path) -> None:
    proc = subprocess.run(
        ["bash", str(SCRIPT), "down", str(state_dir)],
        timeout=DOWN_TIMEOUT, capture_output=True, text=True, check=False,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        warnings.warn(f"slurm-cluster.sh down failed (rc={proc.returncode}):\n{proc.stderr}", stacklevel=2)


# One cluster per process, even when the fixture is imported into more than one
# place (a test module and tests/conftest.py define two fixture objects that
# would otherwise each start their own cluster).
_shared: dict = {"cluster": None, "users": 0}


def _start(tmp_path_factory) -> SlurmCluster:
    # Short path: unix socket paths (munge, mariadb) are limited to 107 bytes.
    state_dir = tmp_path_factory.mktemp("slurm", numbered=True)
    t0 = time.monotonic()
    try:
        proc = subprocess.run(
            ["bash", str(SCRIPT), "up", str(state_dir)],
            timeout=UP_TIMEOUT, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        _down(state_dir)
        pytest.fail(f"slurm-cluster.sh up timed out after {UP_TIMEOUT}s:\n{exc.stderr or ''}", pytrace=False)
    if proc.returncode != 0:
        _down(state_dir)
        pytest.fail(
            f"slurm-cluster.sh up failed (rc={proc.returncode}):\n{proc.stderr}\n{proc.stdout}",
            pytrace=False,
        )
    env = dict(os.environ)
    for line in proc.stdout.splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            env[key.strip()] = value.strip()
    # Don't let an outer SLURM job's variables confuse the clients.
    for key in ("SLURM_JOB_ID", "SLURM_JOBID"):
        env.pop(key, None)
    return SlurmCluster(
        state_dir=state_dir,
        slurm_conf=Path(env["SLURM_CONF"]),
        env=env,
        up_seconds=time.monotonic() - t0,
    )


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory) -> SlurmCluster:
    """A running single-node SLURM cluster with accounting (sacct) enabled.

    Brought up once per session, torn down at the end. Yields a
    :class:`SlurmCluster`; give ``cluster.env`` to every SLURM client call.
    """
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    if _shared["cluster"] is None:
        _shared["cluster"] = _start(tmp_path_factory)
    _shared["users"] += 1
    try:
        yield _shared["cluster"]
    finally:
        _shared["users"] -= 1
        if _shared["users"] == 0:
            cluster, _shared["cluster"] = _shared["cluster"], None
            _down(cluster.state_dir)
