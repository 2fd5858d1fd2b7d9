"""SetBeats: how many beats (transfers) carry one position word on every stream.

``nb = 1`` is the wide format (one word per position, every time step at once);
``nb = T`` sends one time step per beat, which is what keeps FIFOs, forks, residual adds
and pooling units narrow at the paper's size (docs/hardware.md, "Narrow streams"). One
``nb`` per design: every positional stream gets it, and every layer with time steps gets
``attrs['NB']`` (the kinds' cycle models and the backends read it there). The head's
logit stream is not positional and stays at one beat per word.
"""

from __future__ import annotations

from ..graph import GraphError, HwGraph
from .base import GraphPass


class SetBeats(GraphPass):
    def __init__(self, nb: int = 1) -> None:
        if nb < 1:
            raise ValueError(f"beats per position must be >= 1, not {nb}")
        self.nb = nb

    def apply(self, graph: HwGraph) -> HwGraph:
        timed = [lay for lay in graph.layers.values() if "T" in lay.attrs]
        for lay in timed:
            if lay.attrs["T"] % self.nb:
                raise GraphError(f"layer {lay.name!r}: {self.nb} beats per position do not "
                                 f"divide its T = {lay.attrs['T']} time steps")
            lay.attrs["NB"] = self.nb
        positional = {lay.name for lay in timed}
        for s in graph.streams:
            into_boundary = graph.spec(graph.layers[s.dst]).boundary   # the logits
            s.nb = self.nb if s.src in positional and not into_boundary else 1
        graph.info["word_beats"] = self.nb
        return graph
