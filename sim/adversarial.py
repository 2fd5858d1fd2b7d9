"""Adversarial integer IRs: pruning corners, shapes, widths, extremes and planner knobs.

A :class:`CaseSpec` names one network; :func:`build_case` turns it into an
:class:`~sdmf.quant.ir.IntegerIR` with random integer parameters and the inputs it
is simulated on. The op structure is the exporter's (:func:`sdmf.quant.build.build_program`);
only the kept channels, shapes, widths and values are chosen here. Every LIF
threshold is calibrated on the case's own inputs so that its layer fires near a target
rate — a network that went silent would compare equal trivially, so
:func:`firing_rates` reports every layer's rate and the tests assert them.

:data:`CASES` is the suite that CI simulates (``tests/hw/test_adversarial.py``) and
``sdmf regress`` runs with more inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from sdmf.model.config import ModelConfig
from sdmf.quant import ops
from sdmf.quant.build import QuantSpec, build_program
from sdmf.quant.ir import IntegerIR
from sdmf.quant.opdefs import Op
from sdmf.quant.program import execute

BLOCK_UNITS = ("qk", "v", "proj", "fc1", "fc2")


@dataclass(frozen=True)
class CaseSpec:
    """One adversarial network. Channel counts per block unit (``kept``): ``qk`` and
    ``v`` per head (tuples), ``proj``/``fc1``/``fc2`` as totals; units not named keep a
    random ``keep`` fraction of their channels."""

    name: str
    T: int = 2
    C: int = 2
    H: int = 16
    W: int = 16
    dim: int = 16
    sps: tuple[int, int, int] = (2, 4, 4)     # SPS conv 0..2 output channels (conv 3: dim)
    depth: int = 1
    heads: int = 2
    mlp_hidden: int | None = None             # fc1 output channels before pruning (dim)
    mlp_residual: str = "block"
    kept: Mapping[str, Any] = field(default_factory=dict)
    keep: float = 0.7
    in_bits: int = 8
    weight_bits: int = 8
    frac_bits: int = 4
    per_token_bias: bool = True               # LPE-style [C, N] biases on q, k, v, fc1
    rate: float = 0.3                         # target firing rate of every LIF ...
    qkv_rate: float = 0.5                     # ... but q, k, v (so the attention LIF fires)
    extreme: bool = False                     # weights at ±max, biases at the extremes
    inputs: str = "random"                    # random | saturated | sparse
    samples: int = 3
    classes: int = 4
    plan: Mapping[str, Any] = field(default_factory=dict)   # planner options (sdmf hwgen)
    seed: int = 0

    @property
    def tokens(self) -> int:
        h, w = self.H, self.W
        for _ in range(4):
            h, w = (h - 1) // 2 + 1, (w - 1) // 2 + 1
        return h * w


# ---------------------------------------------------------------- channel selection


def _kept(spec: CaseSpec, rng: np.random.Generator) -> dict[str, list[list[int]]]:
    """Per block, per unit: the kept output channel indices (qk/v: per head)."""
    D, hd = spec.dim, spec.dim // spec.heads
    hidden = spec.mlp_hidden or D
    out: dict[str, list[list[int]]] = {}

    def pick(n: int, total: int) -> list[int]:
        return sorted(rng.choice(total, size=n, replace=False).tolist())

    def count(total: int) -> int:
        return max(1, round(spec.keep * total))

    for b in range(spec.depth):
        for unit in BLOCK_UNITS:
            want = spec.kept.get(unit)
            if unit in ("qk", "v"):
                per = want if want is not None else [count(hd)] * spec.heads
                out[f"{b}.{unit}"] = [[h * hd + c for c in pick(n, hd)] for h, n in enumerate(per)]
            else:
                total = hidden if unit == "fc1" else D
                out[f"{b}.{unit}"] = [pick(want if want is not None else count(total), total)]
    return out


# ---------------------------------------------------------------- parameters


class _Builder:
    """Fills the parameters of a program op by op, calibrating every LIF threshold."""

    def __init__(self, spec: CaseSpec, ops_: list[Op], x: torch.Tensor) -> None:
        self.spec, self.ops, self.x = spec, ops_, x
        self.rng = np.random.default_rng(spec.seed)
        self.params: dict[str, np.ndarray] = {}
        self.wmax = (1 << (spec.weight_bits - 1)) - 1

    def value(self, name: str) -> torch.Tensor:
        """The tensor ``name`` on the case's inputs, with the parameters chosen so far."""
        upto = next(i for i, op in enumerate(self.ops) if op.name == name) + 1
        torch_params = {k: torch.from_numpy(v.astype(np.int64)) for k, v in self.params.items()}
        return execute(self.ops[:upto], torch_params, self.x, keep=False)[name]

    def weights(self, shape: tuple[int, ...]) -> np.ndarray:
        if self.spec.extreme:
            return self.rng.choice([-self.wmax, self.wmax], size=shape)
        return self.rng.integers(-self.wmax, self.wmax + 1, size=shape)

    def lif(self, op: Op, per_token: bool) -> None:
        """Bias around the accumulator's scale (shifted up for high target rates), then
        thresholds calibrated to the target rate."""
        acc = self.value(op.inputs[0])
        C = acc.shape[2]
        F = op.attrs["frac_bits"]
        unit = op.name.split(".")[-2]
        rate = self.spec.qkv_rate if unit in ("q", "k", "v") else self.spec.rate
        scale = max(4.0 * (1 << F), float(acc.abs().float().mean()) * (1 << F))
        shape = (C, acc.shape[3]) if per_token and acc.dim() == 4 else (C,)
        if self.spec.extreme:
            bias = self.rng.choice([-4 * scale, 0, 4 * scale], size=shape)
        else:
            bias = self.rng.normal(max(0.0, rate - 0.5) * 4 * scale, scale, size=shape)
        bias = np.round(bias).astype(np.int64)
        current = ops.membrane_input(acc, torch.from_numpy(bias), F)
        self.params[op.param_key("bias")] = bias
        self.params[op.param_key("theta")] = calibrate_theta(current, rate, self.spec.extreme,
                                                             self.rng)


