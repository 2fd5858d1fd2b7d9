"""AssignWidths: every stream element and every datapath width from the IR's intervals."""

from __future__ import annotations

from sdmf.quant.bounds import bit_width

from ..graph import HwGraph
from .base import GraphPass


class AssignWidths(GraphPass):
    """Stream elements get the (unsigned) width of the IR tensor they carry; each layer's
    kind derives its datapath widths (accumulator, current, weight, pooling, logit, word)
    from the IR bounds (:meth:`sdmf.hw.kinds.LayerKind.assign_widths`), in topological
    order, so a layer sees its input streams' final widths."""

    def apply(self, graph: HwGraph) -> HwGraph:
        for s in graph.streams:
            s.elem_bits = bit_width(s.lo, s.hi)
        for layer in graph.layers.values():
            graph.spec(layer).assign_widths(graph, layer)
        return graph
