"""Busy cycles on real activity: the planner's alternative to the dense worst case.

An event-driven unit (``EV = 1``) costs what its input's non-zero chunks cost, so a plan
sized on the dense worst case gives sparse layers lanes they never use and starves the
layers whose cost does not fall with sparsity (the attention, a dense MLP fan-in).
:class:`ActivityCycles` answers "busy cycles of this layer under these knobs" from the
golden model's tensors of a few planning samples — the slowest of them — through the
layer kind's own ``sample_cycles`` (the one owner of every cycle formula), so the
planner can size every layer for the activity it will see (docs/event-driven.md,
"Planning on activity").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

import numpy as np

from .graph import GraphError, HwGraph, HwLayer
from .kinds import Knobs, LayerKind

Taps = Mapping[str, np.ndarray]


def layer_inputs(graph: HwGraph, layer: HwLayer, taps: Taps) -> dict[str, np.ndarray]:
    """``{port: tensor}`` of ``layer``'s input streams in one sample's golden tensors
    (``{IR op name: tensor}``, no batch axis)."""
    inputs = {}
    for s in graph.inputs_of(layer.name):
        if not s.taps or s.taps[0] not in taps:
            raise GraphError(f"layer {layer.name!r}: no golden tensor for its input stream "
                             f"{s.name} (taps {list(s.taps)})")
        inputs[s.port] = np.asarray(taps[s.taps[0]])
    return inputs


class ActivityCycles:
    """Each layer's busy cycles under given knobs on the slowest of ``samples`` (the
    golden tensors of each planning sample), memoised per (layer, knobs)."""

    def __init__(self, graph: HwGraph, samples: Sequence[Taps]) -> None:
        if not samples:
            raise ValueError("activity planning needs at least one sample")
        self.samples = len(samples)
        self._inputs: dict[str, list[dict[str, np.ndarray]]] = {}
        for lay in graph.layers.values():
            spec = graph.spec(lay)
            if spec.compute and spec.knobs(lay):
                self._inputs[lay.name] = [layer_inputs(graph, lay, t) for t in samples]
        self._memo: dict[tuple[str, tuple[tuple[str, int], ...]], int] = {}

    def cycles(self, spec: LayerKind, layer: HwLayer, knobs: Knobs) -> int:
        """The slowest planning sample's busy cycles (the dense count where the knobs
        make the unit data-independent)."""
        if not spec.data_dependent(layer, knobs):
            return spec.cycles(layer, knobs)
        key = (layer.name, tuple(sorted(knobs.items())))
        if key not in self._memo:
            if layer.name not in self._inputs:
                raise GraphError(f"layer {layer.name!r}: no planning tensors (not a compute "
                                 "layer with knobs when the activity was recorded)")
            self._memo[key] = max(spec.sample_cycles(layer, knobs, x)
                                  for x in self._inputs[layer.name])
        return self._memo[key]


def activity_report(graph: HwGraph, samples: Sequence[Taps]) -> dict:
    """The finished design on the planning samples: every data-dependent layer's busy
    cycles per sample, and the intervals of a back-to-back overlapped pass of them (the
    token recurrence, :func:`sdmf.hw.timing.host_pass` with the host never waiting;
    ``intervals[i]`` = done(i + 1) − done(i))."""
    from .timing import host_pass

    busy: dict[str, list[int]] = {}
    for lay in graph.layers.values():
        spec = graph.spec(lay)
        if spec.compute and spec.data_dependent(lay, lay.parallel):
            busy[lay.name] = [spec.sample_cycles(lay, lay.parallel, layer_inputs(graph, lay, t))
                              for t in samples]
    dense = {lay.name: int(lay.cycles or 0) for lay in graph.layers.values()
             if graph.spec(lay).compute and lay.name not in busy}
    slowest = {**dense, **{n: max(v) for n, v in busy.items()}}
    _, done = host_pass(graph, samples, 0)
    return {"samples": len(samples), "busy": busy,
            "bottleneck": max(slowest, key=slowest.__getitem__) if slowest else None,
            "bottleneck_cycles": max(slowest.values(), default=0),
            "done": done, "intervals": [b - a for a, b in pairwise(done)]}


class PlanCycles:
    """What a planner costs a layer's knobs at: the dense worst case (``LayerKind.cycles``)
    or, with planning samples, :class:`ActivityCycles` under the EV the layer will get
    (``event_driven`` sets EV on every layer with the knob that no override pins: 1, or
    with ``event_driven = 2`` lane events wherever the kind allows them under the
    candidate's knobs and it has more than one input lane, :meth:`ev`)."""

    def __init__(self, graph: HwGraph, event_driven: int, overrides: Mapping[str, Knobs],
                 samples: Sequence[Taps] | None) -> None:
        self.event_driven = event_driven
        self.overrides = overrides
        self.activity = ActivityCycles(graph, samples) if samples else None

    def sets_ev(self, spec: LayerKind, layer: HwLayer) -> bool:
        """Whether ``event_driven`` sets EV = 1 on ``layer`` (it has the knob, no pin)."""
        return self.event_driven and "EV" in spec.knobs(layer) \
            and "EV" not in self.overrides.get(layer.name, {})

    def ev(self, spec: LayerKind, layer: HwLayer, knobs: Knobs) -> int:
        """The EV ``event_driven`` gives ``layer`` under ``knobs``: 0 where it sets none."""
        if not self.sets_ev(spec, layer):
            return 0
        lanes = self.event_driven == 2 and knobs.get("PI", 1) > 1 \
            and spec.lanes_allowed(layer, knobs)         # one lane: chunk events anyway
        return 2 if lanes else 1

    def with_ev(self, spec: LayerKind, layer: HwLayer, knobs: Knobs) -> Knobs:
        """``knobs`` with the EV :meth:`ev` gives (unchanged where it sets none)."""
        ev = self.ev(spec, layer, knobs)
        return {**knobs, "EV": ev} if ev else dict(knobs)

    def __call__(self, spec: LayerKind, layer: HwLayer, knobs: Knobs) -> int:
        if self.activity is None:
            return spec.cycles(layer, knobs)
        return self.activity.cycles(spec, layer, self.with_ev(spec, layer, knobs))
