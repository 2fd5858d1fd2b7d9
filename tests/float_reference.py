"""The integer parameters a float model implies, derived here from the formulas of
docs/integer-semantics.md — for tests only.

Nothing here imports ``quant/fold.py``, ``quant/qat.py`` or ``model/pruning.py``:
BN folding, the mask cascade, per-channel symmetric quantization, the LIF bias and
threshold, the LPE terms and the head bias are all recomputed from the float
model's own tensors, so a fault in the quantizer's derivation shows up as a
difference against the IR it exports.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def fold(conv: torch.nn.Module, bn: torch.nn.Module) -> tuple[np.ndarray, np.ndarray]:
    """``W·γ/√(σ²+ε)`` and ``(b − μ)·γ/√(σ²+ε) + β`` in float64, per output channel."""
    w = conv.weight.detach().double().numpy()
    b = (conv.bias.detach().double().numpy() if conv.bias is not None
         else np.zeros(w.shape[0]))
    g = bn.weight.detach().double().numpy() / np.sqrt(bn.running_var.double().numpy() + bn.eps)
    w = w * g.reshape((-1,) + (1,) * (w.ndim - 1))
    b = (b - bn.running_mean.double().numpy()) * g + bn.bias.detach().double().numpy()
    return w, b


def kept_channels(model) -> dict[str, tuple[list[int], list[int]]]:
    """``(out, in)`` kept channel lists of every 1×1 unit: masks plus the per-head cascade."""
    cfg = model.cfg
    every = list(range(cfg.dim))

    def on(unit) -> set[int]:
        if unit.mask is None:
            return set(range(unit.conv.out_channels))
        return {c for c, m in enumerate(unit.mask.weight.tolist()) if m >= 0}  # tanh(m) ≥ 0

    kept: dict[str, tuple[list[int], list[int]]] = {}
    for i, block in enumerate(model.blocks):
        a, m = block.attn, block.mlp
        qk, v = on(a.q) & on(a.k), on(a.v)
        heads = {h for h in range(cfg.heads)
                 if any(c // cfg.head_dim == h for c in qk)
                 and any(c // cfg.head_dim == h for c in v)}
        qk_out = sorted(c for c in qk if c // cfg.head_dim in heads)
        v_out = sorted(c for c in v if c // cfg.head_dim in heads)
        p = f"blocks.{i}"
        kept[f"{p}.attn.q"] = kept[f"{p}.attn.k"] = (qk_out, every)
        kept[f"{p}.attn.v"] = (v_out, every)
        kept[f"{p}.attn.proj"] = (sorted(on(a.proj)), v_out)
        fc1 = sorted(on(m.fc1))
        kept[f"{p}.mlp.fc1"] = (fc1, every)
        kept[f"{p}.mlp.fc2"] = (sorted(on(m.fc2)), every if cfg.mlp_residual == "each" else fc1)
    return kept


def quantize_weight(w: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Narrow-range symmetric per-row quantization in float32 (as Brevitas computes it):
    ``s = max|W_c| / (2^(bits−1) − 1)``, ``W_int = round(W / s)``."""
    qmax = 2 ** (bits - 1) - 1
    w32 = w.astype(np.float32).reshape(w.shape[0], -1)
    s = (np.abs(w32).max(axis=1) / np.float32(qmax)).astype(np.float32)
    w_int = np.round(w32 / s[:, None]).reshape(w.shape)
    return w_int.astype(np.int64), s


def _units(model) -> dict[str, tuple]:
    pe = model.patch_embed
    units = {f"sps.{i}": (s.conv, s.bn) for i, s in enumerate(pe.stages)}
    if pe.rpe is not None:
        units["sps.rpe"] = (pe.rpe.conv, pe.rpe.bn)
    units.update({n: (u.conv, u.bn) for n, u in model.conv_units().items()})
    return units


