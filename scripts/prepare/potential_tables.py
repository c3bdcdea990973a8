"""Rebuild the SHIK and PMMCS parameter tables of config/ from the package that ships them (lammps-tablegen 0.3.3).

    .venv/bin/python scripts/prepare/potential_tables.py [OUTDIR]     (default: config/)

Writes shik_potential.csv, shik_species.csv, pmmcs_potential.csv and pmmcs_species.csv. Coefficients and charges are
lammps-tablegen's (tablegen/constants.py: SHIK_COEFFS, SHIK_CHARGES, PMMCS_COEFFS, PMMCS_CHARGES), the Du group's
table generator for glass potentials; masses are the standard atomic weights of config/species.csv. No number here
is typed by hand: tests/test_shipped_tables.py rebuilds the tables and compares them with config/.
"""
from __future__ import annotations

import sys
from pathlib import Path

from tablegen import constants

ROOT = Path(__file__).resolve().parents[2]
VERSION = "lammps-tablegen 0.3.3"

SHIK_ELEMENTS = ["O", "Si", "B", "Na", "Ca"]  # the soda-lime borosilicates of config/glasses.csv, in config/species.csv's order
PMMCS_ELEMENTS = ["O", "Si", "Na"]  # sodium silicate glasses (config/silicate_glasses.csv)

SHIK_HEADER = f"""# SHIK potential (Buckingham + D/r^24, Wolf-truncated Coulomb, smoothed), LAMMPS metal units; form shik:
# E(r) = [A exp(-B r) - C/r^6 + D/r^24 (r < 8 A) + qi qj (1/r - 1/rc + (r - rc)/rc^2)] x exp(-gamma/(r - rc)^2), rc = 10 A.
# S. Sundararaman et al., J. Chem. Phys. 2018 (silica, doi:10.1063/1.5023707), 2019 (alkali and alkaline-earth
# aluminosilicates, doi:10.1063/1.5079663), 2020 (borates with mixed network formers, doi:10.1063/1.5142605); Y.-T. Shih et al.,
# J. Non-Cryst. Solids 2021 (alkaline-earth silicates and borates, doi:10.1016/j.jnoncrysol.2021.120853), as amorphouspy 0.5.1
# cites them. Numbers: {VERSION} (tablegen/constants.py, SHIK_COEFFS),
# written by scripts/prepare/potential_tables.py. Pairs of these elements that SHIK does not define (Na-Ca) are Coulomb only.
"""
SHIK_SPECIES_HEADER = f"""# Species of the SHIK potential: charges (e) from {VERSION} (SHIK_CHARGES); O is set per glass by neutrality
# (potential.charges.balance: O), so its cell is empty. Masses: standard atomic weights (IUPAC), as config/species.csv.
"""
PMMCS_HEADER = f"""# PMMCS potential (A. Pedone et al., J. Phys. Chem. B 2006, doi:10.1021/jp0611018), LAMMPS metal units; form morse_r12:
# E(r) = D0 [(1 - exp(-alpha (r - r0)))^2 - 1] + C12/r^12, plus qi qj/r with the partial charges of pmmcs_species.csv.
# Numbers: {VERSION} (tablegen/constants.py, PMMCS_COEFFS: D, a, r0, C), written by scripts/prepare/potential_tables.py.
# Cation-cation pairs are Coulomb only.
"""
PMMCS_SPECIES_HEADER = f"""# Species of the PMMCS potential: charges (e) from {VERSION} (PMMCS_CHARGES; 0.6 x formal charge). Masses: standard
# atomic weights (IUPAC), as config/species.csv.
"""


def masses() -> dict[str, str]:
    """Standard atomic weights as config/species.csv writes them."""
    rows = [line.split(",") for line in (ROOT / "config/species.csv").read_text().splitlines() if line and not line.startswith("#")]
    return {r[0]: r[2] for r in rows[1:]}


def pair_name(pair: str) -> str:
    """Cation first, O last (Si-O, not O-Si), as the other tables write pairs."""
    a, b = pair.split("-")
    return f"{b}-{a}" if a == "O" and b != "O" else pair


def tables() -> dict[str, str]:
    """File name -> content of the four tables."""
    m = masses()
    shik = [f"shik,{pair_name(p)},shik,{a!r},{b!r},{c!r},{d!r}" for p, (a, b, c, d) in constants.SHIK_COEFFS.items() if set(p.split("-")) <= set(SHIK_ELEMENTS)]
    pmmcs = [f"pedone2006,{pair_name(p)},morse_r12,{d!r},{a!r},{r0!r},{c!r}" for p, (d, a, r0, c) in constants.PMMCS_COEFFS.items()
             if set(p.split("-")) <= set(PMMCS_ELEMENTS)]
    return {
        "shik_potential.csv": SHIK_HEADER + "set,pair,form,A_eV,B_invA,C_eVA6,D_eVA24\n" + "\n".join(shik) + "\n",
        "shik_species.csv": SHIK_SPECIES_HEADER + "element,charge_e,mass_g_mol\n"
        + "".join(f"{el},{'' if el == 'O' else repr(constants.SHIK_CHARGES[el])},{m[el]}\n" for el in SHIK_ELEMENTS),
        "pmmcs_potential.csv": PMMCS_HEADER + "set,pair,form,D0_eV,alpha_invA,r0_A,C12_eVA12\n" + "\n".join(pmmcs) + "\n",
        "pmmcs_species.csv": PMMCS_SPECIES_HEADER + "element,charge_e,mass_g_mol\n"
        + "".join(f"{el},{constants.PMMCS_CHARGES[el]!r},{m[el]}\n" for el in PMMCS_ELEMENTS),
    }


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "config"
    for name, text in tables().items():
        (out / name).write_text(text)
        print(f"wrote {out / name}")
