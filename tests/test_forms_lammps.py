"""Every pair form and electrostatics method, as glassfit renders them, against the published formulas evaluated here.

Two ions in a 30 Å periodic box: LAMMPS computes the energy and force at five distances from the potential lines
glassfit writes; the references below are written from the papers (Buckingham; Born-Mayer-Huggins in LAMMPS's
sign convention; PMMCS: Pedone et al. 2006; SHIK: Sundararaman et al. 2018-2020 with the smoothing of
lammps-tablegen, rendered as a table and held to glassfit.pairtable.ACCURACY; Wolf: Wolf et al. 1999, as LAMMPS
coul/wolf shifts it; DSF: Fennell and Gezelter 2006), not from glassfit's code. Long-range Coulomb is checked
against an Ewald sum of the periodic pair written here.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from glassfit import lammps, pairtable, potential
from glassfit.model import Electrostatics, PairTerm, Potential, Species

pytestmark = pytest.mark.lammps

K = 14.399645  # e^2/(4 pi eps0) in eV A: LAMMPS's qqr2e for units metal
BOX = 30.0
R = [1.45, 1.8, 2.3, 3.4, 5.9]  # A, all below the 8 A cutoff
Q = 1.2  # e: +Q on Si, -Q on O

#: published-looking coefficients per form (test inputs; the check is the formula, not the numbers)
TERMS = {
    "buckingham": {"A_eV": 206941.81, "rho_A": 0.124, "C_eVA6": 35.0018},
    "born_mayer_huggins": {"A_eV": 0.2, "rho_A": 0.29, "sigma_A": 2.6, "C_eVA6": 12.0, "D_eVA8": 6.0},
    "morse_r12": {"D0_eV": 0.340554, "alpha_invA": 2.0067, "r0_A": 2.1, "C12_eVA12": 1.0},
    "shik": {"A_eV": 23108.0, "B_invA": 5.0979, "C_eVA6": 139.70, "D_eVA24": 66.0},
}


def short_range(form: str, c: dict, r: np.ndarray) -> np.ndarray:
    """The published short-range energy (eV) of each form."""
    if form == "buckingham":
        return c["A_eV"] * np.exp(-r / c["rho_A"]) - c["C_eVA6"] / r**6
    if form == "born_mayer_huggins":
        return c["A_eV"] * np.exp((c["sigma_A"] - r) / c["rho_A"]) - c["C_eVA6"] / r**6 + c["D_eVA8"] / r**8
    if form == "morse_r12":
        return c["D0_eV"] * ((1 - np.exp(-c["alpha_invA"] * (r - c["r0_A"]))) ** 2 - 1) + c["C12_eVA12"] / r**12
    return c["A_eV"] * np.exp(-c["B_invA"] * r) - c["C_eVA6"] / r**6 + c["D_eVA24"] / r**24


def derivative(f, r: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """dF/dr by a fourth-order central difference (error ~h^4)."""
    return (-f(r + 2 * h) + 8 * f(r + h) - 8 * f(r - h) + f(r - 2 * h)) / (12 * h)


def ewald_pair(r: float, q1: float, q2: float, box: float, alpha: float = 0.35, kmax: int = 12, nmax: int = 3) -> float:
    """Ewald energy (eV) of two point charges in a cubic periodic box, atom 2 at +r along x (tinfoil boundary)."""
    from scipy.special import erfc

    pos = np.array([[0.0, 0.0, 0.0], [r, 0.0, 0.0]])
    q = np.array([q1, q2])
    shifts = (np.stack(np.meshgrid(*[np.arange(-nmax, nmax + 1)] * 3, indexing="ij"), -1).reshape(-1, 3)) * box
    real = 0.0
    for i in range(2):
        for j in range(2):
            d = np.linalg.norm(pos[j] - pos[i] + shifts, axis=1)
            d = d[d > 0]
            real += 0.5 * q[i] * q[j] * np.sum(erfc(alpha * d) / d)
    k = (np.stack(np.meshgrid(*[np.arange(-kmax, kmax + 1)] * 3, indexing="ij"), -1).reshape(-1, 3)) * 2 * np.pi / box
    k2 = np.einsum("ij,ij->i", k, k)
    k, k2 = k[k2 > 0], k2[k2 > 0]
    s = np.exp(1j * k @ pos.T) @ q
    recip = np.sum(2 * np.pi / box**3 * np.exp(-k2 / (4 * alpha**2)) / k2 * np.abs(s) ** 2)
    return K * (real + recip - alpha / math.sqrt(math.pi) * np.sum(q**2))


def coulomb(method: str, alpha: float, rc: float, qq: float, r: np.ndarray) -> np.ndarray:
    """The truncated Coulomb pair energy of Wolf (energy-shifted) and DSF (shifted force), eV."""
    from scipy.special import erfc

    direct = erfc(alpha * r) / r - erfc(alpha * rc) / rc
    if method == "wolf":
        return K * qq * direct
    slope = erfc(alpha * rc) / rc**2 + 2 * alpha / math.sqrt(math.pi) * math.exp(-(alpha**2) * rc**2) / rc
    return K * qq * (direct + (r - rc) * slope)


def wolf_force(alpha: float, rc: float, qq: float, r: np.ndarray) -> np.ndarray:
    """LAMMPS coul/wolf's force (Wolf et al.'s damped, force-shifted form; it is not minus the derivative of its energy)."""
    from scipy.special import erfc

    shifted = erfc(alpha * rc) / rc**2 + 2 * alpha / math.sqrt(math.pi) * math.exp(-(alpha**2) * rc**2) / rc
    return K * qq * (erfc(alpha * r) / r**2 + 2 * alpha / math.sqrt(math.pi) * np.exp(-(alpha**2) * r**2) / r - shifted)


def self_energy(method: str, alpha: float, rc: float, q: list[float]) -> float:
    """The per-atom self term LAMMPS adds (a constant: no force): -(e_shift/2 + alpha/sqrt(pi)) q^2.

    e_shift is the energy shift of the method: erfc(alpha rc)/rc for wolf; for dsf LAMMPS folds the shifted force's
    constant into it, erfc(alpha rc)/rc + rc x slope.
    """
    shift = math.erfc(alpha * rc) / rc
    if method == "dsf":
        shift += rc * (math.erfc(alpha * rc) / rc**2 + 2 * alpha / math.sqrt(math.pi) * math.exp(-(alpha**2) * rc**2) / rc)
    return -K * (shift / 2 + alpha / math.sqrt(math.pi)) * sum(x * x for x in q)


def make_potential(terms: dict[str, PairTerm], method: str, charge: float, alpha: float = 0.25, smoothing: float | None = None) -> Potential:
    e = Electrostatics(method, 8.0, accuracy=1e-8 if method in ("pppm", "ewald") else None, order=5 if method == "pppm" else None,
                       damping_invA=alpha if method in ("wolf", "dsf") else None)
    return Potential(species=(Species("O", -charge, 15.9994), Species("Si", charge, 28.0855)), sets={"test": terms}, start="test",
                     initial_sets=(), cutoff_A=8.0, electrostatics=e, charge_balance=None, smoothing_gamma_A2=smoothing,
                     species_table="-", table="-")


def lammps_pair(pot: Potential, workdir: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Potential energy and the force on atom 2 (Si at +r along x from O) at every distance of R, from LAMMPS."""
    q = {s.element: s.charge_e for s in pot.species}
    rendered = potential.render(pot, pot.complete_set("test"), q, ["O", "Si"])
    lines = rendered.lines
    workdir.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.files.items():
        (workdir / name).write_text(text)
    text = [
        "units metal", "atom_style charge", "atom_modify map array", "boundary p p p", f"region box block 0 {BOX} 0 {BOX} 0 {BOX}", "create_box 2 box",
        "create_atoms 1 single 5 15 15", "create_atoms 2 single 7 15 15", *lines,
        "thermo_style custom step pe", "variable fx equal fx[2]",
    ]
    for r in R:
        text += [f"set atom 2 x {5 + r!r}", "run 0", f'print "PAIR {r!r} $(pe:%.17g) $(v_fx:%.17g)"']
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "in.pair").write_text("\n".join(text) + "\n")
    code = lammps.run(lammps.find(), 1, "in.pair", workdir, log="log.pair")
    log = (workdir / "log.pair").read_text()
    assert code == 0, (workdir / "screen.txt").read_text()[-2000:]
    rows = [tuple(map(float, m.groups())) for m in re.finditer(r"^PAIR (\S+) (\S+) (\S+)$", log, re.M)]
    assert [r for r, _, _ in rows] == R
    return np.array([e for _, e, _ in rows]), np.array([f for _, _, f in rows]), lines


