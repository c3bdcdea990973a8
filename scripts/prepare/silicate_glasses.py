"""Rebuild config/silicate_glasses.csv: binary sodium silicate glasses with their density and Q^n from published data.

    python scripts/prepare/silicate_glasses.py [OUT]
    (needs amorphouspy 0.5.1 and StatMechGlass 0.1.5: pip install amorphouspy==0.5.1 pydantic plotly;
     pip install --no-deps StatMechGlass==0.1.5, whose declared dependency "sklearn" no longer installs)

Compositions: xNa2O-(100-x)SiO2 for x = 20, 25, 33.3 (fitted) and 40 (validation). Density: A. Fluegel's global
room-temperature density model (J. Am. Ceram. Soc. 90 [8] 2622-2635 (2007): a fit to the measured densities of
thousands of glasses), as amorphouspy 0.5.1 implements it (amorphouspy.structure.density.get_glass_density_from_model),
rounded to 4 decimals. Not a single measurement: the model's own scatter is the target's uncertainty.
Q4, Q3: the fractions of Si with four and three bridging oxygens from 29Si NMR, as StatMechGlass 0.1.5 (M. S. Bødker,
Oxide Glass Chemistry Group, Aalborg University) ships them in Data/SiO2/Na.csv (columns, per its README: Na2O mol %,
Q4 %, Q3 %, Q2 %, Q1 %, Q0 %); the package names no paper per row. Taken from the row of the same Na2O content.
"""
from __future__ import annotations

import csv
import sys
from importlib.resources import files
from pathlib import Path

from amorphouspy.structure.density import get_glass_density_from_model

ROOT = Path(__file__).resolve().parents[2]
GLASSES = [("NS20", 20.0, "fit"), ("NS25", 25.0, "fit"), ("NS33", 33.3, "fit"), ("NS40", 40.0, "validation")]
HEADER = """# Binary sodium silicate glasses (mol %). density_g_cm3: A. Fluegel's global density model (J. Am. Ceram. Soc. 90 [8]
# 2622-2635 (2007), fitted to measured densities), as amorphouspy 0.5.1 computes it (get_glass_density_from_model).
# Q4, Q3: fractions of Si with 4 and 3 bridging O from 29Si NMR, as StatMechGlass 0.1.5 (M. S. Bodker, Aalborg University)
# ships them in Data/SiO2/Na.csv (Na2O mol %, Q4..Q0 %; no paper named per row). Written by
# scripts/prepare/silicate_glasses.py. NS40 is validation only.
"""


def qn_rows() -> dict[float, list[float]]:
    """StatMechGlass's Na2O-SiO2 Q^n table: Na2O mol % -> [Q4, Q3, Q2, Q1, Q0] in %."""
    text = files("StatMechGlass").joinpath("Data/SiO2/Na.csv").read_text()
    return {float(row[0]): [float(v) for v in row[1:6]] for row in csv.reader(text.splitlines()) if row}


def table() -> str:
    qn = qn_rows()
    rows = []
    for gid, x, role in GLASSES:
        q4, q3 = (v / 100 for v in qn[x][:2])
        density = get_glass_density_from_model({"SiO2": (100 - x) / 100, "Na2O": x / 100})
        rows.append(f"{gid},{100 - x:g},{x:g},{density:.4f},{q4:g},{q3:g},{role}")
    return HEADER + "id,SiO2,Na2O,density_g_cm3,Q4,Q3,role\n" + "\n".join(rows) + "\n"


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "config/silicate_glasses.csv"
    out.write_text(table())
    print(f"wrote {out}")
