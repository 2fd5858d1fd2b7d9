"""Generate hardware from an integer IR (hls4ml-style: IR → graph → passes → backend).

Writes a project folder atomically: project.json (the manifest), model.sdmfir (the IR),
interface.json (the device interface), report.json, report.md and the backend's files
(RTL: rtl/, mem/, filelist.f, scripts/). `sdmf sim --project DIR` simulates a project
generated with --trace --counters. Per-layer parallelism is balanced to the bottleneck
by default; pin a cycle target with --target-cycles, a lane budget with --budget, or
single layers with --par LAYER:PO=4,PI=2. Optionally synthesizes with Yosys
(--synth xc7|xcup [--synth-mode units]). --design FILE regenerates a design pinned as
data (the IR, every layer's knobs and memory placements, the stream options; the measured
designs of docs/hardware-results.md are in benchmarks/calibration/).

--clock-mhz is the design's programmable-logic clock: the Vivado scripts ask the PS for
it (and refuse a PS that cannot make it), interface.json and project.json record it, and
the img/s printed here is at it. Default: the --board's (pynq_z2 100 MHz, kv260 250 MHz;
sdmf.device.blockdesign), 250 MHz without --board.

--widths architecture sizes the datapath from the IR's architecture (declared weight bits
× fan-in) so that every weight set with the same masks gives the same RTL; with --params
loaded one bitstream then serves them all: --params-for PROJECT writes another IR's
interface.json and params.bin for PROJECT's bitstream, or refuses when its design hash
differs (docs/params.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sdmf.device.blockdesign import DEFAULT_CLOCK_MHZ, PL_CLOCK_MHZ, default_clock_mhz
from sdmf.device.regmap import COUNTER_BASE, COUNTER_STRIDE
from sdmf.quant.ir import IntegerIR, IRError

from .argtypes import existing_file, mem_placement, out_dir, positive_float
from .common import CliError, emit, format_table
from .datasets import add_data_args
from .plan import add_plan_args, plan_from_args, plan_options_given
from .synth import summary

HELP = "generate the hardware project (RTL, memories, scripts, report) of an IR"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ir", type=existing_file, default=None,
                        help="IR file from `sdmf quantize` (required unless --design names it)")
    parser.add_argument("--design", type=existing_file, default=None, metavar="FILE",
                        help="generate the design pinned in FILE (JSON: the IR, every "
                             "layer's knobs, memory placements and stream options; "
                             "sdmf.hw.design), e.g. benchmarks/calibration/kv260n.json; "
                             "--ir replaces its IR; planner and project options are refused")
    parser.add_argument("--out", required=True, type=out_dir, help="project folder to write")
    parser.add_argument("--backend", default="rtl", help="code generator (default rtl)")
    parser.add_argument("--trace", action="store_true",
                        help="add simulation-only stream monitors (`ifdef SDMF_TRACE); "
                             "`sdmf sim --project` needs them and --counters")
    parser.add_argument("--counters", action="store_true",
                        help="per-layer busy counters readable over AXI4-Lite "
                             f"({COUNTER_BASE:#x} + {COUNTER_STRIDE}·i); --fit-board counts "
                             "their read multiplexer among the top level's LUTs")
    parser.add_argument("--params", choices=["rom", "loaded"], default="rom",
                        help="parameter memories: ROMs initialised from mem/*.mem (default), "
                             "or RAMs the host loads through the input stream at start-up "
                             "(params.bin beside interface.json; docs/params.md)")
    parser.add_argument("--widths", choices=["weights", "architecture"], default="weights",
                        help="datapath widths from the IR's own bounds (default), or from "
                             "the worst case of its architecture (declared weight bits × "
                             "fan-in): every weight set with the same masks then generates "
                             "the same RTL (docs/params.md)")
    parser.add_argument("--params-for", type=Path, default=None, metavar="PROJECT",
                        help="do not generate: plan --ir with the options and knobs of "
                             "PROJECT (--params loaded) and write its interface.json, "
                             "params.bin and model.sdmfir for PROJECT's bitstream into --out; "
                             "refused when the design hash differs")
    add_plan_args(parser)
    add_data_args(parser)
    parser.add_argument("--synth", choices=["xc7", "xcup"], action="append", default=[],
                        help="also run Yosys synth_xilinx for this family (repeatable)")
    parser.add_argument("--synth-mode", choices=["flat", "units"], default="flat",
                        help="with --synth: one flattened run, or per unit summed (see "
                             "`sdmf synth --help`)")
    defaults = ", ".join(f"{b} {mhz:g}" for b, mhz in PL_CLOCK_MHZ.items())
    parser.add_argument("--board", choices=list(PL_CLOCK_MHZ), default=None,
                        help=f"the board the design is for: sets the default --clock-mhz "
                             f"({defaults})")
    parser.add_argument("--fit-board", action="store_true",
                        help="with --board: choose every layer's knobs (PK = 3 included) and "
                             "the parameter memories' placement (BRAM, URAM, LUTRAM) for the "
                             "fewest bottleneck cycles that fit the board by the calibrated "
                             "resource model (LUT <= --lut-limit, the rest within the "
                             "part); prints the predicted utilisation and the binding resource")
    parser.add_argument("--lut-limit", type=float, default=None, metavar="FRACTION",
                        help="with --fit-board: the planner's LUT limit as a fraction of the "
                             "part (default 0.85); lower it to leave margin for the resource "
                             "model's error")
    parser.add_argument("--mem", action="append", default=[], type=mem_placement,
                        metavar="LAYER:ROLE=STYLE",
                        help="pin a parameter memory's placement: auto, bram, uram (--params "
                             "loaded only), lutram; e.g. blocks.0.mlp.fc1:weight=uram "
                             "(repeatable)")
    parser.add_argument("--clock-mhz", type=positive_float, default=None,
                        help="the PL clock of the design (MHz): the Vivado scripts set it, "
                             "interface.json records it, img/s are at it (default: the "
                             f"--board's, {DEFAULT_CLOCK_MHZ:g} without --board)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args: argparse.Namespace) -> int:
    from sdmf.hw.flow import generate
    from sdmf.hw.graph import GraphError
    from sdmf.hw.synth import SynthError, synthesize

    if args.design is not None:
        ir, kwargs = _design_kwargs(args)
    else:
        if args.ir is None:
            raise CliError("give the IR: --ir IR (or a design file: --design FILE)")
        ir = _load_ir(args.ir)
        if args.params_for is not None:
            return _params_for(args, ir)
        kwargs = _option_kwargs(args, ir)
    clock = kwargs["clock_mhz"]
    try:
        report = generate(ir, args.out, **kwargs)
    except (GraphError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    except OSError as exc:
        raise CliError(f"cannot write the project to {args.out}: {exc}") from exc
    synth: dict[str, Any] = {}
    for fam in args.synth:
        try:
            synth[fam] = synthesize(
                args.out, fam, mode=args.synth_mode,
                status=lambda msg: print(f"sdmf hwgen: {msg}", file=sys.stderr, flush=True))
        except (SynthError, OSError) as exc:
            raise CliError(str(exc)) from exc
    interval = report["info"]["cycles"]["interval"]
    rate = {"clock_mhz": clock, "img_per_s": clock * 1e6 / interval if interval else None}
    result = {"project": str(args.out), "board": kwargs.get("board"), "throughput": rate,
              "report": report, "synth": synth}
    emit(result, args.json, _text(args.out, report, synth, rate))
    return 0


def _load_ir(path: Path) -> IntegerIR:
    try:
        return IntegerIR.load(path)
    except (FileNotFoundError, IRError) as exc:
        raise CliError(str(exc)) from exc


def _option_kwargs(args: argparse.Namespace, ir: IntegerIR) -> dict[str, Any]:
    """generate()'s keyword arguments from the command line's options."""
    if args.fit_board and args.board is None:
        raise CliError("--fit-board needs --board pynq_z2|kv260")
    if args.lut_limit is not None and not args.fit_board:
        raise CliError("--lut-limit is board planning's LUT limit: it needs --fit-board")
    lut = {} if args.lut_limit is None else {"lut_limit": args.lut_limit}
    placement: dict[str, dict[str, str]] = {}
    for layer, role, style in args.mem:
        placement.setdefault(layer, {})[role] = style
    clock = args.clock_mhz if args.clock_mhz is not None else default_clock_mhz(args.board)
    return {"backend": args.backend, "trace": args.trace, "counters": args.counters,
            "clock_mhz": clock, "board": args.board, "params": args.params,
            "widths": args.widths, "fit_board": args.fit_board, "placement": placement,
            **lut, **plan_from_args(args, ir)}


def _design_kwargs(args: argparse.Namespace) -> tuple[IntegerIR, dict[str, Any]]:
    """``--design FILE``: its IR (or --ir) and generate()'s keyword arguments from it."""
    from sdmf.hw.design import DesignError, load_design

    own = _project_options(args) + (["--params-for"] if args.params_for else [])
    if own:
        raise CliError(f"--design takes the design's options from {args.design}; "
                       f"drop {', '.join(own)}")
    try:
        design = load_design(args.design)
    except DesignError as exc:
        raise CliError(str(exc)) from exc
    kwargs = dict(design.generate)
    if kwargs.get("clock_mhz") is None:
        kwargs["clock_mhz"] = default_clock_mhz(kwargs.get("board"))
    return _load_ir(args.ir or design.model), kwargs


