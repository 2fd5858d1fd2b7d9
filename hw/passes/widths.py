"""AssignWidths: every stream element and every datapath width from the IR's intervals."""

from __future__ import annotations

import numpy as np

from sdmf.quant.bounds import bit_width, logit_bits, signed_bits
from sdmf.quant.limits import MAX_LOGIT_BITS

from ..graph import HwGraph, HwLayer
from ..units import UnitModel
from .base import GraphPass


def _param_range(a: np.ndarray) -> tuple[int, int]:
    return (int(a.min()), int(a.max())) if a.size else (0, 0)


class AssignWidths(GraphPass):
    """Stream elements get the (unsigned) width of the IR tensor they carry; units get
    accumulator, current, weight, pooling and logit widths from the IR bounds."""

    def apply(self, graph: HwGraph, model: UnitModel) -> HwGraph:
        for s in graph.streams:
            s.elem_bits = bit_width(s.lo, s.hi)
        for layer in graph.layers.values():
            ins = graph.inputs_of(layer.name)
            if layer.kind == "output":       # the head's logit words
                ins[0].elem_bits = graph.layers[ins[0].src].widths["LOGIT_BITS"]
            getattr(self, f"_{layer.kind}", self._none)(layer, ins[0].elem_bits if ins else 0)
        for layer in graph.of_kind("fork", "fifo"):
            layer.widths = {"WORD": graph.inputs_of(layer.name)[0].word_bits}
        return graph

    @staticmethod
    def _none(layer: HwLayer, in_bits: int) -> None:
        return None

    @staticmethod
    def _input(layer: HwLayer, in_bits: int) -> None:
        a = layer.attrs
        layer.widths = {"IN_BITS": a["in_bits"], "WORD": a["T"] * a["C"] * a["in_bits"]}

    @staticmethod
    def _conv_lif(layer: HwLayer, in_bits: int) -> None:
        wlo, whi = _param_range(layer.params["weight"])
        blo, bhi = _param_range(layer.params["bias"])
        tlo, thi = _param_range(layer.params["theta"])
        clo, chi = layer.bounds["current"]
        layer.widths = {
            "IN_BITS": in_bits if layer.attrs["CIN"] else 1,
            "W_BITS": max(2, signed_bits(wlo, whi)),
            "ACC_BITS": signed_bits(*layer.bounds["acc"]),
            # the membrane lies in [min(0, lo I), max(0, hi I)]; θ and B must be representable
            "CUR_BITS": signed_bits(clo, chi, blo, bhi, tlo, thi),
        }

    @staticmethod
    def _maxpool(layer: HwLayer, in_bits: int) -> None:
        layer.widths = {"WORD": layer.attrs["T"] * layer.attrs["C"] * in_bits}

    @staticmethod
    def _attention_lif(layer: HwLayer, in_bits: int) -> None:
        alo, ahi = layer.bounds["a"]
        clo, chi = layer.bounds["current"]
        layer.widths = {"A_BITS": bit_width(alo, ahi),
                        "CUR_BITS": signed_bits(clo, chi, *layer.bounds["theta"])}

    @staticmethod
    def _residual_add(layer: HwLayer, in_bits: int) -> None:
        layer.widths = {"R_IN_BITS": bit_width(*layer.bounds["r_in"]),
                        "R_OUT_BITS": bit_width(*layer.bounds["r_out"])}

    @staticmethod
    def _head(layer: HwLayer, in_bits: int) -> None:
        wlo, whi = _param_range(layer.params["weight"])
        blo, bhi = _param_range(layer.params["bias"])
        layer.widths = {"R_BITS": bit_width(*layer.bounds["r"]),
                        "W_BITS": max(2, signed_bits(wlo, whi)),
                        "POOL_BITS": bit_width(*layer.bounds["pool"]),
                        # the class index travels in a logit word too
                        "LOGIT_BITS": logit_bits(*layer.bounds["logit"], blo, bhi,
                                                 layer.attrs["K"])}

    @staticmethod
    def _output(layer: HwLayer, in_bits: int) -> None:
        if in_bits > MAX_LOGIT_BITS:
            raise ValueError(f"logits need {in_bits} bits; the output beats hold at most "
                             f"{MAX_LOGIT_BITS} (reduce the head shift or weight bits)")
        layer.widths = {"LOGIT_BITS": in_bits}
