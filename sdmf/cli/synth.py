"""Synthesize a generated project with Yosys (synth_xilinx) and report LUT/FF/BRAM/DSP.

Writes reports/yosys_<family>.txt (Yosys stat) and reports/synth_<family>.json in
the project folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import CliError, emit

HELP = "Yosys synthesis of a project from `sdmf hwgen` (resource report)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", required=True, type=Path, help="folder from `sdmf hwgen`")
    parser.add_argument("--family", choices=["xc7", "xcup"], action="append", default=None,
                        help="FPGA family (repeatable; default xc7)")
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    from sdmf.hw.synth import SynthError, synthesize

    results = {}
    for fam in args.family or ["xc7"]:
        try:
            results[fam] = synthesize(args.project, fam)
        except (SynthError, FileNotFoundError) as exc:
            raise CliError(str(exc)) from exc
    text = "\n".join(
        f"{args.project} {fam}: LUT {r['LUT']:,}  LUTRAM {r['LUTRAM']:,}  FF {r['FF']:,}  "
        f"BRAM18 {r['BRAM18']}  URAM {r['URAM']}  DSP {r['DSP']}  CARRY {r['CARRY']}  "
        f"({r['seconds']} s; reports/synth_{fam}.json)" for fam, r in results.items())
    emit(results, args.json, text)
    return 0
