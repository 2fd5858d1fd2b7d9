"""The quantized model: Brevitas weight quantizers feeding the integer op program.

``QuantizedModel`` holds, per conv of the pruned network, a Brevitas
``QuantConv``/``QuantLinear`` (per-output-channel symmetric weights for convs,
per-tensor for the head) initialised with the BN-folded float weights, plus
float biases and the LPE. :meth:`QuantizedModel.integer_params` turns them into
the integer tensors of the op program:

* ``W_int, s``  from Brevitas (``W ≈ s · W_int``);
* LIF bias      ``round(b / s · 2^F)`` (+ the LPE term for residual consumers);
* LIF threshold ``round(v_th / s · 2^F)`` — the weight scale folded into it;
* LPE           ``P_int = round(P · 2^k)`` (power-of-two scale, k fixed at build);
  a residual consumer's per-token bias gains ``(W_int · P_int) · 2^(F − k)``;
* head bias     ``round(b · T·N·2^k / s_h + T · W_int · Σ_n P_int)``, shift k.

Forward runs :func:`sdmf.quant.program.execute` — the same code the golden
model runs — on float tensors (float32 when training, float64 in eval so every
integer is exact), with straight-through rounding and surrogate spikes.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from sdmf.model.transformer import SpikingTransformer

from .build import QuantSpec, build_program
from .fold import fold_and_prune
from .opdefs import Op
from .ops import round_ste
from .program import execute

STREAM_OPS = ("flatten", "residual_add")


def _weight_quantizer(weight: torch.Tensor, bits: int, per_channel: bool) -> nn.Module | None:
    """A Brevitas layer used as the quantizer of ``weight`` (None for empty weights)."""
    if weight.numel() == 0:
        return None
    import brevitas.nn as qnn
    from brevitas.quant import Int8WeightPerChannelFloat, Int8WeightPerTensorFloat

    quant = Int8WeightPerChannelFloat if per_channel else Int8WeightPerTensorFloat
    co, ci = weight.shape[:2]
    if weight.dim() == 4:
        layer = qnn.QuantConv2d(ci, co, 3, padding=1, bias=False, weight_quant=quant,
                                weight_bit_width=bits)
    elif per_channel:
        layer = qnn.QuantConv1d(ci, co, 1, bias=False, weight_quant=quant, weight_bit_width=bits)
        weight = weight.unsqueeze(-1)
    else:
        layer = qnn.QuantLinear(ci, co, bias=False, weight_quant=quant, weight_bit_width=bits)
    with torch.no_grad():
        layer.weight.copy_(weight)
    return layer


def _int_weight(layer: nn.Module | None,
                shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(W_int, scale[Co])`` from a Brevitas layer; zeros and unit scale if empty."""
    if layer is None:
        return torch.zeros(shape), torch.ones(shape[0])
    qw = layer.quant_weight()
    w_int = qw.int(float_datatype=True).reshape(shape)
    scale = qw.scale.reshape(-1).expand(shape[0])
    return w_int, scale


