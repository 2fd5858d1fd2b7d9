"""FINN-style graph → graph passes of the hardware generator.

Every pass asks the layer kinds' specs (:mod:`sdmf.hw.kinds`); memories are planned by
the backend afterwards (:meth:`sdmf.hw.backends.base.Backend.plan`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..activity import Taps
from ..kinds import Knobs
from .base import GraphPass, run_passes
from .beats import SetBeats
from .board import FitBoard
from .cycles import EstimateCycles
from .decouple import Decouple
from .empty import RemoveEmpty
from .fifos import InsertForks, SizeFifos
from .packfifos import PackFifos
from .parallelism import ChooseParallelism
from .widths import AssignWidths

__all__ = [
    "AssignWidths",
    "ChooseParallelism",
    "Decouple",
    "EstimateCycles",
    "FitBoard",
    "GraphPass",
    "InsertForks",
    "PackFifos",
    "RemoveEmpty",
    "SetBeats",
    "SizeFifos",
    "default_passes",
    "run_passes",
]


def default_passes(target_cycles: int | None = None, budget: int | None = None,
                   overrides: Mapping[str, Knobs] | None = None,
                   row_parallel: bool = False, event_driven: int = 0,
                   activity: Sequence[Taps] | None = None,
                   planner: GraphPass | None = None,
                   word_beats: int = 1, decouple_rows: int = 0,
                   fork_tokens: int = 0, pack_fifos: bool = False) -> list[GraphPass]:
    """The standard pipeline: empty units, widths, forks, FIFOs, parallelism, cycles
    (``activity``: plan on these samples' golden tensors, :class:`ChooseParallelism`;
    ``planner``: another parallelism pass instead of :class:`ChooseParallelism`, e.g.
    :class:`FitBoard`; ``word_beats``: beats per position word, :class:`SetBeats`;
    ``decouple_rows`` / ``fork_tokens``: the decoupling FIFOs, :class:`Decouple`;
    ``pack_fifos``: FIFO words as sub-words for UltraRAM, :class:`PackFifos`)."""
    return [SetBeats(word_beats), RemoveEmpty(), AssignWidths(), InsertForks(), SizeFifos(),
            Decouple(decouple_rows, fork_tokens), PackFifos(pack_fifos),
            planner or ChooseParallelism(target_cycles, budget, overrides, row_parallel,
                                         event_driven, activity),
            EstimateCycles()]
