"""Pictures of glass structures: OVITO's Python API with its Tachyon software renderer (no GPU, no display).

Atoms are coloured by species, boron by its O coordination within the B4 cutoff (B3 blue, B4 orange,
other counts grey), so BO3/BO4 are told apart at a glance. OVITO is imported inside the functions: it is
heavy, and only the rendering jobs need it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from glassfit.trajectory import Frame, iter_dump

from .core import FrameContext, resolve_settings

#: RGB (0-1) per species; boron by coordination: B3_RGB, B4_RGB, B_OTHER_RGB
SPECIES_RGB: dict[str, tuple[float, float, float]] = {
    "O": (0.85, 0.12, 0.12), "Si": (0.93, 0.80, 0.45), "Na": (0.60, 0.35, 0.85), "Ca": (0.25, 0.75, 0.35),
    "P": (0.95, 0.55, 0.75), "Al": (0.65, 0.65, 0.70),
}
B3_RGB = (0.15, 0.35, 1.0)
B4_RGB = (1.0, 0.55, 0.0)
B_OTHER_RGB = (0.5, 0.5, 0.5)
RADIUS_A: dict[str, float] = {"O": 0.35, "Si": 0.55, "B": 0.55, "Na": 0.7, "Ca": 0.7}  # small O: the network formers show


def atom_colours(frame: Frame, elements: Sequence[str], b4_cutoff_A: float) -> tuple[np.ndarray, np.ndarray]:
    """Colour (N, 3) and radius (N,) of every atom: species colour, boron by its number of O within ``b4_cutoff_A``."""
    ctx = FrameContext(frame, elements, resolve_settings({}), b4_cutoff_A, None)
    symbols = ctx.symbols
    colours = np.array([SPECIES_RGB.get(s, (0.8, 0.8, 0.8)) for s in symbols], float)
    radii = np.array([RADIUS_A.get(s, 0.6) for s in symbols], float)
    if "B" in elements and "O" in elements:
        cn = np.bincount(ctx.bonds_between("B", "O", b4_cutoff_A).i, minlength=len(symbols))
        boron = symbols == "B"
        colours[boron] = B_OTHER_RGB
        colours[boron & (cn == 3)] = B3_RGB
        colours[boron & (cn == 4)] = B4_RGB
    return colours, radii


def ovito_data(frame: Frame, elements: Sequence[str], data=None):
    """One of our frames as an OVITO DataCollection (a new one, or ``data`` filled in, as a PythonSource gets it):
    periodic cell, wrapped positions, types named by element."""
    from ovito.data import DataCollection, ParticleType

    data = DataCollection() if data is None else data
    data.create_cell(np.column_stack([np.diag(frame.box_len), frame.box_lo]), pbc=(True, True, True))
    parts = data.create_particles(count=len(frame.types))
    parts.create_property("Position", data=np.mod(frame.positions - frame.box_lo, frame.box_len) + frame.box_lo)
    types = parts.create_property("Particle Type", data=frame.types)
    for k, element in enumerate(elements):
        types.types.append(ParticleType(id=k + 1, name=element))
    return data


def render_frame(frame: Frame, elements: Sequence[str], path: str | Path, b4_cutoff_A: float = 1.8, size: tuple[int, int] = (640, 480)) -> Path:
    """Render one frame (perspective view, box outline) to a PNG with OVITO's Tachyon renderer; written atomically."""
    from ovito.pipeline import Pipeline, StaticSource
    from ovito.vis import TachyonRenderer, Viewport

    colours, radii = atom_colours(frame, elements, b4_cutoff_A)
    data = ovito_data(frame, elements)
    data.particles_.create_property("Color", data=colours)
    data.particles_.create_property("Radius", data=radii)
    pipeline = Pipeline(source=StaticSource(data=data))
    pipeline.add_to_scene()
    try:
        viewport = Viewport(type=Viewport.Type.Perspective, camera_dir=(-1.0, -0.7, -0.55))
        viewport.zoom_all(size=size)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}.png")
        viewport.render_image(size=size, filename=str(tmp), background=(1.0, 1.0, 1.0), renderer=TachyonRenderer(ambient_occlusion=False))
        os.replace(tmp, path)
    finally:
        pipeline.remove_from_scene()
    return path


def last_frame(dump: str | Path) -> Frame:
    """The last frame of a LAMMPS dump: the final structure of a run."""
    frame = None
    for frame in iter_dump(dump):
        pass
    if frame is None:
        raise ValueError(f"{dump}: the trajectory has no frames")
    return frame


def render_run(properties_file: str | Path, path: str | Path, b4_cutoff_A: float, size: tuple[int, int] = (640, 480)) -> bool:
    """Picture of a run's final structure (trajectory.dump next to properties.json); a failed run gets a picture saying so."""
    from glassfit.files import read_json

    props = read_json(properties_file)
    if props["status"] == "ok":
        dump = Path(properties_file).parent / "trajectory.dump"
        render_frame(last_frame(dump), props["elements"], path, b4_cutoff_A, size)
        return True
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(size[0] / 100, size[1] / 100))
    fig.text(0.5, 0.5, f"no structure: the MD run failed\n({props.get('reason')})", ha="center", va="center", wrap=True)
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return False


def montage(pictures: Mapping[str, str | Path], path: str | Path, title: str = "") -> Path:
    """Pictures side by side, each titled by its key, with a colour legend; written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    n = len(pictures)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows + 0.6), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (label, picture) in zip(axes.flat, pictures.items()):
        ax.imshow(plt.imread(picture))
        ax.set_title(label)
    legend = [Patch(color=c, label=e) for e, c in SPECIES_RGB.items() if e in ("O", "Si", "Na", "Ca")]
    legend += [Patch(color=B3_RGB, label="B3"), Patch(color=B4_RGB, label="B4")]
    fig.legend(handles=legend, loc="lower center", ncol=len(legend), frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return path
