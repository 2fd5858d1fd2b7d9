"""``fifo``: a first-word-fall-through FIFO of ``DEPTH`` words (inserted by SizeFifos)."""

from __future__ import annotations

from ..graph import HwGraph, HwLayer
from .base import LayerKind, MemoryNeed


class Fifo(LayerKind):
    name = "fifo"
    buffer = True

    @classmethod
    def make(cls, consumer: str, port: str, depth: int, positions: int,
             reason: str) -> HwLayer:
        """The FIFO in front of port ``port`` of layer ``consumer``."""
        return HwLayer(f"{consumer}.{port}_fifo", cls.name, attrs={
            "DEPTH": depth, "positions": positions, "reason": reason})

    def assign_widths(self, graph: HwGraph, layer: HwLayer) -> None:
        layer.widths = {"WORD": graph.inputs_of(layer.name)[0].word_bits}

    def memory_needs(self, layer: HwLayer) -> list[MemoryNeed]:
        """``DEPTH`` words of the stream (unsigned ``WORD`` bits each)."""
        return [MemoryNeed("buffer", layer.attrs["DEPTH"], 0,
                           (1 << layer.widths["WORD"]) - 1)]

    def describe(self, layer: HwLayer) -> str:
        return f"depth {layer.attrs['DEPTH']}"

    def capacity(self, layer: HwLayer) -> int:
        return layer.attrs["DEPTH"] + 1
