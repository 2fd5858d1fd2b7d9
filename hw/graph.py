"""The hardware graph: hardware layers (units) connected by streams of position words.

:func:`from_ir` turns an integer IR into an :class:`HwGraph`, fusing ops the way
the unit library implements them (docs/hardware.md):

* ``conv2d``/``conv1d`` + its ``lif`` → ``conv_lif``;
* ``attention`` + the attention ``lif`` → ``attention_lif``;
* ``maxpool`` → ``maxpool``, ``residual_add`` → ``residual_add``, ``head`` → ``head``;
* ``flatten`` is no hardware: token order ``n = y·W + x`` is the raster order the
  stream already has, so its tap is an alias of its input's stream;
* ``input`` → ``input`` (AXI4-Stream unpacker); an ``output`` layer serialises the
  logits to AXI4-Stream.

Forks and FIFOs, widths, parallelism, cycles and memories are added by the passes
(:mod:`sdmf.hw.passes`). Backends only read the graph. Only kept channels exist in
the IR, so only kept channels exist here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sdmf.quant.bounds import TensorSpec
from sdmf.quant.ir import IntegerIR
from sdmf.quant.opdefs import Op
from sdmf.quant.validate import weight_bits

# kind -> input port names, in order
INPUT_PORTS: dict[str, tuple[str, ...]] = {
    "input": (),
    "conv_lif": ("s",),
    "maxpool": ("s",),
    "attention_lif": ("q", "k", "v"),
    "residual_add": ("r", "s"),
    "head": ("s",),
    "output": ("s",),
    "fork": ("s",),
    "fifo": ("s",),
}
COMPUTE_KINDS = ("conv_lif", "maxpool", "attention_lif", "residual_add", "head")


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

    @property
    def bits(self) -> int:
        return self.depth * self.width


@dataclass
class Stream:
    """A valid/ready stream of position words from ``src`` to port ``port`` of ``dst``.

    One word holds all T time steps and all channels of one position, element
    ``t·C + c`` at bits ``[(t·C + c)·elem_bits +: elem_bits]``.
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

    @property
    def word_bits(self) -> int:
        return self.T * self.channels * self.elem_bits

    @property
    def name(self) -> str:
        base = f"{sanitize(self.src)}_to_{sanitize(self.dst)}_{self.port}"
        return base if self.src_port == 0 else f"{base}{self.src_port}"


@dataclass
class HwLayer:
    """One hardware unit instance.

    ``attrs`` holds the structure (shapes, K, T, N, F, ...), ``params`` the integer
    tensors it stores, ``bounds`` the IR intervals its widths derive from;
    ``widths``, ``parallel``, ``memories`` and ``cycles`` are filled by passes.
    """

    name: str
    kind: str
    ops: tuple[str, ...] = ()
    tap: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    params: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    bounds: dict[str, tuple[int, int]] = field(default_factory=dict)
    kept: dict[str, list[int]] | None = None
    widths: dict[str, int] = field(default_factory=dict)
    parallel: dict[str, int] = field(default_factory=dict)
    memories: list[Memory] = field(default_factory=list)
    cycles: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def instance(self) -> str:
        return f"u_{sanitize(self.name)}"


@dataclass
class HwGraph:
    """Layers in topological order plus the streams between them."""

    layers: dict[str, HwLayer]
    streams: list[Stream]
    info: dict[str, Any]

    def layer(self, name: str) -> HwLayer:
        try:
            return self.layers[name]
        except KeyError:
            raise KeyError(f"no hardware layer named {name!r}") from None

    def inputs_of(self, name: str) -> list[Stream]:
        ports = INPUT_PORTS[self.layers[name].kind]
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
                      ignored=stream.ignored)
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
            ports = [s.port for s in self.streams if s.dst == lay.name]
            if sorted(ports) != sorted(INPUT_PORTS[lay.kind]):
                raise GraphError(f"layer {lay.name!r} ({lay.kind}): input ports {ports}, "
                                 f"expected {list(INPUT_PORTS[lay.kind])}")
            outs = [s for s in self.streams if s.src == lay.name]
            if lay.kind not in ("output", "fork") and len(outs) > 1:
                raise GraphError(f"layer {lay.name!r} feeds {len(outs)} streams; "
                                 "run InsertForks first")


