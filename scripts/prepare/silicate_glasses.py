"""Rebuild config/silicate_glasses.csv: binary sodium silicate glasses with their density from a published model.

    python scripts/prepare/silicate_glasses.py [OUT]    (needs amorphouspy 0.5.1: pip install amorphouspy==0.5.1 pydantic plotly)

Compositions: xNa2O-(100-x)SiO2 for x = 20, 25, 33.3 (fitted) and 40 (validation). Density: A. Fluegel's global
room-temperature density model (J. Am. Ceram. Soc. 90 [8] 2622-2635 (2007): a fit to the measured densities of
thousands of glasses), as amorphouspy 0.5.1 implements it (amorphouspy.structure.density.get_glass_density_from_model),
rounded to 4 decimals. Not a single measurement: the model's own scatter is the target's uncertainty.
"""
from __future__ import annotations

import sys
from pathlib import Path

from amorphouspy.structure.density import get_glass_density_from_model

ROOT = Path(__file__).resolve().parents[2]
GLASSES = [("NS20", 20.0, "fit"), ("NS25", 25.0, "fit"), ("NS33", 33.3, "fit"), ("NS40", 40.0, "validation")]
HEADER = """# Binary sodium silicate glasses (mol %). density_g_cm3: A. Fluegel's global density model (J. Am. Ceram. Soc. 90 [8]
# 2622-2635 (2007), fitted to measured densities), as amorphouspy 0.5.1 computes it (get_glass_density_from_model); written
# by scripts/prepare/silicate_glasses.py. NS40 is validation only.
"""


def table() -> str:
    rows = [f"{gid},{100 - x:g},{x:g},{get_glass_density_from_model({'SiO2': (100 - x) / 100, 'Na2O': x / 100}):.4f},{role}" for gid, x, role in GLASSES]
    return HEADER + "id,SiO2,Na2O,density_g_cm3,role\n" + "\n".join(rows) + "\n"


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "config/silicate_glasses.csv"
    out.write_text(table())
    print(f"wrote {out}")
