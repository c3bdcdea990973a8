"""End to end: a validation-only campaign (fit: false, as config/validate.yaml) through real Snakemake and LAMMPS.

Two named sets of the potential table (the start set wang2018 and yang2026_bo, rendered complete although the campaign
tunes nothing) on a fitted glass (12B) and the validation-only glass 10B, two replicas each, 150 atoms, the 1.2 ps
protocol, pair distribution functions only: 8 MD runs, about a minute on a busy 2-core machine.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from glassfit import config, learn
from conftest import ROOT, SHORT_PROTOCOL, tiny

pytestmark = [pytest.mark.workflow, pytest.mark.lammps]
SETS = ["wang2018", "yang2026_bo"]
GLASSES = ["12B", "10B"]
REPLICAS = 2


def validate_config() -> dict:
    cfg = tiny(**{"fit": False, "glasses.use": ["12B", "50B"], "system.replicas": REPLICAS})
    cfg["potential"].pop("tunable")
    cfg["md"]["protocol"] = copy.deepcopy(SHORT_PROTOCOL)
    cfg["analysis"] = {"validation_sets": SETS, "validation_glasses": GLASSES, "validation_analyses": ["pdf"]}
    return cfg


def snakemake(workdir: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [str(Path(sys.executable).parent / "snakemake"), "--snakefile", str(ROOT / "Snakefile"), "--profile", str(ROOT / "profiles/local"),
           "--configfile", str(workdir / "config.yaml"), "--directory", str(workdir), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("validate")
    (workdir / "config.yaml").write_text(yaml.safe_dump(validate_config(), sort_keys=False))
    dry = snakemake(workdir, "-n")
    assert dry.returncode == 0, dry.stderr[-3000:]
    workdir.joinpath("dry_run.txt").write_text(dry.stdout)
    proc = snakemake(workdir)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return workdir


def test_dry_run_shows_exactly_the_validation_runs(workdir):
    stats = workdir.joinpath("dry_run.txt").read_text().split("Job stats:")[1].split("Reasons:")[0]
    counts = dict(line.split() for line in stats.splitlines()[3:] if len(line.split()) == 2 and line.split()[1].isdigit())
    n = len(SETS) * len(GLASSES) * REPLICAS
    assert counts["validate_simulate"] == counts["analyse_run"] == str(n)
    assert counts["validate_structure"] == str(len(GLASSES) * REPLICAS)
    assert not {"design", "simulate", "structure", "propose", "final", "dataset"} & set(counts)
    runs = sorted(p.relative_to(workdir / "results/tiny/validation/runs").parent.as_posix() for p in (workdir / "results/tiny/validation/runs").glob("*/*/r*/properties.json"))
    assert runs == sorted(f"{s}/{g}/r{r}" for s in SETS for g in GLASSES for r in range(REPLICAS))
    assert not list((workdir / "results/tiny").glob("iter-*"))


def test_table_has_every_set_and_glass_and_rmses_match_runs(workdir):
    results = workdir / "results/tiny"
    runs = pd.read_csv(results / "validation/runs.csv")
    table = pd.read_csv(results / "final/validation/properties.csv")
    assert table[["set", "glass"]].values.tolist() == [[s, g] for s in SETS for g in ("10B", "12B")]  # by B2O3 content
    exp = pd.read_csv(ROOT / "config/glasses.csv", comment="#").set_index("id")
    campaign = config.resolve(validate_config(), "validate")
    for s in SETS:
        means = {}
        for g in GLASSES:
            ok = runs[(runs["candidate"] == s) & (runs["glass"] == g) & (runs["status"] == "ok")]
            row = table[(table["set"] == s) & (table["glass"] == g)].iloc[0]
            assert row["density_g_cm3_mean"] == pytest.approx(ok["density_g_cm3_mean"].mean())
            assert row["density_g_cm3_std"] == pytest.approx(ok["density_g_cm3_mean"].std(ddof=1))
            assert row["B4_mean"] == pytest.approx(ok["B4_mean"].mean()) and row["n_ok"] == len(ok)
            means[g] = (ok["density_g_cm3_mean"].mean(), ok["B4_mean"].mean())
        # 12B is the only fitted glass validated, so each RMSE is that glass's absolute error
        assert row["density_g_cm3_rmse"] == pytest.approx(abs(means["12B"][0] - exp.loc["12B", "density_g_cm3"]))
        assert row["B4_rmse"] == pytest.approx(abs(means["12B"][1] - exp.loc["12B", "B4"]))
        hand = pd.DataFrame([{"candidate": s, "glass": "12B", "density_g_cm3_mean": means["12B"][0], "B4_mean": means["12B"][1]}])
        only_12b = dataclasses.replace(campaign, glasses=tuple(g for g in campaign.glasses if g.id == "12B"))
        assert row["objective"] == pytest.approx(learn.objective(hand, only_12b)[s])
    assert table[table["glass"] == "10B"]["density_g_cm3_exp"].isna().all()
    markdown = (results / "final/validation/properties.md").read_text()
    assert all(f"density {s}" in markdown for s in SETS) and "| 12B |" in markdown and "| 10B |" in markdown


def test_named_sets_ran_as_complete_sets(workdir):
    lines = (workdir / "results/tiny/validation/runs/yang2026_bo/12B/r0/in.lammps").read_text()
    assert "532.85 0.3527 0" in lines and "191757.12 0.1249 32.56" in lines  # B-B and B-O of yang2026_bo
    props = json.loads((workdir / "results/tiny/validation/runs/wang2018/10B/r1/properties.json").read_text())
    assert (props["candidate"], props["glass"], props["replica"]) == ("wang2018", "10B", 1)


def test_figures_show_every_set(workdir):
    final = workdir / "results/tiny/final"
    for png in [final / "validation/density_vs_B2O3.png", final / "validation/B4_vs_B2O3.png", *(final / f"structure/{g}/partial_pdfs.png" for g in GLASSES)]:
        assert png.stat().st_size > 10_000, png
    assert not (final / "summary.md").exists()
    # OVITO pictures of each set's final structures: one per glass (640 x 480, tests/test_render.py checks the
    # colours) and a montage per set
    from PIL import Image

    for s in SETS:
        assert [Image.open(final / f"pictures/{s}/{g}.png").size for g in GLASSES] == [(640, 480)] * len(GLASSES)
        assert (final / f"pictures/{s}.png").stat().st_size > 10_000


def test_glassfit_report_prints_the_validation_table(workdir):
    proc = subprocess.run([str(Path(sys.executable).parent / "glassfit"), "report", "--configfile", "config.yaml"], cwd=workdir, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("# Validation of `tiny`") and "final/validation/B4_vs_B2O3.png" in proc.stdout
    # glassfit status (iterations of a fit) points a validation-only campaign to glassfit report, in one line
    proc = subprocess.run([str(Path(sys.executable).parent / "glassfit"), "status", "results/tiny"], cwd=workdir, capture_output=True, text=True)
    assert proc.returncode != 0 and "validation-only campaign: `glassfit report --configfile" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_html_report_of_a_validation_only_campaign(workdir):
    import zipfile

    proc = snakemake(workdir, "--report", "results/tiny/report.zip")
    assert proc.returncode == 0, proc.stderr[-3000:]
    with zipfile.ZipFile(workdir / "results/tiny/report.zip") as archive:
        pngs = {Path(n).name for n in archive.namelist() if n.endswith(".png")}
    assert {"density_vs_B2O3.png", "B4_vs_B2O3.png", "partial_pdfs.png", *(f"{s}.png" for s in SETS)} <= pngs
