"""The typed campaign: campaign.json round-trips, and the shipped configs resolve to the runs and LAMMPS inputs they always had.

tests/data/golden/ was written by the code before the typed model (candidates, run lists, the sha256 of every
iteration-0 and validation in.lammps on replica 0, the initial structures' files): the published, demo and
validation campaigns must render byte for byte the same.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from glassfit import campaign as gc, config, md, model, validation as gv

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests/data/golden"


def sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


@pytest.mark.parametrize("name", ["config", "demo", "validate"])
def test_campaign_json_round_trips_to_an_equal_object(name, tmp_path):
    campaign = config.load(ROOT / f"config/{name}.yaml")
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(model.to_dict(campaign)))
    back = model.from_dict(model.Campaign, json.loads(path.read_text()))
    assert back == campaign
    assert isinstance(back.glasses[0], model.Glass) and isinstance(back.md.protocol[0], md.Stage)
    assert model.to_dict(back) == model.to_dict(campaign)


def rendered(campaign, rows, glasses, tmp_path, tag):
    """sha256 of every row's in.lammps on replica 0 of each glass, and of each glass's structure file."""
    inputs, structures = {}, {}
    for g in glasses:
        structure = tmp_path / f"{tag}-{g}.data"
        gc.build_structure(campaign, g, 0, structure)
        structures[g] = sha(structure.read_bytes())
        for row in rows:
            spec = gc.run_spec(campaign, row, g, 0, structure, tmp_path / "wd")
            inputs[f"{row['candidate']}/{g}/r0"] = sha(md._original_input(spec, spec.protocol, "standard"))
    return inputs, structures


@pytest.mark.parametrize("name", ["demo", "validate", "config"])
def test_shipped_configs_resolve_to_the_same_runs_and_inputs_as_before(name, tmp_path):
    golden = json.loads((GOLDEN / f"{name}.json").read_text())
    campaign = config.load(ROOT / f"config/{name}.yaml")
    if campaign.fit:
        candidates = gc.initial_candidates(campaign)
        assert candidates.to_csv(index=False, float_format="%.17g") == golden["candidates"]
        assert [list(map(str, r)) for r in gc.iteration_runs(campaign, candidates, 0)] == golden["runs"]
        inputs, structures = rendered(campaign, candidates.to_dict("records"), [g.id for g in campaign.glasses], tmp_path, "fit")
        assert inputs == golden["inputs"]
        assert structures == golden["structures"]
    val = gv.validation_campaign(campaign, name)
    assert gv.labels(campaign) == golden["validation_sets"]
    assert [g.id for g in val.glasses] == golden["validation_glasses"]
    named = gv.candidates(campaign.__class__(**{**campaign.__dict__, "analysis": campaign.analysis.__class__(
        **{**campaign.analysis.__dict__, "validation_sets": tuple(l for l in gv.labels(campaign) if l != "best")})}))
    assert (named["potential"] == "").all()
    assert named.drop(columns="potential").to_csv(index=False, float_format="%.17g") == golden["validation_candidates"]
    inputs, _ = rendered(val, named.to_dict("records"), golden["validation_glasses"], tmp_path, "val")
    assert inputs == golden["validation_inputs"]
    if name == "config":  # a readable diff when the hashes differ
        row = candidates.to_dict("records")[0]
        spec = gc.run_spec(campaign, row, "24B", 0, tmp_path / "fit-24B.data", tmp_path / "wd")
        assert md._original_input(spec, spec.protocol, "standard") == (GOLDEN / "config-i00c00-24B-r0.in.lammps").read_text()