def calibrate_theta(current: torch.Tensor, rate: float, extreme: bool,
                    rng: np.random.Generator) -> np.ndarray:
    """Per channel, the threshold (≥ 1) whose firing rate on ``current`` is nearest ``rate``.

    ``extreme`` sets some channels to θ = 1 (fires on any positive membrane) and some to
    a threshold no membrane reaches."""
    C = current.shape[2]
    if C == 0:
        return np.zeros(0, dtype=np.int64)
    top = max(2, int(current.max()) + 1)
    grid = np.unique(np.geomspace(1, top, num=40).round().astype(np.int64))
    rates = []
    for th in grid:
        s = ops.lif(current, torch.full((C,), int(th), dtype=torch.int64))
        rates.append(s.transpose(0, 2).reshape(C, -1).float().mean(dim=1).numpy())
    best = grid[np.abs(np.stack(rates) - rate).argmin(axis=0)]
    if extreme and C >= 3:
        best[rng.integers(C)] = 1
        best[rng.integers(C)] = top + (1 << 20)
    return best.astype(np.int64)


def case_inputs(spec: CaseSpec) -> torch.Tensor:
    """Event counts ``[S, T, C, H, W]`` of the kind the case asks for."""
    g = torch.Generator().manual_seed(spec.seed + 1)
    shape = (spec.samples, spec.T, spec.C, spec.H, spec.W)
    top = (1 << spec.in_bits) - 1
    if spec.inputs == "saturated":                       # half the counts above the maximum
        over = torch.rand(shape, generator=g) < 0.5
        low = torch.randint(0, top + 1, shape, generator=g)
        return torch.where(over, torch.randint(top, 2 * top + 2, shape, generator=g), low)
    if spec.inputs == "sparse":                          # mostly zero, a few large counts
        mask = torch.rand(shape, generator=g) < 0.1
        return torch.randint(0, top + 1, shape, generator=g) * mask
    if spec.inputs != "random":
        raise ValueError(f"case {spec.name!r}: inputs must be random, saturated or sparse")
    return torch.randint(0, min(top, 15) + 1, shape, generator=g)


