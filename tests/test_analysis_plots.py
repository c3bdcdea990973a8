"""Plot functions draw files from suite-shaped data (synthetic tables; content is not checked)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from glassfit.analysis import plots


def test_all_plots_write_files(tmp_path):
    r = np.linspace(0.01, 8, 400)
    pdf = pd.DataFrame({"r_A": r, **{f"g_{p}": np.exp(-((r - 1.6) ** 2) / 0.01) + 1 for p in ("Si-O", "B-O", "Na-O", "Ca-O")}})
    ang = np.arange(0.5, 180, 1.0)
    angles = pd.DataFrame({"angle_deg": ang, **{f"{k}_pdf_per_deg": np.exp(-((ang - 110) ** 2) / 50) / 12.5
                                               for k in ("O-Si-O", "O-BIII-O", "O-BIV-O", "X-O-X")}})
    q = np.linspace(0.3, 20, 200)
    sq = pd.DataFrame({"Q_inv_A": q, "S_neutron_mean": 1 + np.sin(q) / q, "S_xray_mean": 1 + np.cos(q) / q})
    rings = {"size": list(range(2, 13)), "fraction": list(np.full(11, 1 / 11))}
    out = [
        plots.plot_partial_pdfs({"0B": pdf, "24B": pdf}, tmp_path / "pdf.png"),
        plots.plot_bond_angles({"24B": angles}, tmp_path / "bad.png"),
        plots.plot_mean_angle_vs_b2o3([0, 12, 24], [145, 143, None], tmp_path / "xox.png", [1, 1, None]),
        plots.plot_ring_distribution({"24B": rings}, tmp_path / "rings.png"),
        plots.plot_mean_ring_size_vs_b2o3([0, 24], [6.5, 7.0], tmp_path / "ringsize.png"),
        plots.plot_structure_factor({"24B": sq}, tmp_path / "sq.png", "neutron",
                                    measured={"24B": pd.DataFrame({"Q_inv_A": q, "S": 1 + np.sin(q) / q})}),
        plots.plot_density_vs_angle([145, 143], [2.47, 2.54], [None, 0.6], ["0B", "24B"], tmp_path / "dens.png"),
    ]
    for p in out:
        assert p.exists() and p.stat().st_size > 1000
