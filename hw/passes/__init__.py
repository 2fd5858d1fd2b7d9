"""FINN-style graph → graph passes of the hardware generator."""

from __future__ import annotations

from collections.abc import Mapping

from ..units import Knobs
from .base import GraphPass, run_passes
from .cycles import EstimateCycles
from .empty import RemoveEmpty
from .fifos import InsertForks, SizeFifos
from .memories import PlanMemories
from .parallelism import ChooseParallelism
from .widths import AssignWidths

__all__ = ["AssignWidths", "ChooseParallelism", "EstimateCycles", "GraphPass", "InsertForks",
           "PlanMemories", "RemoveEmpty", "SizeFifos", "default_passes", "run_passes"]


def default_passes(target_cycles: int | None = None, budget: int | None = None,
                   overrides: Mapping[str, Knobs] | None = None,
                   row_parallel: bool = False) -> list[GraphPass]:
    """The standard pipeline: empty units, widths, forks, FIFOs, parallelism, cycles,
    memories."""
    return [RemoveEmpty(), AssignWidths(), InsertForks(), SizeFifos(),
            ChooseParallelism(target_cycles, budget, overrides, row_parallel), EstimateCycles(),
            PlanMemories()]
