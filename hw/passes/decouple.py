"""Decouple: FIFOs that let neighbouring event-driven units run at their own pace.

Event-driven units take a data-dependent time per position, and two couplings then hold
the pipelined interval above the busiest unit's busy cycles (docs/generator.md,
"Passes", 5: Decouple):

* a **fork** transfers a token only when every consumer is ready, and a 1×1 convolution
  buffers two tokens: q, k and v of a block wait for whichever is slowest on each token.
  ``fork_tokens`` > 0 puts a FIFO of that many tokens on every fork output that feeds a
  compute unit directly, when the fork feeds two or more of them;
* a 3×3 convolution's **line buffer** holds three rows, so the layers of the patch
  splitter, whose activity peaks in the same rows of a frame, stall each other.
  ``rows`` > 0 puts a FIFO of that many input rows (``rows·W`` positions) in front of
  every 3×3 convolution not fed by the input unpacker.

Both are off by default (0). The FIFOs are ordinary ``fifo`` layers: the board planner
places their buffers and the token recurrence times them like any other FIFO.
"""

from __future__ import annotations

from ..graph import GraphError, HwGraph, Stream
from ..kinds import Fifo
from .base import GraphPass
from .fifos import MIN_FIFO_DEPTH


class Decouple(GraphPass):
    """Insert the decoupling FIFOs (module docstring); runs after :class:`SizeFifos`."""

    def __init__(self, rows: int = 0, fork_tokens: int = 0) -> None:
        if rows < 0 or fork_tokens < 0:
            raise ValueError(f"decoupling FIFOs: rows = {rows} and fork tokens = "
                             f"{fork_tokens} must be >= 0")
        self.rows, self.fork_tokens = rows, fork_tokens

    def fork_outputs(self, graph: HwGraph) -> list[Stream]:
        """Fork outputs into compute units, of forks that feed two or more of them."""
        out = []
        for fork in (lay for lay in graph.layers.values() if graph.spec(lay).fans_out):
            into = [s for s in graph.outputs_of(fork.name)
                    if graph.spec(graph.layers[s.dst]).compute]
            if len(into) >= 2:
                out += into
        return out

    def row_inputs(self, graph: HwGraph) -> list[tuple[Stream, int]]:
        """Input streams of the units with a window of input rows (``row_window``: the
        3×3 convolutions) not fed by the input, with their row width W."""
        out = []
        for lay in graph.layers.values():
            w = graph.spec(lay).row_window(lay)
            if not w:
                continue
            (s,) = graph.inputs_of(lay.name)
            if not graph.spec(graph.layers[s.src]).boundary:
                out.append((s, w))
        return out

    def apply(self, graph: HwGraph) -> HwGraph:
        plan = []
        if self.fork_tokens:
            plan += [(s, self.fork_tokens, f"decouples {s.src} output {s.dst}")
                     for s in self.fork_outputs(graph)]
        if self.rows:
            plan += [(s, self.rows * w, f"decouples {s.dst}: {self.rows} input row(s)")
                     for s, w in self.row_inputs(graph)]
        for stream, tokens, reason in plan:
            depth = max(MIN_FIFO_DEPTH, tokens * stream.nb)
            layer = Fifo.make(stream.dst, stream.port, depth, stream.positions, reason)
            if layer.name in graph.layers:
                raise GraphError(f"decoupling FIFO {layer.name!r}: a layer of that name "
                                 "exists already")
            layer.widths = {"WORD": stream.word_bits}
            graph.insert_after(stream, layer)
        graph.info["decouple"] = {"rows": self.rows, "fork_tokens": self.fork_tokens}
        return graph
