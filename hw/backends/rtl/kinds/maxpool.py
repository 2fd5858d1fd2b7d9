"""RTL half of ``maxpool``: ``sdmf_maxpool_or``."""

from __future__ import annotations

from ....graph import HwGraph, HwLayer
from ..sv import Instance
from .base import CLK, RtlKind, busy, sink, source


class RtlMaxpool(RtlKind):
    kind = "maxpool"
    module = "sdmf_maxpool_or"

    def instance(self, graph: HwGraph, layer: HwLayer) -> Instance:
        a = layer.attrs
        (i,), (o,) = graph.inputs_of(layer.name), graph.outputs_of(layer.name)
        return Instance(self.module, layer.instance,
                        {"H": a["H"], "W": a["W"], "WORD": layer.widths["WORD"]},
                        {**CLK, **sink("s", i), **source(o), "busy_cycles": busy(layer)})
