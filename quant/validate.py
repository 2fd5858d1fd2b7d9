"""The IR gate: every invariant the golden model and the backends rely on.

:func:`validate` runs on every :class:`~sdmf.quant.ir.IntegerIR`, whether read from a
file or built through the API, so an IR that exists executes identically in the golden
model and in every backend; one it refuses raises :class:`IRError` naming the field
(``input_shape[0]``, ``ops[12].params.channels``, ``meta.quant_spec.weight_bits``).
Shape inference and its checks live in :func:`sdmf.quant.bounds.analyze`, the limits in
:mod:`sdmf.quant.limits`. docs/ir.md ("Validation on load") lists the invariants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .bounds import AnalysisError, TensorSpec, analyze, logit_bits, signed_bits
from .limits import (
    FRAC_BITS,
    IN_BITS,
    MAX_CHANNELS,
    MAX_CLASSES,
    MAX_HEAD_TAG,
    MAX_LOGIT_BITS,
    MAX_POSITIONS,
    MAX_SHIFT,
    MAX_SIDE,
    MAX_T,
    WEIGHT_BITS,
)
from .opdefs import INPUT_COUNT, OP_TYPES, PARAM_NAMES, REQUIRED_ATTRS, Op

ATTR_RANGES: dict[str, tuple[int, int]] = {"bits": IN_BITS, "frac_bits": FRAC_BITS,
                                           "shift": (0, MAX_SHIFT)}
FUSED_PRODUCERS = ("conv2d", "conv1d", "attention")   # each feeds exactly one lif
WEIGHTED = ("conv2d", "conv1d", "head")
SPIKE_INPUTS = {"maxpool": (0,), "attention": (0, 1, 2), "residual_add": (1,)}


class IRError(ValueError):
    """An IR file or object that is inconsistent; the message names the field."""


class _Gate:
    """Raises :class:`IRError` with the source (file name or ``IntegerIR``) prefixed."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, field: str, message: str) -> IRError:
        return IRError(f"{self.source}: field {field!r} {message}")


