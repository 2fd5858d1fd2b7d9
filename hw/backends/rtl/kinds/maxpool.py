"""RTL half of ``maxpool``: ``sdmf_maxpool_or`` and its partial-OR memories."""

from __future__ import annotations

from ....graph import HwGraph, HwLayer, Memory
from ..sv import Instance
from .base import CLK, RtlKind, busy, sink, source


class RtlMaxpool(RtlKind):
    kind = "maxpool"
    module = "sdmf_maxpool_or"
    narrow = True

    def instance(self, graph: HwGraph, layer: HwLayer) -> Instance:
        a = layer.attrs
        (i,), (o,) = graph.inputs_of(layer.name), graph.outputs_of(layer.name)
        params = {"H": a["H"], "W": a["W"], "WORD": layer.widths["WORD"]}
        if a.get("NB", 1) != 1:                      # NB = 1: the module's default
            params["NB"] = a["NB"]
        return Instance(self.module, layer.instance, params,
                        {**CLK, **sink("s", i), **source(o), "busy_cycles": busy(layer)})

    def memories(self, layer: HwLayer) -> list[Memory]:
        """The column buffer (``WO·NB`` beats, address ``j·NB + b``) and, for NB > 1, the
        horizontal partial ORs (``NB`` beats; NB = 1: a register); both read
        asynchronously at the address they are written, so single-port LUT RAM whatever
        their size (as Yosys maps them)."""
        a, word = layer.attrs, layer.widths["WORD"]
        nb = a.get("NB", 1)
        mems = [Memory("colbuf", a["WO"] * nb, word, "", async_read=True, single_port=True)]
        return [*mems, Memory("hpart", nb, word, "", async_read=True, single_port=True)] \
            if nb > 1 else mems
