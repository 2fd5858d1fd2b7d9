"""RTL half of ``residual_add``: ``sdmf_residual_add`` (kept channels as a packed parameter)."""

from __future__ import annotations

from ....graph import HwGraph, HwLayer
from ..sv import Instance, packed_list
from .base import CLK, RtlKind, busy, sink, source


class RtlResidualAdd(RtlKind):
    kind = "residual_add"
    module = "sdmf_residual_add"
    narrow = True

    def instance(self, graph: HwGraph, layer: HwLayer) -> Instance:
        a, w = layer.attrs, layer.widths
        r, s = graph.inputs_of(layer.name)
        (o,) = graph.outputs_of(layer.name)
        # per beat: T/NB time steps (the unit is per element, NB-agnostic)
        params = {"T": a["T"] // a.get("NB", 1), "D": a["D"], "CB": a["CB"],
                  "R_IN_BITS": w["R_IN_BITS"], "R_OUT_BITS": w["R_OUT_BITS"],
                  "CHANNELS": packed_list([int(c) for c in layer.params["channels"]], 16)}
        return Instance(self.module, layer.instance, params,
                        {**CLK, **sink("r", r), **sink("s", s), **source(o),
                         "busy_cycles": busy(layer)})
