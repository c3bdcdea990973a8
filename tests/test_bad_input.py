"""Bad input of every kind stops `glassfit check` and a real `snakemake -n` with one line naming the file, key or line.

The table holds the kinds: a changed key of the tiny campaign, a changed line of one of its tables, or a broken config
file. For each, `glassfit check` exits 2 with exactly one line on stderr, and `snakemake -n` stops with a line that
starts with "glassfit:" and says the same, and no Python traceback.
"""
from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from glassfit import cli
from conftest import ROOT, changed, tiny

SNAKEMAKE = Path(sys.executable).parent / "snakemake"
GLASSES = (ROOT / "config/glasses.csv").read_text()
SPECIES = (ROOT / "config/species.csv").read_text()
POTENTIAL = (ROOT / "config/potential.csv").read_text()
#: a tunable charge, balance species and an other potential, used by the cases that need them
SHIK_SPECIES, SHIK_TABLE = str(ROOT / "config/shik_species.csv"), str(ROOT / "config/shik_potential.csv")
STAGES = "md.protocol"
#: the potential table with its form column written out (every row buckingham)
WITH_FORMS = "\n".join(line.replace("set,pair,", "set,pair,form,") if line.startswith("set,") else
                        (line.replace(",", ",buckingham,", 2).replace(",buckingham,", ",", 1) if line and not line.startswith("#") else line)
                        for line in POTENTIAL.splitlines()) + "\n"

