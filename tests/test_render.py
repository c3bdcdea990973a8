"""OVITO pictures of a real glass frame: written headless, of the requested size, boron coloured by coordination."""

from __future__ import annotations

import json

import numpy as np
import pytest

from glassfit.analysis.render import B3_RGB, B4_RGB, montage, render_run
from analysis_testdata import quick_glass_dump

pytestmark = pytest.mark.lammps


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A short 24B melt-quench (338 atoms): its properties.json and trajectory.dump, as a validation run leaves them."""
    path = tmp_path_factory.mktemp("render") / "glass.dump"
    quick_glass_dump(path, "24B", atoms=338, density_g_cm3=2.54, seed=3, cutoff_A=7.0, melt_ps=1.0, quench_ps=1.0,
                     n_frames=2, frame_every_ps=0.05)
    return path.parent / "glass_lammps" / "properties.json"


def _share(image: np.ndarray, rgb: tuple[float, float, float]) -> float:
    """Share of pixels whose hue is that of ``rgb`` (shading scales brightness, not the ratios of the channels)."""
    px = image[..., :3].reshape(-1, 3).astype(float)
    bright = px.max(1) > 0.25
    norm = px / np.maximum(px.max(1, keepdims=True), 1e-6)
    return float((bright & (np.abs(norm - np.asarray(rgb) / max(rgb)).max(1) < 0.12)).mean())


def test_pictures_show_b3_and_b4(run, tmp_path):
    import matplotlib.pyplot as plt

    ok = tmp_path / "24B.png"
    assert render_run(run, ok, b4_cutoff_A=1.8, size=(320, 240))
    image = plt.imread(ok)
    assert image.shape[:2] == (240, 320) and image[..., :3].std() > 0.05
    b3, b4 = _share(image, B3_RGB), _share(image, B4_RGB)
    assert b3 > 1e-3 and b4 > 1e-3  # the glass has both BO3 and BO4
    # a B-O cutoff below every bond: no boron is 3- or 4-fold, so neither colour remains
    none = plt.imread(render_run(run, tmp_path / "none.png", b4_cutoff_A=1.0, size=(320, 240)) and tmp_path / "none.png")
    assert _share(none, B3_RGB) < 0.1 * b3 and _share(none, B4_RGB) < 0.1 * b4
    failed = tmp_path / "failed" / "properties.json"
    failed.parent.mkdir()
    failed.write_text(json.dumps({"status": "failed", "reason": "volume diverged"}))
    assert not render_run(failed, tmp_path / "failed.png", b4_cutoff_A=1.8, size=(320, 240))
    m = montage({"24B": ok, "24B (failed)": tmp_path / "failed.png"}, tmp_path / "montage.png", title="best")
    assert plt.imread(m).shape[1] > 320
