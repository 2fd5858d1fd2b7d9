"""Planner options shared by ``sdmf hwgen``, ``sdmf sim`` (and ``make … HW_ARGS``)."""

from __future__ import annotations

import argparse
from typing import Any

from sdmf.quant.ir import IntegerIR

from .argtypes import nonneg_int, positive_int
from .common import CliError


def add_plan_args(parser: argparse.ArgumentParser) -> None:
    """``--target-cycles | --budget``, ``--par`` (repeatable) and ``--row-parallel``."""
    group = parser.add_argument_group("parallelism plan (default: balanced)")
    plan = group.add_mutually_exclusive_group()
    plan.add_argument("--target-cycles", type=positive_int, default=None,
                      help="cycles per inference each layer must meet (default: balanced)")
    plan.add_argument("--budget", type=positive_int, default=None,
                      help="total parallel lanes (Σ PO·PI·PK); the fastest plan that fits")
    group.add_argument("--par", action="append", default=[], type=par_override,
                       metavar="LAYER:K=V[,K=V]",
                       help="pin a layer's knobs, e.g. sps.0:PO=4,PI=2,PK=3 (repeatable)")
    group.add_argument("--row-parallel", action="store_true",
                       help="let the planner give 3×3 convolutions PK=3 (all three kernel "
                            "rows per fan-in op): lifts the first convolution's throughput "
                            "ceiling, at more lanes")
    group.add_argument("--event-driven", nargs="?", const="chunks", default=None,
                       choices=tuple(EVENT_MODES), metavar="chunks|lanes",
                       help="event-driven convolutions: only fan-in ops on non-zero inputs "
                            "are visited, busy cycles depend on the data. 'chunks' (the "
                            "default): EV=1, one op per non-zero chunk of PI inputs; 'lanes': "
                            "EV=2 where allowed (PK=1, one-bit spikes; needs --params "
                            "loaded), every input lane its own weight bank and next spike; "
                            "docs/event-driven.md")
    group.add_argument("--word-beats", type=positive_int, default=1, metavar="NB",
                       help="beats per position word on every stream, a divisor of T "
                            "(default 1: all T time steps at once; T: one time step per "
                            "beat, the narrow streams of large designs; docs/hardware.md, "
                            "\"Narrow streams\")")
    group.add_argument("--decouple-rows", type=nonneg_int, default=0, metavar="R",
                       help="a FIFO of R input rows in front of every 3×3 convolution after "
                            "the first, so that event-driven layers whose activity peaks in "
                            "the same rows do not stall each other through their 3-row line "
                            "buffers (default 0: none; docs/generator.md, \"Passes\", "
                            "Decouple)")
    group.add_argument("--fork-fifo", type=nonneg_int, default=0, metavar="N",
                       dest="fork_tokens",
                       help="a FIFO of N tokens on every fork output into a compute unit "
                            "(q, k, v of a block), so that the fork's consumers do not wait "
                            "for the slowest of them on every token (default 0: none)")
    group.add_argument("--pack-fifos", action="store_true",
                       help="store every FIFO word as up to 8 sub-words where that takes "
                            "fewer UltraRAM blocks (deep, wide frame FIFOs fill 4K x 72); "
                            "one word per sub-word count of cycles on each side "
                            "(docs/generator.md, \"Passes\", PackFifos)")
    group.add_argument("--plan-activity", type=positive_int, default=None, metavar="N",
                       help="with --event-driven: size every layer for its busy cycles on "
                            "the slowest of the first N training samples of the IR's dataset "
                            "(the golden model's spikes), not the dense worst case; the "
                            "report adds the design's intervals on them "
                            "(docs/event-driven.md, \"Planning on activity\")")


EVENT_MODES = {"chunks": 1, "lanes": 2}     # --event-driven MODE: the EV it sets


