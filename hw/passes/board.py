"""FitBoard: per-layer knobs and memory placement that minimise the pipeline's bottleneck
cycles within a board, by the calibrated resource model (:mod:`sdmf.hw.resources`).

For a cycle target every free layer takes the setting meeting it at the least
normalised resource cost ``Σ_r used_r / limit_r`` (limits: the board's fit rule — LUT ≤
``lut_limit``, 85 % by default, the others within the part); then the parameter memories
are placed (:func:`place`); the plan fits when every resource, the units' and the top
level's glue (:mod:`sdmf.hw.resources.glue`) together, is within its limit. The targets are
the candidates' analytic busy cycles (``LayerKind.cycles``; the exact interval is the
backend's, computed afterwards) and the search is a binary search for the smallest
target that fits. With planning samples (``activity``, ``--plan-activity``) every
candidate is costed at its busy cycles on the slowest of them instead
(:class:`sdmf.hw.activity.PlanCycles`). PK = 3 is always offered (throughput is the
goal). When even the slowest plan does not fit, it is kept and reported with its excess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..activity import PlanCycles, Taps
from ..boards import Board
from ..graph import HwGraph, HwLayer
from ..kinds import Knobs
from ..resources.estimate import Estimator
from ..resources.memory import MemCost
from ..resources.model import binding, fits, mem_cost, total, utilisation
from .base import GraphPass

LUT_LIMIT = 0.85
PROBES = (0.99, 0.98, 0.96, 0.93)   # faster targets tried after the binary search
Plan = dict[str, Knobs]
Placement = dict[str, dict[str, str]]


class FitBoard(GraphPass):
    def __init__(self, board: Board, estimator_factory: Callable[[HwGraph], Estimator],
                 overrides: Mapping[str, Knobs] | None = None,
                 placement: Mapping[str, Mapping[str, str]] | None = None,
                 event_driven: int = 0, activity: Sequence[Taps] | None = None,
                 lut_limit: float = LUT_LIMIT) -> None:
        if not 0.0 < lut_limit <= 1.0:
            raise ValueError(f"LUT limit {lut_limit}: a fraction of the part in (0, 1]")
        self.board = board
        self.lut_limit = lut_limit
        self.activity = list(activity or [])
        self.factory = estimator_factory   # graph -> Estimator (the backend's layouts)
        self.overrides = dict(overrides or {})
        self.fixed_placement = {k: dict(v) for k, v in (placement or {}).items()}
        self.event_driven = event_driven

    # ------------------------------------------------------------ evaluation
    def _util(self, totals: Mapping[str, int]) -> dict:
        return utilisation(totals, self.board.capacity, self.lut_limit)

    def _score(self, res: Mapping[str, int]) -> float:
        util = self._util(res)
        return sum(float("inf") if v["fraction"] is None else v["fraction"]
                   for v in util.values())

    def _cost(self, est: Estimator, lay: HwLayer, knobs: Knobs) -> float:
        """The setting's score with its parameter memories where Yosys puts them, or (a
        part with URAM, loaded memories) in URAM, whichever is less."""
        fixed = self.fixed_placement.get(lay.name, {})
        options = [fixed]
        if self.board.capacity.get("URAM"):
            ultra = {m.name: "uram" for m in est.memories(lay, knobs)
                     if m.no_init and m.name not in fixed}
            if ultra:
                options.append({**fixed, **ultra})
        return min(self._score(est.resources(lay, knobs, p)) for p in options)

    def _knobs(self, lay: HwLayer, knobs: Knobs) -> Knobs:
        """``knobs`` as the design will have them: with the EV ``event_driven`` sets, so the
        candidate is costed with the event-driven unit's memories (masks, weight banks)."""
        return self.costs.with_ev(self.graph.spec(lay), lay, knobs)

    def _best(self, est: Estimator, lay: HwLayer, target: int) -> Knobs:
        spec = self.graph.spec(lay)
        cands = [(self._cost(est, lay, k), self.costs(spec, lay, k), k)
                 for k in (self._knobs(lay, c) for c in spec.candidates(lay))]
        ok = [c for c in cands if c[1] <= target]
        if ok:
            return min(ok, key=lambda c: (c[0], c[1]))[2]
        return min(cands, key=lambda c: (c[1], c[0]))[2]

    def _evaluate(self, est: Estimator, plan: Plan) -> tuple[Placement, dict[str, int]]:
        placement = place(est, self.graph, plan, self.fixed_placement, self.board,
                          self.lut_limit)
        totals = total([*(est.resources(self.graph.layers[n], k, placement.get(n, {}))
                          for n, k in plan.items()), est.glue(plan)])
        return placement, totals

    # ------------------------------------------------------------ search
    def apply(self, graph: HwGraph) -> HwGraph:
        self.graph = graph
        self.costs = PlanCycles(graph, self.event_driven, self.overrides, self.activity)
        cyc = self.costs
        est = self.factory(graph)
        spec = graph.spec
        fixed: Plan = {}
        for lay in graph.layers.values():
            if lay.name in self.overrides:
                spec(lay).validate(lay, self.overrides[lay.name])
                fixed[lay.name] = self._knobs(lay, dict(self.overrides[lay.name]))
            elif not spec(lay).knobs(lay):
                fixed[lay.name] = {}
        free = [lay for lay in graph.layers.values() if lay.name not in fixed]
        for name in set(self.overrides) - set(graph.layers):
            raise ValueError(f"parallelism override names layer {name!r}, which does not exist")
        floor = max([cyc(spec(graph.layers[n]), graph.layers[n], k) for n, k in fixed.items()]
                    + [min(cyc(spec(lay), lay, k) for k in spec(lay).candidates(lay))
                       for lay in free], default=1)
        targets = sorted({cyc(spec(lay), lay, k) for lay in free
                          for k in spec(lay).candidates(lay)} | {floor})
        targets = [t for t in targets if t >= floor]

        def plan_of(t: int) -> Plan:
            return {**fixed, **{lay.name: self._best(est, lay, t) for lay in free}}

        def ok(t: int) -> bool:
            return fits(self._util(self._evaluate(est, plan_of(t))[1]))

        lo, hi = 0, len(targets) - 1
        if ok(targets[hi]):                # else nothing fits: the slowest, smallest plan
            while lo < hi:
                mid = (lo + hi) // 2
                if ok(targets[mid]):
                    hi = mid
                else:
                    lo = mid + 1
        target = self._probe_faster(targets, hi, ok)
        self._commit(graph, est, plan_of(target), target, targets)
        return graph

    @staticmethod
    def _probe_faster(targets: list[int], at: int, ok: Callable[[int], bool]) -> int:
        """The binary search's target, or a faster one that fits: per-layer cheapest
        choices and the placement make "fits" not quite monotone in the target, so the
        targets :data:`PROBES` fractions below it are tried too (the fastest that fits)."""
        best = targets[at]
        if not ok(best):                   # nothing fits: keep the slowest plan
            return best
        for frac in PROBES:
            below = [t for t in targets[:at] if t <= best * frac]
            if below and ok(below[-1]):
                best = below[-1]
        return best

    def _commit(self, graph: HwGraph, est: Estimator, plan: Plan, target: int,
                targets: list[int]) -> None:
        placement, totals = self._evaluate(est, plan)
        util = self._util(totals)
        faster = [t for t in targets if t < target]
        next_bind = None
        if faster:
            _, nxt = self._evaluate(est, {**plan, **{
                lay.name: self._best(est, lay, faster[-1]) for lay in graph.layers.values()
                if lay.name not in self.overrides and graph.spec(lay).knobs(lay)}})
            nu = self._util(nxt)
            over = [r for r, v in nu.items() if v["fraction"] is None or v["fraction"] > 1.0]
            next_bind = max(over, key=lambda r: nu[r]["fraction"] or float("inf")) \
                if over else None
        for lay in graph.layers.values():
            spec = graph.spec(lay)
            lay.parallel = self.costs.with_ev(spec, lay, plan[lay.name]) \
                if spec.knobs(lay) else {}
            lay.placement = {r: s for r, s in placement.get(lay.name, {}).items() if s != "auto"}
        graph.info["parallelism"] = {
            "mode": "board", "target_cycles": target, "budget": None,
            "lanes": sum(graph.spec(lay).cost(lay, lay.parallel)
                         for lay in graph.layers.values() if graph.spec(lay).knobs(lay)),
            "overrides": {k: dict(v) for k, v in self.overrides.items()},
            "row_parallel": True, "event_driven": self.event_driven,
            "activity_samples": len(self.activity)}
        graph.info["board_plan"] = {
            "board": self.board.name, "family": self.board.family, "lut_limit": self.lut_limit,
            "predicted": totals, "utilisation": util, "fits": fits(util),
            "binds": binding(util), "faster_target": faster[-1] if faster else None,
            "faster_exceeds": next_bind,
            "unplaced_memory": vars(sum((est.fixed_memory(graph.layers[n], k)
                                         for n, k in plan.items()), MemCost()))}


