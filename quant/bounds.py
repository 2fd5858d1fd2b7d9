"""Static shape inference and worst-case value bounds for an op program.

Every op output (and every LIF's membrane input ``<op>.current``) gets an
interval ``[lo, hi]`` that no input can exceed, derived from the integer
parameters alone; its bit width follows. The golden model checks the
intervals at run time. The LIF membrane itself stays within
``[min(0, lo(I)), max(0, hi(I))]`` because each step replaces ``V`` by
``floor((V + I)/2)``, which lies between ``V`` and ``I`` (and reset gives 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .program import Op

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


def analyze(program: list[Op], params: Mapping[str, np.ndarray],
            input_shape: tuple[int, int, int, int]) -> dict[str, TensorSpec]:
    """Shapes and bounds of every tensor; raises ``ValueError`` on inconsistent shapes."""
    specs: dict[str, TensorSpec] = {}
    ivals: dict[str, _Interval] = {}
    shapes: dict[str, tuple[int, ...]] = {}
    T = input_shape[0]

    def param(op: Op, name: str) -> np.ndarray:
        return np.asarray(params[op.param_key(name)])

    def fail(op: Op, msg: str) -> None:
        raise ValueError(f"op {op.name!r} ({op.type}): {msg}")

    for op in program:
        ins = [shapes[s] for s in op.inputs]
        t = op.type
        if t == "input":
            shape = tuple(input_shape)
            iv = _Interval.const(shape[1], 0, (1 << op.attrs["bits"]) - 1)
        elif t in ("conv2d", "conv1d"):
            w = param(op, "weight")
            want = 4 if t == "conv2d" else 2
            if w.ndim != want:
                fail(op, f"weight must have {want} dims, has shape {w.shape}")
            if w.shape[1] != ins[0][1]:
                fail(op, f"weight expects {w.shape[1]} input channels, input has {ins[0][1]}")
            shape = (T, w.shape[0], *ins[0][2:])
            iv = _linear_bounds(w if t == "conv2d" else w[:, :, None], ivals[op.inputs[0]])
        elif t == "lif":
            bias, theta = param(op, "bias"), param(op, "theta")
            C = ins[0][1]
            if bias.shape[0] != C or theta.shape != (C,):
                fail(op, f"bias {bias.shape} / theta {theta.shape} do not match {C} channels")
            if bias.ndim == 2 and bias.shape[1] != ins[0][2]:
                fail(op, f"per-token bias has {bias.shape[1]} tokens, input has {ins[0][2]}")
            if C and theta.min() < 1:
                fail(op, "thresholds must be positive")
            acc = ivals[op.inputs[0]]
            scale = 1 << op.attrs["frac_bits"]
            b = bias.astype(object).reshape(C, -1 if bias.size else 1)
            blo = b.min(axis=1) if b.size else np.zeros(C, dtype=object)
            bhi = b.max(axis=1) if b.size else np.zeros(C, dtype=object)
            cur = _Interval(acc.lo * scale + blo, acc.hi * scale + bhi)
            lo, hi = (int(cur.lo.min()), int(cur.hi.max())) if C else (0, 0)
            specs[f"{op.name}.current"] = TensorSpec(ins[0], lo, hi)
            shape = ins[0]
            iv = _Interval.const(C, 0, 1)
        elif t == "maxpool":
            s = ins[0]
            shape = (s[0], s[1], (s[2] - 1) // 2 + 1, (s[3] - 1) // 2 + 1)
            iv = ivals[op.inputs[0]]
        elif t == "flatten":
            s = ins[0]
            shape = (s[0], s[1], s[2] * s[3])
            iv = ivals[op.inputs[0]]
        elif t == "attention":
            hq, hv = param(op, "head_qk"), param(op, "head_v")
            if hq.shape != (ins[0][1],) or ins[1][1] != ins[0][1] or hv.shape != (ins[2][1],):
                fail(op, "head tags do not match the q/k/v channel counts")
            N = ins[0][2]
            per_head = {int(h): int((hq == h).sum()) for h in np.unique(hv)}
            hi = np.array([N * per_head[int(h)] for h in hv], dtype=object)
            shape = ins[2]
            iv = _Interval(np.zeros(len(hv), dtype=object), hi)
        elif t == "residual_add":
            ch = param(op, "channels")
            if ch.shape != (ins[1][1],) or (ch.size and (ch.min() < 0 or ch.max() >= ins[0][1])):
                fail(op, f"channels {ch.shape} do not index the stream's {ins[0][1]} channels")
            stream, add = ivals[op.inputs[0]], ivals[op.inputs[1]]
            lo, hi = stream.lo.copy(), stream.hi.copy()
            lo[ch] = lo[ch] + add.lo
            hi[ch] = hi[ch] + add.hi
            shape = ins[0]
            iv = _Interval(lo, hi)
        elif t == "head":
            w, bias = param(op, "weight"), param(op, "bias")
            if w.ndim != 2 or w.shape[1] != ins[0][1] or bias.shape != (w.shape[0],):
                fail(op, f"weight {w.shape} / bias {bias.shape} do not match {ins[0][1]} channels")
            stream = ivals[op.inputs[0]]
            count = ins[0][0] * ins[0][2]
            pooled = _Interval(stream.lo * count, stream.hi * count)
            lin = _linear_bounds(w[:, :, None], pooled)
            scale = 1 << op.attrs["shift"]
            b = bias.astype(object)
            iv = _Interval(lin.lo * scale + b, lin.hi * scale + b)
            shape = (w.shape[0],)
        else:
            fail(op, "unknown op type")
        shapes[op.name] = shape
        ivals[op.name] = iv
        lo, hi = (int(iv.lo.min()), int(iv.hi.max())) if iv.lo.size else (0, 0)
        specs[op.name] = TensorSpec(shape, lo, hi)
    for name, spec in specs.items():
        if max(abs(spec.lo), abs(spec.hi)) >= EXACT_LIMIT:
            raise ValueError(f"tensor {name!r}: bound {spec.lo}..{spec.hi} exceeds 2^52")
    return specs
