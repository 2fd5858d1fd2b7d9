"""HLS half of ``attention_lif``: templates/sdmf_attention_lif.h."""

from __future__ import annotations

from ....graph import HwGraph, HwLayer
from .base import Arrays, HlsKind, in_type, out_type


class HlsAttentionLif(HlsKind):
    kind = "attention_lif"
    header = "sdmf_attention_lif.h"
    function = "attention_lif"

    def ints(self, graph: HwGraph, layer: HwLayer) -> dict[str, int]:
        a, w = layer.attrs, layer.widths
        return {"N": a["N"], "T": a["T"], "CQK": a["CQK"], "CV": a["CV"], "F": a["F"],
                "A_BITS": w["A_BITS"], "CUR_BITS": w["CUR_BITS"]}

    def types(self, graph: HwGraph, layer: HwLayer) -> dict[str, str]:
        return {"q_t": in_type(graph, layer, "q"), "k_t": in_type(graph, layer, "k"),
                "v_t": in_type(graph, layer, "v"), "out_t": out_type(graph, layer)}

    def arrays(self, layer: HwLayer) -> Arrays:
        return {"head_qk": layer.params["head_qk"], "head_v": layer.params["head_v"]}

    def array_types(self, layer: HwLayer) -> dict[str, str]:
        return {"head_qk": "int", "head_v": "int"}