#: (kind, config changes (dotted keys), {table: (old, new)} replacements, the expected fragment of the message)
CASES = [
    ("unknown key", {"system.atomz": 3}, {}, "system.atomz: unknown key"),
    ("wrong type", {"system.replicas": "six"}, {}, "system.replicas: 'six' is not of type 'integer'"),
    ("campaign name with a slash", {"campaign": "a/b"}, {}, "campaign: 'a/b' does not match"),
    ("negative seed", {"seed": -1}, {}, "seed: -1 is less than the minimum of 0"),
    ("empty glasses.use", {"glasses.use": []}, {}, "glasses.use: [] should be non-empty"),
    ("duplicate glass in use", {"glasses.use": ["12B", "12B"]}, {}, "glasses.use: ['12B', '12B'] has non-unique elements"),
    ("unknown glass in use", {"glasses.use": ["12B", "99B"]}, {}, "glasses.use[1]: glass '99B' is not defined"),
    ("unknown start set", {"potential.start": "nope"}, {}, "potential.start: unknown parameter set 'nope'"),
    ("tunable pair not in the set", {"potential.tunable": [{"pair": "B-Na", "term": "A", "bounds_rel": [-0.1, 0.1]}], "learn": {"iterations": 1}}, {},
     "potential.tunable[0].pair: 'B-Na' names no pair of set 'wang2018'"),
    ("tunable term the form lacks", {"potential.tunable": [{"pair": "B-O", "term": "D0", "bounds_rel": [-0.1, 0.1]}], "learn": {"iterations": 1}}, {},
     "potential.tunable[0].term: B-O is a buckingham pair, which has no coefficient 'D0'"),
    ("bounds low above high", {"potential.tunable": [{"pair": "B-O", "term": "A", "bounds_rel": [0.1, -0.1]}], "learn": {"iterations": 1}}, {},
     "potential.tunable[0].bounds_rel: low (0.1) must be below high (-0.1)"),
    ("start outside bounds_rel", {"potential.tunable": [{"pair": "B-O", "term": "A", "bounds_rel": [0.1, 0.2]}], "learn": {"iterations": 1}}, {},
     "potential.tunable[0].bounds_rel: the start value must lie inside [0.1, 0.2]"),
    ("tunable listed twice", {"potential.tunable": [{"pair": "B-O", "term": "A", "bounds_rel": [-0.1, 0.1]}, {"pair": "B-O", "term": "A_eV", "bounds_rel": [-0.1, 0.1]}]}, {},
     "potential.tunable: a parameter is listed twice"),
    ("both kinds of bounds", {"potential.tunable": [{"pair": "B-O", "term": "A", "bounds_rel": [-0.1, 0.1], "bounds": [1, 2]}], "learn": {"iterations": 1}}, {},
     "potential.tunable[0]: give bounds_rel (fractions of the start value) or bounds (absolute), exactly one"),
    ("negative bound of a positive coefficient", {"potential.tunable": [{"pair": "B-O", "term": "rho", "bounds": [-0.1, 0.2]}], "learn": {"iterations": 1}}, {},
     "potential.tunable[0]: BO_rho_A must stay positive, but its bounds reach -0.1"),
    ("a charge tuned without a balance", {"potential.tunable": [{"charge": "Si", "bounds_rel": [-0.1, 0.1]}], "learn": {"iterations": 1}}, {},
     "potential.tunable[0].charge: tuning the charge of Si needs potential.charges.balance"),
    ("unknown balance element", {"potential.charges": {"balance": "Xe"}}, {}, "potential.charges.balance: Xe is not an element of"),
    ("wolf without damping", {"potential.electrostatics": {"method": "wolf"}}, {}, "potential.electrostatics.damping_invA: wolf needs a damping parameter"),
    ("damping for pppm", {"potential.electrostatics": {"method": "pppm", "damping_invA": 0.2}}, {}, "potential.electrostatics.damping_invA: pppm has no damping parameter"),
    ("smoothing with pppm", {"potential.smoothing_gamma_A2": 0.2}, {}, "potential.smoothing_gamma_A2: smoothing multiplies the Coulomb energy too"),
    ("cutoff past half the box", {"potential.cutoff_A": 11.0}, {}, "potential.cutoff_A: 11 Å is not below half the box"),
    ("Coulomb cutoff past half the box", {"potential.electrostatics": {"cutoff_A": 9.0}}, {}, "potential.electrostatics.cutoff_A: 9 Å is not below half the box"),
    ("absurd PPPM accuracy", {"potential.kspace_accuracy": 0.5}, {}, "potential.kspace_accuracy: 0.5 is greater than the maximum of 0.1"),
    ("10^9 atoms", {"system.atoms": 10**9}, {}, "system.atoms: 1000000000 is greater than the maximum of 1000000"),
    ("too few atoms", {"system.atoms": 5}, {}, "system.atoms: 5 is less than the minimum of 10"),
    ("zero replicas", {"system.replicas": 0}, {}, "system.replicas: 0 is less than the minimum of 1"),
    ("stage of zero length", {f"{STAGES}.2.duration_ps": 0}, {}, "md.protocol[2].duration_ps: stage 'quench' must last a finite time longer than 0 ps"),
    ("stage of infinite length", {f"{STAGES}.2.duration_ps": float("inf")}, {}, "md.protocol[2].duration_ps: stage 'quench' must last a finite time"),
    ("no density stage", {f"{STAGES}.3.role": None}, {}, "md.protocol[3].role: None is not one of"),
    ("production without frames", {f"{STAGES}.4.dump_every_ps": None}, {}, "md.protocol[4].dump_every_ps: None is not of type 'number'"),
    ("frames less often than the stage", {f"{STAGES}.4.dump_every_ps": 5.0}, {}, "md.protocol[4].dump_every_ps: 5 ps is longer than the stage (0.5 ps)"),
    ("an nvt stage with a pressure", {f"{STAGES}.0.pressure_bar": 1.0}, {}, "md.protocol[0].pressure_bar: an nvt stage has no pressure"),
    ("unknown ensemble", {f"{STAGES}.0.ensemble": "nve"}, {}, "md.protocol[0].ensemble: 'nve' is not one of ['nvt', 'npt']"),
    ("missing LAMMPS", {"md.lammps": "/no/such/lmp"}, {}, "md.lammps: LAMMPS executable '/no/such/lmp' not found"),
    ("zero throughput", {"md.throughput_ns_per_day_per_rank": 0}, {}, "md.throughput_ns_per_day_per_rank: 0 is less than or equal to the minimum of 0"),
    ("safety factor below 1", {"md.runtime_safety_factor": 0.5}, {}, "md.runtime_safety_factor: 0.5 is less than the minimum of 1"),
    ("pareto with the MLP", {"learn": {"iterations": 2, "mode": "pareto", "proposer": {"kind": "mlp"}}}, {}, "learn.mode: pareto needs learn.proposer.kind: botorch"),
    ("zero iterations", {"learn": {"iterations": 0}}, {}, "learn.iterations: 0 is less than the minimum of 1"),
    ("every objective weight 0", {"learn": {"objective": {"density_weight": 0, "B4_weight": 0}}}, {}, "learn.objective: every target has weight 0"),
    ("unknown proposer", {"learn": {"proposer": {"kind": "random"}}}, {}, "learn.proposer.kind: 'random' is not one of"),
    ("one tunable and proposals", {"potential.tunable": [{"pair": "B-O", "term": "A", "bounds_rel": [-0.1, 0.1]}]}, {},
     "potential.tunable: proposing candidates needs at least 2 parameters"),
    ("results_dir is a file", {"results_dir": str(ROOT / "README.md")}, {}, "results_dir: " + str(ROOT / "README.md") + " is a file, not a folder"),
    ("results_dir nowhere", {"results_dir": "/proc/glassfit-results"}, {}, "results_dir: cannot make folders in /proc"),
    ("unknown validated set", {"analysis": {"validation_sets": ["nope"]}}, {}, "analysis.validation_sets[0]: unknown parameter set 'nope'"),
    ("best without a fit", {"fit": False, "analysis": {"validation_sets": ["best"]}}, {}, "analysis.validation_sets[0]: 'best' needs a campaign that fits"),
    ("unknown validation glass", {"analysis": {"validation_glasses": ["12B", "99B"]}}, {}, "analysis.validation_glasses[1]: glass '99B' is not defined"),
    ("unknown analysis", {"analysis": {"validation_analyses": ["voids"]}}, {}, "analysis.validation_analyses[0]: 'voids' is not one of"),
    ("measured data of a glass not simulated", {"analysis": {"validation_glasses": ["12B"], "measured_sq": {"24B": {"xray": "x.csv"}}}}, {},
     "analysis.measured_sq.24B: glass '24B' is neither fitted nor validated"),
    ("measured data file missing", {"analysis": {"validation_glasses": ["12B"], "measured_sq": {"12B": {"neutron": "/no/such/sq.csv"}}}}, {},
     "analysis.measured_sq.12B.neutron: file /no/such/sq.csv not found"),
    ("measured data without a radiation", {"analysis": {"validation_glasses": ["12B"], "measured_sq": {"12B": {"mine": "/no/such/sq.csv"}}}}, {},
     "analysis.measured_sq.12B.mine: say which radiation"),
    ("a named set outside the search space", {"potential.initial_sets": ["yang2026_bo"]}, {}, "potential.initial_sets[0]: set 'yang2026_bo' differs from the start set"),
    ("other potential lacking an element", {"other_potentials": {"pmmcs": {"potential": {"species": str(ROOT / "config/pmmcs_species.csv"),
                                                                                        "table": str(ROOT / "config/pmmcs_potential.csv"), "start": "pedone2006"}}},
                                            "analysis": {"validation_sets": ["start"]}}, {}, "other_potentials.pmmcs.potential.species:"),
    ("set named by two potentials", {"other_potentials": {"copy": {"potential": {"species": str(ROOT / "config/species.csv"), "table": str(ROOT / "config/potential.csv"),
                                                                                 "start": "wang2018", "cutoff_A": 5.0}}},
                                     "analysis": {"validation_sets": ["yang2026_bo"]}}, {}, "analysis.validation_sets[0]: set 'yang2026_bo' is defined by more than one potential"),
    # the tables
    ("glass table missing", {"glasses.table": "/no/such/glasses.csv"}, {}, "/no/such/glasses.csv: glass table not found"),
    ("glass table without role", {}, {"glasses": ("role", "rôle")}, "header lacks column 'role'"),
    ("oxides not summing to 100", {}, {"glasses": ("12B,63,12", "12B,62,12")}, "glass '12B': oxides sum to 99 mol %, not 100"),
    ("negative density", {}, {"glasses": ("2.545141", "-2.5")}, "glass '12B': -2.5 is not a possible density (g/cm³) (above 0"),
    ("density 0", {}, {"glasses": ("2.545141", "0")}, "glass '12B': 0 is not a possible density (g/cm³) (above 0"),
    ("B4 above 1", {}, {"glasses": ("0.789770", "1.79")}, "glass '12B': 1.79 is not a possible B4 (fraction of four-fold B) (at least 0 and at most 1)"),
    ("non-numeric cell", {}, {"glasses": ("2.545141", "dense")}, "column density_g_cm3: 'dense' is not a number"),
    ("duplicate glass id", {}, {"glasses": ("50B,25", "12B,25")}, "glass id '12B' appears twice"),
    ("unknown oxide column", {}, {"glasses": ("CaO,dens", "CaO2x,dens")}, "column CaO2x: neither an oxide formula nor one of id, role"),
    ("element without species", {}, {"glasses": ("CaO,dens", "XxO,dens")}, "column XxO: element Xx is not defined in"),
    ("fit glass without targets", {}, {"glasses": ("2.545141,0.789770,fit", ",,fit")}, "glass '12B' has role fit but no measured density_g_cm3 or B4"),
    ("unknown role", {}, {"glasses": ("0.789770,fit", "0.789770,fitted")}, "role 'fitted' is not one of fit, fit-density-only, validation"),
    ("non-numeric charge", {}, {"species": ("1.89", "one")}, "column charge_e: 'one' is not a number"),
    ("species defined twice", {}, {"species": ("Ca,0.945,40.078", "Ca,0.945,40.078\nO,-0.945,15.9994")}, "element 'O' is defined twice"),
    ("non-neutral charges", {}, {"species": ("Si,1.89", "Si,1.9")}, "glass '12B' is not charge-neutral with the charges of"),
    ("negative mass", {}, {"species": ("10.811", "-10.811")}, "the mass of B must be positive"),
    ("negative Buckingham A", {}, {"potential": ("206941.81", "-206941.81")}, "column A_eV: A must be positive (got -206942)"),
    ("zero rho", {}, {"potential": ("0.1240", "0")}, "column rho_A: rho must be positive (got 0)"),
    ("unknown form", {}, {"potential": ("wang2018,B-O,buckingham", "wang2018,B-O,morse")}, "form 'morse' is not one of buckingham"),
    ("pair defined twice", {}, {"potential": ("wang2018,B-B", "wang2018,B-O")}, "pair B-O of set 'wang2018' is defined twice"),
    ("pair not two elements", {}, {"potential": ("wang2018,B-B", "wang2018,BB")}, "'BB' is not two element symbols joined by '-'"),
    # names that become folders, tables that disagree, files that cannot be read (issue 32)
    ("campaign name '..'", {"campaign": ".."}, {}, "campaign: '..' is not a safe name ('.' and '..' are this folder and its parent)"),
    ("glass id with a path", {"glasses.use": ["../../x", "50B"]}, {"glasses": ("\n12B,", "\n../../x,")},
     "glasses.csv: line 8, column id: glass id '../../x' is not a safe name"),
    ("pair of an element without species", {}, {"potential": ("fixed,Ca-O", "fixed,Cs-O")},
     "potential.csv: line 13, column pair: pair Cs-O of set 'fixed': element Cs is not in"),
    ("glass table without rows", {"glasses.use": None}, {"glasses": (GLASSES[GLASSES.index("0B,75"):], "")},
     "glasses.csv: line 5: the glass table has a header but no rows"),
    ("a fit of validation glasses only", {"glasses.use": ["12B"]}, {"glasses": ("0.789770,fit", "0.789770,validation")},
     "glasses.use: a campaign that fits needs a glass with role fit or fit-density-only, but every glass it uses (12B) has role validation"),
    ("table not UTF-8", {}, {"species": ("Ca,", "C\udce1,")}, "species.csv: not UTF-8 text (byte"),
]

