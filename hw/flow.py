"""The generator's entry points: IR → graph → passes → backend plan → project folder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sdmf.quant.ir import IntegerIR

from .activity import Taps, activity_report, layer_inputs
from .backends.base import GenOptions, get_backend
from .graph import HwGraph, from_ir
from .kinds import Knobs
from .passes import default_passes, run_passes
from .writer import write_project


def build_graph(ir: IntegerIR, backend: str = "rtl", target_cycles: int | None = None,
                budget: int | None = None,
                overrides: Mapping[str, Knobs] | None = None,
                row_parallel: bool = False, event_driven: bool = False,
                widths: str = "weights", activity: Sequence[Taps] | None = None,
                interval: bool = True) -> HwGraph:
    """The finished hardware graph of ``ir`` under ``backend``'s layer kinds, with the
    backend's plan (memories) applied; ``widths``: datapath widths from the IR's bounds
    or its architecture's worst case (:mod:`sdmf.hw.archwidths`); ``activity``: the
    golden tensors of planning samples (plan on their busy cycles, not the dense case);
    ``interval=False``: the plan skips the backend's interval model (``info['cycles']``
    keeps the bottleneck, ``interval_from: bottleneck``) for callers that only need the
    layers."""
    gen = get_backend(backend)
    passes = default_passes(target_cycles, budget, overrides, row_parallel, event_driven,
                            activity)
    return gen.plan(run_passes(from_ir(ir, gen.kinds, widths), passes), interval)


def generate(ir: IntegerIR | str | Path, out: str | Path, backend: str = "rtl",
             trace: bool = False, counters: bool = False, target_cycles: int | None = None,
             budget: int | None = None,
             overrides: Mapping[str, Knobs] | None = None,
             row_parallel: bool = False, event_driven: bool = False,
             clock_mhz: float | None = None, board: str | None = None,
             params: str = "rom", widths: str = "weights",
             activity: Sequence[Taps] | None = None) -> dict[str, Any]:
    """Write the project of ``ir`` to ``out``; returns its report (report.json).
    ``clock_mhz``: the PL clock (default: ``board``'s, :mod:`sdmf.device.blockdesign`);
    ``params``: ``"rom"`` or ``"loaded"`` parameter memories (docs/params.md);
    ``widths``: ``"weights"`` or ``"architecture"`` (:mod:`sdmf.hw.archwidths`);
    ``activity``: plan on these samples' golden tensors (:func:`build_graph`)."""
    if not isinstance(ir, IntegerIR):
        ir = IntegerIR.load(ir)
    options = GenOptions(trace=trace, counters=counters, clock_mhz=clock_mhz, board=board,
                         params=params, widths=widths)
    graph = build_graph(ir, backend, target_cycles, budget, overrides, row_parallel,
                        event_driven, widths, activity)
    if activity:
        graph.info["cycles"]["activity"] = activity_report(graph, activity)
    return write_project(graph, out, backend, options)


def sample_busy(graph: HwGraph, taps: Mapping[str, np.ndarray]) -> dict[str, int]:
    """Exact busy cycles of one inference of every data-dependent compute layer of
    ``graph`` (``LayerKind.sample_cycles``), from the golden model's tensors of that
    sample (``{IR op name: tensor}``, one sample, no batch axis)."""
    out = {}
    for lay in graph.layers.values():
        spec = graph.spec(lay)
        if not (spec.compute and spec.data_dependent(lay, lay.parallel)):
            continue
        out[lay.name] = spec.sample_cycles(lay, lay.parallel, layer_inputs(graph, lay, taps))
    return out