def _out_channels(spec: CaseSpec, op: Op, kept: dict[str, list[list[int]]]) -> list[int]:
    """Kept output channel indices of a conv op (SPS convs keep all)."""
    parts = op.name.split(".")
    if parts[0] == "sps":
        i = int(parts[1])
        return list(range((*spec.sps, spec.dim)[i]))
    b, unit = parts[1], parts[3]
    key = {"q": "qk", "k": "qk"}.get(unit, unit)
    return [c for per_head in kept[f"{b}.{key}"] for c in per_head]


def _head_tags(spec: CaseSpec, kept: list[list[int]]) -> np.ndarray:
    return np.array([h for h, chans in enumerate(kept) for _ in chans], dtype=np.int64)


def build_case(spec: CaseSpec) -> tuple[IntegerIR, torch.Tensor]:
    """The IR of ``spec`` and the event counts it is simulated on."""
    cfg = ModelConfig(depth=spec.depth, dim=8, heads=1, mlp_residual=spec.mlp_residual)
    qspec = QuantSpec(weight_bits=spec.weight_bits, in_bits=spec.in_bits,
                      frac_bits=spec.frac_bits)
    rng = np.random.default_rng(spec.seed + 7)
    program = build_program(cfg, {}, qspec, head_shift=int(rng.integers(0, 4)))
    kept = _kept(spec, rng)
    x = case_inputs(spec)
    bld = _Builder(spec, program, x)
    channels = {"input": spec.C}
    meta_kept: dict[str, dict[str, list[int]]] = {}
    for op in program[1:]:
        t, key = op.type, op.param_key
        src = channels[op.inputs[0]]
        if t in ("conv2d", "conv1d"):
            out = _out_channels(spec, op, kept)
            shape = (len(out), src, 3, 3) if t == "conv2d" else (len(out), src)
            bld.params[key("weight")] = bld.weights(shape)
            channels[op.name] = len(out)
            meta_kept[op.name[: -len(".conv")]] = {"out": out, "in": list(range(src))}
        elif t == "lif" and op.name.endswith("attn_lif"):
            bld.params[key("bias")] = np.zeros(src, dtype=np.int64)
            bld.params[key("theta")] = np.full(src, 1 << (op.attrs["frac_bits"] + 1))
            channels[op.name] = src
        elif t == "lif":
            unit = op.name.split(".")[-2]
            bld.lif(op, spec.per_token_bias and unit in ("q", "k", "v", "fc1"))
            channels[op.name] = src
        elif t == "attention":
            b = op.name.split(".")[1]
            bld.params[key("head_qk")] = _head_tags(spec, kept[f"{b}.qk"])
            bld.params[key("head_v")] = _head_tags(spec, kept[f"{b}.v"])
            channels[op.name] = channels[op.inputs[2]]
        elif t == "residual_add":
            branch = op.inputs[1].rsplit(".", 1)[0]
            bld.params[key("channels")] = np.array(meta_kept[branch]["out"], dtype=np.int64)
            channels[op.name] = src
        elif t == "head":
            bld.params[key("weight")] = bld.weights((spec.classes, src))
            bld.params[key("bias")] = rng.integers(-1000, 1000, size=spec.classes)
        else:                                   # maxpool, flatten
            channels[op.name] = src
    meta = {"created_by": "sdmf.sim.adversarial", "adversarial_case": spec.name,
            "model_config": {"arch": "adversarial", "depth": spec.depth, "dim": spec.dim},
            "quant_spec": {"weight_bits": spec.weight_bits, "in_bits": spec.in_bits,
                           "frac_bits": spec.frac_bits, "lpe_bits": 8},
            "time_steps": spec.T, "kept_channels": meta_kept}
    ir = IntegerIR(ops=program, params=bld.params, input_shape=(spec.T, spec.C, spec.H, spec.W),
                   meta=meta)
    return ir, x


def firing_rates(ir: IntegerIR, taps: Mapping[str, torch.Tensor]) -> dict[str, float]:
    """Mean spike rate of every LIF output in ``taps`` (golden taps of some inputs)."""
    return {op.name: float(taps[op.name].float().mean()) for op in ir.ops
            if op.type == "lif" and op.name in taps and taps[op.name].numel()}


