"""RTL half of ``fork``: ``sdmf_fork`` (one data bus ``<fork>_data`` shared by its outputs)."""

from __future__ import annotations

from ....graph import HwGraph, HwLayer, sanitize
from ..sv import Instance
from .base import CLK, RtlKind, busy, sink


def fork_data(layer: HwLayer) -> str:
    """The data bus a fork drives; the top assigns it to each output stream's data."""
    return f"{sanitize(layer.name)}_data"


class RtlFork(RtlKind):
    kind = "fork"
    module = "sdmf_fork"
    narrow = True

    def instance(self, graph: HwGraph, layer: HwLayer) -> Instance:
        (i,) = graph.inputs_of(layer.name)
        outs = graph.outputs_of(layer.name)
        valid = "{" + ", ".join(f"{s.name}_valid" for s in reversed(outs)) + "}"
        ready = "{" + ", ".join(f"{s.name}_ready" for s in reversed(outs)) + "}"
        return Instance(self.module, layer.instance,
                        {"WORD": layer.widths["WORD"], "M": len(outs)},
                        {**CLK, **sink("s", i), "m_valid": valid, "m_ready": ready,
                         "m_data": fork_data(layer), "busy_cycles": busy(layer)})