def is_int(value: Any) -> bool:
    """A Python or NumPy integer (``bool`` excluded)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def validate(ops: Sequence[Op], params: Mapping[str, np.ndarray], input_shape: Any,
             meta: Any, source: str) -> tuple[tuple[int, int, int, int], dict[str, TensorSpec]]:
    """Check an IR's content; returns its input shape as ints and every tensor's spec."""
    gate = _Gate(source)
    shape = _input_shape(gate, input_shape)
    _ops(gate, ops)
    _structure(gate, ops)
    _params(gate, ops, params, meta)
    try:
        specs = analyze(list(ops), params, shape)
    except AnalysisError as exc:
        raise gate.fail(exc.field, exc.detail) from exc
    _dataflow(gate, ops, params, specs)
    return shape, specs


def _input_shape(gate: _Gate, raw: Any) -> tuple[int, int, int, int]:
    if not isinstance(raw, (list, tuple)) or len(raw) != 4:
        raise gate.fail("input_shape", f"must be [T, C, H, W], got {raw!r}")
    limits = (("T", MAX_T), ("C", MAX_CHANNELS), ("H", MAX_SIDE), ("W", MAX_SIDE))
    for i, (v, (name, hi)) in enumerate(zip(raw, limits)):
        if not is_int(v) or not 1 <= v <= hi:
            raise gate.fail(f"input_shape[{i}]", f"({name}) must be an integer in 1..{hi}, "
                            f"got {v!r}")
    T, C, H, W = (int(v) for v in raw)
    if H * W > MAX_POSITIONS:
        raise gate.fail("input_shape", f"H·W = {H * W} positions exceed {MAX_POSITIONS}")
    return T, C, H, W


def _ops(gate: _Gate, ops: Sequence[Op]) -> None:
    """Op records: types, unique names, inputs defined earlier, attributes in range."""
    if not isinstance(ops, (list, tuple)) or not ops:
        raise gate.fail("ops", "must be a non-empty list of ops")
    defined: set[str] = set()
    for i, op in enumerate(ops):
        where = f"ops[{i}]"
        if not isinstance(op, Op):
            raise gate.fail(where, f"must be an Op, got {type(op).__name__}")
        if not isinstance(op.name, str) or not op.name or op.name.endswith(".current"):
            raise gate.fail(f"{where}.name", f"must be a non-empty string not ending in "
                            f"'.current', got {op.name!r}")
        if op.type not in OP_TYPES:
            raise gate.fail(f"{where}.type", f"is {op.type!r}, expected one of "
                            f"{', '.join(OP_TYPES)}")
        if op.name in defined:
            raise gate.fail(f"{where}.name", f"{op.name!r} is defined twice")
        if not isinstance(op.attrs, Mapping):
            raise gate.fail(f"{where}.attrs", "must be a mapping")
        for attr in REQUIRED_ATTRS.get(op.type, ()):
            lo, hi = ATTR_RANGES[attr]
            v = op.attrs.get(attr)
            if not is_int(v) or not lo <= v <= hi:
                raise gate.fail(f"{where}.attrs.{attr}", f"must be an integer in {lo}..{hi}, "
                                f"got {v!r}")
        want = INPUT_COUNT.get(op.type, 1)
        if not isinstance(op.inputs, (list, tuple)) or len(op.inputs) != want:
            raise gate.fail(f"{where}.inputs", f"must list {want} tensor(s)")
        for src in op.inputs:
            if not isinstance(src, str) or src not in defined:
                raise gate.fail(f"{where}.inputs", f"names {src!r}, which no earlier op defines")
        defined.add(op.name)


def _structure(gate: _Gate, ops: Sequence[Op]) -> None:
    """One input op first, one head last; every output used; conv/attention → one lif."""
    for i, op in enumerate(ops):
        if (op.type == "input") != (i == 0) or (op.type == "head") != (i == len(ops) - 1):
            raise gate.fail(f"ops[{i}].type", "the program must start with its only input op "
                            f"and end with its only head op (op {op.name!r} is {op.type})")
    users: dict[str, list[Op]] = {op.name: [] for op in ops}
    for op in ops:
        for src in op.inputs:
            users[src].append(op)
    types = {op.name: op.type for op in ops}
    for i, op in enumerate(ops[:-1]):
        used = users[op.name]
        if not used:
            raise gate.fail(f"ops[{i}]", f"(op {op.name!r}) output is never used")
        if op.type in FUSED_PRODUCERS and (len(used) != 1 or used[0].type != "lif"):
            raise gate.fail(f"ops[{i}]", f"(op {op.name!r}, {op.type}) must feed exactly one "
                            f"lif op, feeds {[u.name for u in used]}")
        if op.type == "lif" and types[op.inputs[0]] not in FUSED_PRODUCERS:
            raise gate.fail(f"ops[{i}].inputs", f"(op {op.name!r}) a lif reads a conv2d, "
                            f"conv1d or attention output, not {types[op.inputs[0]]}")


def _params(gate: _Gate, ops: Sequence[Op], params: Mapping[str, np.ndarray],
            meta: Any) -> None:
    """Every op's parameters present, integer, nothing extra; weights within weight bits."""
    expected = {op.param_key(p) for op in ops for p in PARAM_NAMES[op.type]}
    for key in params:
        if key not in expected:
            raise gate.fail(f"params.{key}", "belongs to no op")
    for key in expected:
        a = params.get(key)
        if a is None:
            raise gate.fail(f"params.{key}", "is missing")
        if not isinstance(a, np.ndarray) or a.dtype.kind not in "iu":
            raise gate.fail(f"params.{key}", "is not an integer tensor")
    if not isinstance(meta, Mapping):
        raise gate.fail("meta", "must be a mapping")
    bits = declared_weight_bits(meta, gate)
    if bits is None:
        bits = WEIGHT_BITS[1]
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    for i, op in enumerate(ops):
        w = params[op.param_key("weight")] if op.type in WEIGHTED else None
        if w is not None and w.size and (int(w.min()) < lo or int(w.max()) > hi):
            raise gate.fail(f"ops[{i}].params.weight", f"(op {op.name!r}) holds "
                            f"{int(w.min())}..{int(w.max())}, beyond {bits}-bit two's "
                            "complement (meta.quant_spec.weight_bits)")


def declared_weight_bits(meta: Mapping[str, Any], gate: _Gate | None = None) -> int | None:
    """``meta.quant_spec.weight_bits`` when present (checked to lie in 2..16), else None."""
    gate = gate or _Gate("IntegerIR")
    spec = meta.get("quant_spec")
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        raise gate.fail("meta.quant_spec", "must be a mapping")
    bits = spec.get("weight_bits")
    lo, hi = WEIGHT_BITS
    if bits is not None and (not is_int(bits) or not lo <= bits <= hi):
        raise gate.fail("meta.quant_spec.weight_bits", f"must be an integer in {lo}..{hi}, "
                        f"got {bits!r}")
    return None if bits is None else int(bits)


