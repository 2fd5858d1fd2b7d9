"""HLS half of ``conv_lif``: templates/sdmf_conv_lif.h."""

from __future__ import annotations

from ....graph import HwGraph, HwLayer
from .base import Arrays, HlsKind, in_type, out_type


def parallel_knobs(layer: HwLayer) -> dict[str, int]:
    """The planner's ``PO``, ``PI``, ``PK`` (``layer.parallel``; 1 where unplanned): the
    template's UNROLL / ARRAY_PARTITION factors."""
    return {k: int(layer.parallel.get(k, 1)) for k in ("PO", "PI", "PK")}


class HlsConvLif(HlsKind):
    kind = "conv_lif"
    header = "sdmf_conv_lif.h"
    function = "conv_lif"

    def ints(self, graph: HwGraph, layer: HwLayer) -> dict[str, int]:
        a, w = layer.attrs, layer.widths
        return {"K": a["K"], "H": a["H"], "W": a["W"], "T": a["T"], "CIN": a["CIN"],
                "COUT": a["COUT"], "F": a["F"], "BIAS_PER_TOKEN": a["bias_per_token"],
                "IN_BITS": w["IN_BITS"], "W_BITS": w["W_BITS"], "ACC_BITS": w["ACC_BITS"],
                "CUR_BITS": w["CUR_BITS"], **parallel_knobs(layer)}

    def types(self, graph: HwGraph, layer: HwLayer) -> dict[str, str]:
        return {"in_t": in_type(graph, layer), "out_t": out_type(graph, layer)}

    def array_dims(self, layer: HwLayer) -> dict[str, tuple[int, ...]]:
        """The weights as ``[COUT][CIN][K·K]`` (at least 1 each), which the template
        partitions by PO, PI and PK."""
        a = layer.attrs
        return {"weight": (max(1, a["COUT"]), max(1, a["CIN"]), a["K"] * a["K"])}

    def arrays(self, layer: HwLayer) -> Arrays:
        p = layer.params
        return {"weight": p["weight"], "bias": p["bias"], "theta": p["theta"]}
