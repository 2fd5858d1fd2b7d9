"""RemoveEmpty: units whose every output channel was pruned disappear from the graph.

A layer is empty when its kind says so (:meth:`sdmf.hw.kinds.LayerKind.is_empty`: a conv
with ``COUT = 0``, an attention with ``CV = 0``). It produces nothing, but its consumers
still need one token per position to step through their schedule (a conv with
``CIN = 0`` computes the LIF of its bias; a residual add with ``CB = 0`` passes the
stream through). So the empty unit is removed and each consumer port is fed by the input
stream its kind names (:meth:`~sdmf.hw.kinds.LayerKind.empty_feed`: a conv's ``s``, an
attention's ``q``), flagged ``ignored`` (the consumer sees a 1-bit placeholder word, as
the library documents). Producers left without consumers are removed too, except the
graph's boundary (input, output).
"""

from __future__ import annotations

from ..graph import HwGraph
from .base import GraphPass


class RemoveEmpty(GraphPass):
    def apply(self, graph: HwGraph) -> HwGraph:
        removed: list[str] = []
        for name in list(graph.layers):
            layer = graph.layers.get(name)
            if layer is None or not graph.spec(layer).is_empty(layer):
                continue
            keep = graph.spec(layer).empty_feed(graph, layer)
            others = [s for s in graph.inputs_of(name) if s is not keep]
            for s in others:
                graph.streams.remove(s)
            for o in graph.outputs_of(name):
                o.src, o.src_port, o.ignored = keep.src, keep.src_port, True
                o.channels, o.lo, o.hi, o.T = keep.channels, keep.lo, keep.hi, keep.T
                o.positions, o.elem_bits, o.taps = keep.positions, keep.elem_bits, keep.taps
            graph.streams.remove(keep)
            del graph.layers[name]
            removed.append(name)
            graph.info.setdefault("removed_taps", []).extend(
                t for t in (*layer.ops, layer.tap) if t and t not in
                graph.info.get("removed_taps", []))
            for s in others:
                self._drop_dangling(graph, s.src, removed)
        graph.info["empty_layers"] = removed
        return graph

    def _drop_dangling(self, graph: HwGraph, name: str, removed: list[str]) -> None:
        """Remove ``name`` (and its producers, recursively) if nothing consumes it."""
        layer = graph.layers.get(name)
        if layer is None or graph.spec(layer).boundary or graph.outputs_of(name):
            return
        ins = graph.inputs_of(name)
        for s in ins:
            graph.streams.remove(s)
        del graph.layers[name]
        removed.append(name)
        graph.info.setdefault("removed_taps", []).extend(t for t in layer.ops if t)
        for s in ins:
            self._drop_dangling(graph, s.src, removed)
