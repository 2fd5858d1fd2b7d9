"""``fork``: broadcasts one stream to M consumers (inserted by InsertForks).

A transfer completes only when every consumer takes it; it holds one token.
"""

from __future__ import annotations

from ..graph import HwGraph, HwLayer
from .base import LayerKind


class Fork(LayerKind):
    name = "fork"
    fans_out = True

    @classmethod
    def make(cls, producer: str, outputs: int, positions: int) -> HwLayer:
        """The fork of layer ``producer``'s output stream, feeding ``outputs`` consumers."""
        return HwLayer(f"{producer}.fork", cls.name, attrs={"M": outputs,
                                                            "positions": positions})

    def assign_widths(self, graph: HwGraph, layer: HwLayer) -> None:
        layer.widths = {"WORD": graph.inputs_of(layer.name)[0].word_bits}

    def capacity(self, layer: HwLayer) -> int:
        return 1
