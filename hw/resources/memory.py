"""Memory packing: the block RAM, UltraRAM and distributed-RAM cost of one memory.

Rules (7-series UG473 / UltraScale+ UG573, UG574; the configurations Yosys's
``synth_xilinx`` maps to):

* **BRAM18** (18 Kb): aspect ratios 16K×1, 8K×2, 4K×4, 2K×9, 1K×18, 512×36 (simple dual
  port). A ``depth × width`` memory takes ``min over (d, w) of ⌈depth/d⌉·⌈width/w⌉``
  of them (a RAMB36 counts as two BRAM18, as in the synthesis report).
* **URAM** (288 Kb, UltraScale+ only): 4K×72 only: ``⌈depth/4096⌉·⌈width/72⌉``. No
  initial contents, so only runtime-loaded memories may use it.
* **LUTRAM** (simple dual port, the primitives Yosys uses): xc7 RAM64M (64 × 3 bits,
  4 LUTs) or RAM32M (32 × 6, 4 LUTs); xcup RAM64M8 (64 × 7, 8 LUTs) or RAM32M16 (32 × 14,
  8 LUTs; only for ≤ 32 words, as measured) — whichever takes fewer LUTs,
  ``⌈depth/d⌉·⌈width/w⌉`` primitives — plus the read
  multiplexer of a memory deeper than one primitive, ``width·⌈(banks − 1)/3⌉`` LUTs (a LUT6
  selects one of four).
* **Single-port LUTRAM** (read and written at one address): RAM64X1S, RAM128X1S,
  RAM256X1S — 64 bits per LUT, one bit column per primitive, banks of at most 256 words
  (``width·⌈depth/64⌉`` LUTs plus the bank multiplexer); Yosys takes it when cheaper than
  the simple-dual-port mapping (a deep, wide memory; the 16-deep ones stay RAM32M16).
* **ROM in LUTs** (a parameter memory of a ROM design placed ``lutram``, or small):
  logic, 64 words × 1 bit per LUT6 plus the bank multiplexer; one word is a constant.
* **auto** (no placement given): what Yosys's ``memory_libmap`` picks by itself — the
  cheaper by its cost table (``share/xilinx/lutrams_*.txt``, ``brams_xc4v.txt``): a LUTRAM
  primitive costs 8 (xc7) or 16 (xcup), a BRAM18 129 (the 3×3 line buffer of the shipped
  model's ``sps.0``, 96 × 64 bits, goes to 2 BRAM18, as Yosys puts it); a ROM, which the
  LUTRAM templates exclude (``prune_rom``), goes to logic when ``bits/72`` is below its
  block RAMs' cost (1/72 per bit lies inside the range the calibration units allow:
  144 × 1024 and 252 × 160 bits in logic, 576 × 1024, 936 × 160 and 1792 × 16 in BRAM,
  as Yosys maps them; a ROM in block RAM packs like a RAM, 192 × 1536 bits in 43 BRAM18).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..kinds import ceil_div

STYLES = ("auto", "bram", "uram", "lutram")
# the SystemVerilog ram_style value of each placement (Yosys and Vivado)
RAM_STYLE = {"auto": "auto", "bram": "block", "uram": "ultra", "lutram": "distributed"}
BRAM18_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
URAM_SHAPE = (4096, 72)


@dataclass(frozen=True)
class MemCost:
    """Primitives one memory takes: BRAM18, URAM and LUTs (as distributed RAM)."""

    BRAM18: int = 0
    URAM: int = 0
    LUT_MEM: int = 0

    def __add__(self, other: MemCost) -> MemCost:
        return MemCost(self.BRAM18 + other.BRAM18, self.URAM + other.URAM,
                       self.LUT_MEM + other.LUT_MEM)


def bram18(depth: int, width: int) -> int:
    """BRAM18 blocks of a ``depth × width`` memory (best aspect ratio)."""
    if depth <= 0 or width <= 0:
        return 0
    return min(ceil_div(depth, d) * ceil_div(width, w) for d, w in BRAM18_SHAPES)


def uram(depth: int, width: int) -> int:
    """URAM288 blocks of a ``depth × width`` memory (4K×72 each)."""
    if depth <= 0 or width <= 0:
        return 0
    return ceil_div(depth, URAM_SHAPE[0]) * ceil_div(width, URAM_SHAPE[1])


# simple-dual-port LUTRAM primitives per family: (depth, width, LUTs); Yosys's cost of one
LUTRAM_PRIMS = {"xc7": ((64, 3, 4), (32, 6, 4)), "xcup": ((64, 7, 8), (32, 14, 8))}
LUTRAM_COST = {"xc7": 8, "xcup": 16}
BRAM18_COST = 129
ROM_LOGIC_COST = 1 / 72      # per ROM bit in logic: fitted to where Yosys switches (below)


def _lutram_prims(depth: int, width: int, family: str) -> tuple[int, int, int]:
    """(primitives, LUTs, banks) of the cheapest LUTRAM mapping."""
    if family not in LUTRAM_PRIMS:
        raise ValueError(f"family must be one of {', '.join(LUTRAM_PRIMS)}, got {family!r}")
    opts = [(ceil_div(depth, d) * ceil_div(width, w), ceil_div(depth, d) * ceil_div(width, w) * n,
             ceil_div(depth, d)) for d, w, n in LUTRAM_PRIMS[family]
            if d == 64 or depth <= d]           # 32-deep primitives only for ≤ 32 words
    return min(opts, key=lambda o: o[1])


def lutram(depth: int, width: int, family: str = "xcup") -> int:
    """LUTs of a ``depth × width`` distributed RAM, read multiplexer included."""
    if depth <= 0 or width <= 0:
        return 0
    _, luts, banks = _lutram_prims(depth, width, family)
    return luts + width * ceil_div(banks - 1, 3)


def lutram_single_port(depth: int, width: int, family: str = "xcup") -> int:
    """LUTs of a ``depth × width`` LUT RAM read and written at one address: the cheaper of
    the single-port primitives (64 bits per LUT, banks of 256 words and their read
    multiplexer) and the simple-dual-port mapping (:func:`lutram`)."""
    if depth <= 0 or width <= 0:
        return 0
    banks = ceil_div(depth, 256)
    single = width * ceil_div(depth, 64) + width * ceil_div(banks - 1, 3)
    return min(single, lutram(depth, width, family))


def rom_logic(depth: int, width: int) -> int:
    """LUTs of a ROM mapped to logic: 64 words × 1 bit per LUT6 plus the bank multiplexer;
    a one-word ROM is a constant (no LUT)."""
    if depth <= 1 or width <= 0:
        return 0
    banks = ceil_div(depth, 64)
    return banks * width + width * ceil_div(banks - 1, 3)


def auto_style(depth: int, width: int, family: str = "xcup", rom: bool = False) -> str:
    """The placement Yosys chooses for a memory without a ``ram_style``, by cost: a RAM
    LUTRAM or block RAM; a ROM (which Yosys never maps to LUTRAM) logic or block RAM."""
    if rom:
        logic = depth * width * ROM_LOGIC_COST if depth > 1 else 0.0
        return "lutram" if logic < bram18(depth, width) * BRAM18_COST else "bram"
    prims = _lutram_prims(depth, width, family)[0]
    return "lutram" if prims * LUTRAM_COST[family] <= bram18(depth, width) * BRAM18_COST \
        else "bram"


def memory_cost(depth: int, width: int, style: str = "auto", family: str = "xcup",
                rom: bool = False) -> MemCost:
    """The primitives of one memory placed as ``style`` (``auto``: :func:`auto_style`);
    ``rom``: read-only (a ROM in LUTs is logic, :func:`rom_logic`)."""
    if style not in STYLES:
        raise ValueError(f"memory placement must be one of {', '.join(STYLES)}, got {style!r}")
    if depth <= 0 or width <= 0:
        return MemCost()
    if style == "auto":
        style = auto_style(depth, width, family, rom)
    if style == "bram":
        return MemCost(BRAM18=bram18(depth, width))
    if style == "uram":
        return MemCost(URAM=uram(depth, width))
    return MemCost(LUT_MEM=rom_logic(depth, width) if rom else lutram(depth, width, family))
