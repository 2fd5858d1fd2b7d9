"""Pass infrastructure: a pass is a small graph → graph transformation (FINN style).

Passes learn everything about a layer from its kind's spec (``graph.spec(layer)``,
:class:`sdmf.hw.kinds.LayerKind`); none compares kind names.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..graph import HwGraph


class GraphPass:
    """Base class: subclasses implement :meth:`apply` and may keep options as attributes."""

    def apply(self, graph: HwGraph) -> HwGraph:
        raise NotImplementedError

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(self, graph: HwGraph) -> HwGraph:
        out = self.apply(graph)
        out.info.setdefault("passes", []).append(self.name)
        return out


def run_passes(graph: HwGraph, passes: Sequence[GraphPass]) -> HwGraph:
    """Apply ``passes`` in order and check the graph's connectivity afterwards."""
    for p in passes:
        graph = p(graph)
    graph.check()
    return graph
