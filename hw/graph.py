"""The hardware graph: hardware layers (units) connected by streams of position words.

:func:`from_ir` turns an integer IR into an :class:`HwGraph`: each IR op that starts a
layer is handed to its kind (:meth:`sdmf.hw.kinds.LayerKind.from_ir`, which may fuse
following ops, e.g. a conv's ``lif``); alias ops (``flatten``: token order
``n = y·W + x`` is the raster order the stream already has) add a tap to their input's
stream. The kinds and the IR ops they take: :mod:`sdmf.hw.kinds`.

Forks and FIFOs, widths, parallelism and cycles are added by the passes
(:mod:`sdmf.hw.passes`), memories by the backend's plan. Backends only read the graph.
Only kept channels exist in the IR, so only kept channels exist here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sdmf.quant.bounds import TensorSpec
from sdmf.quant.ir import IntegerIR
from sdmf.quant.opdefs import Op
from sdmf.quant.validate import weight_bits

from .archwidths import WIDTH_MODES, architecture_bounds

if TYPE_CHECKING:
    from .kinds import KindSet, LayerKind

class GraphError(ValueError):
    """The IR cannot be mapped onto the unit library; the message names the op."""


@dataclass
class Memory:
    """One ROM of a layer: ``depth`` words of ``width`` bits, initialised from ``file``."""

    name: str           # role: weight, bias, theta, ...
    depth: int
    width: int
    file: str           # file name inside the project's mem/ folder
    data: list[int] = field(default_factory=list, repr=False)  # unsigned words
    bram18: int = 0     # 18 Kb block RAMs it takes (the backend's estimate)
    loaded: bool = False           # written at run time through the load stream (a RAM)
    param_id: int | None = None    # its id in the load stream (docs/params.md) if loaded
    style: str = "auto"            # placement: auto, bram, uram, lutram (sdmf.hw.resources)
    # asynchronous read ports: a LUT RAM read at several addresses in one cycle is one copy
    # per port (the K = 3 event-driven mask, read at the nine taps)
    read_ports: int = 1
    # read asynchronously (LUT RAM whatever its size): the K = 3 event-driven mask banks
    async_read: bool = False
    # read and written at one address (a single-port LUT RAM: RAMnX1S, 64 bits per LUT):
    # the maxpool's partial ORs
    single_port: bool = False
    # independent memories the word is split into, each ``width / banks`` bits with its own
    # address (the lane-event weight banks); loaded and addressed as one memory
    banks: int = 1

    @property
    def bits(self) -> int:
        return self.depth * self.width


@dataclass
class Stream:
    """A valid/ready stream of position words from ``src`` to port ``port`` of ``dst``.

    A position word holds all T time steps and all channels of one position, element
    ``t·C + c`` at bits ``[(t·C + c)·elem_bits +: elem_bits]``; it travels as ``nb``
    beats (transfers), beat b its slice ``[b·word_bits +: word_bits]`` (time steps
    ``b·T/nb`` to ``(b + 1)·T/nb − 1``; docs/hardware.md, "Narrow streams").
    """

    src: str
    dst: str
    port: str
    T: int
    channels: int
    positions: int
    lo: int
    hi: int
    taps: tuple[str, ...] = ()      # IR op names whose value this stream carries
    src_port: int = 0               # output index of a fork
    elem_bits: int = 0              # set by AssignWidths
    ignored: bool = False           # the consumer only counts tokens (its input was pruned)
    nb: int = 1                     # beats per position (SetBeats)

    @property
    def word_bits(self) -> int:
        """Bits of one transfer (beat): ``T/nb`` time steps of every channel."""
        return self.T // self.nb * self.channels * self.elem_bits

    @property
    def position_bits(self) -> int:
        """Bits of a whole position word (all ``nb`` beats)."""
        return self.T * self.channels * self.elem_bits

    @property
    def beats(self) -> int:
        """Transfers per inference: ``nb`` per position."""
        return self.positions * self.nb

    @property
    def name(self) -> str:
        base = f"{sanitize(self.src)}_to_{sanitize(self.dst)}_{self.port}"
        return base if self.src_port == 0 else f"{base}{self.src_port}"


@dataclass
class HwLayer:
    """One hardware unit instance.

    ``attrs`` holds the structure (shapes, K, T, N, F, ...), ``params`` the integer
    tensors it stores, ``bounds`` the IR intervals and ``ranges`` the parameter ranges
    its widths derive from;
    ``widths``, ``parallel`` and ``cycles`` are filled by passes, ``memories`` by the
    backend's plan.
    """

    name: str
    kind: str
    ops: tuple[str, ...] = ()
    tap: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    params: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    bounds: dict[str, tuple[int, int]] = field(default_factory=dict)
    # (lo, hi) of each stored parameter the widths size for: its values' range, or the
    # architecture's range (--widths architecture, sdmf.hw.archwidths)
    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)
    kept: dict[str, list[int]] | None = None
    widths: dict[str, int] = field(default_factory=dict)
    parallel: dict[str, int] = field(default_factory=dict)
    memories: list[Memory] = field(default_factory=list)
    placement: dict[str, str] = field(default_factory=dict)   # memory role -> style
    cycles: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def instance(self) -> str:
        return f"u_{sanitize(self.name)}"


def _default_kinds() -> KindSet:
    from .kinds import KINDS

    return KINDS


@dataclass
class HwGraph:
    """Layers in topological order plus the streams between them, under the specs of
    ``kinds`` (the backend's kind set)."""

    layers: dict[str, HwLayer]
    streams: list[Stream]
    info: dict[str, Any]
    kinds: KindSet = field(default_factory=_default_kinds, repr=False)
    ir: IntegerIR | None = field(default=None, repr=False)   # the IR it was built from

    def spec(self, layer: HwLayer) -> LayerKind:
        """The spec of ``layer``'s kind."""
        return self.kinds.of(layer)

    def layer(self, name: str) -> HwLayer:
        try:
            return self.layers[name]
        except KeyError:
            raise KeyError(f"no hardware layer named {name!r}") from None

    def inputs_of(self, name: str) -> list[Stream]:
        ports = self.spec(self.layers[name]).ports
        found = {s.port: s for s in self.streams if s.dst == name}
        return [found[p] for p in ports if p in found]

    def outputs_of(self, name: str) -> list[Stream]:
        return sorted((s for s in self.streams if s.src == name), key=lambda s: s.src_port)

    def of_kind(self, *kinds: str) -> list[HwLayer]:
        return [lay for lay in self.layers.values() if lay.kind in kinds]

    def insert_after(self, stream: Stream, layer: HwLayer) -> Stream:
        """Put ``layer`` (one input ``s``) on ``stream``; returns the new downstream stream."""
        if layer.name in self.layers:
            raise GraphError(f"layer {layer.name!r} exists already")
        down = Stream(src=layer.name, dst=stream.dst, port=stream.port, T=stream.T,
                      channels=stream.channels, positions=stream.positions, lo=stream.lo,
                      hi=stream.hi, taps=stream.taps, elem_bits=stream.elem_bits,
                      ignored=stream.ignored, nb=stream.nb)
        stream.dst, stream.port = layer.name, "s"
        self.streams.append(down)
        order = list(self.layers.items())
        at = next(i for i, (n, _) in enumerate(order) if n == stream.src) + 1
        order.insert(at, (layer.name, layer))
        self.layers = dict(order)
        return down

    def check(self) -> None:
        """Every input port of every layer is fed by exactly one stream."""
        for lay in self.layers.values():
            spec = self.spec(lay)
            ports = [s.port for s in self.streams if s.dst == lay.name]
            if sorted(ports) != sorted(spec.ports):
                raise GraphError(f"layer {lay.name!r} ({lay.kind}): input ports {ports}, "
                                 f"expected {list(spec.ports)}")
            outs = [s for s in self.streams if s.src == lay.name]
            if not spec.fans_out and len(outs) > 1:
                raise GraphError(f"layer {lay.name!r} feeds {len(outs)} streams; "
                                 "run InsertForks first")


def sanitize(name: str) -> str:
    """An HDL identifier from an IR/layer name (``blocks.0.attn.q`` → ``blocks_0_attn_q``)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


# ---------------------------------------------------------------------- IR -> graph


class IrBuilder:
    """The state of :func:`from_ir`: layers and streams so far, which layer produces each
    IR tensor, and the ops already fused. Kinds add to it in their ``from_ir``."""

    def __init__(self, ir: IntegerIR, widths: str = "weights") -> None:
        self.ir = ir
        self.specs: dict[str, TensorSpec] = ir.tensors
        self._ranges: dict[str, tuple[int, int]] = {}
        if widths == "architecture":          # the worst case of every weight set
            arch = architecture_bounds(ir)
            self.specs, self._ranges = arch.specs, arch.ranges
        elif widths != "weights":
            raise GraphError(f"widths {widths!r}: expected one of {', '.join(WIDTH_MODES)}")
        self.T = int(ir.input_shape[0])
        self.layers: dict[str, HwLayer] = {}
        self.streams: list[Stream] = []
        self.producer: dict[str, tuple[str, tuple[str, ...]]] = {}  # tensor -> (layer, taps)
        self.fused: set[str] = set()
        self._kept = ir.meta.get("kept_channels", {}) or {}

    def param(self, op: Op, key: str) -> np.ndarray:
        """Integer parameter ``key`` of ``op`` (int64)."""
        return np.asarray(self.ir.params[op.param_key(key)]).astype(np.int64)

    def range(self, op: Op, key: str) -> tuple[int, int]:
        """The range the widths size parameter ``key`` of ``op`` for: its values' (min,
        max), or the architecture's range (``widths="architecture"``)."""
        full = op.param_key(key)
        if full in self._ranges:
            return self._ranges[full]
        a = self.ir.params[full]
        return (int(a.min()), int(a.max())) if a.size else (0, 0)

    def bounds(self, tensor: str) -> tuple[int, int]:
        """The IR interval of ``tensor``."""
        spec = self.specs[tensor]
        return spec.lo, spec.hi

    def kept(self, name: str) -> dict[str, list[int]] | None:
        """``meta.kept_channels`` of layer ``name`` (out/in indices), if recorded."""
        kept = self._kept.get(name)
        return {"out": list(kept["out"]), "in": list(kept["in"])} if kept else None

    def fuse(self, op: Op, op_type: str) -> Op:
        """The single consumer of ``op``, which must be of ``op_type``; marked fused."""
        users = [u for u in self.ir.ops if op.name in u.inputs]
        if len(users) != 1 or users[0].type != op_type:
            raise GraphError(f"op {op.name!r} ({op.type}) must feed exactly one {op_type} op, "
                             f"feeds {[u.name for u in users]}")
        self.fused.add(users[0].name)
        return users[0]

    def add(self, layer: HwLayer, out_tensor: str | None) -> None:
        """Add ``layer``; it produces IR tensor ``out_tensor`` (None: nothing downstream)."""
        self.layers[layer.name] = layer
        if out_tensor is not None:
            self.producer[out_tensor] = (layer.name, (out_tensor,))

    def connect(self, tensor: str, dst: str, port: str) -> None:
        """A stream carrying IR tensor ``tensor`` into port ``port`` of layer ``dst``."""
        src, taps = self.producer[tensor]
        spec = self.specs[tensor]
        if spec.lo < 0:
            raise GraphError(f"tensor {tensor!r} is signed ({spec.lo}..{spec.hi}); "
                             "streams carry unsigned elements")
        shape = spec.shape
        positions = int(np.prod(shape[2:])) if len(shape) > 2 else 1
        self.streams.append(Stream(src=src, dst=dst, port=port, T=self.T,
                                   channels=int(shape[1]), positions=positions, lo=spec.lo,
                                   hi=spec.hi, taps=taps))

    def alias(self, op: Op) -> None:
        """``op`` produces no hardware: its value is a second tap of its input's stream."""
        src, taps = self.producer[op.inputs[0]]
        self.producer[op.name] = (src, (*taps, op.name))
        if src in self.layers:
            self.layers[src].notes.append(
                f"{op.name} is an alias of this stream (raster = token order)")


