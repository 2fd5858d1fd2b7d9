"""HLS half of ``residual_add``: templates/sdmf_residual_add.h."""

from __future__ import annotations

import numpy as np

from ....graph import HwGraph, HwLayer
from .base import Arrays, HlsKind, in_type, out_type


class HlsResidualAdd(HlsKind):
    kind = "residual_add"
    header = "sdmf_residual_add.h"
    function = "residual_add"

    def ints(self, graph: HwGraph, layer: HwLayer) -> dict[str, int]:
        a, w = layer.attrs, layer.widths
        return {"T": a["T"], "D": a["D"], "CB": a["CB"], "POSITIONS": a["positions"],
                "R_IN_BITS": w["R_IN_BITS"], "R_OUT_BITS": w["R_OUT_BITS"]}

    def types(self, graph: HwGraph, layer: HwLayer) -> dict[str, str]:
        return {"r_t": in_type(graph, layer, "r"), "s_t": in_type(graph, layer, "s"),
                "out_t": out_type(graph, layer)}

    def arrays(self, layer: HwLayer) -> Arrays:
        """``branch[d]``: the branch channel added into stream channel ``d`` (or −1)."""
        branch = np.full(layer.attrs["D"], -1, dtype=np.int64)
        for j, d in enumerate(layer.params["channels"].tolist()):
            branch[int(d)] = j
        return {"branch": branch}

    def array_types(self, layer: HwLayer) -> dict[str, str]:
        return {"branch": "int"}
