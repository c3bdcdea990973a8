"""The ``glassfit`` command: campaign status and the closing report of ``make demo``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from glassfit import config
from glassfit.status import format_status, status


def _status(args: argparse.Namespace) -> int:
    s = status(args.results)
    print(json.dumps(s, indent=2) if args.json else format_status(s))
    return 0


def _report(args: argparse.Namespace) -> int:
    """Status of the campaign a config file describes, and where its products are."""
    campaign = config.load(args.configfile)
    results = Path(campaign["results"])
    s = status(results)
    print(format_status(s))
    final = results / "final"
    if s["finished"]:
        print(f"\nresults: {results}/\n  summary: {final / 'summary.md'}")
        for f in sorted(final.rglob("*.png")):
            print(f"  plot:    {f}")
        print(f"  fitted potential (LAMMPS include file): {final / 'potential.lammps'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="glassfit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("status", help="iterations, MD runs done/failed/pending, best set so far")
    p.add_argument("results", help="the campaign's results folder, e.g. results/borosilicate")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_status)
    p = sub.add_parser("report", help="status and final products of the campaign of a config file")
    p.add_argument("--configfile", default="config/config.yaml")
    p.set_defaults(func=_report)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (config.ConfigError, FileNotFoundError) as e:
        print(f"glassfit: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
