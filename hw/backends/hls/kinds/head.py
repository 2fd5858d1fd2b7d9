"""HLS half of ``head``: templates/sdmf_head_argmax.h."""

from __future__ import annotations

from ....graph import HwGraph, HwLayer
from .base import Arrays, HlsKind, in_type, out_type


class HlsHead(HlsKind):
    kind = "head"
    header = "sdmf_head_argmax.h"
    function = "head_argmax"

    def ints(self, graph: HwGraph, layer: HwLayer) -> dict[str, int]:
        a, w = layer.attrs, layer.widths
        return {"N": a["N"], "T": a["T"], "D": a["D"], "K": a["K"], "SHIFT": a["shift"],
                "R_BITS": w["R_BITS"], "W_BITS": w["W_BITS"], "POOL_BITS": w["POOL_BITS"],
                "LOGIT_BITS": w["LOGIT_BITS"]}

    def types(self, graph: HwGraph, layer: HwLayer) -> dict[str, str]:
        return {"in_t": in_type(graph, layer), "out_t": out_type(graph, layer)}

    def arrays(self, layer: HwLayer) -> Arrays:
        return {"weight": layer.params["weight"], "bias": layer.params["bias"]}