def from_ir(ir: IntegerIR, kinds: KindSet | None = None, widths: str = "weights") -> HwGraph:
    """The unoptimised hardware graph of ``ir`` (one stream per producer/consumer pair);
    ``widths``: the intervals its widths derive from, the IR's (``"weights"``) or its
    architecture's worst case (``"architecture"``, :mod:`sdmf.hw.archwidths`)."""
    if kinds is None:
        kinds = _default_kinds()
    b = IrBuilder(ir, widths)
    for op in ir.ops:
        if op.name in b.fused:
            continue
        if op.type in kinds.aliases:
            b.alias(op)
            continue
        kind = kinds.for_op(op.type)
        if kind is None:
            raise GraphError(f"op {op.name!r}: type {op.type!r} has no hardware unit")
        kind.from_ir(op, b)
    return HwGraph(layers=b.layers, streams=b.streams, info={**_info(ir), "widths": widths},
                   kinds=kinds, ir=ir)


def _info(ir: IntegerIR) -> dict[str, Any]:
    meta = ir.meta
    spec = meta.get("quant_spec", {}) or {}
    head = ir.ops[-1]
    T, C, H, W = (int(v) for v in ir.input_shape)
    return {
        "ir_hash": ir.content_hash(),
        "model": (meta.get("model_config") or {}).get("arch", "?") + "-"
        + str((meta.get("model_config") or {}).get("depth", "?")) + "-"
        + str((meta.get("model_config") or {}).get("dim", "?")),
        "input_shape": [T, C, H, W],
        "T": T,
        "in_bits": int(ir.ops[0].attrs["bits"]),
        "weight_bits": weight_bits(ir.ops, ir.params, meta),
        "frac_bits": int(spec.get("frac_bits", 4)),
        "classes": int(ir.params[head.param_key("weight")].shape[0]),
        "logit_scale": meta.get("logit_scale"),
        "kept_channels": meta.get("kept_channels", {}),
    }