def _project_options(args: argparse.Namespace) -> list[str]:
    """The project and planner options set on the command line."""
    return [flag for flag, on in (
        ("--trace", args.trace), ("--counters", args.counters),
        ("--params", args.params != "rom"), ("--widths", args.widths != "weights"),
        ("--board", args.board is not None),
        ("--clock-mhz", args.clock_mhz is not None), ("--backend", args.backend != "rtl"),
        ("--fit-board", args.fit_board), ("--mem", bool(args.mem)),
        ("--lut-limit", args.lut_limit is not None))
        if on] + plan_options_given(args)


def _params_for(args: argparse.Namespace, ir: IntegerIR) -> int:
    """``--params-for PROJECT``: B's parameters for A's bitstream (sdmf.hw.paramsfor)."""
    from sdmf.hw.graph import GraphError
    from sdmf.hw.paramsfor import params_for
    from sdmf.hw.project import ProjectError

    own = _project_options(args) + (["--synth"] if args.synth else [])
    if own:
        raise CliError(f"--params-for takes every option from {args.params_for}/project.json; "
                       f"drop {', '.join(own)}")
    try:
        result = params_for(args.params_for, ir, args.out, source=str(args.ir))
    except (ProjectError, GraphError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc}") from exc
    p = result["params"]
    emit(result, args.json,
         f"{args.out}: parameters of IR {result['ir_hash'][:12]} for the bitstream of "
         f"{args.params_for} (design {result['design_hash'][:12]}): {p['file']}, "
         f"{p['beats']:,} beats, CRC-32 {p['crc32']:#010x}")
    return 0


