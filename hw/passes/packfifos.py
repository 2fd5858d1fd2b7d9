"""PackFifos: FIFO words as sub-words, so that deep, wide FIFOs fill UltraRAM's 4K × 72.

A FIFO of ``DEPTH`` words of ``WORD`` bits in UltraRAM takes ``⌈DEPTH/4096⌉·⌈WORD/72⌉``
blocks: the frame FIFOs of a transformer block (2,048 × 512 bits in front of the
residual add, 1,024 × 169 in front of the attention) use a quarter to a half of each
block's depth. ``sdmf_fifo`` with ``SUB`` sub-words keeps a word as ``SUB`` entries of
``⌈WORD/SUB⌉`` bits (``DEPTH·SUB`` deep), at one word per ``SUB`` cycles on each side
(docs/hardware.md, ``sdmf_fifo``; the token recurrence times it exactly). For every FIFO
this pass picks the ``SUB`` ≤ :data:`MAX_SUB` with the fewest UltraRAM blocks (the
smallest on ties) where that is fewer than unpacked and the buffer is a block-RAM one
(small buffers stay LUT RAM); others keep ``SUB = 1``. Off by
default (``--pack-fifos``); runs after :class:`Decouple`.
"""

from __future__ import annotations

from ..graph import HwGraph
from ..kinds import ceil_div
from ..resources.memory import auto_style, uram
from .base import GraphPass

MAX_SUB = 8          # sub-words per word at most (one word per 8 cycles on each side)


def best_sub(depth: int, word: int) -> int:
    """The ``SUB`` with the fewest UltraRAM blocks for ``depth`` words of ``word`` bits
    (1 when packing saves none, or when the buffer is small enough for LUT RAM, where it
    stays: Yosys's own choice, :func:`sdmf.hw.resources.memory.auto_style`)."""
    if auto_style(depth, word, "xcup") == "lutram":
        return 1
    cost = {s: uram(depth * s, ceil_div(word, s)) for s in range(1, min(MAX_SUB, word) + 1)}
    best = min(cost, key=lambda s: (cost[s], s))
    return best if cost[best] < cost[1] else 1


class PackFifos(GraphPass):
    """Set ``attrs["SUB"]`` of the FIFOs packing helps (module docstring)."""

    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled

    def apply(self, graph: HwGraph) -> HwGraph:
        packed = {}
        if self.enabled:
            for lay in graph.layers.values():
                if not graph.spec(lay).buffer:
                    continue
                sub = best_sub(lay.attrs["DEPTH"], lay.widths["WORD"])
                if sub > 1:
                    lay.attrs["SUB"] = sub
                    packed[lay.name] = sub
        graph.info["pack_fifos"] = {"enabled": self.enabled, "packed": packed}
        return graph