def sanitize(name: str) -> str:
    """An HDL identifier from an IR/layer name (``blocks.0.attn.q`` → ``blocks_0_attn_q``)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


# ---------------------------------------------------------------------- IR -> graph


def _consumers(ops: list[Op], name: str) -> list[Op]:
    return [op for op in ops if name in op.inputs]


def _single_lif(ops: list[Op], op: Op) -> Op:
    users = _consumers(ops, op.name)
    if len(users) != 1 or users[0].type != "lif":
        raise GraphError(f"op {op.name!r} ({op.type}) must feed exactly one lif op, "
                         f"feeds {[u.name for u in users]}")
    return users[0]


def _base(name: str, suffix: str) -> str:
    return name[: -len(suffix)] if name.endswith(suffix) else name


def from_ir(ir: IntegerIR) -> HwGraph:
    """The unoptimised hardware graph of ``ir`` (one stream per producer/consumer pair)."""
    ops = ir.ops
    specs: dict[str, TensorSpec] = ir.tensors
    T = int(ir.input_shape[0])
    kept_meta = ir.meta.get("kept_channels", {}) or {}
    layers: dict[str, HwLayer] = {}
    streams: list[Stream] = []
    producer: dict[str, tuple[str, tuple[str, ...]]] = {}  # tensor -> (layer, taps)
    fused: set[str] = set()

    def p(op: Op, key: str) -> np.ndarray:
        return np.asarray(ir.params[op.param_key(key)]).astype(np.int64)

    def connect(tensor: str, dst: str, port: str) -> None:
        src, taps = producer[tensor]
        spec = specs[tensor]
        if spec.lo < 0:
            raise GraphError(f"tensor {tensor!r} is signed ({spec.lo}..{spec.hi}); "
                             "streams carry unsigned elements")
        shape = spec.shape
        positions = int(np.prod(shape[2:])) if len(shape) > 2 else 1
        streams.append(Stream(src=src, dst=dst, port=port, T=T, channels=int(shape[1]),
                              positions=positions, lo=spec.lo, hi=spec.hi, taps=taps))

    def add(layer: HwLayer, out_tensor: str | None) -> None:
        layers[layer.name] = layer
        if out_tensor is not None:
            producer[out_tensor] = (layer.name, (out_tensor,))

    for op in ops:
        if op.name in fused:
            continue
        t = op.type
        if t == "input":
            _, C, H, W = (int(v) for v in ir.input_shape)
            add(HwLayer("input", "input", (op.name,), op.name,
                        attrs={"T": T, "C": C, "H": H, "W": W, "in_bits": op.attrs["bits"]}),
                op.name)
        elif t in ("conv2d", "conv1d"):
            lif = _single_lif(ops, op)
            fused.add(lif.name)
            w = p(op, "weight")
            bias, theta = p(lif, "bias"), p(lif, "theta")
            xs = specs[op.inputs[0]].shape
            K = 3 if t == "conv2d" else 1
            H, W = (int(xs[2]), int(xs[3])) if K == 3 else (1, int(xs[2]))
            name = _base(op.name, ".conv")
            kept = kept_meta.get(name)
            add(HwLayer(name, "conv_lif", (op.name, lif.name), lif.name, attrs={
                "K": K, "H": H, "W": W, "positions": H * W, "T": T, "CIN": int(w.shape[1]),
                "COUT": int(w.shape[0]), "F": int(lif.attrs["frac_bits"]),
                "bias_per_token": int(bias.ndim == 2)},
                params={"weight": w.reshape(w.shape[0], w.shape[1], K * K), "bias": bias,
                        "theta": theta},
                bounds={"acc": (specs[op.name].lo, specs[op.name].hi),
                        "current": (specs[f"{lif.name}.current"].lo,
                                    specs[f"{lif.name}.current"].hi)},
                kept={"out": list(kept["out"]), "in": list(kept["in"])} if kept else None),
                lif.name)
            connect(op.inputs[0], name, "s")
        elif t == "maxpool":
            s = specs[op.inputs[0]].shape
            o = specs[op.name].shape
            add(HwLayer(op.name, "maxpool", (op.name,), op.name, attrs={
                "H": int(s[2]), "W": int(s[3]), "HO": int(o[2]), "WO": int(o[3]),
                "C": int(s[1]), "T": T, "positions": int(s[2] * s[3])}), op.name)
            connect(op.inputs[0], op.name, "s")
        elif t == "flatten":
            src, taps = producer[op.inputs[0]]
            producer[op.name] = (src, (*taps, op.name))
            for lay in layers.values():          # the alias is also a tap of the producer
                if lay.name == src:
                    lay.notes.append(f"{op.name} is an alias of this stream (raster = token order)")
        elif t == "attention":
            lif = _single_lif(ops, op)
            fused.add(lif.name)
            F = int(lif.attrs["frac_bits"])
            bias, theta = p(lif, "bias"), p(lif, "theta")
            if bias.size and (bias.ndim != 1 or np.any(bias != 0)):
                raise GraphError(f"op {lif.name!r}: the attention LIF needs a zero per-channel "
                                 "bias (docs/integer-semantics.md, Attention)")
            if theta.size and np.any(theta != 1 << (F + 1)):
                raise GraphError(f"op {lif.name!r}: the attention LIF needs theta = 2^(F+1) "
                                 f"= {1 << (F + 1)}, got {sorted(set(theta.tolist()))}")
            qs, vs = specs[op.inputs[0]].shape, specs[op.inputs[2]].shape
            name = _base(op.name, ".attention") + ".attention"
            hq, hv = p(op, "head_qk"), p(op, "head_v")
            for tag, arr in (("head_qk", hq), ("head_v", hv)):
                if arr.size and (np.any(np.diff(arr) < 0) or arr.max() > 255):
                    raise GraphError(f"op {op.name!r}: {tag} must be non-decreasing head tags "
                                     "in 0..255 (each head's channels contiguous)")
            if hq.size == 0 and hv.size:
                raise GraphError(f"op {op.name!r}: v channels without any q·k channel; the "
                                 "pruning cascade removes such heads")
            add(HwLayer(name, "attention_lif", (op.name, lif.name), lif.name, attrs={
                "N": int(qs[2]), "T": T, "CQK": int(qs[1]), "CV": int(vs[1]), "F": F,
                "positions": int(qs[2]), "heads": sorted({int(h) for h in hv.tolist()})},
                params={"head_qk": hq, "head_v": hv},
                bounds={"a": (specs[op.name].lo, specs[op.name].hi),
                        "current": (specs[f"{lif.name}.current"].lo,
                                    specs[f"{lif.name}.current"].hi),
                        "theta": (1 << (F + 1), 1 << (F + 1))}), lif.name)
            for port, src in zip(("q", "k", "v"), op.inputs):
                connect(src, name, port)
        elif t == "residual_add":
            ch = p(op, "channels")
            r, s = specs[op.inputs[0]].shape, specs[op.inputs[1]].shape
            add(HwLayer(op.name, "residual_add", (op.name,), op.name, attrs={
                "T": T, "D": int(r[1]), "CB": int(s[1]), "positions": int(r[2])},
                params={"channels": ch},
                bounds={"r_in": (specs[op.inputs[0]].lo, specs[op.inputs[0]].hi),
                        "r_out": (specs[op.name].lo, specs[op.name].hi)}), op.name)
            connect(op.inputs[0], op.name, "r")
            connect(op.inputs[1], op.name, "s")
        elif t == "head":
            w, bias = p(op, "weight"), p(op, "bias")
            r = specs[op.inputs[0]]
            N = int(r.shape[2])
            add(HwLayer(op.name, "head", (op.name,), op.name, attrs={
                "N": N, "T": T, "D": int(w.shape[1]), "K": int(w.shape[0]),
                "shift": int(op.attrs["shift"]), "positions": N},
                params={"weight": w, "bias": bias},
                bounds={"r": (r.lo, r.hi), "pool": (r.lo * T * N, r.hi * T * N),
                        "logit": (specs[op.name].lo, specs[op.name].hi)}), None)
            connect(op.inputs[0], op.name, "s")
            add(HwLayer("output", "output", (), None, attrs={"K": int(w.shape[0])}), None)
            # K logit words, then the class word (m_last)
            streams.append(Stream(src=op.name, dst="output", port="s", T=1,
                                  channels=1, positions=int(w.shape[0]) + 1,
                                  lo=specs[op.name].lo, hi=specs[op.name].hi, taps=(op.name,)))
        else:
            raise GraphError(f"op {op.name!r}: type {t!r} has no hardware unit")
    info = _info(ir)
    graph = HwGraph(layers=layers, streams=streams, info=info)
    return graph


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