def _text(out: Path, report: dict[str, Any], synth: dict[str, Any],
          rate: dict[str, Any]) -> str:
    info = report["info"]
    rows = [[lay["name"], lay["kind"], lay["parallel"].get("PO", ""),
             lay["parallel"].get("PI", ""), lay["parallel"].get("PK", ""), lay["memory_bits"],
             lay["cycles"] or 0]
            for lay in report["layers"]]
    lines = [f"{out}: {report['backend']} project of {info['model']} "
             f"(IR {info['ir_hash'][:12]})",
             format_table(["layer", "kind", "PO", "PI", "PK", "mem bits", "cycles"], rows),
             f"interval {info['cycles']['interval']:,} cycles "
             f"({_interval_source(info, report['backend'])}): "
             f"{rate['img_per_s'] or 0:,.1f} img/s at "
             f"{rate['clock_mhz']:g} MHz (the PL clock of the Vivado scripts) with samples "
             "overlapped; "
             f"{info['parallelism']['lanes']} lanes, {info['memory_bits']:,} memory bits"]
    if info["cycles"].get("activity"):
        lines.append(_activity_line(info["cycles"]["activity"], rate["clock_mhz"]))
    if info.get("board_plan"):
        lines.append(board_plan_text(info["board_plan"]))
    lines += [summary(out, r) for r in synth.values()]
    return "\n".join(lines)


def _activity_line(act: dict[str, Any], clock_mhz: float) -> str:
    """The design on its planning samples (``--plan-activity``)."""
    head = (f"planned on the activity of {act['samples']} training sample(s): slowest layer "
            f"{act['bottleneck']} {act['bottleneck_cycles']:,} cycles")
    if not act["intervals"]:
        return head
    lo, hi = min(act["intervals"]), max(act["intervals"])
    return (f"{head}; back-to-back intervals on them {lo:,} … {hi:,} cycles "
            f"(token recurrence) = {clock_mhz * 1e6 / hi:,.1f} … {clock_mhz * 1e6 / lo:,.1f} "
            "img/s; the interval above is the dense worst case")


def _interval_source(info: dict[str, Any], backend: str) -> str:
    """Where the quoted interval comes from, and the bottleneck bound beside it."""
    cyc = info["cycles"]
    bound = f"bottleneck {cyc['bottleneck']}: {cyc['bound']:,}"
    if cyc["interval_from"] == "recurrence":
        return f"token recurrence; {bound}"
    return (f"{bound} by the RTL units' cycle formulas — not a model of the {backend} "
            "design; its synthesis report gives its own interval")


def board_plan_text(bp: dict[str, Any]) -> str:
    """The board plan's predicted utilisation, verdict and binding resource."""
    util = ", ".join(f"{r} {v['used']:,}/{v['limit']:,} ({100 * v['fraction']:.0f} %)"
                     if v["fraction"] is not None else f"{r} {v['used']:,} (none on chip)"
                     for r, v in bp["utilisation"].items())
    if bp["fits"]:
        verdict = f"fits; {bp['binds']} binds"
        if bp["faster_target"] is not None:
            verdict += (f" (the next faster target, {bp['faster_target']:,} cycles, exceeds "
                        f"{bp['faster_exceeds']})")
    else:
        over = {r: v for r, v in bp["utilisation"].items()
                if v["fraction"] is None or v["fraction"] > 1.0}
        verdict = "NOTHING FITS; the smallest plan exceeds " + ", ".join(
            f"{r} by {v['used'] - v['limit']:,}" for r, v in over.items())
    fixed = bp.get("unplaced_memory") or {}
    return (f"board plan for {bp['board']} ({bp['family']}, resource model; LUT limit "
            f"{100 * bp['lut_limit']:.0f} %): {util} — {verdict}; memories the placement "
            f"does not move (line buffers, masks, output buffers, KV counters): BRAM18 "
            f"{fixed.get('BRAM18', 0):,}, LUT {fixed.get('LUT_MEM', 0):,}")
