"""InsertForks and SizeFifos: broadcast multi-consumer streams and buffer reconvergent paths.

A fork completes a transfer only when all of its consumers are ready, so a path
whose join consumes it late must buffer the tokens the fork emits meanwhile; a fork
that blocks stalls everything upstream and the pipelined interval exceeds the
bottleneck's busy cycles. For fork output ``p`` whose first multi-input unit (the
*join* ``j``) takes it on port ``x``:

``need(p) = lead_j(x) + hold_j(x) + max_r D(r, p)``

* ``lead_j(x)``: tokens ``j`` takes on earlier ports first (the attention reads N
  k/v tokens before the first q token);
* ``hold_j(x)``: a *phased* join (the attention) stops taking ``x`` while it works
  on its other phase, and the next frame arrives meanwhile: one frame, N tokens;
* ``D(r, p)``, over sibling paths ``r`` reaching ``j`` on a port consumed in the
  same or an earlier phase: 0 when ``r`` and ``p`` pass the same unit sequence (they
  deliver in lockstep), else the tokens ``r`` absorbs (its units' capacities plus the
  frame buffers around phased units), clipped to the frames ``r`` can hold back:
  one, plus one per phased unit on ``r``.

A phased unit also emits a frame in a burst, faster than a streaming consumer takes
it, so its output gets a FIFO of ``burst`` (N) tokens. For a block: q FIFO 2N, k and
v FIFOs N, attention output FIFO N, attention skip FIFO 2N, MLP skip ``min(N,
capacity of fc1 + fc2)`` (the argument: docs/generator.md, "Passes").

Needs are counted in tokens (positions); a FIFO holds ``need·nb`` beats of its stream
(``nb`` beats per position, :class:`~sdmf.hw.passes.SetBeats`). Counting a unit that
holds a single beat as a whole token over-sizes, never under-sizes, the FIFO.
"""

from __future__ import annotations

from ..graph import HwGraph, HwLayer, Stream
from ..kinds import Fifo, Fork
from .base import GraphPass

MIN_FIFO_DEPTH = 2


class InsertForks(GraphPass):
    """Every layer output with several consumers gets a ``fork`` (M outputs)."""

    def apply(self, graph: HwGraph) -> HwGraph:
        for name in list(graph.layers):
            outs = [s for s in graph.streams if s.src == name]
            if len(outs) < 2 or graph.spec(graph.layers[name]).fans_out:
                continue
            fork = Fork.make(name, len(outs), outs[0].positions)
            first = outs[0]
            trunk = Stream(src=name, dst=fork.name, port="s", T=first.T,
                           channels=first.channels, positions=first.positions, lo=first.lo,
                           hi=first.hi, taps=first.taps, elem_bits=first.elem_bits,
                           nb=first.nb)
            for i, s in enumerate(outs):
                s.src, s.src_port = fork.name, i
            graph.streams.append(trunk)
            fork.widths = {"WORD": trunk.word_bits}
            order = list(graph.layers.items())
            at = next(i for i, (n, _) in enumerate(order) if n == name) + 1
            order.insert(at, (fork.name, fork))
            graph.layers = dict(order)
        return graph


def _walk(graph: HwGraph, stream: Stream,
          stop: str | None) -> tuple[str, str, int, int, tuple, list[Stream]]:
    """Follow single-output units from ``stream`` until the first join (or ``stop``).

    Returns (join layer, its port, absorbed tokens, phased units passed, unit
    signature, the streams walked). With ``stop`` set, joins other than ``stop`` are
    passed through (their capacity and frame buffers count). Existing FIFOs are what
    this pass decides, so they count for nothing; the walk ends at the graph's boundary.
    """
    absorbed, phased, sig, walked = 0, 0, [], []
    s = stream
    while True:
        walked.append(s)
        layer = graph.layers[s.dst]
        spec = graph.spec(layer)
        is_join = len(graph.inputs_of(layer.name)) > 1
        if layer.name == stop or (stop is None and is_join) or spec.boundary:
            return layer.name, s.port, absorbed, phased, tuple(sig), walked
        if not spec.buffer:
            absorbed += spec.capacity(layer)
            if spec.phased(layer):
                phased += 1
                absorbed += spec.hold(layer, s.port) + spec.burst(layer)
            sig.append(spec.signature(layer))
        outs = graph.outputs_of(layer.name)
        if not outs:
            return layer.name, s.port, absorbed, phased, tuple(sig), walked
        s = outs[0]


class SizeFifos(GraphPass):
    """Insert a FIFO on every fork output path that needs buffering, and one on the
    output of every phased unit.

    A fork path's FIFO goes on the narrowest stream of the path before its join (the
    q FIFO holds q spikes, not residual words).
    """

    def needs(self, graph: HwGraph, fork: HwLayer) -> list[int]:
        """``need(p)`` of every output ``p`` of ``fork`` (module docstring)."""
        outs = graph.outputs_of(fork.name)
        positions = fork.attrs["positions"]
        result = []
        for p in outs:
            join, port, _, _, psig, _ = _walk(graph, p, None)
            jl = graph.layers[join]
            js = graph.spec(jl)
            lag = 0
            for r in outs:
                if r is p:
                    continue
                rj, rport, absorbed, phased, rsig, _ = _walk(graph, r, join)
                if rj != join or js.port_order(jl, rport) > js.port_order(jl, port):
                    continue
                if rsig != psig:
                    lag = max(lag, min(absorbed, positions * (1 + phased)))
            result.append(js.lead(jl, port) + js.hold(jl, port) + lag)
        return result

    def apply(self, graph: HwGraph) -> HwGraph:
        plan = []
        forks = [lay for lay in graph.layers.values() if graph.spec(lay).fans_out]
        for fork in forks:
            for p, need in zip(graph.outputs_of(fork.name), self.needs(graph, fork)):
                if need <= 0:
                    continue
                join, port, _, _, _, walked = _walk(graph, p, None)
                usable = [s for s in reversed(walked) if not s.ignored] or [p]
                narrow = min(usable, key=lambda s: s.word_bits)
                plan.append((narrow, max(MIN_FIFO_DEPTH, need * narrow.nb), fork.name,
                             f"{join}.{port}"))
        for lay in list(graph.layers.values()):
            outs = graph.outputs_of(lay.name)
            burst = graph.spec(lay).burst(lay)
            if burst > 0 and not outs[0].ignored:   # ignored: only counted
                (out,) = outs
                plan.append((out, max(MIN_FIFO_DEPTH, burst * out.nb), lay.name,
                             f"{out.dst}.{out.port}, a burst of {burst} tokens"))
        for stream, depth, source, target in plan:
            layer = Fifo.make(graph.layers[stream.dst].name, stream.port, depth,
                              stream.positions, f"{source} -> {target}")
            layer.widths = {"WORD": stream.word_bits}
            graph.insert_after(stream, layer)
        return graph
