"""The generator's entry points: IR → graph → passes → backend plan → project folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sdmf.quant.ir import IntegerIR

from .backends.base import GenOptions, get_backend
from .graph import HwGraph, from_ir
from .kinds import Knobs
from .passes import default_passes, run_passes
from .writer import write_project


def build_graph(ir: IntegerIR, backend: str = "rtl", target_cycles: int | None = None,
                budget: int | None = None,
                overrides: Mapping[str, Knobs] | None = None,
                row_parallel: bool = False) -> HwGraph:
    """The finished hardware graph of ``ir`` under ``backend``'s layer kinds, with the
    backend's plan (memories) applied."""
    gen = get_backend(backend)
    passes = default_passes(target_cycles, budget, overrides, row_parallel)
    return gen.plan(run_passes(from_ir(ir, gen.kinds), passes))


def generate(ir: IntegerIR | str | Path, out: str | Path, backend: str = "rtl",
             trace: bool = False, counters: bool = False, target_cycles: int | None = None,
             budget: int | None = None,
             overrides: Mapping[str, Knobs] | None = None,
             row_parallel: bool = False, clock_mhz: float | None = None,
             board: str | None = None) -> dict[str, Any]:
    """Write the project of ``ir`` to ``out``; returns its report (report.json).
    ``clock_mhz``: the PL clock (default: ``board``'s, :mod:`sdmf.device.blockdesign`)."""
    if not isinstance(ir, IntegerIR):
        ir = IntegerIR.load(ir)
    graph = build_graph(ir, backend, target_cycles, budget, overrides, row_parallel)
    options = GenOptions(trace=trace, counters=counters, clock_mhz=clock_mhz, board=board)
    return write_project(graph, out, backend, options)
