"""``attention_lif``: spiking self-attention (``kᵀv``, then ``q·KV``) fused with its LIF.

Built from ``attention`` + the attention ``lif`` (checked: zero bias, θ = 2^(F+1)).
Knob ``PO``: v lanes per group (≤ the largest head). Phased: it takes all N k/v tokens
(phase 1), then the N q tokens (phase 2) and emits its frame in a burst. Its streams carry
``NB`` beats per token (``attrs["NB"]``, default 1): a token loads in NB cycles (one beat
each) and a q token's output leaves as NB beats. Busy cycles per inference
``N·(NB + Σ_g (qn_g ? T·qn_g : 1)) + N·(NB + 1 + Σ_g T·(qn_g + 1))`` over groups g of
≤ PO v channels of one head, ``qn_g`` its head's q·k channels.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from sdmf.quant.bounds import bit_width, signed_bits

from ..graph import GraphError, HwGraph, HwLayer
from .base import Knobs, LayerKind, MemoryNeed, ceil_div, strip_suffix

if TYPE_CHECKING:
    from sdmf.quant.opdefs import Op

    from ..graph import IrBuilder


def attention_heads(layer: HwLayer) -> dict[int, tuple[int, int]]:
    """Per head present in the v channels: (q·k channels, v channels)."""
    hq = [int(h) for h in layer.params["head_qk"]]
    hv = [int(h) for h in layer.params["head_v"]]
    return {h: (hq.count(h), hv.count(h)) for h in sorted(set(hv))}


def _check_lif(lif: Op, bias: np.ndarray, theta: np.ndarray, F: int) -> None:
    if bias.size and (bias.ndim != 1 or np.any(bias != 0)):
        raise GraphError(f"op {lif.name!r}: the attention LIF needs a zero per-channel "
                         "bias (docs/integer-semantics.md, Attention)")
    if theta.size and np.any(theta != 1 << (F + 1)):
        raise GraphError(f"op {lif.name!r}: the attention LIF needs theta = 2^(F+1) "
                         f"= {1 << (F + 1)}, got {sorted(set(theta.tolist()))}")


def _check_heads(op: Op, hq: np.ndarray, hv: np.ndarray) -> None:
    for tag, arr in (("head_qk", hq), ("head_v", hv)):
        if arr.size and (np.any(np.diff(arr) < 0) or arr.max() > 255):
            raise GraphError(f"op {op.name!r}: {tag} must be non-decreasing head tags "
                             "in 0..255 (each head's channels contiguous)")
    if hq.size == 0 and hv.size:
        raise GraphError(f"op {op.name!r}: v channels without any q·k channel; the "
                         "pruning cascade removes such heads")


class AttentionLif(LayerKind):
    name = "attention_lif"
    ports = ("q", "k", "v")
    ops = ("attention",)
    fuses = ("lif",)
    compute = True

    def from_ir(self, op: Op, b: IrBuilder) -> None:
        lif = b.fuse(op, "lif")
        F = int(lif.attrs["frac_bits"])
        _check_lif(lif, b.param(lif, "bias"), b.param(lif, "theta"), F)
        qs, vs = b.specs[op.inputs[0]].shape, b.specs[op.inputs[2]].shape
        name = strip_suffix(op.name, ".attention") + ".attention"
        hq, hv = b.param(op, "head_qk"), b.param(op, "head_v")
        _check_heads(op, hq, hv)
        b.add(HwLayer(name, self.name, (op.name, lif.name), lif.name, attrs={
            "N": int(qs[2]), "T": b.T, "CQK": int(qs[1]), "CV": int(vs[1]), "F": F,
            "positions": int(qs[2]), "heads": sorted({int(h) for h in hv.tolist()})},
            params={"head_qk": hq, "head_v": hv},
            bounds={"a": b.bounds(op.name), "current": b.bounds(f"{lif.name}.current"),
                    "theta": (1 << (F + 1), 1 << (F + 1))}), lif.name)
        for port, src in zip(self.ports, op.inputs):
            b.connect(src, name, port)

    def assign_widths(self, graph: HwGraph, layer: HwLayer) -> None:
        alo, ahi = layer.bounds["a"]
        clo, chi = layer.bounds["current"]
        layer.widths = {"A_BITS": bit_width(alo, ahi),
                        "CUR_BITS": signed_bits(clo, chi, *layer.bounds["theta"])}

    def describe(self, layer: HwLayer) -> str:
        a = layer.attrs
        return f"qk {a['CQK']}, v {a['CV']}, N {a['N']}"

    def memory_needs(self, layer: HwLayer) -> list[MemoryNeed]:
        """NB > 1: the token being loaded/worked on, one k-or-q and one v spike per
        (t, channel), and the output ping-pong of two tokens (NB = 1: registers). The KV
        counters are the resource model's."""
        a = layer.attrs
        if a.get("NB", 1) == 1:
            return []
        return [MemoryNeed("qk", a["T"] * a["CQK"], 0, 1),
                MemoryNeed("v", a["T"] * a["CV"], 0, 1),
                MemoryNeed("obuf", 2 * a["T"] * a["CV"], 0, 1)]

    def is_empty(self, layer: HwLayer) -> bool:
        return layer.attrs["CV"] == 0

    def knobs(self, layer: HwLayer) -> tuple[str, ...]:
        return ("PO",)

    def candidates(self, layer: HwLayer) -> Iterator[Knobs]:
        vmax = max(attention_heads(layer).values(), key=lambda hv: hv[1])[1]
        for po in sorted({ceil_div(vmax, g) for g in range(1, vmax + 1)}):
            if po <= self.po_max:
                yield {"PO": po}

    def check_knobs(self, layer: HwLayer, knobs: Knobs) -> None:
        if knobs.get("PO", 1) > layer.attrs["CV"]:
            raise ValueError(f"layer {layer.name!r}: PO={knobs['PO']} exceeds "
                             f"CV={layer.attrs['CV']}")

    def cost(self, layer: HwLayer, knobs: Knobs) -> int:
        return knobs["PO"]

    def token_ops(self, layer: HwLayer, knobs: Knobs) -> tuple[int, int]:
        """Ops per token after its NB load cycles: phase 1 (UPD, per k/v token) and phase 2
        (q·k FETCH and LIF, per q token, before its EMIT), over the v-channel groups of PO
        (independent of NB)."""
        t = layer.attrs["T"]
        phase1 = phase2 = 0
        for qn, vn in attention_heads(layer).values():
            groups = ceil_div(vn, knobs["PO"])
            phase1 += groups * (t * qn if qn else 1)
            phase2 += groups * t * (qn + 1)
        return phase1, phase2

    def cycles(self, layer: HwLayer, knobs: Knobs) -> int:
        phase1, phase2 = self.token_ops(layer, knobs)
        n, nb = layer.attrs["N"], layer.attrs.get("NB", 1)
        return n * (nb + phase1) + n * (nb + 1 + phase2)

    def capacity(self, layer: HwLayer) -> int:
        """All N k/v tokens and 2 q tokens."""
        return layer.attrs["N"] + 2

    def phased(self, layer: HwLayer) -> bool:
        return True

    def hold(self, layer: HwLayer, port: str) -> int:
        """N on q, k and v: the next frame arrives while the other phase runs."""
        return layer.attrs["N"]

    def burst(self, layer: HwLayer) -> int:
        """One frame, N tokens."""
        return layer.attrs["N"]

    def port_order(self, layer: HwLayer, port: str) -> int:
        return 1 if port == "q" else 0

    def lead(self, layer: HwLayer, port: str) -> int:
        """N k/v tokens before the first q token."""
        return layer.attrs["N"] if port == "q" else 0
