"""Initial structures: minimum separation kept, seeded by (campaign seed, glass, replica) only."""

import numpy as np

from glassfit import chemistry, potential, structure
from conftest import ROOT

SPECIES = potential.read_species(ROOT / "config/species.csv")
REALISED = chemistry.realise({"SiO2": 51, "B2O3": 24, "Na2O": 15, "CaO": 10}, 300)


def build(seed=1, glass="24B", replica=0):
    return structure.random_structure(REALISED, SPECIES, 2.2, 1.6, structure.seed_for(seed, glass, replica))


def test_minimum_separation_and_atom_counts():
    s = build()
    assert structure.min_distance_A(s) >= 1.6
    assert s.types.size == REALISED.n_atoms and ((0 <= s.positions) & (s.positions < s.box_A)).all()


def test_reruns_are_identical_and_replicas_differ():
    assert np.array_equal(build().positions, build().positions)
    assert not np.allclose(build().positions, build(replica=1).positions)
    assert not np.allclose(build().positions, build(glass="12B").positions)
