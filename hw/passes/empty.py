"""RemoveEmpty: units whose every output channel was pruned disappear from the graph.

A conv whose output channels are all masked (``COUT = 0``) or an attention without
v channels (``CV = 0``) produces nothing, but its consumers still need one token per
position to step through their schedule (a conv with ``CIN = 0`` computes the LIF of
its bias; a residual add with ``CB = 0`` passes the stream through). So the empty
unit is removed and each consumer port is fed by the empty unit's own input stream,
flagged ``ignored`` (the consumer sees a 1-bit placeholder word, as the library
documents). Producers left without consumers are removed too.
"""

from __future__ import annotations

from ..graph import HwGraph, HwLayer
from ..units import UnitModel
from .base import GraphPass


def is_empty(layer: HwLayer) -> bool:
    a = layer.attrs
    return (layer.kind == "conv_lif" and a["COUT"] == 0) or \
        (layer.kind == "attention_lif" and a["CV"] == 0)


class RemoveEmpty(GraphPass):
    def apply(self, graph: HwGraph, model: UnitModel) -> HwGraph:
        removed: list[str] = []
        for name in list(graph.layers):
            if name not in graph.layers or not is_empty(graph.layers[name]):
                continue
            layer = graph.layers[name]
            ins = graph.inputs_of(name)
            keep = ins[0]                                  # conv: s; attention: q
            for s in ins[1:]:
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
            for s in ins[1:]:
                self._drop_dangling(graph, s.src, removed)
        graph.info["empty_layers"] = removed
        return graph

    def _drop_dangling(self, graph: HwGraph, name: str, removed: list[str]) -> None:
        """Remove ``name`` (and its producers, recursively) if nothing consumes it."""
        layer = graph.layers.get(name)
        if layer is None or layer.kind in ("input", "output") or graph.outputs_of(name):
            return
        ins = graph.inputs_of(name)
        for s in ins:
            graph.streams.remove(s)
        del graph.layers[name]
        removed.append(name)
        graph.info.setdefault("removed_taps", []).extend(t for t in layer.ops if t)
        for s in ins:
            self._drop_dangling(graph, s.src, removed)
