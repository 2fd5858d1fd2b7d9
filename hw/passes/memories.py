"""PlanMemories: the ROMs of every layer (depth × width, in the library's layouts)."""

from __future__ import annotations

from ..graph import HwGraph, HwLayer, Memory, sanitize
from ..units import UnitModel, ceil_div, conv_steps, conv_weight_lanes
from .base import GraphPass

BRAM18_BITS = 18 * 1024


class PlanMemories(GraphPass):
    """Weight/bias/threshold ROMs of conv_lif units, weight/bias ROMs of the head.

    Layouts (the library's sdmf_conv_lif): weights one word per ``(og, j)`` packing
    ``PO×PI`` weights; biases one word per group ``og`` (per token and group with a
    per-token bias) and thresholds one per group, ``PO`` lanes each. Only kept
    channels are stored.
    """

    def apply(self, graph: HwGraph, model: UnitModel) -> HwGraph:
        for lay in graph.layers.values():
            lay.memories = getattr(self, f"_{lay.kind}", lambda _: [])(lay)
        graph.info["memory_bits"] = sum(m.bits for lay in graph.layers.values()
                                        for m in lay.memories)
        return graph

    @staticmethod
    def _file(lay: HwLayer, role: str) -> str:
        return f"{sanitize(lay.name)}_{role}.mem"

    def _conv_lif(self, lay: HwLayer) -> list[Memory]:
        a, w, k = lay.attrs, lay.widths, lay.parallel
        groups = ceil_div(a["COUT"], k["PO"])
        steps = conv_steps(a, k)
        lanes = k["PO"] * w["CUR_BITS"]
        bias_depth = groups * (a["positions"] if a["bias_per_token"] else 1)
        weights = [Memory("weight", groups * steps,
                          conv_weight_lanes(k) * w["W_BITS"],
                          self._file(lay, "weight"))] if steps else []
        return [*weights,
                Memory("bias", bias_depth, lanes, self._file(lay, "bias")),
                Memory("theta", groups, lanes, self._file(lay, "theta"))]

    def _head(self, lay: HwLayer) -> list[Memory]:
        a, w = lay.attrs, lay.widths
        return [Memory("weight", a["K"] * a["D"], w["W_BITS"], self._file(lay, "weight")),
                Memory("bias", a["K"], w["LOGIT_BITS"], self._file(lay, "bias"))]

    @staticmethod
    def _fifo(lay: HwLayer) -> list[Memory]:
        return [Memory("buffer", lay.attrs["DEPTH"], lay.widths["WORD"], "")]


def bram18_estimate(mem: Memory) -> int:
    """18 Kb block RAMs a ROM needs if mapped to BRAM (width split into ≤ 36-bit columns)."""
    if mem.bits <= 1024:          # small ROMs go to LUTs
        return 0
    cols = ceil_div(mem.width, 36)
    return cols * ceil_div(mem.depth * min(mem.width, 36), BRAM18_BITS)
