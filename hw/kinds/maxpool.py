"""``maxpool``: 3×3 / stride 2 / pad 1 OR pooling of spike words, one input word per cycle.

Built from ``maxpool``. No knobs; busy cycles per inference ``H · W``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..graph import HwGraph, HwLayer
from .base import Knobs, LayerKind

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
        layer.widths = {"WORD": layer.attrs["T"] * layer.attrs["C"] * s.elem_bits}

    def cycles(self, layer: HwLayer, knobs: Knobs) -> int:
        return layer.attrs["H"] * layer.attrs["W"]

    def capacity(self, layer: HwLayer) -> int:
        """The inputs of its first output word."""
        return layer.attrs["W"] + 2
