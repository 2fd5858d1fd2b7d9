"""Static shape inference and worst-case value bounds for an op program.

Every op output (and every LIF's membrane input ``<op>.current``) gets an
interval ``[lo, hi]`` that no input can exceed, derived from the integer
parameters alone; its bit width follows. The golden model checks the
intervals at run time. The LIF membrane itself stays within
``[min(0, lo(I)), max(0, hi(I))]`` because each step replaces ``V`` by
``floor((V + I)/2)``, which lies between ``V`` and ``I`` (and reset gives 0).

Inference also checks that every op's inputs and parameters fit the data flow
(layouts, weight and bias shapes, residual channel lists); :class:`AnalysisError`
names the offending field. The IR gate (:mod:`sdmf.quant.validate`) runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .opdefs import Op

EXACT_LIMIT = 1 << 52  # float64 holds every integer below 2^53 exactly


@dataclass(frozen=True)
class TensorSpec:
    """Shape (without the batch dim) and value interval of one tensor."""

    shape: tuple[int, ...]
    lo: int
    hi: int

    @property
    def signed(self) -> bool:
        return self.lo < 0

    @property
    def bits(self) -> int:
        return bit_width(self.lo, self.hi)

    def to_dict(self) -> dict:
        return {"shape": list(self.shape), "lo": self.lo, "hi": self.hi, "bits": self.bits,
                "signed": self.signed}


def bit_width(lo: int, hi: int) -> int:
    """Bits of the narrowest two's-complement (lo < 0) or unsigned type holding [lo, hi]."""
    if lo >= 0:
        return max(1, int(hi).bit_length())
    return max(int(hi).bit_length(), int(-lo - 1).bit_length()) + 1


def signed_bits(*values: int) -> int:
    """Two's-complement width holding every value and at least one negative one."""
    lo, hi = min(min(values), -1), max(max(values), 0)
    return bit_width(int(lo), int(hi))


def logit_bits(lo: int, hi: int, bias_lo: int, bias_hi: int, classes: int) -> int:
    """Width of the head's logit words: every logit, every bias and the class index."""
    return max(signed_bits(lo, hi, bias_lo, bias_hi), classes.bit_length() + 1)


