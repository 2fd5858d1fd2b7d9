"""Out-of-context Yosys synthesis of one ``sdmf_conv_lif`` instance, alone, with random ROMs.

    python benchmarks/synth_conv_unit.py --out build/unit-q --family xcup \\
        K=1 H=1 W=64 CIN=256 COUT=256 T=16 IN_BITS=1 W_BITS=8 F=4 PO=26 PI=1 \\
        ACC_BITS=15 CUR_BITS=19

The unit is synthesized the way ``sdmf synth --mode units`` synthesizes each instance
(:func:`sdmf.hw.backends.rtl.scripts.yosys_unit_script`), with random 8-bit weights and
random biases / thresholds in the ROM layouts of docs/hardware.md (sizes matter here, not
values). ``--source`` synthesizes another copy of the unit (e.g. an older revision).
Prints the resource totals as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

from sdmf.hw.backends.rtl.scripts import yosys_unit_script
from sdmf.hw.synth import RESOURCES, parse_stat, run_yosys

LIB = Path(__file__).resolve().parents[1] / "hw" / "backends" / "rtl" / "library"


def rom_lines(rng: random.Random, lines: int, lanes: int, bits: int, lo: int, hi: int) -> str:
    """``lines`` hex words of ``lanes`` random values in [lo, hi], ``bits`` each."""
    digits = max(1, -(-lanes * bits // 4))
    out = []
    for _ in range(lines):
        word = 0
        for i in range(lanes):
            word |= (rng.randint(lo, hi) & ((1 << bits) - 1)) << (i * bits)
        out.append(f"{word:0{digits}x}\n")
    return "".join(out)


def write_roms(mem: Path, p: dict[str, int], seed: int = 1) -> None:
    """weights.mem, bias.mem and theta.mem of the instance ``p`` under ``mem``."""
    rng = random.Random(seed)
    pk, po, pi = p.get("PK", 1), p["PO"], p["PI"]
    groups = -(-p["COUT"] // po)
    steps = p["K"] * p["K"] * p["CIN"] // (pi * pk)
    wb, cur = p.get("W_BITS", 8), p["CUR_BITS"]
    wmax = (1 << (wb - 1)) - 1
    biases = groups * (p["H"] * p["W"] if p.get("BIAS_PER_TOKEN") else 1)
    (mem / "weights.mem").write_text(rom_lines(rng, max(1, groups * steps), pk * po * pi, wb,
                                               -wmax, wmax))
    (mem / "bias.mem").write_text(rom_lines(rng, biases, po, cur, -1000, 1000))
    (mem / "theta.mem").write_text(rom_lines(rng, groups, po, cur, 1, 1000))


def synth_unit(out: Path, family: str, p: dict[str, int], source: Path) -> dict:
    """Synthesize the instance ``p`` of ``source`` under ``out``; returns its resources."""
    (out / "mem").mkdir(parents=True, exist_ok=True)
    (out / "src").mkdir(exist_ok=True)
    shutil.copy(source, out / "src" / "sdmf_conv_lif.sv")
    write_roms(out / "mem", p)
    params = {k: str(v) for k, v in p.items()}
    params.update(WEIGHT_FILE='"weights.mem"', BIAS_FILE='"bias.mem"',
                  THETA_FILE='"theta.mem"')
    (out / "unit.ys").write_text(yosys_unit_script(["src/sdmf_conv_lif.sv"], "sdmf_conv_lif",
                                                   params, family, "stat.txt"))
    seconds = run_yosys(out, "unit.ys", out / "yosys.log")
    stat = parse_stat((out / "stat.txt").read_text())
    return {"params": p, "family": family, "seconds": round(seconds, 1),
            **{k: stat[k] for k in RESOURCES}, "cells": stat["cells"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="working folder (created)")
    ap.add_argument("--family", default="xcup", help="synth_xilinx family (xc7, xcup)")
    ap.add_argument("--source", type=Path, default=LIB / "sdmf_conv_lif.sv")
    ap.add_argument("params", nargs="+", help="unit parameters, NAME=integer")
    args = ap.parse_args()
    try:
        p = {k: int(v) for k, v in (a.split("=", 1) for a in args.params)}
    except ValueError:
        ap.error("parameters are NAME=integer")
    missing = {"K", "H", "W", "CIN", "COUT", "T", "PO", "PI", "CUR_BITS"} - set(p)
    if missing:
        ap.error(f"missing parameters: {', '.join(sorted(missing))}")
    print(json.dumps(synth_unit(args.out, args.family, p, args.source)))


if __name__ == "__main__":
    main()
