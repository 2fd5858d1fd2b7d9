"""``input`` (the AXI4-Stream unpacker) and ``output`` (the logit serializer).

They are the graph's boundary: never removed, no busy counter, no cycle model.
``input`` is built from the IR's ``input`` op; ``output`` is added by the head.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sdmf.quant.limits import MAX_LOGIT_BITS

from ..graph import HwGraph, HwLayer
from .base import LayerKind

if TYPE_CHECKING:
    from sdmf.quant.opdefs import Op

    from ..graph import IrBuilder


class Input(LayerKind):
    name = "input"
    ports = ()
    ops = ("input",)
    busy = False
    boundary = True

    def from_ir(self, op: Op, b: IrBuilder) -> None:
        _, C, H, W = (int(v) for v in b.ir.input_shape)
        b.add(HwLayer("input", self.name, (op.name,), op.name,
                      attrs={"T": b.T, "C": C, "H": H, "W": W, "in_bits": op.attrs["bits"]}),
              op.name)

    def assign_widths(self, graph: HwGraph, layer: HwLayer) -> None:
        a = layer.attrs
        layer.widths = {"IN_BITS": a["in_bits"], "WORD": a["T"] * a["C"] * a["in_bits"]}


class Output(LayerKind):
    name = "output"
    busy = False
    boundary = True

    def assign_widths(self, graph: HwGraph, layer: HwLayer) -> None:
        """The head's logit words: ``LOGIT_BITS`` ≤ 64 (one output beat)."""
        (s,) = graph.inputs_of(layer.name)
        s.elem_bits = graph.layers[s.src].widths["LOGIT_BITS"]
        if s.elem_bits > MAX_LOGIT_BITS:
            raise ValueError(f"logits need {s.elem_bits} bits; the output beats hold at most "
                             f"{MAX_LOGIT_BITS} (reduce the head shift or weight bits)")
        layer.widths = {"LOGIT_BITS": s.elem_bits}
