"""``head``: global sum pooling, linear classifier and arg-max (ties to the lowest index).

Built from ``head``; also adds the ``output`` layer that serialises its K logit words
and the class word. No knobs; its input carries ``NB`` beats per token (``attrs["NB"]``,
default 1). Busy cycles per inference (:func:`head_cycles`): ``1 + N·D + K·D + 1 + (K + 1)``
with NB = 1 (D cycles per token), ``N·NB + K·D + 1 + (K + 1)`` with NB > 1 (one per
accepted beat).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sdmf.quant.bounds import bit_width, logit_bits, signed_bits

from ..graph import HwGraph, HwLayer, Stream
from .base import Knobs, LayerKind, MemoryNeed
from .io import Output

if TYPE_CHECKING:
    from sdmf.quant.opdefs import Op

    from ..graph import IrBuilder


def head_cycles(n: int, d: int, k: int, nb: int = 1) -> int:
    """Busy cycles of one frame of ``sdmf_head_argmax`` (pooling, linear, drain, output)."""
    pool = 1 + n * d if nb == 1 else n * nb
    return pool + k * d + 1 + k + 1


class Head(LayerKind):
    name = "head"
    ops = ("head",)
    compute = True

    def from_ir(self, op: Op, b: IrBuilder) -> None:
        w, bias = b.param(op, "weight"), b.param(op, "bias")
        r = b.specs[op.inputs[0]]
        N, T, K = int(r.shape[2]), b.T, int(w.shape[0])
        b.add(HwLayer(op.name, self.name, (op.name,), op.name, attrs={
            "N": N, "T": T, "D": int(w.shape[1]), "K": K,
            "shift": int(op.attrs["shift"]), "positions": N},
            params={"weight": w, "bias": bias},
            ranges={"weight": b.range(op, "weight"), "bias": b.range(op, "bias")},
            bounds={"r": (r.lo, r.hi), "pool": (r.lo * T * N, r.hi * T * N),
                    "logit": b.bounds(op.name)}), None)
        b.connect(op.inputs[0], op.name, "s")
        b.add(HwLayer("output", Output.name, (), None, attrs={"K": K}), None)
        # K logit words, then the class word (m_last)
        lo, hi = b.bounds(op.name)
        b.streams.append(Stream(src=op.name, dst="output", port="s", T=1, channels=1,
                                positions=K + 1, lo=lo, hi=hi, taps=(op.name,)))

    def assign_widths(self, graph: HwGraph, layer: HwLayer) -> None:
        (wlo, whi), (blo, bhi) = layer.ranges["weight"], layer.ranges["bias"]
        layer.widths = {"R_BITS": bit_width(*layer.bounds["r"]),
                        "W_BITS": max(2, signed_bits(wlo, whi)),
                        "POOL_BITS": bit_width(*layer.bounds["pool"]),
                        # the class index travels in a logit word too
                        "LOGIT_BITS": logit_bits(*layer.bounds["logit"], blo, bhi,
                                                 layer.attrs["K"])}

    def memory_needs(self, layer: HwLayer) -> list[MemoryNeed]:
        return [MemoryNeed(role, int(layer.params[role].size), *layer.ranges[role])
                for role in ("weight", "bias")]

    def cycles(self, layer: HwLayer, knobs: Knobs) -> int:
        a = layer.attrs
        return head_cycles(a["N"], a["D"], a["K"], a.get("NB", 1))