def weight_bits(ops: Sequence[Op], params: Mapping[str, np.ndarray],
                meta: Mapping[str, Any]) -> int:
    """The IR's weight width: the declared one, else the narrowest holding every weight."""
    bits = declared_weight_bits(meta)
    if bits is not None:
        return bits
    ranges = [(int(a.min()), int(a.max())) for op in ops if op.type in WEIGHTED
              for a in [params[op.param_key("weight")]] if a.size]
    return max([WEIGHT_BITS[0], *(signed_bits(lo, hi) for lo, hi in ranges)])


def _dataflow(gate: _Gate, ops: Sequence[Op], params: Mapping[str, np.ndarray],
              specs: Mapping[str, TensorSpec]) -> None:
    """Value domains, head tags, the attention LIF, class count and widths the hardware needs."""
    types = {op.name: op.type for op in ops}
    for i, op in enumerate(ops):
        where = f"ops[{i}]"
        for k in SPIKE_INPUTS.get(op.type, ()):
            s = specs[op.inputs[k]]
            if s.lo < 0 or s.hi > 1:
                raise gate.fail(f"{where}.inputs", f"(op {op.name!r}, {op.type}) input "
                                f"{op.inputs[k]!r} must be spikes (0..1), ranges {s.lo}..{s.hi}")
        if op.type == "attention":
            _head_tags(gate, where, op, params)
        elif op.type == "lif" and types[op.inputs[0]] == "attention":
            _attention_lif(gate, where, op, params)
        elif op.type == "head":
            _head(gate, where, op, params, specs[op.name])
    for name, spec in specs.items():
        if len(spec.shape) > 1 and spec.shape[1] > MAX_CHANNELS:
            raise gate.fail(f"tensors.{name}", f"has {spec.shape[1]} channels, the hardware "
                            f"indexes at most {MAX_CHANNELS}")


def _head_tags(gate: _Gate, where: str, op: Op, params: Mapping[str, np.ndarray]) -> None:
    """Tags non-decreasing (each head's channels contiguous), in 0..255; v needs q·k."""
    for tag in ("head_qk", "head_v"):
        a = params[op.param_key(tag)]
        if a.size and (np.any(np.diff(a.astype(np.int64)) < 0) or a.min() < 0
                       or a.max() > MAX_HEAD_TAG):
            raise gate.fail(f"{where}.params.{tag}", f"(op {op.name!r}) must be non-decreasing "
                            f"head tags in 0..{MAX_HEAD_TAG}, got {a.tolist()}")
    if params[op.param_key("head_qk")].size == 0 and params[op.param_key("head_v")].size:
        raise gate.fail(f"{where}.params.head_qk", f"(op {op.name!r}) is empty while v has "
                        "channels: the pruning cascade removes such heads")


def _attention_lif(gate: _Gate, where: str, op: Op, params: Mapping[str, np.ndarray]) -> None:
    """The attention LIF folds its constants: bias 0 per channel, θ = 2^(F+1)."""
    bias, theta = params[op.param_key("bias")], params[op.param_key("theta")]
    if bias.ndim != 1 or np.any(bias != 0):
        raise gate.fail(f"{where}.params.bias", f"(op {op.name!r}) the attention LIF needs a "
                        "zero per-channel bias (docs/integer-semantics.md, Attention)")
    want = 1 << (op.attrs["frac_bits"] + 1)
    if np.any(theta != want):
        raise gate.fail(f"{where}.params.theta", f"(op {op.name!r}) the attention LIF needs "
                        f"theta = 2^(F+1) = {want}, got {sorted(set(theta.tolist()))}")


def _head(gate: _Gate, where: str, op: Op, params: Mapping[str, np.ndarray],
          spec: TensorSpec) -> None:
    """1..255 classes (the configuration register), logits within the output beats."""
    K = spec.shape[0]
    if not 1 <= K <= MAX_CLASSES:
        raise gate.fail(f"{where}.params.weight", f"(op {op.name!r}) has {K} classes, "
                        f"expected 1..{MAX_CLASSES}")
    bias = params[op.param_key("bias")]
    bits = logit_bits(spec.lo, spec.hi, int(bias.min()), int(bias.max()), K)
    if bits > MAX_LOGIT_BITS:
        raise gate.fail(f"tensors.{op.name}", f"logits need {bits} bits, the output beats "
                        f"hold {MAX_LOGIT_BITS} (reduce the head shift or the weight bits)")
