"""Make `snakemake --profile local` and `--profile slurm` work as typed: link the repository's profiles into Snakemake's user profile folder.

Snakemake looks a profile name up in the working directory, then in the user's folder
(``$XDG_CONFIG_HOME/snakemake``, usually ``~/.config/snakemake``), then the site's (``/etc/xdg/snakemake``). Linking
``profiles/<name>`` there makes the short name work from any directory, and edits to the repository's profile apply
at once. A profile of that name that is not glassfit's is never touched: :func:`install` refuses instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: the repository's profiles, by the name users type
NAMES = ("local", "slurm")


class ProfileConflict(RuntimeError):
    """A different profile of the same name already exists in the user's folder."""


def user_dir() -> Path:
    """Snakemake's user profile folder (as Snakemake computes it: platformdirs' user config dir of 'snakemake')."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("snakemake", "snakemake"))


def install(target: Path | None = None, source: Path = ROOT / "profiles") -> list[str]:
    """Link every profile of ``source`` into ``target`` (default: :func:`user_dir`); returns what was done, one line each.

    Checks every name before linking any, so a conflict leaves the folder as it was.
    """
    target = target or user_dir()
    todo = []
    for name in NAMES:
        link, profile = target / name, (source / name).resolve()
        if link.is_symlink() and link.resolve() == profile:
            continue
        if link.exists() or link.is_symlink():
            raise ProfileConflict(
                f"{link} exists and is not glassfit's {name} profile ({profile}); glassfit leaves it alone: rename or remove it "
                f"to use the short name, or type --profile {profile}"
            )
        todo.append((link, profile))
    done = []
    for link, profile in todo:
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(profile, target_is_directory=True)
        done.append(f"linked {link} -> {profile}")
    return done or [f"glassfit's profiles are already linked in {target}"]


def main() -> int:
    try:
        for line in install():
            print(line)
    except ProfileConflict as error:
        print(f"glassfit: {error}", file=sys.stderr)
        return 1
    print(f"`snakemake --profile {' | '.join(NAMES)}` now works from any directory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