#: more kinds, checked by `glassfit check` only (they take the same path through glassfit.config as the kinds above)
CHECK_ONLY = [
    ("campaign name '.'", {"campaign": "."}, {}, "campaign: '.' is not a safe name"),
    ("campaign folder is a file", {"results_dir": str(ROOT), "campaign": "README.md"}, {},
     "campaign: " + str(ROOT / "README.md") + " is a file, not the campaign's folder"),
    ("unsafe glass in use", {"glasses.use": ["12B", "a;b"]}, {}, "glasses.use[1]: glass id 'a;b' is not a safe name"),
    ("unsafe glass id of an unused row", {}, {"glasses": ("\n10B,", "\n$(cmd),")}, "line 14, column id: glass id '$(cmd)' is not a safe name"),
    ("unsafe validation glass", {"analysis": {"validation_glasses": ["12B", "../x"]}}, {},
     "analysis.validation_glasses[1]: glass id '../x' is not a safe name"),
    ("unsafe set name", {}, {"potential": ("\nyang2026_b4,", "\n../b4,")}, "line 21, column set: set name '../b4' is not a safe name"),
    ("set name '..'", {}, {"potential": ("\nyang2026_b4,", "\n..,")}, "line 21, column set: set name '..' is not a safe name"),
    ("reserved set name", {}, {"potential": ("\nyang2026_b4,", "\nstart,")}, "line 21, column set: set name 'start' is reserved"),
    ("unsafe other potential name", {"other_potentials": {"..": {"potential": {"species": SHIK_SPECIES, "table": SHIK_TABLE, "start": "shik"}}}}, {},
     "other_potentials: potential name '..' is not a safe name"),
    ("pair of an element an other potential lacks", {"other_potentials": {"pmmcs": {"potential": {
        "species": str(ROOT / "config/pmmcs_species.csv"), "table": str(ROOT / "config/potential.csv"), "start": "wang2018"}}}}, {},
     "potential.csv: line 11, column pair: pair Si-B of set 'fixed': element B is not in " + str(ROOT / "config/pmmcs_species.csv")),
    ("pair written both ways", {}, {"potential": ("wang2018,B-B", "wang2018,O-B")},
     "line 14, column pair: pair B-O of set 'wang2018' is O-B of set 'wang2018' (line 15) written the other way round"),
    ("pair written the other way than fixed", {}, {"potential": ("yang2026_b4,B-B", "yang2026_b4,O-Na")},
     "line 22, column pair: pair O-Na of set 'yang2026_b4' is Na-O of set 'fixed' (line 12) written the other way round"),
    ("species table without rows", {}, {"species": (SPECIES[SPECIES.index("\nO,") + 1:], "")}, "the species table has a header but no rows"),
    ("glass table is a folder", {"glasses.table": str(ROOT / "config")}, {}, str(ROOT / "config") + ": a folder, not a glass table file"),
    ("start set among the initial sets", {"potential.initial_sets": ["wang2018"]}, {},
     "potential.initial_sets[0]: 'wang2018' is the start set (potential.start); iteration 0 would run it twice"),
    ("initial set listed twice", {"potential.initial_sets": ["yang2026_bo", "yang2026_bo"],
                                  "potential.tunable": [{"pair": p, "term": t, "bounds_rel": [-0.5, 0.5]} for p, t in
                                                        (("B-O", "A"), ("B-O", "rho"), ("B-O", "C"), ("B-B", "A"), ("B-B", "rho"))]},
     {}, "potential.initial_sets[1]: 'yang2026_bo' is listed before"),
]


