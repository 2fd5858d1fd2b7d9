"""``head``: global sum pooling, linear classifier and arg-max (ties to the lowest index).

Built from ``head``; also adds the ``output`` layer that serialises its K logit words
and the class word. Its input carries ``NB`` beats per token (``attrs["NB"]``, default 1).
Knob (NB > 1 only): ``PP`` channels pooled per cycle, a divisor of D (NB = 1 pools one
channel per cycle). Busy cycles per inference (:func:`head_cycles`):
``1 + N·NB·A + K·D + 1 + (K + 1)`` with A = D (NB = 1) or D/PP (NB > 1) accumulation
cycles per beat.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sdmf.quant.bounds import bit_width, logit_bits, signed_bits

from ..graph import HwGraph, HwLayer, Stream
from .base import Knobs, LayerKind, MemoryNeed, divisors
from .io import Output

if TYPE_CHECKING:
    from sdmf.quant.opdefs import Op

    from ..graph import IrBuilder


def head_acc(d: int, nb: int = 1, pp: int = 1) -> int:
    """Accumulation cycles per input beat of ``sdmf_head_argmax``: D with NB = 1, D/PP
    with NB > 1."""
    if pp < 1 or d % pp or (nb == 1 and pp != 1):
        raise ValueError(f"head: PP={pp} must divide D={d} (NB=1: PP=1)")
    return d if nb == 1 else d // pp


def head_cycles(n: int, d: int, k: int, nb: int = 1, pp: int = 1) -> int:
    """Busy cycles of one frame of ``sdmf_head_argmax`` (pooling, linear, drain, output)."""
    return 1 + n * nb * head_acc(d, nb, pp) + k * d + 1 + k + 1


def head_pp(attrs: dict, knobs: Knobs) -> int:
    """A head's ``PP`` under ``knobs`` (``attrs``: the layer's): 1 with NB = 1; with NB > 1
    the knob, else D (a beat per cycle)."""
    if attrs.get("NB", 1) == 1:
        return 1
    return int(knobs.get("PP", attrs["D"]))


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
        """The weights and biases; with NB > 1 the D pooled sums (``pool``)."""
        needs = [MemoryNeed(role, int(layer.params[role].size), *layer.ranges[role])
                 for role in ("weight", "bias")]
        if layer.attrs.get("NB", 1) > 1:
            needs.append(MemoryNeed("pool", layer.attrs["D"], *layer.bounds["pool"]))
        return needs

    def knobs(self, layer: HwLayer) -> tuple[str, ...]:
        return ("PP",) if layer.attrs.get("NB", 1) > 1 else ()

    def candidates(self, layer: HwLayer) -> Iterator[Knobs]:
        if layer.attrs.get("NB", 1) == 1:
            yield {}
            return
        for pp in divisors(layer.attrs["D"]):
            yield {"PP": pp}

    def check_knobs(self, layer: HwLayer, knobs: Knobs) -> None:
        if "PP" in knobs and layer.attrs["D"] % knobs["PP"]:
            raise ValueError(f"layer {layer.name!r}: PP={knobs['PP']} must divide "
                             f"D={layer.attrs['D']}")

    def cost(self, layer: HwLayer, knobs: Knobs) -> int:
        return head_pp(layer.attrs, knobs)

    def cycles(self, layer: HwLayer, knobs: Knobs) -> int:
        a = layer.attrs
        return head_cycles(a["N"], a["D"], a["K"], a.get("NB", 1), head_pp(a, knobs))
