"""An independent NumPy re-implementation of the integer contract, for tests only.

Written from docs/integer-semantics.md, not from ``quant/ops.py`` or
``quant/program.py``: nothing here imports them. All arithmetic is int64 NumPy
(no float round trip); the convolution is a sum of shifted slices, max-pool a
maximum over nine strided slices, attention uses the ``(q·kᵀ)·v`` order (the
contract computes ``q·(kᵀ·v)``), and ``run_program`` does its own wiring from the
op list, so a fault in the contract's functions or in its dispatch shows up as a
difference against :func:`run_program`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def saturate(x: np.ndarray, bits: int) -> np.ndarray:
    return np.minimum(np.maximum(x, 0), 2**bits - 1)


def conv3x3(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``[B,T,Ci,H,W]`` × ``[Co,Ci,3,3]`` with zero padding 1 → ``[B,T,Co,H,W]``."""
    B, T, _, H, W = x.shape
    pad = np.zeros((*x.shape[:3], H + 2, W + 2), dtype=np.int64)
    pad[..., 1:H + 1, 1:W + 1] = x
    out = np.zeros((B, T, w.shape[0], H, W), dtype=np.int64)
    for ky in range(3):
        for kx in range(3):
            window = pad[..., ky:ky + H, kx:kx + W]
            out += np.einsum("oi,btihw->btohw", w[:, :, ky, kx].astype(np.int64), window)
    return out


def conv1x1(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.einsum("ci,btin->btcn", w.astype(np.int64), x)


def membrane_current(acc: np.ndarray, bias: np.ndarray, frac_bits: int) -> np.ndarray:
    """``acc·2^F + B``; ``B`` is ``[C]`` (any layout) or ``[C, N]`` (tokens)."""
    b = bias.astype(np.int64).reshape(bias.shape + (1,) * (acc.ndim - 2 - bias.ndim))
    return acc * 2**frac_bits + b


def lif(current: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``V ← ⌊(V + I)/2⌋`` (NumPy ``//`` floors), fire at ``V ≥ θ``, reset to 0, ``V₀ = 0``."""
    th = theta.astype(np.int64).reshape((-1,) + (1,) * (current.ndim - 3))
    v = np.zeros_like(current[:, 0])
    out = np.zeros_like(current)
    for t in range(current.shape[1]):
        v = (v + current[:, t]) // 2
        fire = v >= th
        out[:, t] = fire
        v = np.where(fire, 0, v)
    return out


def maxpool(s: np.ndarray) -> np.ndarray:
    """3×3, stride 2, padding 1 (padding contributes 0)."""
    H, W = s.shape[-2:]
    Ho, Wo = (H - 1) // 2 + 1, (W - 1) // 2 + 1
    pad = np.zeros((*s.shape[:-2], 2 * Ho + 2, 2 * Wo + 2), dtype=np.int64)
    pad[..., 1:H + 1, 1:W + 1] = s
    taps = [pad[..., dy:dy + 2 * Ho:2, dx:dx + 2 * Wo:2] for dy in range(3) for dx in range(3)]
    return np.max(np.stack(taps), axis=0)


def attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, head_qk: np.ndarray,
              head_v: np.ndarray) -> np.ndarray:
    """Per head ``(q_h·k_hᵀ)·v_h``: token×token scores first, then the values."""
    out = np.zeros_like(v)
    for h in set(head_v.tolist()):
        iq = [c for c, t in enumerate(head_qk.tolist()) if t == h]
        iv = [c for c, t in enumerate(head_v.tolist()) if t == h]
        scores = np.einsum("btcn,btcm->btnm", q[:, :, iq], k[:, :, iq])
        out[:, :, iv] = np.einsum("btnm,btjm->btjn", scores, v[:, :, iv])
    return out


def residual_add(stream: np.ndarray, spikes: np.ndarray, channels: np.ndarray) -> np.ndarray:
    out = stream.copy()
    for j, c in enumerate(channels.tolist()):
        out[:, :, c] += spikes[:, :, j]
    return out


def head(stream: np.ndarray, w: np.ndarray, b: np.ndarray, shift: int) -> np.ndarray:
    pooled = stream.sum(axis=(1, 3))
    return (pooled @ w.astype(np.int64).T) * 2**shift + b.astype(np.int64)


def predict(logits: np.ndarray) -> np.ndarray:
    """First index of the maximum of every row (ties to the lowest class)."""
    rows = logits.tolist()
    return np.array([row.index(max(row)) for row in rows], dtype=np.int64)


def run_program(ops: list[Mapping], params: Mapping[str, np.ndarray],
                x: np.ndarray) -> dict[str, np.ndarray]:
    """Every op's output of an op list (``{name, type, inputs, attrs}`` dicts), by name."""
    vals: dict[str, np.ndarray] = {}
    for op in ops:
        name, kind, attrs = op["name"], op["type"], op.get("attrs", {})
        a = [vals[s] for s in op["inputs"]]

        def p(key: str, name: str = name) -> np.ndarray:
            return np.asarray(params[f"{name}.{key}"]).astype(np.int64)

        if kind == "input":
            y = saturate(np.asarray(x, dtype=np.int64), attrs["bits"])
        elif kind == "conv2d":
            y = conv3x3(a[0], p("weight"))
        elif kind == "conv1d":
            y = conv1x1(a[0], p("weight"))
        elif kind == "lif":
            y = lif(membrane_current(a[0], p("bias"), attrs["frac_bits"]), p("theta"))
        elif kind == "maxpool":
            y = maxpool(a[0])
        elif kind == "flatten":
            y = a[0].reshape((*a[0].shape[:3], -1))
        elif kind == "attention":
            y = attention(a[0], a[1], a[2], p("head_qk"), p("head_v"))
        elif kind == "residual_add":
            y = residual_add(a[0], a[1], p("channels"))
        elif kind == "head":
            y = head(a[0], p("weight"), p("bias"), attrs["shift"])
        else:
            raise ValueError(f"unknown op type {kind!r}")
        vals[name] = y
    return vals
