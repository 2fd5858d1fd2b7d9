"""Backend interface and registry: a backend turns a finished :class:`HwGraph` into a project.

Graph construction and passes know nothing about backends. A backend declares the
:class:`~sdmf.hw.kinds.KindSet` its units follow (the passes ask its specs for cycles,
knobs and FIFO sizing; :meth:`KindSet.replace` swaps in kinds with other formulas),
plans what it alone decides on the finished graph — memory layouts
(:meth:`Backend.plan`) — and writes its sources, memory images and build scripts into
a project folder (:meth:`Backend.write`). Its per-kind halves (code generation, memory
layouts) live in its own folder, ``hw/backends/<name>/kinds/``. A Vitis HLS backend is
added by subclassing :class:`Backend` and decorating it with :func:`register_backend`.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..archwidths import WIDTH_MODES
from ..graph import HwGraph
from ..kinds import KINDS, KindSet

PARAM_MODES = ("rom", "loaded")


@dataclass(frozen=True)
class GenOptions:
    """Generation options shared by backends."""

    trace: bool = False          # simulation-only stream monitors (`ifdef SDMF_TRACE)
    counters: bool = False       # per-layer busy counters readable over AXI4-Lite
    # the PL clock the Vivado scripts ask the PS for and the interface records (MHz); None
    # in GenOptions given to the writer: the default of ``board`` (sdmf.device.blockdesign)
    clock_mhz: float | None = None
    board: str | None = None     # the board the clock default was taken from, if named
    # parameter memories: "rom" ($readmemh images) or "loaded" (RAMs written at start-up
    # through the input stream, docs/params.md)
    params: str = "rom"
    # datapath widths: from the IR's own bounds ("weights") or from the worst case of its
    # architecture ("architecture": the same RTL for every weight set; sdmf.hw.archwidths)
    widths: str = "weights"

    def __post_init__(self) -> None:
        for name, modes in (("params", PARAM_MODES), ("widths", WIDTH_MODES)):
            if getattr(self, name) not in modes:
                raise ValueError(f"GenOptions.{name}: {getattr(self, name)!r}, expected one "
                                 f"of {', '.join(modes)}")


@dataclass
class BackendOutput:
    """What a backend wrote (paths relative to the project folder)."""

    top: str
    sources: list[str]                      # in compilation order
    memories: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)   # build scripts (and file lists)
    ip_top: str | None = None               # the wrapper a vendor flow instantiates
    defines: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class Backend(ABC):
    """One code generator (RTL, HLS, ...)."""

    name: ClassVar[str] = ""
    kinds: ClassVar[KindSet] = KINDS

    def plan(self, graph: HwGraph, interval: bool = True) -> HwGraph:
        """Decide what only this backend knows on the finished graph: every layer's
        ``memories`` (depth × width in its layouts) and ``info['memory_bits']``; with
        ``interval``, a backend with a timing model also refines ``info['cycles']``."""
        return graph

    @abstractmethod
    def write(self, graph: HwGraph, root: Path, options: GenOptions) -> BackendOutput:
        """Write sources, memory images and build scripts under ``root``."""

    def bitstream_steps(self, board: str) -> list[tuple[str, ...]]:
        """The vendor tool runs (argv, run in the project folder, in order) that build the
        bitstream of ``board`` from this backend's scripts; none: no bitstream flow."""
        return []

    def carry_over(self, old: Path, new: Path) -> list[str]:
        """Copy into the freshly written project ``new`` the build outputs of the project
        ``old`` it replaces that are worth keeping (bitstreams, which record the design
        they were built from); returns their paths relative to the project."""
        return []


_REGISTRY: dict[str, type[Backend]] = {}
BUILTIN_BACKENDS = ("rtl", "hls")      # subpackages of hw/backends/ that register themselves


def register_backend(cls: type[Backend]) -> type[Backend]:
    """Class decorator: make a backend available by its ``name``."""
    if not cls.name:
        raise ValueError(f"backend class {cls.__name__} has no name")
    _REGISTRY[cls.name] = cls
    return cls


def _load_builtin() -> None:
    for name in BUILTIN_BACKENDS:
        importlib.import_module(f"{__package__}.{name}")


def get_backend(name: str) -> Backend:
    """An instance of the backend called ``name`` (``rtl``, ...)."""
    _load_builtin()
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; available: "
                         f"{', '.join(sorted(_REGISTRY))}") from None


def backend_names() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)
