"""Bundle a generated project for a board: bitstream and .hwh (when `make bitstream`
built them for this design), interface.json, the host wheel (numpy + the image's pynq),
run.py, a notebook and test vectors of the IR's test split with the golden model's
logits and classes. Writes OUT/<board>/ and OUT/sdmf-<board>.tar.gz (docs/board.md).

Without a bitstream of the project's design in PROJECT/vivado/<board>/ the bundle is
written all the same and says what is missing.
"""

from __future__ import annotations

import argparse
from typing import Any

from sdmf.device.blockdesign import PL_CLOCK_MHZ

from .argtypes import existing_dir, out_dir, positive_int
from .common import CliError, emit
from .datasets import add_data_args, dataset_for_ir

HELP = "bundle a project for a board: bitstream, interface, host wheel, run.py, vectors"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", required=True, choices=list(PL_CLOCK_MHZ))
    parser.add_argument("--project", required=True, type=existing_dir,
                        help="project folder from `sdmf hwgen` (make deploy: build/hw/project)")
    parser.add_argument("--out", required=True, type=out_dir,
                        help="writes OUT/<board>/ and OUT/sdmf-<board>.tar.gz")
    parser.add_argument("--samples", type=positive_int, default=100,
                        help="test samples to bundle (default 100)")
    add_data_args(parser)
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args: argparse.Namespace) -> int:
    from sdmf.deploy.bundle import DeployError, build_bundle, load_design
    from sdmf.deploy.wheel import WheelError

    try:
        _, _, ir = load_design(args.project.resolve())
    except DeployError as exc:
        raise CliError(str(exc)) from exc
    dataset, info = dataset_for_ir(args, ir.meta, "test")
    try:
        bundle = build_bundle(args.project, args.board, args.out, dataset, info, args.samples)
    except (DeployError, WheelError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    except OSError as exc:
        raise CliError(f"cannot write the bundle to {args.out}: {exc}") from exc
    emit(bundle.to_dict(), args.json, _text(bundle))
    return 0


def _text(b: Any) -> str:
    v, i = b.vectors, b.interface
    clock = (f"{b.clock_actual_mhz:g} MHz (the bitstream's; {b.clock_requested_mhz:g} "
             "requested)" if b.clock_actual_mhz else f"{b.clock_requested_mhz:g} MHz "
             "(requested; no bitstream to read the actual one from)")
    if b.project_board not in (None, b.board):
        clock += f"; the project was generated for {b.project_board}"
    rate = f"{b.img_per_s:,.1f} img/s" if b.img_per_s else "-"
    return "\n".join([
        f"{b.folder}: bundle of {i.model or 'the design'} (IR {i.ir_hash[:12]}) for {b.board}",
        f"  bitstream  {'sdmf.bit + sdmf.hwh: ' if b.bitstream else ''}{b.bitstream_note}",
        f"  clock      {clock}",
        f"  expected   {rate} at {b.clock_mhz:g} MHz (interval {i.interval_cycles or 0:,} "
        "cycles, samples overlapped)",
        f"  vectors    {v['samples']} test samples of {v['dataset']['name']} (golden accuracy "
        f"{100 * v['golden_accuracy']:.2f} %)",
        f"  wheel      {b.wheel} (numpy only; pynq from the board image)",
        f"  files      {', '.join(b.files)}",
        f"  tarball    {b.tarball}",
    ])
