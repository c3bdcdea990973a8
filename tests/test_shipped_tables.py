"""The shipped SHIK and PMMCS tables are what lammps-tablegen 0.3.3 ships: rebuilt by scripts/prepare/potential_tables.py."""
from __future__ import annotations

import importlib.util

from conftest import ROOT


def test_shipped_potential_tables_equal_the_package_values():
    spec = importlib.util.spec_from_file_location("potential_tables", ROOT / "scripts/prepare/potential_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = module.tables()
    assert set(rebuilt) == {"shik_potential.csv", "shik_species.csv", "pmmcs_potential.csv", "pmmcs_species.csv"}
    for name, text in rebuilt.items():
        assert (ROOT / "config" / name).read_text() == text, name
