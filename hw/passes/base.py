"""Pass infrastructure: a pass is a small graph → graph transformation (FINN style)."""

from __future__ import annotations

from collections.abc import Sequence

from ..graph import HwGraph
from ..units import DEFAULT_MODEL, UnitModel


class GraphPass:
    """Base class: subclasses implement :meth:`apply` and may keep options as attributes."""

    def apply(self, graph: HwGraph, model: UnitModel) -> HwGraph:
        raise NotImplementedError

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(self, graph: HwGraph, model: UnitModel = DEFAULT_MODEL) -> HwGraph:
        out = self.apply(graph, model)
        out.info.setdefault("passes", []).append(self.name)
        return out


def run_passes(graph: HwGraph, passes: Sequence[GraphPass],
               model: UnitModel = DEFAULT_MODEL) -> HwGraph:
    """Apply ``passes`` in order and check the graph's connectivity afterwards."""
    for p in passes:
        graph = p(graph, model)
    graph.check()
    return graph
