"""``maxpool``: 3×3 / stride 2 / pad 1 OR pooling of spike words, one input beat per cycle.

Built from ``maxpool``. No knobs; ``WORD``: bits of one beat (``T/NB`` time steps of every
channel, ``NB`` beats per position); busy cycles per inference ``H · W · NB`` (one per
accepted beat).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..graph import HwGraph, HwLayer
from .base import Knobs, LayerKind, MemoryNeed

if TYPE_CHECKING:
    from sdmf.quant.opdefs import Op

    from ..graph import IrBuilder


class Maxpool(LayerKind):
    name = "maxpool"
    ops = ("maxpool",)
    compute = True

    def from_ir(self, op: Op, b: IrBuilder) -> None:
        s = b.specs[op.inputs[0]].shape
        o = b.specs[op.name].shape
        b.add(HwLayer(op.name, self.name, (op.name,), op.name, attrs={
            "H": int(s[2]), "W": int(s[3]), "HO": int(o[2]), "WO": int(o[3]),
            "C": int(s[1]), "T": b.T, "positions": int(s[2] * s[3])}), op.name)
        b.connect(op.inputs[0], op.name, "s")

    def assign_widths(self, graph: HwGraph, layer: HwLayer) -> None:
        (s,) = graph.inputs_of(layer.name)
        layer.widths = {"WORD": s.word_bits}            # one beat (SetBeats)

    def memory_needs(self, layer: HwLayer) -> list[MemoryNeed]:
        """The vertical partial ORs (``WO`` positions of ``NB`` beats) and, for NB > 1,
        the horizontal ones (``NB`` beats; one word is a register)."""
        nb, top = layer.attrs.get("NB", 1), (1 << layer.widths["WORD"]) - 1
        needs = [MemoryNeed("colbuf", layer.attrs["WO"] * nb, 0, top)]
        return [*needs, MemoryNeed("hpart", nb, 0, top)] if nb > 1 else needs

    def cycles(self, layer: HwLayer, knobs: Knobs) -> int:
        return layer.attrs["H"] * layer.attrs["W"] * layer.attrs.get("NB", 1)

    def capacity(self, layer: HwLayer) -> int:
        """The input positions of its first output position, counted in positions: with NB
        beats per position it holds fewer beats than that many positions (it stops after
        the closing beat of its first output beat), so a FIFO sized on it is never short."""
        return layer.attrs["W"] + 2