def case_files(tmp_path: Path, changes: dict, tables: dict) -> Path:
    """The tiny campaign's config with the changes, and copies of its tables with the replacements; returns the config file."""
    texts = {"glasses": GLASSES, "species": SPECIES, "potential": POTENTIAL if "buckingham" not in str(tables) else WITH_FORMS}
    for name, (old, new) in tables.items():
        assert old in texts[name], (name, old)
        texts[name] = texts[name].replace(old, new, 1)
    paths = {}
    for name, text in texts.items():
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(text, encoding="utf-8", errors="surrogateescape")  # a lone surrogate writes a non-UTF-8 byte
    config = tiny(**{"glasses.table": str(paths["glasses"]), "potential.species": str(paths["species"]), "potential.table": str(paths["potential"])})
    config = changed(config, **{k: v for k, v in changes.items() if "." in k})
    config.update({k: v for k, v in changes.items() if "." not in k})
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def snakemake_dry_run(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(SNAKEMAKE), "-n", "--cores", "1", "--snakefile", str(ROOT / "Snakefile"), "--configfile", str(config)],
                          cwd=config.parent, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def dry_runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Every case's real `snakemake -n`, two at a time."""
    configs = {kind: case_files(tmp_path_factory.mktemp("bad"), changes, tables) for kind, changes, tables, _ in CASES}
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(configs, pool.map(snakemake_dry_run, configs.values())))


