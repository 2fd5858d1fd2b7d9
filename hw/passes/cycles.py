"""EstimateCycles: analytic busy cycles per layer and the bottleneck bound of the
pipelined interval (a backend with a timing model refines the interval: the RTL's
token recurrence, :func:`sdmf.hw.timing.steady_interval`)."""

from __future__ import annotations

from ..graph import HwGraph
from .base import GraphPass


class EstimateCycles(GraphPass):
    """``layer.cycles`` from its kind's cycle model; ``info['cycles']``: the bottleneck
    (its busy cycles are the interval's lower ``bound`` and, until a backend refines it,
    the ``interval``) and the sum."""

    def apply(self, graph: HwGraph) -> HwGraph:
        for lay in graph.layers.values():
            lay.cycles = graph.spec(lay).cycles(lay, lay.parallel)
        busy = {lay.name: lay.cycles for lay in graph.layers.values() if lay.cycles}
        worst = max(busy, key=busy.__getitem__) if busy else None
        bound = busy.get(worst, 0) if worst else 0
        graph.info["cycles"] = {"interval": bound, "interval_from": "bottleneck",
                                "bound": bound, "bottleneck": worst, "sum": sum(busy.values())}
        return graph