def with_plan(spec: CaseSpec, **plan: Any) -> CaseSpec:
    """``spec`` under other planner options (same network)."""
    return replace(spec, name=f"{spec.name}+{'+'.join(plan)}", plan={**spec.plan, **plan})


# ---------------------------------------------------------------- the suite

LAST_BLOCK_TAPS = ("attn.attn_lif", "attn.proj.lif", "mlp.fc1.lif", "mlp.fc2.lif")


def active_taps(spec: CaseSpec, silent: tuple[str, ...] = ()) -> list[str]:
    """LIF taps that must fire on the case's inputs: the last SPS layer and the last
    block's attention, projection and MLP, except those the case prunes on purpose."""
    last = f"blocks.{spec.depth - 1}."
    return ["sps.3.lif", *(last + t for t in LAST_BLOCK_TAPS if t not in silent)]


CASES: list[tuple[CaseSpec, tuple[str, ...]]] = [
    # (spec, taps of the last block that are silent by construction)
    (CaseSpec("one_token_T1", T=1, H=16, W=16, qkv_rate=0.7, seed=1), ()),
    (CaseSpec("sample_below_one_beat", T=2, H=1, W=3, in_bits=4, qkv_rate=0.9, rate=0.5,
              samples=4, seed=2), ()),
    (CaseSpec("nonsquare_T3_6_tokens", T=3, H=32, W=48, dim=24, heads=3, seed=3), ()),
    (CaseSpec("pruning_corners", H=32, W=32, dim=16, heads=4, seed=4,
              kept={"qk": (0, 3, 4, 1), "v": (2, 0, 4, 1), "proj": 0, "fc1": 0}),
     ("attn.proj.lif", "mlp.fc1.lif")),
    (CaseSpec("all_v_pruned", H=16, W=16, seed=5, kept={"v": (0, 0)}),
     ("attn.attn_lif", "attn.proj.lif")),
    (CaseSpec("narrow_in1_w2_f0", H=16, W=32, in_bits=1, weight_bits=2, frac_bits=0,
              qkv_rate=0.9, seed=6), ()),
    (CaseSpec("wide_in16_w16_f8", T=3, C=4, H=16, W=16, in_bits=16, weight_bits=16,
              frac_bits=8, qkv_rate=0.9, seed=7), ()),
    (CaseSpec("extreme_values", H=16, W=32, extreme=True, rate=0.6, seed=8),
     ("attn.attn_lif",)),
    (CaseSpec("saturated_inputs", H=16, W=16, in_bits=4, inputs="saturated", qkv_rate=0.9,
              seed=13), ()),
    (CaseSpec("depth2_each_T5_sparse", T=5, H=32, W=16, depth=2, mlp_residual="each",
              inputs="sparse", rate=0.4, qkv_rate=0.9, seed=9), ()),
    (CaseSpec("kv_bound_9_tokens", H=48, W=48, dim=48, heads=2, seed=10, plan={
        "row_parallel": True, "overrides": {
            "blocks.0.attn.k": {"PO": 1, "PI": 1}, "blocks.0.attn.v": {"PO": 1, "PI": 1}}}),
     ()),
    (CaseSpec("attention_bound_16_tokens", H=64, W=64, dim=32, heads=1, keep=1.0, seed=11,
              plan={"row_parallel": True,
                    "overrides": {"blocks.0.attn.attention": {"PO": 1}}}), ()),
    (CaseSpec("planner_knobs", H=32, W=32, dim=16, heads=4, seed=12, plan={
        "row_parallel": True, "budget": 40,
        "overrides": {"sps.1": {"PO": 3, "PI": 2, "PK": 1}, "blocks.0.mlp.fc1": {"PO": 5}}}),
     ()),
    # one row of 8 tokens, dense 128-wide block: the k/v, proj and MLP convs sit near the
    # bottleneck around the attention and the interval exceeds the bottleneck by 12 %
    # (25,248 vs 22,528): only the token recurrence predicts it (docs/generator.md)
    (CaseSpec("coupled_row_8_tokens", T=1, H=16, W=128, dim=128, sps=(16, 32, 64), heads=2,
              keep=1.0, seed=14), ()),
]