@pytest.mark.workflow
@pytest.mark.parametrize("kind, changes, tables, fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_in_check_and_in_the_workflow(kind, changes, tables, fragment, tmp_path, capsys, dry_runs):
    config = case_files(tmp_path, changes, tables)
    assert cli.main(["check", "--configfile", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("glassfit: ") and fragment in err, err
    dry = dry_runs[kind]
    assert dry.returncode != 0 and "Traceback" not in dry.stderr, dry.stderr[-2000:]
    lines = [line for line in dry.stderr.splitlines() if line.startswith("glassfit: ")]
    assert len(lines) == 1 and fragment in lines[0], dry.stderr[-2000:]


@pytest.mark.parametrize("kind, changes, tables, fragment", CHECK_ONLY, ids=[c[0] for c in CHECK_ONLY])
def test_bad_input_is_one_line_in_check(kind, changes, tables, fragment, tmp_path, capsys):
    config = case_files(tmp_path, changes, tables)
    assert cli.main(["check", "--configfile", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("glassfit: ") and fragment in err, err


@pytest.mark.parametrize("content, fragment", [
    (None, "not a file"),
    (b"campaign: x\n\xff\xfe: 1\n", "not UTF-8 text (byte 12"),
    (b"- a\n- b\n", "the config must be a mapping of keys"),
    (b"campaign: x\nseed: [1\n", "line 3, column 1: not valid YAML"),
    ("missing", "config file not found"),
])
def test_a_broken_config_file_is_one_line(content, fragment, tmp_path, capsys):
    """Snakemake reads --configfile before glassfit's code runs (its own message for these); glassfit check names the line."""
    path = tmp_path / "config.yaml"
    if content is None:
        path.mkdir()
    elif content != "missing":
        path.write_bytes(content)
    assert cli.main(["check", "--configfile", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"glassfit: {path}: ") and fragment in err, err
