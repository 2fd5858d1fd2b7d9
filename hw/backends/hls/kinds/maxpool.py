"""HLS half of ``maxpool``: templates/sdmf_maxpool_or.h."""

from __future__ import annotations

from ....graph import HwGraph, HwLayer
from .base import HlsKind, in_type


class HlsMaxpool(HlsKind):
    kind = "maxpool"
    header = "sdmf_maxpool_or.h"
    function = "maxpool_or"

    def ints(self, graph: HwGraph, layer: HwLayer) -> dict[str, int]:
        a = layer.attrs
        return {"H": a["H"], "W": a["W"], "HO": a["HO"], "WO": a["WO"]}

    def types(self, graph: HwGraph, layer: HwLayer) -> dict[str, str]:
        return {"word_t": in_type(graph, layer)}
