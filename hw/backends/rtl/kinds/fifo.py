"""RTL half of ``fifo``: ``sdmf_fifo`` and its buffer (``DEPTH`` words of ``WORD`` bits),
which the board planner may place (``BUFFER_STYLE``)."""

from __future__ import annotations

from ....graph import HwGraph, HwLayer, Memory
from ....kinds import ceil_div
from ..sv import Instance
from .base import CLK, RtlKind, busy, sink, source


class RtlFifo(RtlKind):
    kind = "fifo"
    module = "sdmf_fifo"
    narrow = True
    work_roles = ("buffer",)      # placeable (URAM too): BUFFER_STYLE

    def instance(self, graph: HwGraph, layer: HwLayer) -> Instance:
        (i,), (o,) = graph.inputs_of(layer.name), graph.outputs_of(layer.name)
        sub = layer.attrs.get("SUB", 1)
        return Instance(self.module, layer.instance,
                        {"WORD": layer.widths["WORD"], "DEPTH": layer.attrs["DEPTH"],
                         **({"SUB": sub} if sub > 1 else {})},
                        {**CLK, **sink("s", i), **source(o), "busy_cycles": busy(layer)})

    def memories(self, layer: HwLayer) -> list[Memory]:
        """``DEPTH`` words; packed (``SUB`` > 1) ``DEPTH·SUB`` sub-words of
        ``⌈WORD/SUB⌉`` bits."""
        sub = layer.attrs.get("SUB", 1)
        return [Memory("buffer", layer.attrs["DEPTH"] * sub,
                       ceil_div(layer.widths["WORD"], sub), "")]
