"""Simulate generated hardware (Verilator + cocotb) against the golden model.

``--ir`` generates the IR's project with trace monitors and busy counters first;
``--project`` simulates a project folder from ``sdmf hwgen --trace --counters`` as it
is (its own ``model.sdmfir`` is the golden model). Builds it, streams N test samples
of the IR's dataset (or --random counts) through the RTL and compares, per sample,
the class, the logits and every layer tap bit-exactly with the golden model, and every
layer's measured busy cycles with the analytic cycle model (exactly, per sample). A
second pass runs the samples back to back (each started at its predecessor's
ap_ready) and measures the pipelined interval, which must equal the model's exactly.
With ``--event-driven`` the convolutions skip zero inputs: their busy cycles are compared
per sample with the cycle model of that sample's golden tensors. Every design's overlapped
pass is also compared done cycle by done cycle with the token-level recurrence
(sdmf.hw.timing) on the samples' golden tensors, which gives the interval of
data-dependent designs (docs/event-driven.md).
Exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import torch

from sdmf.quant.ir import IntegerIR, IRError

from .argtypes import existing_dir, existing_file, int_range, nonneg_int, out_dir, positive_int
from .common import CliError, emit, format_table
from .datasets import add_data_args, dataset_for_ir
from .plan import add_plan_args, plan_from_args, plan_options_given

HELP = "bit-exact RTL simulation of an IR's generated hardware (Verilator + cocotb)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--ir", type=existing_file,
                        help="IR file from `sdmf quantize`: generate its project, simulate it")
    source.add_argument("--project", type=existing_dir, metavar="DIR",
                        help="project from `sdmf hwgen --trace --counters`: simulate it as "
                             "generated (no planner options)")
    parser.add_argument("--samples", type=positive_int, default=4,
                        help="test samples to run (default 4)")
    add_data_args(parser)
    parser.add_argument("--random", action="store_true",
                        help="random event counts instead of dataset samples")
    parser.add_argument("--seed", type=nonneg_int, default=0,
                        help="seed of --random and of the TB")
    add_plan_args(parser)
    parser.add_argument("--params", choices=["rom", "loaded"], default="rom",
                        help="with --ir: ROM parameters (default) or runtime-loaded ones, "
                             "loaded through the input stream before the first sample "
                             "(docs/params.md); a --project is simulated as generated")
    parser.add_argument("--gaps", type=int_range(0, 255), nargs=2, default=(0, 0),
                        metavar=("IN", "OUT"),
                        help="random input bubbles / output back-pressure, 0..255 (of 256)")
    parser.add_argument("--no-overlap", action="store_true",
                        help="skip the second, pipelined pass (samples back to back)")
    parser.add_argument("--keep-build", type=out_dir, default=None, metavar="DIR",
                        help="keep (generated project,) Verilator build, run folder and "
                             "traces in DIR")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def _inputs(args: argparse.Namespace, ir: IntegerIR) -> tuple[torch.Tensor, list[int] | None,
                                                               dict[str, Any]]:
    if args.samples < 1:
        raise CliError("--samples must be >= 1")
    if args.random:
        g = torch.Generator().manual_seed(args.seed)
        x = torch.randint(0, 6, (args.samples, *ir.input_shape), generator=g)
        return x, None, {"name": "random"}
    dataset, info = dataset_for_ir(args, ir.meta, "test")
    n = min(args.samples, len(dataset))
    xs, ys = zip(*(dataset[i] for i in range(n)))
    return torch.stack([torch.as_tensor(v) for v in xs]), [int(y) for y in ys], info


def _load(args: argparse.Namespace) -> tuple[IntegerIR, str]:
    """The IR to compare with (``--ir``, or the project's copy) and its path."""
    from sdmf.hw.project import ProjectError
    from sdmf.sim.network import load_project

    try:
        if args.project is None:
            return IntegerIR.load(args.ir), str(args.ir)
        given = plan_options_given(args)
        if given:
            raise CliError(f"{', '.join(given)}: --project simulates the project as generated; "
                           "planner options apply to --ir")
        manifest, ir = load_project(args.project)
        return ir, str(args.project / manifest.ir)
    except (FileNotFoundError, IRError, ProjectError) as exc:
        raise CliError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    from sdmf.hw.graph import GraphError
    from sdmf.sim.network import ParamLoadError, simulate, simulate_project
    from sdmf.sim.runner import SimFailure, SimToolError

    if args.project is not None and args.params != "rom":
        raise CliError("--params: --project simulates the project as generated (its "
                       "interface.json says whether its parameters are loaded)")
    ir, ir_path = _load(args)
    x, labels, info = _inputs(args, ir)
    if not 0 <= min(args.gaps) <= max(args.gaps) <= 255:
        raise CliError("--gaps values must be in 0..255")
    build_dir = args.keep_build / "build" if args.keep_build else None
    common = {"work_dir": args.keep_build, "in_gap": args.gaps[0], "out_gap": args.gaps[1],
              "build_dir": build_dir, "seed": args.seed + 1, "overlap": not args.no_overlap,
              "status": lambda msg: print(f"sdmf sim: {msg}", file=sys.stderr, flush=True)}
    try:
        if args.project is None:
            rep = simulate(ir, x, labels, **plan_from_args(args, ir), params=args.params,
                           **common)
        else:
            rep = simulate_project(args.project, x, labels, **common)
    except (SimToolError, GraphError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    except SimFailure as exc:
        print(f"sdmf sim: testbench failure: {exc}")
        return 1
    except ParamLoadError as exc:
        print(f"sdmf sim: {exc}")
        return 1
    result = {"ir": ir_path, "dataset": info, **rep.to_dict()}
    emit(result, args.json, _text(rep))
    return 0 if rep.bit_exact and rep.cycles_ok else 1


def _text(rep: Any) -> str:
    rows = [[s.index, "" if s.label is None else s.label, s.golden_class,
             "-" if s.rtl_class is None else s.rtl_class, s.bit_exact, s.cycles,
             ", ".join(s.mismatched_taps) or ""] for s in rep.samples]
    table = format_table(["sample", "label", "golden", "RTL", "bit-exact", "cycles",
                          "mismatched taps"], rows)
    lrows = [[lay.name, lay.kind, lay.analytic if lay.expected is None else
              f"{_values(lay.expected)} (dense {lay.analytic:,})", _measured(lay),
              "" if lay.exact else "DIFFERS"] for lay in rep.layers]
    ltable = format_table(["layer", "kind", "analytic", "measured", ""], lrows)
    exact = sum(s.bit_exact for s in rep.samples)
    if not rep.interval_checked:
        verdict = "not checked (random gaps, one sample or no overlapped pass)"
    else:
        verdict = ("equal" if rep.interval_ok else "DIFFERENT") + \
            " (every done cycle of the pass against the token recurrence)"
    model = "" if rep.model_interval is None else \
        f"{rep.model_interval:,} by the recurrence of this pass, "
    kind = ("quoted (dense token recurrence, the worst case" if rep.data_dependent else
            "quoted (token recurrence") + f"; bottleneck bound {rep.interval_bound:,})"
    tp = rep.throughput
    rate = "" if tp is None else (
        f"; overlapped pass at {tp['clock_mhz']:g} MHz: mean interval "
        f"{tp['mean_interval']:,.0f} cycles = {tp['mean_img_s']:,.1f} img/s, slowest sample "
        f"{tp['slowest_interval']:,} cycles = {tp['slowest_img_s']:,.1f} img/s (measured)")
    return (f"{table}\n\n{ltable}\n\n"
            f"{exact}/{len(rep.samples)} samples bit-exact (class, logits and "
            f"{len(rep.compared_taps)} taps: {', '.join(rep.compared_taps)}); "
            f"busy cycles {'equal to' if all(lay.exact for lay in rep.layers) else 'DIFFER FROM'}"
            f" the model in every layer and sample; interval {rep.design_interval:,} cycles "
            f"{kind}, {model}{rep.pipelined_interval or 0:,} measured with samples overlapped: "
            f"{verdict}{rate}; build {rep.build_seconds:.0f} s"
            f"{'' if rep.built else ' (cached)'}, simulation {rep.sim_seconds:.0f} s")


def _values(values: list[int]) -> str:
    return ", ".join(f"{v:,}" for v in sorted(set(values)))


def _measured(lay: Any) -> str:
    """Distinct per-sample busy cycles, and the overlapped pass's average if it differs."""
    text = _values(lay.measured)
    n = len(lay.measured)
    if lay.overlapped is not None and lay.overlapped != sum(lay.model):
        text += f" (overlapped {lay.overlapped / n:,.1f})"
    return text