def _lpe(model, lpe_bits: int) -> tuple[np.ndarray | None, int]:
    """``(P_int [D, N], k)``: the largest ``k`` with ``max|P|·2^k ≤ 2^(lpe_bits−1) − 1``."""
    if model.patch_embed.lpe is None:
        return None, 0
    p = model.patch_embed.lpe.detach().reshape(model.cfg.dim, -1).numpy().astype(np.float32)
    qmax = 2 ** (lpe_bits - 1) - 1
    k = max(0, min(24, math.floor(math.log2(qmax / float(np.abs(p).max())))))
    return np.clip(np.round(p * np.float32(2**k)), -qmax, qmax).astype(np.int64), k


def derive_params(model, bits: int, frac_bits: int, lpe_bits: int,
                  T: int) -> tuple[dict[str, np.ndarray], float]:
    """Integer parameters of the deployed network and its ``logit_scale``."""
    cfg, one = model.cfg, np.float32(2**frac_bits)
    kept = kept_channels(model)
    p_int, k = _lpe(model, lpe_bits)
    stream_readers = {f"blocks.{i}.{u}" for i in range(cfg.depth)
                      for u in ("attn.q", "attn.k", "attn.v", "mlp.fc1")}
    if cfg.mlp_residual == "each":
        stream_readers |= {f"blocks.{i}.mlp.fc2" for i in range(cfg.depth)}
    out: dict[str, np.ndarray] = {}
    for name, (conv, bn) in _units(model).items():
        w, b = fold(conv, bn)
        if w.ndim == 3:                                     # 1×1 conv: slice and drop k
            o, i = kept[name]
            w, b = w[o][:, i, 0], b[o]
        w_int, s = quantize_weight(w, bits)
        bias = b.astype(np.float32) / s * one
        if name in stream_readers and p_int is not None:
            token = (w_int @ p_int).astype(np.float32) * np.float32(2.0 ** (frac_bits - k))
            bias = bias[:, None] + token
        out[f"{name}.conv.weight"] = w_int
        out[f"{name}.lif.bias"] = np.round(bias).astype(np.int64)
        out[f"{name}.lif.theta"] = np.maximum(1, np.round(one / s)).astype(np.int64)
    for i in range(cfg.depth):
        a, m = f"blocks.{i}.attn", f"blocks.{i}.mlp"
        nv = len(kept[f"{a}.v"][0])
        out[f"{a}.attn_lif.bias"] = np.zeros(nv, dtype=np.int64)
        out[f"{a}.attn_lif.theta"] = np.full(
            nv, round(cfg.attn_threshold / cfg.attn_scale * 2**frac_bits), dtype=np.int64)
        out[f"{a}.attention.head_qk"] = np.array(kept[f"{a}.q"][0]) // cfg.head_dim
        out[f"{a}.attention.head_v"] = np.array(kept[f"{a}.v"][0]) // cfg.head_dim
        out[f"{a}.add.channels"] = np.array(kept[f"{a}.proj"][0])
        out[f"{m}.add.channels"] = np.array(kept[f"{m}.fc2"][0])
        if cfg.mlp_residual == "each":
            out[f"{m}.fc1.add.channels"] = np.array(kept[f"{m}.fc1"][0])
    if cfg.pos_embed == "rpe":
        out["sps.rpe.add.channels"] = np.arange(cfg.dim)
    w_h, s_h = quantize_weight(model.head.weight.detach().double().numpy().ravel()[None], bits)
    w_h = w_h.reshape(model.head.weight.shape)
    tn = T * cfg.num_tokens
    hb = model.head.bias.detach().numpy().astype(np.float32) * np.float32(tn * 2**k) / s_h
    if p_int is not None:
        hb = hb + np.float32(T) * (w_h @ p_int.sum(axis=1)).astype(np.float32)
    out["head.weight"] = w_h
    out["head.bias"] = np.round(hb).astype(np.int64)
    return out, float(s_h[0]) / (tn * 2**k)
