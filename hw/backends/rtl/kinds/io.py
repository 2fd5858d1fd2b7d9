"""RTL halves of ``input`` (``sdmf_axis_unpack``) and ``output`` (``sdmf_axis_logits``),
support modules wired to the top's AXI4-Stream ports."""

from __future__ import annotations

from ....graph import HwGraph, HwLayer
from ..sv import Instance
from .base import CLK, RtlKind, source


class RtlInput(RtlKind):
    kind = "input"
    module = "sdmf_axis_unpack"
    support = True
    narrow = True

    def instance(self, graph: HwGraph, layer: HwLayer) -> Instance:
        (o,) = graph.outputs_of(layer.name)     # its beats are the unpacker's words
        return Instance(self.module, layer.instance,
                        {"WORD": o.word_bits, "POSITIONS": o.beats},
                        {**CLK, "s_valid": "in_valid", "s_ready": "in_ready",
                         "s_data": "s_axis_tdata", **source(o)})


class RtlOutput(RtlKind):
    kind = "output"
    module = "sdmf_axis_logits"
    support = True
    narrow = True

    def instance(self, graph: HwGraph, layer: HwLayer) -> Instance:
        (i,) = graph.inputs_of(layer.name)
        return Instance(self.module, layer.instance,
                        {"LOGIT_BITS": layer.widths["LOGIT_BITS"]},
                        {"s_valid": f"{i.name}_valid", "s_ready": f"{i.name}_ready",
                         "s_data": f"{i.name}_data", "s_last": f"{i.name}_last",
                         "m_valid": "m_axis_tvalid",
                         "m_ready": "m_axis_tready", "m_data": "m_axis_tdata",
                         "m_last": "m_axis_tlast"})