class QuantizedModel(nn.Module):
    """Fake-quantized, pruned network whose forward is the integer contract."""

    def __init__(self, model: SpikingTransformer, spec: QuantSpec, time_steps: int) -> None:
        super().__init__()
        model = model.eval()
        cfg = model.cfg
        self.cfg, self.spec, self.time_steps = cfg, spec, time_steps
        folded, self.plan = fold_and_prune(model)
        self.lpe = None
        self.lpe_shift = 0
        if model.patch_embed.lpe is not None:
            lpe = model.patch_embed.lpe.detach().reshape(cfg.dim, -1)
            qmax = (1 << (spec.lpe_bits - 1)) - 1
            peak = float(lpe.abs().max()) or 1.0
            self.lpe_shift = max(0, min(24, math.floor(math.log2(qmax / peak))))
            self.lpe = nn.Parameter(lpe.clone())
        self.program: list[Op] = build_program(cfg, self.plan, spec, head_shift=self.lpe_shift)
        self.names = list(folded)
        self.shapes = {n: tuple(f.weight.shape) for n, f in folded.items()}
        self.quantizers = nn.ModuleList(
            _weight_quantizer(f.weight, spec.weight_bits, True) or nn.Identity()
            for f in folded.values())
        self.biases = nn.ParameterList(nn.Parameter(f.bias.clone()) for f in folded.values())
        self.kept = {n: {"out": list(f.out_keep), "in": list(f.in_keep)} for n, f in folded.items()}
        head_w = model.head.weight.detach()
        self.head_quant = _weight_quantizer(head_w, spec.weight_bits, per_channel=False)
        self.head_bias = nn.Parameter(model.head.bias.detach().clone())
        self.head_shape = tuple(head_w.shape)
        consumers = {op.name for op in self.program if op.type in STREAM_OPS}
        self.stream_consumers = {op.name.removesuffix(".conv") for op in self.program
                                 if op.type == "conv1d" and op.inputs[0] in consumers}

    # ------------------------------------------------------------------ parameters
    def lpe_int(self) -> torch.Tensor | None:
        if self.lpe is None:
            return None
        qmax = (1 << (self.spec.lpe_bits - 1)) - 1
        return torch.clamp(round_ste(self.lpe * (1 << self.lpe_shift)), -qmax, qmax)

    def _quantizer(self, i: int) -> nn.Module | None:
        q = self.quantizers[i]
        return None if isinstance(q, nn.Identity) else q

    def integer_params(self) -> dict[str, torch.Tensor]:
        """Every parameter tensor of the op program, integer-valued (differentiable)."""
        F = self.spec.frac_bits
        one = float(1 << F)
        p_int = self.lpe_int()
        params: dict[str, torch.Tensor] = {}
        for i, name in enumerate(self.names):
            w_int, s = _int_weight(self._quantizer(i), self.shapes[name])
            base = self.biases[i] / s * one
            if name in self.stream_consumers and p_int is not None:
                token = (w_int @ p_int) * 2.0 ** (F - self.lpe_shift)
                base = base[:, None] + token
            params[f"{name}.conv.weight"] = w_int
            params[f"{name}.lif.bias"] = round_ste(base)
            params[f"{name}.lif.theta"] = torch.clamp(round_ste(one / s), min=1)
        for b in range(self.cfg.depth):
            cv = len(self.kept[f"blocks.{b}.attn.v"]["out"])
            hd = self.cfg.head_dim
            a = f"blocks.{b}.attn"
            theta = round(self.cfg.attn_threshold / self.cfg.attn_scale * one)
            params[f"{a}.attn_lif.bias"] = torch.zeros(cv)
            params[f"{a}.attn_lif.theta"] = torch.full((cv,), float(theta))
            params[f"{a}.attention.head_qk"] = torch.tensor(
                [c // hd for c in self.kept[f"{a}.q"]["out"]], dtype=torch.long)
            params[f"{a}.attention.head_v"] = torch.tensor(
                [c // hd for c in self.kept[f"{a}.v"]["out"]], dtype=torch.long)
            params[f"{a}.add.channels"] = torch.tensor(self.kept[f"{a}.proj"]["out"],
                                                       dtype=torch.long)
            m = f"blocks.{b}.mlp"
            params[f"{m}.add.channels"] = torch.tensor(self.kept[f"{m}.fc2"]["out"],
                                                       dtype=torch.long)
            if self.cfg.mlp_residual == "each":
                params[f"{m}.fc1.add.channels"] = torch.tensor(self.kept[f"{m}.fc1"]["out"],
                                                               dtype=torch.long)
        if self.cfg.pos_embed == "rpe":
            params["sps.rpe.add.channels"] = torch.arange(self.cfg.dim)
        w_h, s_h = _int_weight(self.head_quant, self.head_shape)
        tn = self.time_steps * self.cfg.num_tokens
        head_bias = self.head_bias * (tn * (1 << self.lpe_shift)) / s_h
        if p_int is not None:
            head_bias = head_bias + self.time_steps * (w_h @ p_int.sum(dim=1))
        params["head.weight"] = w_h
        params["head.bias"] = round_ste(head_bias)
        self._logit_scale = float(s_h[0].detach()) / (tn * (1 << self.lpe_shift))
        return params

    @property
    def logit_scale(self) -> float:
        """Real-valued logits = integer logits × this scale."""
        self.integer_params()
        return self._logit_scale

    # ------------------------------------------------------------------ execution
    def run(self, x: torch.Tensor, taps: bool = False) -> dict[str, torch.Tensor]:
        """Execute the op program; returns every op's output (``taps``) or just the logits."""
        if x.shape[1] != self.time_steps:
            raise ValueError(f"model was quantized for T={self.time_steps}, "
                             f"input has T={x.shape[1]}")
        dtype = torch.float32 if self.training else torch.float64
        params = {k: (v if v.dtype == torch.long else v.to(dtype))
                  for k, v in self.integer_params().items()}
        return execute(self.program, params, torch.round(x).to(dtype), keep=taps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Real-valued logits ``[B, K]`` (integer logits × :attr:`logit_scale`)."""
        logits = self.run(x)[self.program[-1].name]
        return (logits * self._logit_scale).float()

    def export_params(self) -> dict[str, Any]:
        """Integer parameters as int64 numpy arrays, exactly what eval-mode forward uses."""
        with torch.no_grad():
            out = {}
            for k, v in self.integer_params().items():
                v64 = v.detach().to(torch.float64) if v.dtype != torch.long else v
                if v64.dtype != torch.long and not torch.equal(v64, torch.round(v64)):
                    raise ValueError(f"parameter {k} is not integer-valued")
                out[k] = v64.round().to(torch.int64).numpy() if v64.dtype != torch.long \
                    else v64.numpy()
            return out
