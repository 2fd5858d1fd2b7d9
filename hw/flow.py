"""The generator's entry points: IR → graph → passes → backend plan → project folder."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sdmf.quant.ir import IntegerIR

from .activity import Taps, activity_report, layer_inputs
from .backends.base import GenOptions, get_backend
from .boards import BOARDS
from .graph import HwGraph, from_ir
from .kinds import Knobs
from .passes import FitBoard, default_passes, run_passes
from .passes.board import LUT_LIMIT
from .resources.estimate import Estimator
from .resources.memory import STYLES
from .writer import write_project


def build_graph(ir: IntegerIR, backend: str = "rtl", target_cycles: int | None = None,
                budget: int | None = None,
                overrides: Mapping[str, Knobs] | None = None,
                row_parallel: bool = False, event_driven: int = 0,
                widths: str = "weights", activity: Sequence[Taps] | None = None,
                interval: bool = True, fit_board: str | None = None, params: str = "rom",
                placement: Mapping[str, Mapping[str, str]] | None = None,
                word_beats: int = 1, lut_limit: float = LUT_LIMIT, decouple_rows: int = 0,
                fork_tokens: int = 0, pack_fifos: bool = False,
                counters: bool = False) -> HwGraph:
    """The finished hardware graph of ``ir`` under ``backend``'s layer kinds, with the
    backend's plan (memories) applied; ``widths``: datapath widths from the IR's bounds
    or its architecture's worst case (:mod:`sdmf.hw.archwidths`); ``activity``: the
    golden tensors of planning samples (plan on their busy cycles, not the dense case);
    ``interval=False``: the plan skips the backend's interval model (``info['cycles']``
    keeps the bottleneck, ``interval_from: bottleneck``) for callers that only need the
    layers. ``fit_board``: plan knobs and memory placement for that board
    (:class:`sdmf.hw.passes.FitBoard`) instead of the cycle target / budget;
    ``placement``: ``{layer: {memory: style}}`` pinned; ``word_beats``: beats per position
    word on every stream (:class:`sdmf.hw.passes.SetBeats`); ``lut_limit``: board
    planning's LUT limit (fraction of the part); ``decouple_rows`` / ``fork_tokens``: the
    decoupling FIFOs (:class:`sdmf.hw.passes.Decouple`); ``pack_fifos``: FIFO words as
    sub-words for UltraRAM (:class:`sdmf.hw.passes.PackFifos`); ``counters``: the design
    reads out busy counters (board planning prices their glue)."""
    gen = get_backend(backend)
    planner = None
    if event_driven == 2 and params != "loaded":
        raise ValueError("lane events (--event-driven lanes, EV=2) need runtime-loaded "
                         "parameters (--params loaded): each input lane's weight bank is "
                         "written through the loader")
    if fit_board is not None:
        if target_cycles is not None or budget is not None:
            raise ValueError("board planning chooses the cycle target itself: drop "
                             "--target-cycles / --budget")
        board = BOARDS[fit_board]
        planner = FitBoard(board, board_estimator(backend, params, board.family, counters),
                           overrides,
                           placement, event_driven, activity, lut_limit)
    passes = default_passes(target_cycles, budget, overrides, row_parallel, event_driven,
                            activity, planner, word_beats, decouple_rows, fork_tokens,
                            pack_fifos)
    graph = run_passes(from_ir(ir, gen.kinds, widths), passes)
    lanes = [lay.name for lay in graph.layers.values() if lay.parallel.get("EV") == 2]
    if lanes and params != "loaded":
        raise ValueError(f"layers {', '.join(lanes)}: EV=2 (lane events) needs runtime-"
                         "loaded parameters (--params loaded)")
    if planner is None:
        pin_placement(graph, placement or {})
    return gen.plan(graph, interval)


def pin_placement(graph: HwGraph, placement: Mapping[str, Mapping[str, str]]) -> None:
    """Set the memory placement of single layers (checked: the layer exists, the styles
    are known; the backend's plan checks the memory names)."""
    for name, styles in placement.items():
        if name not in graph.layers:
            raise ValueError(f"memory placement names layer {name!r}, which does not exist; "
                             f"layers: {', '.join(graph.layers)}")
        for role, style in styles.items():
            if style not in STYLES:
                raise ValueError(f"memory placement {name}:{role}={style}: the placement "
                                 f"must be one of {', '.join(STYLES)}")
        graph.layers[name].placement = dict(styles)


def board_estimator(backend: str, params: str, family: str,
                    counters: bool = False) -> Callable[[HwGraph], Estimator]:
    """The resource estimator factory of board planning (the RTL units' model);
    ``counters``: the top level reads out every unit's busy counter."""
    if backend != "rtl":
        raise ValueError(f"board planning models the RTL units; backend {backend!r} has "
                         "no resource model")
    from .backends.rtl.kinds import rtl_kind
    from .backends.rtl.topgen import busy_layers

    def make(graph: HwGraph) -> Estimator:
        return Estimator(graph, family, lambda lay: rtl_kind(lay).memories(lay),
                         lambda lay: rtl_kind(lay).prm_roles, params == "loaded",
                         lambda lay: rtl_kind(lay).work_roles,
                         len(busy_layers(graph)) if counters else 0)
    return make


def generate(ir: IntegerIR | str | Path, out: str | Path, backend: str = "rtl",
             trace: bool = False, counters: bool = False, target_cycles: int | None = None,
             budget: int | None = None,
             overrides: Mapping[str, Knobs] | None = None,
             row_parallel: bool = False, event_driven: int = 0,
             clock_mhz: float | None = None, board: str | None = None,
             params: str = "rom", widths: str = "weights",
             activity: Sequence[Taps] | None = None, fit_board: bool = False,
             placement: Mapping[str, Mapping[str, str]] | None = None,
             word_beats: int = 1, lut_limit: float = LUT_LIMIT, decouple_rows: int = 0,
             fork_tokens: int = 0, pack_fifos: bool = False) -> dict[str, Any]:
    """Write the project of ``ir`` to ``out``; returns its report (report.json).
    ``clock_mhz``: the PL clock (default: ``board``'s, :mod:`sdmf.device.blockdesign`);
    ``params``: ``"rom"`` or ``"loaded"`` parameter memories (docs/params.md);
    ``widths``: ``"weights"`` or ``"architecture"`` (:mod:`sdmf.hw.archwidths`);
    ``activity``: plan on these samples' golden tensors (:func:`build_graph`);
    ``fit_board``: plan knobs and memory placement for ``board`` (:class:`FitBoard`);
    ``placement``: memory placements pinned per layer; ``word_beats``: beats per position word;
    ``lut_limit``: board planning's LUT limit; ``decouple_rows`` / ``fork_tokens``: the
    decoupling FIFOs; ``pack_fifos``: FIFO words as sub-words (:class:`PackFifos`)."""
    if not isinstance(ir, IntegerIR):
        ir = IntegerIR.load(ir)
    options = GenOptions(trace=trace, counters=counters, clock_mhz=clock_mhz, board=board,
                         params=params, widths=widths)
    if fit_board and board is None:
        raise ValueError("board planning needs a board (--board)")
    graph = build_graph(ir, backend, target_cycles, budget, overrides, row_parallel,
                        event_driven, widths, activity,
                        fit_board=board if fit_board else None, params=params,
                        placement=placement, word_beats=word_beats, lut_limit=lut_limit,
                        decouple_rows=decouple_rows, fork_tokens=fork_tokens,
                        pack_fifos=pack_fifos, counters=counters)
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
