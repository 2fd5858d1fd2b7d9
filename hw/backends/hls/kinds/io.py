"""HLS halves of ``input`` and ``output``: templates/sdmf_axis_io.h (AXI4-Stream beats)."""

from __future__ import annotations

from ....graph import HwGraph, HwLayer
from .base import HlsKind, cfg_name, in_type, out_type


class HlsInput(HlsKind):
    kind = "input"
    header = "sdmf_axis_io.h"
    function = "axis_unpack"

    def ints(self, graph: HwGraph, layer: HwLayer) -> dict[str, int]:
        a = layer.attrs
        return {"WORD": layer.widths["WORD"], "POSITIONS": a["H"] * a["W"]}

    def types(self, graph: HwGraph, layer: HwLayer) -> dict[str, str]:
        return {"word_t": out_type(graph, layer)}

    def call(self, layer: HwLayer, ins: list[str], outs: list[str]) -> str:
        return f"sdmf::axis_unpack<{cfg_name(layer)}>(s_axis, {outs[0]}, tlast_error);"


class HlsOutput(HlsKind):
    kind = "output"
    header = "sdmf_axis_io.h"
    function = "axis_logits"

    def ints(self, graph: HwGraph, layer: HwLayer) -> dict[str, int]:
        return {"K": layer.attrs["K"], "LOGIT_BITS": layer.widths["LOGIT_BITS"]}

    def types(self, graph: HwGraph, layer: HwLayer) -> dict[str, str]:
        return {"word_t": in_type(graph, layer)}

    def call(self, layer: HwLayer, ins: list[str], outs: list[str]) -> str:
        return f"sdmf::axis_logits<{cfg_name(layer)}>({ins[0]}, m_axis);"
