"""Build the bitstream of a generated project for a board (what `make bitstream` runs).

RTL project: Vivado runs scripts/vivado_<board>.tcl. HLS project: Vitis HLS runs
scripts/vitis_hls_<board>.tcl (C simulation, synthesis, cosimulation, IP export of the
core), then Vivado runs scripts/vivado_<board>.tcl (the same block design as the RTL flow
around the register shell and that IP). The outputs are PROJECT/vivado/<board>/sdmf.bit,
sdmf.hwh, clock_mhz.txt and design_id.txt, where `sdmf deploy` looks for them. Without
the tools on PATH: one line naming them and the generated project, exit status 2.
"""

from __future__ import annotations

import argparse

from sdmf.device.blockdesign import PL_CLOCK_MHZ

from .argtypes import existing_dir, positive_float
from .common import CliError

HELP = "build a project's bitstream with Vivado (and Vitis HLS for an HLS project)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", required=True, type=existing_dir,
                        help="project folder from `sdmf hwgen` (--backend rtl or hls)")
    parser.add_argument("--board", required=True, choices=list(PL_CLOCK_MHZ))
    parser.add_argument("--timeout-h", type=positive_float, default=24.0,
                        help="limit per tool run in hours (default 24)")


def run(args: argparse.Namespace) -> int:
    from sdmf.hw.bitstream import BitstreamError, build_bitstream
    from sdmf.hw.project import ProjectError

    try:
        note = build_bitstream(args.project, args.board, args.timeout_h * 3600,
                               echo=lambda msg: print(f"sdmf bitstream: {msg}", flush=True))
    except (BitstreamError, ProjectError) as exc:
        raise CliError(str(exc)) from exc
    print(f"sdmf bitstream: {note}")
    return 0