CASES = [(form, method, charge) for form in TERMS for method, charge in (("dsf", 0.0), ("pppm", Q), ("ewald", Q), ("wolf", Q), ("dsf", Q))]


@pytest.mark.parametrize("form, method, charge", CASES, ids=[f"{f}-{m}-{'coul' if q else 'nocoul'}" for f, m, q in CASES])
def test_pair_energy_and_force_equal_the_published_formula(form, method, charge, tmp_path):
    c = TERMS[form]
    pot = make_potential({"Si-O": PairTerm("Si-O", form, c)}, method, charge)
    energy, force, lines = lammps_pair(pot, tmp_path)
    r = np.array(R)
    qq, alpha, rc = -charge * charge, 0.25, 8.0
    sr = lambda x: short_range(form, c, x)  # noqa: E731
    tabulated = form == "shik"  # no native LAMMPS style: a table, held to its stated accuracy
    e_tol = pairtable.ACCURACY["energy_eV"] if tabulated else 1e-9
    f_rtol = pairtable.ACCURACY["force_relative"] if tabulated else 1e-6
    if method in ("pppm", "ewald"):
        coul = np.array([ewald_pair(x, -charge, charge, BOX) for x in R]) if charge else np.zeros(len(R))
        coul_force = -np.array([(ewald_pair(x + 1e-4, -charge, charge, BOX) - ewald_pair(x - 1e-4, -charge, charge, BOX)) / 2e-4 for x in R]) if charge else 0
        expected_e, expected_f = sr(r) + coul, -derivative(sr, r) + coul_force
        tol_e = max(e_tol, 2e-6 * np.abs(coul).max())  # Ewald at LAMMPS's 1e-8 accuracy
        assert np.allclose(energy, expected_e, rtol=1e-6, atol=tol_e)
        assert np.allclose(force, expected_f, rtol=f_rtol, atol=1e-4)
    else:
        expected_e = sr(r) + coulomb(method, alpha, rc, qq, r) + self_energy(method, alpha, rc, [charge, -charge])
        coul_f = wolf_force(alpha, rc, qq, r) if method == "wolf" else -derivative(lambda x: coulomb(method, alpha, rc, qq, x), r)
        expected_f = -derivative(sr, r) + coul_f
        assert np.allclose(energy, expected_e, rtol=1e-6, atol=e_tol)
        assert np.allclose(force, expected_f, rtol=f_rtol, atol=1e-7)
    fused = {"buckingham": "buck/coul/long", "born_mayer_huggins": "born/coul/long"}
    if method in ("pppm", "ewald") and form in fused:
        assert lines[0].startswith(f"pair_style {fused[form]} ")  # one fused loop where LAMMPS has one
    elif form in ("morse_r12", "shik"):
        assert lines[0].startswith("pair_style hybrid/overlay ")  # pedone / a table beside the Coulomb style
        assert ("table spline" in lines[0]) == tabulated


