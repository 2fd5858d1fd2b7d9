"""Memory packing: the block RAM, UltraRAM and distributed-RAM cost of one memory.

Rules (7-series UG473 / UltraScale+ UG573, UG574; the configurations Yosys's
``synth_xilinx`` maps to):

* **BRAM18** (18 Kb): aspect ratios 16K×1, 8K×2, 4K×4, 2K×9, 1K×18, 512×36 (simple dual
  port). A ``depth × width`` memory takes ``min over (d, w) of ⌈depth/d⌉·⌈width/w⌉``
  of them (a RAMB36 counts as two BRAM18, as in the synthesis report).
* **URAM** (288 Kb, UltraScale+ only): 4K×72 only: ``⌈depth/4096⌉·⌈width/72⌉``. No
  initial contents, so only runtime-loaded memories may use it.
* **LUTRAM**: 64×1 per LUT (``⌈depth/64⌉·width`` LUTs), plus the read multiplexer of a
  memory deeper than 64 words, ``width·⌈(⌈depth/64⌉ − 1)/3⌉`` LUTs (a LUT6 selects one of
  four).
* **auto** (no placement given): what Yosys picks by itself for a memory, as measured on
  the unit library (docs/generator.md, "Resource model"): LUTRAM when the memory holds at
  most :data:`AUTO_LUTRAM_BITS` bits or is at most :data:`AUTO_LUTRAM_DEPTH` words deep,
  else block RAM.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..kinds import ceil_div

STYLES = ("auto", "bram", "uram", "lutram")
# the SystemVerilog ram_style value of each placement (Yosys and Vivado)
RAM_STYLE = {"auto": "auto", "bram": "block", "uram": "ultra", "lutram": "distributed"}
BRAM18_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
URAM_SHAPE = (4096, 72)
LUTRAM_DEPTH = 64
AUTO_LUTRAM_BITS = 1024
AUTO_LUTRAM_DEPTH = 32


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


def lutram(depth: int, width: int) -> int:
    """LUTs of a ``depth × width`` distributed RAM: 64×1 per LUT plus the read mux."""
    if depth <= 0 or width <= 0:
        return 0
    rows = ceil_div(depth, LUTRAM_DEPTH)
    return rows * width + width * ceil_div(rows - 1, 3)


def auto_style(depth: int, width: int) -> str:
    """The placement Yosys chooses for a memory without a ``ram_style`` (see module doc)."""
    if depth * width <= AUTO_LUTRAM_BITS or depth <= AUTO_LUTRAM_DEPTH:
        return "lutram"
    return "bram"


def memory_cost(depth: int, width: int, style: str = "auto") -> MemCost:
    """The primitives of one memory placed as ``style`` (``auto``: :func:`auto_style`)."""
    if style not in STYLES:
        raise ValueError(f"memory placement must be one of {', '.join(STYLES)}, got {style!r}")
    if style == "auto":
        style = auto_style(depth, width)
    if style == "bram":
        return MemCost(BRAM18=bram18(depth, width))
    if style == "uram":
        return MemCost(URAM=uram(depth, width))
    return MemCost(LUT_MEM=lutram(depth, width))
