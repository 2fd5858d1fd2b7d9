"""``residual_add``: ``R'[t][CHANNELS[j]] = R[t][CHANNELS[j]] + s[t][j]`` per token.

Built from ``residual_add`` (port ``r``: the residual stream, ``s``: the branch spikes,
in lockstep). No knobs; busy cycles per inference ``positions·NB`` (one per beat).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sdmf.quant.bounds import bit_width

from ..graph import HwGraph, HwLayer
from .base import Knobs, LayerKind

if TYPE_CHECKING:
    from sdmf.quant.opdefs import Op

    from ..graph import IrBuilder


class ResidualAdd(LayerKind):
    name = "residual_add"
    ports = ("r", "s")
    ops = ("residual_add",)
    compute = True

    def from_ir(self, op: Op, b: IrBuilder) -> None:
        r, s = b.specs[op.inputs[0]].shape, b.specs[op.inputs[1]].shape
        b.add(HwLayer(op.name, self.name, (op.name,), op.name, attrs={
            "T": b.T, "D": int(r[1]), "CB": int(s[1]), "positions": int(r[2])},
            params={"channels": b.param(op, "channels")},
            bounds={"r_in": b.bounds(op.inputs[0]), "r_out": b.bounds(op.name)}), op.name)
        b.connect(op.inputs[0], op.name, "r")
        b.connect(op.inputs[1], op.name, "s")

    def assign_widths(self, graph: HwGraph, layer: HwLayer) -> None:
        layer.widths = {"R_IN_BITS": bit_width(*layer.bounds["r_in"]),
                        "R_OUT_BITS": bit_width(*layer.bounds["r_out"])}

    def describe(self, layer: HwLayer) -> str:
        return f"{layer.attrs['CB']}→{layer.attrs['D']}"

    def cycles(self, layer: HwLayer, knobs: Knobs) -> int:
        return layer.attrs["positions"] * layer.attrs.get("NB", 1)

    def capacity(self, layer: HwLayer) -> int:
        return 1
