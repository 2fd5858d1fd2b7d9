"""HLS halves of ``fork`` and ``fifo``: templates/sdmf_stream_ops.h.

A fork's outputs are one array of streams (``<fork>_out[M]``); a FIFO copies into its
output stream, whose depth (set in the top) is the FIFO's buffer.
"""

from __future__ import annotations

from ....graph import HwGraph, HwLayer
from .base import HlsKind, cfg_name, in_type


class HlsFork(HlsKind):
    kind = "fork"
    header = "sdmf_stream_ops.h"
    function = "fork"

    def ints(self, graph: HwGraph, layer: HwLayer) -> dict[str, int]:
        return {"M": layer.attrs["M"], "POSITIONS": layer.attrs["positions"]}

    def types(self, graph: HwGraph, layer: HwLayer) -> dict[str, str]:
        return {"word_t": in_type(graph, layer)}

    def call(self, layer: HwLayer, ins: list[str], outs: list[str]) -> str:
        array = outs[0].rsplit("[", 1)[0]
        return f"sdmf::fork<{cfg_name(layer)}>({ins[0]}, {array});"


class HlsFifo(HlsKind):
    kind = "fifo"
    header = "sdmf_stream_ops.h"
    function = "fifo"

    def ints(self, graph: HwGraph, layer: HwLayer) -> dict[str, int]:
        return {"DEPTH": layer.attrs["DEPTH"], "POSITIONS": layer.attrs["positions"]}

    def types(self, graph: HwGraph, layer: HwLayer) -> dict[str, str]:
        return {"word_t": in_type(graph, layer)}
