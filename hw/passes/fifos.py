"""InsertForks and SizeFifos: broadcast multi-consumer streams and buffer reconvergent paths.

A fork completes a transfer only when all of its consumers are ready, so a path
whose join consumes it late must buffer the tokens the fork emits meanwhile.
For fork output ``p`` whose first multi-input unit (the *join* ``j``) takes it
on port ``x``:

``need(p) = lead_j(x) + max_r D(r, p)``, clipped to ``[0, positions]``,

over sibling paths ``r`` reaching ``j`` on a port consumed in the same or an
earlier phase; ``D(r, p) = 0`` when ``r`` and ``p`` pass the same unit sequence
(they deliver in lockstep), else the tokens ``r`` absorbs (sum of unit
capacities up to ``j``). ``lead_j(x)`` is what the join takes on earlier ports
first (the attention reads N k/v tokens before the first q token).
This gives FIFO(N) on the q path and on the attention skip path, and
``min(N, capacity of fc1 + fc2)`` on the MLP skip path (docs/generator.md).
"""

from __future__ import annotations

from ..graph import HwGraph, HwLayer, Stream
from ..units import UnitModel
from .base import GraphPass

MIN_FIFO_DEPTH = 2


class InsertForks(GraphPass):
    """Every layer output with several consumers gets a ``fork`` (M outputs)."""

    def apply(self, graph: HwGraph, model: UnitModel) -> HwGraph:
        for name in list(graph.layers):
            outs = [s for s in graph.streams if s.src == name]
            if len(outs) < 2 or graph.layers[name].kind in ("fork", "output"):
                continue
            fork = HwLayer(f"{name}.fork", "fork", attrs={"M": len(outs),
                                                          "positions": outs[0].positions})
            first = outs[0]
            trunk = Stream(src=name, dst=fork.name, port="s", T=first.T,
                           channels=first.channels, positions=first.positions, lo=first.lo,
                           hi=first.hi, taps=first.taps, elem_bits=first.elem_bits)
            for i, s in enumerate(outs):
                s.src, s.src_port = fork.name, i
            graph.streams.append(trunk)
            fork.widths = {"WORD": trunk.word_bits}
            order = list(graph.layers.items())
            at = next(i for i, (n, _) in enumerate(order) if n == name) + 1
            order.insert(at, (fork.name, fork))
            graph.layers = dict(order)
        return graph


def _walk(graph: HwGraph, stream: Stream, stop: str | None,
          model: UnitModel) -> tuple[str, str, int, tuple, list[Stream]]:
    """Follow single-output units from ``stream`` until the first join (or ``stop``).

    Returns (join layer, its port, absorbed tokens, unit signature, the streams
    walked). With ``stop`` set, joins other than ``stop`` are passed through (their
    capacity counts). FIFOs add no latency and count for nothing.
    """
    absorbed, sig, walked = 0, [], []
    s = stream
    while True:
        walked.append(s)
        layer = graph.layers[s.dst]
        is_join = len(graph.inputs_of(layer.name)) > 1
        if layer.name == stop or (stop is None and is_join) or layer.kind == "output":
            return layer.name, s.port, absorbed, tuple(sig), walked
        if layer.kind != "fifo":
            absorbed += model.capacity(layer)
            sig.append((layer.kind, layer.attrs.get("K")))
        outs = graph.outputs_of(layer.name)
        if not outs:
            return layer.name, s.port, absorbed, tuple(sig), walked
        s = outs[0]


class SizeFifos(GraphPass):
    """Insert a FIFO on every fork output path that needs buffering.

    The FIFO goes on the narrowest stream of the path before its join (the q FIFO
    holds q spikes, not residual words).
    """

    def needs(self, graph: HwGraph, fork: HwLayer, model: UnitModel) -> list[int]:
        outs = graph.outputs_of(fork.name)
        positions = fork.attrs["positions"]
        result = []
        for p in outs:
            join, port, _, psig, _ = _walk(graph, p, None, model)
            jl = graph.layers[join]
            need = 0
            for r in outs:
                if r is p:
                    continue
                rj, rport, absorbed, rsig, _ = _walk(graph, r, join, model)
                if rj != join or model.port_order(jl, rport) > model.port_order(jl, port):
                    continue
                need = max(need, 0 if rsig == psig else absorbed)
            result.append(min(positions, model.lead(jl, port) + need))
        return result

    def apply(self, graph: HwGraph, model: UnitModel) -> HwGraph:
        plan = []
        for fork in graph.of_kind("fork"):
            for p, need in zip(graph.outputs_of(fork.name), self.needs(graph, fork, model)):
                if need <= 0:
                    continue
                join, port, _, _, walked = _walk(graph, p, None, model)
                narrow = min(reversed(walked), key=lambda s: s.word_bits)
                plan.append((narrow, max(MIN_FIFO_DEPTH, need), fork.name, f"{join}.{port}"))
        for stream, depth, fork, target in plan:
            consumer = graph.layers[stream.dst].name
            layer = HwLayer(f"{consumer}.{stream.port}_fifo", "fifo", attrs={
                "DEPTH": depth, "positions": stream.positions,
                "reason": f"fork {fork} -> {target}"})
            layer.widths = {"WORD": stream.word_bits}
            graph.insert_after(stream, layer)
        return graph