def test_forms_mix_in_one_potential(tmp_path):
    """A Buckingham Si-O beside a PMMCS O-O term: hybrid/overlay, and the Si-O pair still equals its formula."""
    terms = {"Si-O": PairTerm("Si-O", "buckingham", TERMS["buckingham"]), "O-O": PairTerm("O-O", "morse_r12", TERMS["morse_r12"])}
    pot = make_potential(terms, "dsf", Q)
    energy, force, lines = lammps_pair(pot, tmp_path)
    assert lines[0] == "pair_style hybrid/overlay coul/dsf 0.25 8 buck 8 pedone 8"
    r = np.array(R)
    sr = lambda x: short_range("buckingham", TERMS["buckingham"], x)  # noqa: E731
    expected = sr(r) + coulomb("dsf", 0.25, 8.0, -Q * Q, r) + self_energy("dsf", 0.25, 8.0, [Q, -Q])
    assert np.allclose(energy, expected, rtol=1e-6, atol=1e-9)
    assert np.allclose(force, -derivative(sr, r) - derivative(lambda x: coulomb("dsf", 0.25, 8.0, -Q * Q, x), r), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("charge", [0.0, Q], ids=["nocoul", "coul"])
def test_shik_with_its_smoothing_equals_the_tablegen_definition(charge, tmp_path):
    """SHIK as lammps-tablegen tabulates it: (short range below 8 A + q q [1/r - 1/rc + (r - rc)/rc^2]) exp(-gamma/(r - rc)^2)."""
    pot = make_potential({"Si-O": PairTerm("Si-O", "shik", TERMS["shik"])}, "dsf", charge, alpha=0.0, smoothing=0.2)
    pot = pot.__class__(**{**pot.__dict__, "electrostatics": Electrostatics("dsf", 10.0, damping_invA=0.0)})
    energy, force, lines = lammps_pair(pot, tmp_path)
    assert lines[0] == f"pair_style table {pairtable.STYLE} {pairtable.POINTS}"  # tabulated: every pair, Coulomb included
    rc, gamma = 10.0, 0.2

    def total(x):
        sr = np.where(x < 8.0, short_range("shik", TERMS["shik"], x), 0.0)
        wolf = K * (-charge * charge) * (1 / x - 1 / rc + (x - rc) / rc**2)
        return (sr + wolf) * np.exp(-gamma / (x - rc) ** 2)

    r = np.array(R)
    assert np.allclose(energy, total(r), rtol=0, atol=pairtable.ACCURACY["energy_eV"])
    assert np.allclose(force, -derivative(total, r), rtol=pairtable.ACCURACY["force_relative"], atol=pairtable.ACCURACY["force_relative"])


MADELUNG_NACL = 1.747564594633  # rock salt, referred to the nearest-neighbour distance


@pytest.mark.parametrize("method, damping, tolerance", [("pppm", None, 1e-5), ("ewald", None, 1e-5), ("wolf", 0.2, 2e-3), ("dsf", 0.2, 2e-3)])
def test_truncated_coulomb_reproduces_the_madelung_energy_of_rock_salt(method, damping, tolerance, tmp_path):
    """Rock salt (+-1 e, a = 5.64 A, 4x4x4 cells, 10 A cutoff): the lattice energy -M k/r0 per ion pair (M = 1.7475646).

    Ewald and PPPM reach it to their accuracy; Wolf and DSF (alpha 0.2/A) within 0.2 %, the accuracy Wolf et al.
    report for such a damping and cutoff. The self terms are part of the lattice energy here.
    """
    a, n = 5.64, 4
    base = [((0, 0, 0), 1), ((0.5, 0.5, 0), 1), ((0.5, 0, 0.5), 1), ((0, 0.5, 0.5), 1),
            ((0.5, 0, 0), 2), ((0, 0.5, 0), 2), ((0, 0, 0.5), 2), ((0.5, 0.5, 0.5), 2)]
    atoms = [(t, (np.array(f) + cell) * a) for cell in np.ndindex(n, n, n) for f, t in base]
    box = n * a
    lines = ["# rock salt", "", f"{len(atoms)} atoms", "2 atom types", "", f"0 {box} xlo xhi", f"0 {box} ylo yhi", f"0 {box} zlo zhi", "",
             "Atoms # charge", ""]
    lines += [f"{i + 1} {t} {1.0 if t == 1 else -1.0} {x:.10f} {y:.10f} {z:.10f}" for i, (t, (x, y, z)) in enumerate(atoms)]
    (tmp_path / "nacl.data").write_text("\n".join(lines) + "\n")
    e = Electrostatics(method, 10.0, accuracy=1e-6 if method in ("pppm", "ewald") else None, order=5 if method == "pppm" else None, damping_invA=damping)
    pot = Potential(species=(Species("Na", 1.0, 22.98977), Species("Cl", -1.0, 35.453)), sets={"none": {}}, start="none", initial_sets=(),
                    cutoff_A=10.0, electrostatics=e, charge_balance=None, smoothing_gamma_A2=None, species_table="-", table="-")
    rendered = potential.render(pot, {}, {"Na": 1.0, "Cl": -1.0}, ["Na", "Cl"]).lines
    (tmp_path / "in.nacl").write_text("\n".join(["units metal", "atom_style charge", "read_data nacl.data", *rendered, "thermo_style custom pe",
                                                 "run 0", 'print "PE $(pe:%.12g)"']) + "\n")
    assert lammps.run(lammps.find(), 1, "in.nacl", tmp_path, log="log.nacl") == 0, (tmp_path / "screen.txt").read_text()[-1500:]
    pe = float(re.search(r"^PE (\S+)$", (tmp_path / "log.nacl").read_text(), re.M).group(1))
    exact = -MADELUNG_NACL * K / (a / 2) * len(atoms) / 2
    assert pe == pytest.approx(exact, rel=tolerance)
    if method in ("wolf", "dsf"):
        assert abs(pe / exact - 1) > 1e-7  # truncated, not exact: the comparison has power
