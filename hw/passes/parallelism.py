"""ChooseParallelism: per-layer PO/PI from a cycle target, a resource budget or overrides.

* ``target_cycles``: every layer gets the cheapest knob setting (fewest parallel
  lanes, then fewest cycles) whose analytic busy cycles are ≤ the target;
* ``budget`` (total lanes): the smallest target whose cheapest settings fit;
* neither: *balanced* — the target is the bottleneck at maximal parallelism (the
  slowest layer at its fastest), so no layer is faster than the pipeline needs;
* ``overrides`` ``{layer: {"PO": .., "PI": .., "PK": ..}}`` pin knobs of single layers
  (checked: PI must divide CIN, PO ≤ COUT, PK ∈ {1, K});
* ``row_parallel`` offers PK = 3 (the three kernel rows of a 3×3 convolution per fan-in
  op); without it every 3×3 convolution keeps PK = 1 unless an override pins PK;
* ``event_driven`` sets ``EV = 1`` on every layer that has the knob (event-driven
  convolutions) unless an override pins EV. Planning uses the dense worst case
  (``LayerKind.cycles``), so the plan's other knobs do not change — unless
* ``activity`` (the golden model's tensors of planning samples) is given: every
  candidate is then costed by its busy cycles on the slowest planning sample
  (:class:`sdmf.hw.activity.ActivityCycles`) (with ``EV = 1`` where
  ``event_driven`` will set it), so each layer gets the lanes its real activity needs
  (docs/event-driven.md, "Planning on activity").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..activity import PlanCycles, Taps
from ..graph import HwGraph, HwLayer
from ..kinds import Knobs, LayerKind
from .base import GraphPass


class ChooseParallelism(GraphPass):
    def __init__(self, target_cycles: int | None = None, budget: int | None = None,
                 overrides: Mapping[str, Knobs] | None = None, row_parallel: bool = False,
                 event_driven: int = 0, activity: Sequence[Taps] | None = None) -> None:
        if target_cycles is not None and target_cycles < 1:
            raise ValueError(f"target_cycles must be >= 1, got {target_cycles}")
        if budget is not None and budget < 1:
            raise ValueError(f"budget must be >= 1, got {budget}")
        self.target_cycles = target_cycles
        self.budget = budget
        self.overrides = dict(overrides or {})
        self.row_parallel = row_parallel
        self.event_driven = event_driven
        self.activity = list(activity or [])
        self.costs: PlanCycles | None = None           # built on the graph by apply()

    def _cycles(self, spec: LayerKind, layer: HwLayer, knobs: Knobs) -> int:
        """The busy cycles the plan costs ``knobs`` at (:class:`PlanCycles`)."""
        if self.costs is None:
            raise RuntimeError("ChooseParallelism: costs are built by apply()")
        return self.costs(spec, layer, knobs)

    def _candidates(self, spec: LayerKind, layer: HwLayer) -> list[Knobs]:
        return [k for k in spec.candidates(layer) if self.row_parallel or k.get("PK", 1) == 1]

    def _best(self, spec: LayerKind, layer: HwLayer, target: int) -> tuple[Knobs, bool]:
        """Cheapest knobs meeting ``target`` (or the fastest, flagged False)."""
        cands = [(spec.cost(layer, k), self._cycles(spec, layer, k), k)
                 for k in self._candidates(spec, layer)]
        ok = [c for c in cands if c[1] <= target]
        if ok:
            return min(ok, key=lambda c: (c[0], c[1]))[2], True
        return min(cands, key=lambda c: (c[1], c[0]))[2], False

    def _plan(self, graph: HwGraph, layers: list[HwLayer], target: int) -> dict[str, Knobs]:
        return {lay.name: self._best(graph.spec(lay), lay, target)[0] for lay in layers}

    def _pin(self, graph: HwGraph) -> None:
        """Apply the overrides (validated; knobs they leave out: the fastest setting)."""
        for name in self.overrides:
            if name not in graph.layers:
                raise ValueError(f"parallelism override names layer {name!r}, which does not "
                                 f"exist; layers: {', '.join(graph.layers)}")
        for name, knobs in self.overrides.items():
            lay = graph.layers[name]
            spec = graph.spec(lay)
            spec.validate(lay, knobs)
            missing = set(spec.knobs(lay)) - set(knobs)
            base = self._best(spec, lay, self.target_cycles or 1)[0] if missing else {}
            lay.parallel = {**base, **knobs}
            lay.notes.append(f"parallelism overridden: {knobs}")

    def apply(self, graph: HwGraph) -> HwGraph:
        spec = graph.spec
        self.costs = PlanCycles(graph, self.event_driven, self.overrides, self.activity)
        free = [lay for lay in graph.layers.values()
                if spec(lay).knobs(lay) and lay.name not in self.overrides]
        self._pin(graph)
        fixed = [self._cycles(spec(lay), lay, lay.parallel if lay.name in self.overrides
                              else {})
                 for lay in graph.layers.values() if lay not in free]
        fastest = [min(self._cycles(spec(lay), lay, k) for k in self._candidates(spec(lay), lay))
                   for lay in free]
        floor = max([*fixed, *fastest], default=1)
        if self.target_cycles is not None:
            target, mode = self.target_cycles, "target"
        elif self.budget is not None:
            target, mode = self._fit_budget(graph, free, floor), "budget"
        else:
            target, mode = floor, "balanced"
        for lay in free:
            lay.parallel, met = self._best(spec(lay), lay, target)
            if not met:
                lay.notes.append(f"cannot meet {target} cycles; fastest setting chosen")
        for lay in graph.layers.values():
            if not spec(lay).knobs(lay):
                lay.parallel = {}
            else:
                lay.parallel = self.costs.with_ev(spec(lay), lay, lay.parallel)
        graph.info["parallelism"] = {"mode": mode, "target_cycles": target,
                                     "budget": self.budget,
                                     "lanes": sum(spec(lay).cost(lay, lay.parallel)
                                                  for lay in graph.layers.values()
                                                  if spec(lay).knobs(lay)),
                                     "overrides": {k: dict(v) for k, v in self.overrides.items()},
                                     "row_parallel": self.row_parallel,
                                     "event_driven": self.event_driven,
                                     "activity_samples": len(self.activity)}
        return graph

    def _fit_budget(self, graph: HwGraph, layers: list[HwLayer], floor: int) -> int:
        """Smallest target (≥ the unavoidable floor) whose plan stays within the budget."""
        targets = sorted({self._cycles(graph.spec(lay), lay, k) for lay in layers
                          for k in self._candidates(graph.spec(lay), lay)} | {floor})
        targets = [t for t in targets if t >= floor]

        def lanes(t: int) -> int:
            return sum(graph.spec(lay).cost(lay, k) for lay, k in
                       zip(layers, self._plan(graph, layers, t).values()))

        lo, hi = 0, len(targets) - 1
        if lanes(targets[hi]) > self.budget:  # type: ignore[operator]
            return targets[hi]
        while lo < hi:
            mid = (lo + hi) // 2
            if lanes(targets[mid]) <= self.budget:  # type: ignore[operator]
                hi = mid
            else:
                lo = mid + 1
        return targets[lo]
