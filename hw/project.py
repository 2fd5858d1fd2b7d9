"""The project manifest ``project.json``: a generated project folder is the unit of work.

``sdmf hwgen`` writes it next to the sources; ``sdmf sim --project``, ``sdmf synth`` and a
host read it. It names the backend, the top modules, the sources in compilation order,
the memory images, the build scripts, where the device interface is described, the IR
the project was generated from (copied into the project as ``model.sdmfir``, so a
project is self-contained for simulation) with its hash, the design hash (what
determines the hardware, docs/params.md), the generation options (with the
PL clock its Vivado scripts ask for and its interface records, ``options.clock_mhz``; None
in manifests written before the clock was a parameter), the
parallelism plan, the cycle model and (with ``--trace``) the trace map. ``report.json``
and ``report.md`` stay the detailed report; ``interface.json`` (:mod:`sdmf.device`) is
the device interface a host reads.

:meth:`Project.load` checks every field's type and names the file and field it refuses.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sdmf.io import write_json

from .backends.base import BackendOutput, GenOptions
from .graph import HwGraph

PROJECT_FORMAT = "sdmf-project/1"
PROJECT_FILE = "project.json"
IR_FILE = "model.sdmfir"


class ProjectError(ValueError):
    """A project folder or its manifest is missing or malformed (names file and field)."""


@dataclass(frozen=True)
class Plan:
    """The parallelism plan the project was generated with (docs/generator.md)."""

    mode: str                                  # balanced, target, budget or board
    target_cycles: int
    budget: int | None
    overrides: dict[str, dict[str, int]]       # --par
    row_parallel: bool
    lanes: int                                 # Σ cost of the chosen knobs
    knobs: dict[str, dict[str, int]]           # per layer with knobs
    event_driven: bool = False                 # --event-driven
    lane_events: bool = False                  # --event-driven lanes (EV = 2 where allowed)
    activity_samples: int = 0                  # --plan-activity: samples planned on (0:
    #                                            the dense worst case)
    # memory placement other than auto, per layer and memory (--fit-board, --mem)
    placement: dict[str, dict[str, str]] = field(default_factory=dict)
    word_beats: int = 1                        # beats per position word (--word-beats)
    decouple_rows: int = 0                     # decoupling FIFOs (--decouple-rows,
    fork_tokens: int = 0                       # --fork-fifo; sdmf.hw.passes.Decouple)
    pack_fifos: bool = False                   # --pack-fifos (sdmf.hw.passes.PackFifos)

    def build_kwargs(self) -> dict[str, Any]:
        """The planner arguments of ``build_graph`` / ``generate`` that rebuild this plan's
        graph: its knobs pinned, its event mode, placement, word beats and FIFOs (the one
        place a rebuild learns them)."""
        return {"overrides": self.knobs, "row_parallel": self.row_parallel,
                "event_driven": 2 if self.lane_events else int(self.event_driven),
                "placement": self.placement, "word_beats": self.word_beats,
                "decouple_rows": self.decouple_rows, "fork_tokens": self.fork_tokens,
                "pack_fifos": self.pack_fifos}


@dataclass(frozen=True)
class LayerCycles:
    kind: str
    busy: int                                  # busy cycles of one inference (data-
    #                                            dependent: the worst case)
    data_dependent: bool = False               # busy cycles depend on the sample (EV = 1)


@dataclass(frozen=True)
class CycleModel:
    """The cycle model: every compute layer's busy cycles and the pipelined interval
    (``interval_from``: ``recurrence``, the RTL's token-level model, or ``bottleneck``,
    the slowest layer's busy cycles, a lower bound — ``bound``)."""

    interval: int
    bottleneck: str | None
    sum: int
    layers: dict[str, LayerCycles]
    bound: int = 0                             # the bottleneck layer's busy cycles
    interval_from: str = "bottleneck"


@dataclass(frozen=True)
class TraceTap:
    file: str                                  # relative to the simulation's run folder
    stream: str
    T: int
    channels: int
    elem_bits: int
    positions: int
    nb: int = 1                                # beats per position (one word per beat)


@dataclass(frozen=True)
class Trace:
    """The simulation-only monitors of a project generated with ``--trace``."""

    dir: str
    busy: str                                  # busy counters dumped at each done
    taps: dict[str, TraceTap]
    busy_layers: list[str]


@dataclass(frozen=True)
class Project:
    """The typed content of ``project.json`` (paths relative to the project folder)."""

    backend: str
    top: str
    ip_top: str | None
    sources: list[str]                         # in compilation order
    memories: list[str]
    scripts: list[str]
    interface: str | None                      # the device interface file (interface.json)
    ir: str | None                             # the IR copy (None: generated from a graph)
    ir_hash: str
    options: GenOptions
    plan: Plan
    cycles: CycleModel
    trace: Trace | None
    removed_taps: list[str]                    # IR ops of units pruned away entirely
    # what determines the hardware (hw/backends/rtl/designhash.py); None: a backend
    # without one, or a manifest written before it existed
    design_hash: str | None = None
    format: str = PROJECT_FORMAT

    def to_json(self) -> dict[str, Any]:
        return {"format": self.format, **{k: v for k, v in dataclasses.asdict(self).items()
                                          if k != "format"}}

    @classmethod
    def from_json(cls, data: Any, source: str = PROJECT_FILE) -> Project:
        """Check and convert; :class:`ProjectError` names ``source`` and the field."""
        if not isinstance(data, dict):
            raise ProjectError(f"{source}: expected a JSON object")
        fmt = data.get("format")
        if fmt != PROJECT_FORMAT:
            raise ProjectError(f"{source}: field format is {fmt!r}, expected "
                               f"{PROJECT_FORMAT!r}")
        return _convert(data, cls, "", source)

    def save(self, root: str | Path) -> Path:
        """Write ``root/project.json`` atomically."""
        return write_json(Path(root) / PROJECT_FILE, self.to_json())

    @classmethod
    def load(cls, root: str | Path) -> Project:
        """Read and check ``root/project.json``; every listed file must exist."""
        path = Path(root) / PROJECT_FILE
        if not path.is_file():
            raise ProjectError(f"{path} does not exist: is {root} a project written by "
                               "`sdmf hwgen`?")
        try:
            data = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ProjectError(f"{path}: not readable JSON ({exc})") from exc
        project = cls.from_json(data, str(path))
        files = [(f"sources[{i}]", s) for i, s in enumerate(project.sources)]
        files += [(f"memories[{i}]", m) for i, m in enumerate(project.memories)]
        files += [("interface", project.interface)] if project.interface else []
        files += [("ir", project.ir)] if project.ir else []
        for name, rel in files:
            if not (Path(root) / rel).is_file():
                raise ProjectError(f"{path}: field {name} names {rel!r}, which does not exist")
        return project


def _convert(value: Any, tp: Any, path: str, source: str) -> Any:
    """``value`` as type ``tp`` (dataclasses, lists, str-keyed dicts, scalars, optionals)."""
    def fail(what: str) -> ProjectError:
        return ProjectError(f"{source}: field {path or '(top level)'} must be {what}, "
                            f"got {json.dumps(value)[:60]}")

    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(value, inner, path, source)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise fail("an object")
        hints = typing.get_type_hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        unknown = sorted(set(value) - names)
        if unknown:
            raise ProjectError(f"{source}: unknown field {path + '.' if path else ''}"
                               f"{unknown[0]}")
        kwargs = {}
        for f in dataclasses.fields(tp):
            sub = f"{path}.{f.name}" if path else f.name
            if f.name not in value:
                if f.default is dataclasses.MISSING \
                        and f.default_factory is dataclasses.MISSING:
                    raise ProjectError(f"{source}: missing field {sub}")
                continue
            kwargs[f.name] = _convert(value[f.name], hints[f.name], sub, source)
        try:
            return tp(**kwargs)
        except ValueError as e:                  # a dataclass's own check (GenOptions)
            raise ProjectError(f"{source}: field {path or tp.__name__}: {e}") from None
    if origin is list:
        if not isinstance(value, list):
            raise fail("a list")
        return [_convert(v, args[0], f"{path}[{i}]", source) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise fail("an object")
        return {k: _convert(v, args[1], f"{path}[{k!r}]", source) for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if tp is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail("an integer")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise fail("a string")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail("a number")
        return float(value)
    raise TypeError(f"unsupported manifest type {tp!r}")


def manifest(graph: HwGraph, backend: str, out: BackendOutput, options: GenOptions,
             ir_file: str | None, interface_file: str | None) -> Project:
    """The manifest of the project ``backend`` wrote (``out``) for ``graph``, with the
    IR copy and the device interface file the writer added (None: not written)."""
    par, cyc = graph.info["parallelism"], graph.info["cycles"]
    plan = Plan(mode=par["mode"], target_cycles=par["target_cycles"], budget=par["budget"],
                overrides=par.get("overrides", {}), row_parallel=par.get("row_parallel", False),
                lanes=par["lanes"], event_driven=bool(par.get("event_driven", False)),
                lane_events=par.get("event_driven") == 2,
                activity_samples=par.get("activity_samples", 0),
                word_beats=graph.info.get("word_beats", 1),
                decouple_rows=graph.info.get("decouple", {}).get("rows", 0),
                fork_tokens=graph.info.get("decouple", {}).get("fork_tokens", 0),
                pack_fifos=graph.info.get("pack_fifos", {}).get("enabled", False),
                knobs={lay.name: dict(lay.parallel) for lay in graph.layers.values()
                       if lay.parallel},
                placement={lay.name: dict(lay.placement) for lay in graph.layers.values()
                           if lay.placement})
    layers = {lay.name: LayerCycles(lay.kind, int(lay.cycles or 0),
                                    graph.spec(lay).data_dependent(lay, lay.parallel))
              for lay in graph.layers.values() if graph.spec(lay).compute}
    cycles = CycleModel(interval=cyc["interval"], bottleneck=cyc["bottleneck"], sum=cyc["sum"],
                        layers=layers, bound=cyc["bound"], interval_from=cyc["interval_from"])
    trace = out.extra.get("trace")
    return Project(
        backend=backend, top=out.top, ip_top=out.ip_top, sources=list(out.sources),
        memories=list(out.memories), scripts=list(out.scripts), interface=interface_file,
        ir=ir_file, ir_hash=graph.info["ir_hash"], options=options, plan=plan, cycles=cycles,
        trace=_convert(trace, Trace, "trace", "backend output") if trace else None,
        removed_taps=list(graph.info.get("removed_taps", [])),
        design_hash=graph.info.get("design_hash"))


__all__ = ["IR_FILE", "PROJECT_FILE", "PROJECT_FORMAT", "CycleModel", "LayerCycles", "Plan",
           "Project", "ProjectError", "Trace", "TraceTap", "manifest"]