def place(est: Estimator, graph: HwGraph, plan: Plan, fixed: Mapping[str, Mapping[str, str]],
          board: Board, lut_limit: float) -> Placement:
    """Placement of the parameter and working memories (FIFO buffers) of ``plan``: each
    where Yosys puts it by itself (``auto``), then, while block RAM is over the part, the
    memories that save the most BRAM18 per URAM move to URAM (loaded parameters and working
    memories, which need no initial contents, on a part with URAM), then the cheapest
    in LUTs per BRAM18 saved to LUTRAM while the LUTs allow; while the LUTs are over, the
    parameter memories Yosys puts in LUTs move to block RAM while it has room. Memories
    pinned by ``fixed`` stay where they are."""
    placement: Placement = {n: dict(fixed.get(n, {})) for n in plan}
    movable = [(n, m) for n, k in plan.items() for m in est.memories(graph.layers[n], k)
               if m.name not in fixed.get(n, {}) and m.name in est.placeable(graph.layers[n])]
    used = total([*(est.resources(graph.layers[n], k, placement[n]) for n, k in plan.items()),
                  est.glue(plan)])
    cap = board.capacity
    lut_cap = int(cap["LUT"] * lut_limit)

    def cost(m, style):
        return mem_cost(m, est.family, style)

    def move(n, m, style):
        old, new = cost(m, placement[n].get(m.name, "auto")), cost(m, style)
        placement[n][m.name] = style
        used["BRAM18"] += new.BRAM18 - old.BRAM18
        used["URAM"] += new.URAM - old.URAM
        used["LUT_MEM"] += new.LUT_MEM - old.LUT_MEM

    in_bram = [(n, m) for n, m in movable if cost(m, "auto").BRAM18]
    if cap.get("URAM", 0):
        for n, m in sorted((x for x in in_bram if x[1].no_init),
                           key=lambda x: -cost(x[1], "bram").BRAM18 / cost(x[1], "uram").URAM):
            if used["BRAM18"] <= cap["BRAM18"]:
                break
            if used["URAM"] + cost(m, "uram").URAM <= cap["URAM"]:
                move(n, m, "uram")
    for n, m in sorted((x for x in in_bram if placement[x[0]].get(x[1].name) is None),
                       key=lambda x: cost(x[1], "lutram").LUT_MEM / cost(x[1], "bram").BRAM18):
        if used["BRAM18"] <= cap["BRAM18"]:
            break
        if used["LUT"] + used["LUT_MEM"] + cost(m, "lutram").LUT_MEM <= lut_cap:
            move(n, m, "lutram")
    in_lut = [(n, m) for n, m in movable if cost(m, "auto").LUT_MEM]
    for n, m in sorted(in_lut, key=lambda x: -cost(x[1], "auto").LUT_MEM
                       / max(1, cost(x[1], "bram").BRAM18)):
        if used["LUT"] + used["LUT_MEM"] <= lut_cap:
            break
        if used["BRAM18"] + cost(m, "bram").BRAM18 <= cap["BRAM18"]:
            move(n, m, "bram")
    return placement