def event_mode(args: argparse.Namespace) -> int:
    """``--event-driven``'s EV: 0 without the option, 1 (chunks) or 2 (lanes)."""
    return EVENT_MODES[args.event_driven] if args.event_driven else 0


def plan_from_args(args: argparse.Namespace, ir: IntegerIR) -> dict[str, Any]:
    """Keyword arguments of :func:`sdmf.hw.flow.generate` / ``simulate`` for the plan
    of ``ir`` (``--plan-activity`` runs its golden model on the planning samples)."""
    return {"target_cycles": args.target_cycles, "budget": args.budget,
            "overrides": parse_overrides(args.par), "row_parallel": args.row_parallel,
            "event_driven": event_mode(args), "activity": planning_activity(args, ir),
            "word_beats": args.word_beats, "decouple_rows": args.decouple_rows,
            "fork_tokens": args.fork_tokens, "pack_fifos": args.pack_fifos}


def planning_activity(args: argparse.Namespace, ir: IntegerIR) -> list[dict[str, Any]] | None:
    """``--plan-activity N``: the golden tensors (``{op: array}``) of the first N samples
    of the training split of the IR's dataset (planning never sees the test samples a
    simulation measures); None without the option."""
    n = args.plan_activity
    if n is None:
        return None
    if not args.event_driven:
        raise CliError("--plan-activity needs --event-driven: only event-driven "
                       "convolutions' busy cycles depend on the activity")
    return golden_taps(args, ir, "train", n, "--plan-activity")


def golden_taps(args: argparse.Namespace, ir: IntegerIR, split: str, n: int,
                option: str) -> list[dict[str, Any]]:
    """The golden tensors (``{op: array}``) of the first ``n`` samples of ``split`` of the
    IR's dataset (``option`` names the command-line option in the error)."""
    import torch

    from sdmf.quant.golden import GoldenModel

    from .datasets import dataset_for_ir

    dataset, _ = dataset_for_ir(args, ir.meta, split)
    if len(dataset) < n:
        raise CliError(f"{option} {n}: the {split} split has {len(dataset)} samples")
    x = torch.stack([torch.as_tensor(dataset[i][0]) for i in range(n)])
    golden = GoldenModel(ir)
    taps = golden.run(golden.to_counts(x), taps=True).taps
    return [{k: v[i].numpy() for k, v in taps.items()} for i in range(n)]


def plan_options_given(args: argparse.Namespace) -> list[str]:
    """The planner options set on the command line (for commands that refuse them)."""
    given = {"--target-cycles": args.target_cycles is not None,
             "--budget": args.budget is not None, "--par": bool(args.par),
             "--row-parallel": args.row_parallel,
             "--event-driven": args.event_driven is not None,
             "--plan-activity": args.plan_activity is not None,
             "--word-beats": args.word_beats != 1,
             "--decouple-rows": args.decouple_rows != 0, "--fork-fifo": args.fork_tokens != 0,
             "--pack-fifos": args.pack_fifos}
    return [name for name, on in given.items() if on]


def parse_overrides(items: list[str]) -> dict[str, dict[str, int]]:
    """``["sps.0:PO=4,PI=2"]`` → ``{"sps.0": {"PO": 4, "PI": 2}}``."""
    out: dict[str, dict[str, int]] = {}
    for item in items:
        layer, sep, knobs = item.rpartition(":")
        if not sep or not layer:
            raise CliError(f"--par {item!r}: expected LAYER:KNOB=VALUE[,KNOB=VALUE]")
        for kv in knobs.split(","):
            key, eq, value = kv.partition("=")
            if not eq or not value.strip().isdigit():
                raise CliError(f"--par {item!r}: {kv!r} is not KNOB=INTEGER")
            out.setdefault(layer, {})[key.strip().upper()] = int(value)
    return out


def par_override(text: str) -> str:
    """``--par`` checked at parse time (the text is kept; :func:`parse_overrides` reads it)."""
    try:
        parse_overrides([text])
    except CliError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text
