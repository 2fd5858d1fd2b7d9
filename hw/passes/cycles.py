"""EstimateCycles: analytic busy cycles per layer and the pipeline's initiation interval."""

from __future__ import annotations

from ..graph import HwGraph
from .base import GraphPass


class EstimateCycles(GraphPass):
    """``layer.cycles`` from its kind's cycle model; ``info['cycles']`` = bottleneck and sum."""

    def apply(self, graph: HwGraph) -> HwGraph:
        for lay in graph.layers.values():
            lay.cycles = graph.spec(lay).cycles(lay, lay.parallel)
        busy = {lay.name: lay.cycles for lay in graph.layers.values() if lay.cycles}
        worst = max(busy, key=busy.__getitem__) if busy else None
        graph.info["cycles"] = {"interval": busy.get(worst, 0) if worst else 0,
                                "bottleneck": worst, "sum": sum(busy.values())}
        return graph
