"""RTL regression: at least a thousand input vectors through the generated hardware.

Runs the shipped IR's whole test split (the dataset recorded in the IR), random and
saturated event counts on the same design, and every adversarial case
(sdmf.sim.adversarial) with more inputs, in chunks on parallel processes. Every
vector is compared bit-exactly (every tap, the logits, the class) with the golden
model, every sample's busy cycles with the cycle model, and every chunk's pipelined
interval with the model's. Prints a table per suite and exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sdmf.quant.ir import IntegerIR, IRError

from .argtypes import existing_file, nonneg_int, out_file, positive_int
from .common import CliError, emit, format_table
from .datasets import add_data_args, dataset_for_ir

HELP = "RTL regression over >= 1,000 vectors (test split, random, saturated, adversarial)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ir", required=True, type=existing_file,
                        help="IR file of the main design")
    add_data_args(parser)
    parser.add_argument("--no-test-split", action="store_true",
                        help="skip the IR's dataset test split")
    parser.add_argument("--random", type=nonneg_int, default=250, metavar="N",
                        help="random count frames on the main design (default 250)")
    parser.add_argument("--saturated", type=nonneg_int, default=100, metavar="N",
                        help="frames with half the counts above the input width (default 100)")
    parser.add_argument("--adversarial", type=nonneg_int, default=24, metavar="N",
                        help="inputs per adversarial case (default 24; 0: no adversarial suite)")
    parser.add_argument("--chunk", type=positive_int, default=40,
                        help="samples per simulation run (default 40)")
    parser.add_argument("--jobs", type=positive_int, default=2, help="parallel simulations")
    parser.add_argument("--out", type=out_file, default=Path("build/regress/summary.json"),
                        help="JSON summary (default build/regress/summary.json)")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    import torch

    from sdmf.sim import regress

    try:
        ir = IntegerIR.load(args.ir)
    except (FileNotFoundError, IRError) as exc:
        raise CliError(str(exc)) from exc
    split = None
    if not args.no_test_split:
        dataset, _ = dataset_for_ir(args, ir.meta, "test")
        xs, ys = zip(*(dataset[i] for i in range(len(dataset))))
        split = (torch.stack([torch.as_tensor(v) for v in xs]).numpy(), [int(y) for y in ys])
    suites = regress.default_suites(ir, split, args.random, args.saturated, args.adversarial)
    if args.adversarial == 0:
        suites = [s for s in suites if not s.name.startswith("adversarial")]
    total = sum(len(s.x) for s in suites)
    say = (lambda _m: None) if args.no_progress else (
        lambda m: print(f"sdmf regress: {m}", file=sys.stderr, flush=True))
    say(f"{total} vectors in {len(suites)} suites, {args.jobs} parallel simulations")
    t0 = time.perf_counter()
    results = regress.run(suites, jobs=args.jobs, chunk=args.chunk, progress=say)
    wall = time.perf_counter() - t0
    regress.save(results, args.out, wall)
    ok = all(r.ok for r in results)
    rows = regress.summary_rows(results)
    table = format_table(["suite", "vectors", "bit-exact", "cycles exact", "intervals exact",
                          "interval", "accuracy", "ok"], rows)
    failures = [f"  {r.name}: {f}" for r in results for f in r.failures[:5]]
    text = (f"{table}\n\n{sum(r.vectors for r in results)} vectors, "
            f"{sum(r.bit_exact for r in results)} bit-exact, "
            f"{sum(r.cycles_exact for r in results)} with every layer's busy cycles = model; "
            f"wall {wall / 60:.1f} min; {'PASS' if ok else 'FAIL'} ({args.out})"
            + ("\n" + "\n".join(failures) if failures else ""))
    emit({"ok": ok, "wall_seconds": wall, "summary": str(args.out),
          "suites": [dict(zip(["suite", "vectors", "bit_exact", "cycles_exact", "intervals",
                               "interval", "accuracy", "ok"], r)) for r in rows]},
         args.json, text)
    return 0 if ok else 1
