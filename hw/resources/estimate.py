"""Resource estimates of a graph's layers under candidate knobs and placements (what the
board planner asks), from the backend's memory layouts and the calibrated model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from sdmf.device.params import loader_word_bits

from .calibration import load_coeffs, load_glue
from .glue import predict_glue
from .memory import MemCost
from .model import memories_cost, predict
from .units import MemDesc, UnitDesc, features

if TYPE_CHECKING:
    from ..graph import HwGraph, HwLayer, Memory

Layouts = Callable[["HwLayer"], "list[Memory]"]      # the backend's memories of a layer
ParamRoles = Callable[["HwLayer"], "tuple[str, ...]"]  # its loadable parameter memories


class Estimator:
    """Predicted resources of ``graph``'s layers for ``family`` (cached per setting).

    ``layouts(layer)`` lays out the layer's memories under ``layer.parallel`` (the
    backend's); ``param_roles(layer)`` names the memories that are parameters — placeable,
    and runtime-loaded when ``loaded``; ``work_roles(layer)`` the working memories (FIFO
    buffers) — placeable, URAM included; ``counters``: the busy counters the top level
    reads out (its glue).
    """

    def __init__(self, graph: HwGraph, family: str, layouts: Layouts, param_roles: ParamRoles,
                 loaded: bool, work_roles: ParamRoles | None = None,
                 counters: int = 0) -> None:
        self.graph, self.family, self.loaded = graph, family, loaded
        self.counters = counters
        self.layouts, self.param_roles = layouts, param_roles
        self.work_roles: ParamRoles = work_roles or (lambda lay: ())
        self.coeffs = load_coeffs(family)
        self.glue_coeffs = load_glue(family)
        self._cache: dict[tuple, dict[str, int]] = {}
        self._mems: dict[tuple, list[MemDesc]] = {}

    def memories(self, layer: HwLayer, knobs: Mapping[str, int]) -> list[MemDesc]:
        """The layer's memories under ``knobs`` (placement ``auto``)."""
        key = (layer.name, tuple(sorted(knobs.items())))
        if key not in self._mems:
            saved = layer.parallel
            layer.parallel = dict(knobs)
            try:
                mems = self.layouts(layer)
            finally:
                layer.parallel = saved
            roles, work = self.param_roles(layer), self.work_roles(layer)
            self._mems[key] = [MemDesc(m.name, m.depth, m.width, "auto",
                                       self.loaded and m.name in roles,
                                       not self.loaded and m.name in roles, m.name in work,
                                       m.read_ports, m.banks, m.async_read,
                                       m.single_port)
                               for m in mems]
        return self._mems[key]

    def unit(self, layer: HwLayer, knobs: Mapping[str, int],
             placement: Mapping[str, str]) -> UnitDesc:
        mems = [MemDesc(m.name, m.depth, m.width, placement.get(m.name, "auto"), m.loaded,
                        m.rom, m.scratch, m.read_ports, m.banks, m.async_read,
                        m.single_port)
                for m in self.memories(layer, knobs)]
        g = self.graph
        return UnitDesc(layer.name, layer.kind, layer.attrs, layer.widths, dict(knobs),
                        sum(s.word_bits for s in g.inputs_of(layer.name)),
                        sum(s.word_bits for s in g.outputs_of(layer.name)), mems)

    def resources(self, layer: HwLayer, knobs: Mapping[str, int],
                  placement: Mapping[str, str] | None = None) -> dict[str, int]:
        """Predicted LUT, LUT_MEM, FF, BRAM18, URAM, DSP of ``layer`` (cached)."""
        placement = placement or {}
        key = (layer.name, tuple(sorted(knobs.items())), tuple(sorted(placement.items())))
        if key not in self._cache:
            self._cache[key] = predict(self.unit(layer, knobs, placement), self.coeffs,
                                       self.family)
        return self._cache[key]

    def glue(self, plan: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
        """Predicted resources of the top level's glue for ``plan`` (``{layer: knobs}``):
        its parameter loader's word register follows the widest loaded memory."""
        widths = [m.width for name, knobs in plan.items()
                  for m in self.memories(self.graph.layers[name], knobs) if m.loaded]
        return predict_glue(self.glue_coeffs, loader_word_bits(widths) if widths else 0,
                            self.counters)

    def placeable(self, layer: HwLayer) -> tuple[str, ...]:
        """The memories placement may move: parameters and working memories."""
        return (*self.param_roles(layer), *self.work_roles(layer))

    def fixed_memory(self, layer: HwLayer, knobs: Mapping[str, int]) -> MemCost:
        """The cost of the memories placement does not move: internal ones (line buffers,
        KV counters, column buffers, output buffers), all ``auto``."""
        unit = self.unit(layer, knobs, {})
        _, internal = features(unit)
        roles = self.placeable(layer)
        return memories_cost([*internal, *(m for m in unit.memories if m.name not in roles)],
                             self.family, layer.name)