class _Interval:
    """Per-channel intervals (numpy int64/object vectors) for one tensor."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray) -> None:
        self.lo = np.asarray(lo, dtype=object)
        self.hi = np.asarray(hi, dtype=object)

    @classmethod
    def const(cls, channels: int, lo: int, hi: int) -> _Interval:
        return cls(np.full(channels, lo, dtype=object), np.full(channels, hi, dtype=object))


def _linear_bounds(w: np.ndarray, x: _Interval) -> _Interval:
    """Interval of ``Σ_i W[c, i, ...] · x_i`` per output channel c."""
    taps = int(np.prod(w.shape[2:])) if w.ndim > 2 else 1
    w = w.astype(object).reshape(w.shape[0], w.shape[1], taps)
    pos, neg = np.maximum(w, 0), np.minimum(w, 0)
    xlo = x.lo.reshape(1, -1, 1)
    xhi = x.hi.reshape(1, -1, 1)
    hi = (pos * xhi + neg * xlo).sum(axis=(1, 2)) if w.shape[1] else np.zeros(w.shape[0], object)
    lo = (pos * xlo + neg * xhi).sum(axis=(1, 2)) if w.shape[1] else np.zeros(w.shape[0], object)
    # zero padding of 3×3 convs adds 0 to the window: include it
    lo = np.minimum(lo, 0) if w.shape[2] > 1 else lo
    hi = np.maximum(hi, 0) if w.shape[2] > 1 else hi
    return _Interval(lo, hi)


class AnalysisError(ValueError):
    """Shapes or parameters that do not fit the data flow; ``field`` names the culprit
    (``ops[12].params.channels``, ``ops[3].inputs``, ``tensors.head``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = message


@dataclass
class _Ctx:
    """What one op's rule sees: the op, its index, input shapes/intervals and parameters."""

    op: Op
    index: int
    ins: list[tuple[int, ...]]
    ivals: list[_Interval]
    params: Mapping[str, np.ndarray]
    input_shape: tuple[int, int, int, int]
    current: _Interval | None = None      # set by the lif rule: the membrane input I

    def param(self, name: str) -> np.ndarray:
        return np.asarray(self.params[self.op.param_key(name)])

    def fail(self, field: str, msg: str) -> AnalysisError:
        where = f"ops[{self.index}]" + (f".{field}" if field else "")
        return AnalysisError(where, f"(op {self.op.name!r}, {self.op.type}) {msg}")

    def rank(self, i: int, want: int | None, what: str) -> tuple[int, ...]:
        """Input ``i``'s shape: a frame (``want`` 4), a token map (3) or either (None)."""
        s = self.ins[i]
        if len(s) != want and not (want is None and len(s) in (3, 4)):
            layout = {4: "a [T, C, H, W] frame", 3: "a [T, C, N] token map"}.get(
                want, "a frame or a token map")
            raise self.fail("inputs", f"{what} must be {layout}, "
                            f"{self.op.inputs[i]!r} has shape {list(s)}")
        return s


Rule = Callable[[_Ctx], tuple[tuple[int, ...], _Interval]]


def _input(c: _Ctx) -> tuple[tuple[int, ...], _Interval]:
    shape = tuple(c.input_shape)
    return shape, _Interval.const(shape[1], 0, (1 << c.op.attrs["bits"]) - 1)


def _conv(c: _Ctx) -> tuple[tuple[int, ...], _Interval]:
    two_d = c.op.type == "conv2d"
    s = c.rank(0, 4 if two_d else 3, "the input")
    w = c.param("weight")
    want = "[Co, Ci, 3, 3]" if two_d else "[Co, Ci]"
    if w.ndim != (4 if two_d else 2) or (two_d and w.shape[2:] != (3, 3)):
        raise c.fail("params.weight", f"must have shape {want}, has {list(w.shape)}")
    if w.shape[1] != s[1]:
        raise c.fail("params.weight", f"expects {w.shape[1]} input channels, "
                     f"the input has {s[1]}")
    return (s[0], w.shape[0], *s[2:]), _linear_bounds(w if two_d else w[:, :, None],
                                                      c.ivals[0])


def _lif(c: _Ctx) -> tuple[tuple[int, ...], _Interval]:
    s = c.rank(0, None, "the input")
    C = s[1]
    bias, theta = c.param("bias"), c.param("theta")
    if theta.shape != (C,):
        raise c.fail("params.theta", f"must have shape [{C}], has {list(theta.shape)}")
    if C and theta.min() < 1:
        raise c.fail("params.theta", f"thresholds must be >= 1, got {int(theta.min())}")
    per_token = len(s) == 3 and bias.shape == (C, s[2])
    if bias.shape != (C,) and not per_token:
        want = f"[{C}]" + (f" or [{C}, {s[2]}]" if len(s) == 3 else "")
        raise c.fail("params.bias", f"must have shape {want} (per channel"
                     + (" or per channel and token)" if len(s) == 3 else ")")
                     + f", has {list(bias.shape)}")
    acc = c.ivals[0]
    scale = 1 << c.op.attrs["frac_bits"]
    b = bias.astype(object).reshape(C, -1 if bias.size else 1)
    blo = b.min(axis=1) if b.size else np.zeros(C, dtype=object)
    bhi = b.max(axis=1) if b.size else np.zeros(C, dtype=object)
    c.current = _Interval(acc.lo * scale + blo, acc.hi * scale + bhi)
    return s, _Interval.const(C, 0, 1)


def _maxpool(c: _Ctx) -> tuple[tuple[int, ...], _Interval]:
    s = c.rank(0, 4, "the input")
    return (s[0], s[1], (s[2] - 1) // 2 + 1, (s[3] - 1) // 2 + 1), c.ivals[0]


def _flatten(c: _Ctx) -> tuple[tuple[int, ...], _Interval]:
    s = c.rank(0, 4, "the input")
    return (s[0], s[1], s[2] * s[3]), c.ivals[0]


def _attention(c: _Ctx) -> tuple[tuple[int, ...], _Interval]:
    q, k, v = (c.rank(i, 3, name) for i, name in enumerate(("q", "k", "v")))
    if q != k or v[2] != q[2]:
        raise c.fail("inputs", f"q {list(q)} and k {list(k)} must have the same shape and v "
                     f"{list(v)} the same tokens")
    hq, hv = c.param("head_qk"), c.param("head_v")
    if hq.shape != (q[1],):
        raise c.fail("params.head_qk", f"must have shape [{q[1]}] (one tag per q/k channel), "
                     f"has {list(hq.shape)}")
    if hv.shape != (v[1],):
        raise c.fail("params.head_v", f"must have shape [{v[1]}] (one tag per v channel), "
                     f"has {list(hv.shape)}")
    per_head = {int(h): int((hq == h).sum()) for h in np.unique(hv)}
    hi = np.array([q[2] * per_head[int(h)] for h in hv], dtype=object)
    return v, _Interval(np.zeros(len(hv), dtype=object), hi)


def _residual_add(c: _Ctx) -> tuple[tuple[int, ...], _Interval]:
    r = c.rank(0, 3, "the stream")
    s = c.rank(1, 3, "the branch")
    if (r[0], r[2]) != (s[0], s[2]):
        raise c.fail("inputs", f"stream {list(r)} and branch {list(s)} differ in T or tokens")
    ch = c.param("channels")
    if ch.shape != (s[1],):
        raise c.fail("params.channels", f"must have shape [{s[1]}] (one stream channel per "
                     f"branch channel), has {list(ch.shape)}")
    if ch.size and (ch.min() < 0 or ch.max() >= r[1] or np.any(np.diff(ch) <= 0)):
        raise c.fail("params.channels", f"must be strictly increasing indices in "
                     f"[0, {r[1]}) of the stream's channels, got {ch.tolist()}")
    stream, add = c.ivals
    lo, hi = stream.lo.copy(), stream.hi.copy()
    lo[ch] = lo[ch] + add.lo
    hi[ch] = hi[ch] + add.hi
    return r, _Interval(lo, hi)


def _head(c: _Ctx) -> tuple[tuple[int, ...], _Interval]:
    r = c.rank(0, 3, "the stream")
    w, bias = c.param("weight"), c.param("bias")
    if w.ndim != 2 or w.shape[1] != r[1]:
        raise c.fail("params.weight", f"must have shape [K, {r[1]}], has {list(w.shape)}")
    if bias.shape != (w.shape[0],):
        raise c.fail("params.bias", f"must have shape [{w.shape[0]}], has {list(bias.shape)}")
    stream = c.ivals[0]
    count = r[0] * r[2]
    lin = _linear_bounds(w[:, :, None], _Interval(stream.lo * count, stream.hi * count))
    scale = 1 << c.op.attrs["shift"]
    b = bias.astype(object)
    return (w.shape[0],), _Interval(lin.lo * scale + b, lin.hi * scale + b)


RULES: dict[str, Rule] = {
    "input": _input, "conv2d": _conv, "conv1d": _conv, "lif": _lif, "maxpool": _maxpool,
    "flatten": _flatten, "attention": _attention, "residual_add": _residual_add, "head": _head,
}


def _spec(shape: tuple[int, ...], iv: _Interval) -> TensorSpec:
    lo, hi = (int(iv.lo.min()), int(iv.hi.max())) if iv.lo.size else (0, 0)
    return TensorSpec(shape, lo, hi)


def analyze(program: list[Op], params: Mapping[str, np.ndarray],
            input_shape: tuple[int, int, int, int]) -> dict[str, TensorSpec]:
    """Shapes and bounds of every tensor.

    Raises :class:`AnalysisError` (a ``ValueError``) naming the op field whose shape
    does not fit the data flow, or the tensor whose bound reaches 2^52.
    """
    specs: dict[str, TensorSpec] = {}
    ivals: dict[str, _Interval] = {}
    shapes: dict[str, tuple[int, ...]] = {}
    for i, op in enumerate(program):
        if op.type not in RULES:
            raise AnalysisError(f"ops[{i}].type", f"unknown op type {op.type!r}")
        c = _Ctx(op, i, [shapes[s] for s in op.inputs], [ivals[s] for s in op.inputs], params,
                 input_shape)
        shapes[op.name], ivals[op.name] = RULES[op.type](c)
        if c.current is not None:
            specs[f"{op.name}.current"] = _spec(shapes[op.name], c.current)
        specs[op.name] = _spec(shapes[op.name], ivals[op.name])
    for name, spec in specs.items():
        if max(abs(spec.lo), abs(spec.hi)) >= EXACT_LIMIT:
            raise AnalysisError(f"tensors.{name}", f"bound {spec.lo}..{spec.hi} reaches 2^52 "
                                "(integer paths must stay exact in float64)")
    return specs
