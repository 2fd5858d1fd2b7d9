"""RTL half of ``attention_lif``: ``sdmf_attention_lif`` (head groups as a packed parameter)
and, with NB > 1 beats per token, its token memories."""

from __future__ import annotations

from ....graph import HwGraph, HwLayer, Memory
from .. import library
from ..sv import Instance, Literal
from .base import CLK, RtlKind, busy, sink, source


class RtlAttentionLif(RtlKind):
    kind = "attention_lif"
    module = "sdmf_attention_lif"
    narrow = True

    def instance(self, graph: HwGraph, layer: HwLayer) -> Instance:
        a, w = layer.attrs, layer.widths
        q, k, v = graph.inputs_of(layer.name)
        (o,) = graph.outputs_of(layer.name)
        groups = library.attention_params(layer.params["head_qk"], layer.params["head_v"],
                                          layer.parallel["PO"])
        params = {"N": a["N"], "T": a["T"], "CQK": a["CQK"], "CV": a["CV"],
                  "NGRP": groups["NGRP"], "GROUPS": Literal(groups["GROUPS"]),
                  "A_BITS": w["A_BITS"], "CUR_BITS": w["CUR_BITS"], "F": a["F"],
                  "PO": layer.parallel["PO"]}
        if a.get("NB", 1) != 1:                      # NB = 1: the module's default
            params["NB"] = a["NB"]
        return Instance(self.module, layer.instance, params,
                        {**CLK, **sink("q", q), **sink("k", k), **sink("v", v), **source(o),
                         "busy_cycles": busy(layer)})

    def memories(self, layer: HwLayer) -> list[Memory]:
        """NB > 1: ``qk`` (k in phase 1, q in phase 2) and ``v``, NB beats (address b) of
        ``T/NB·CQK`` / ``T/NB·CV`` spikes each, one beat written per cycle, asynchronous
        read; ``obuf``, the output ping-pong of two tokens (2·NB beats of T/NB·NGRP·PO
        spikes, PO written per LIF op). NB = 1: registers."""
        a = layer.attrs
        nb = a.get("NB", 1)
        if nb == 1:
            return []
        ts = a["T"] // nb
        po = layer.parallel["PO"]
        ngrp = library.attention_params(layer.params["head_qk"], layer.params["head_v"],
                                        po)["NGRP"]
        return [Memory("qk", nb, ts * a["CQK"], ""), Memory("v", nb, ts * a["CV"], ""),
                Memory("obuf", 2 * nb, ts * ngrp * po, "")]
