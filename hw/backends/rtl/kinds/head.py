"""RTL half of ``head``: ``sdmf_head_argmax``, its weight ROM (``K·D`` words of ``W_BITS``,
address ``k·D + d``) and bias ROM (``K`` words of ``LOGIT_BITS``); with NB > 1 its pooled
sums are a memory (``pool``: D/PP words of PP sums)."""

from __future__ import annotations

from sdmf.device.words import to_unsigned

from ....graph import HwGraph, HwLayer, Memory
from ....kinds.head import head_pp
from ..sv import Instance
from .base import CLK, Images, RtlKind, busy, mem_file, mem_name, sink, source


class RtlHead(RtlKind):
    kind = "head"
    module = "sdmf_head_argmax"
    narrow = True
    prm_roles = ("weight", "bias")

    def instance(self, graph: HwGraph, layer: HwLayer) -> Instance:
        a, w = layer.attrs, layer.widths
        (i,), (o,) = graph.inputs_of(layer.name), graph.outputs_of(layer.name)
        params = {"N": a["N"], "T": a["T"], "D": a["D"], "K": a["K"], "R_BITS": w["R_BITS"],
                  "W_BITS": w["W_BITS"], "POOL_BITS": w["POOL_BITS"],
                  "LOGIT_BITS": w["LOGIT_BITS"], "SHIFT": a["shift"],
                  "WEIGHT_FILE": mem_file(layer, "weight"), "BIAS_FILE": mem_file(layer, "bias")}
        if a.get("NB", 1) != 1:                      # NB = 1: the module's defaults
            params["NB"] = a["NB"]
            params["PP"] = head_pp(a, layer.parallel)
        return Instance(self.module, layer.instance, params,
                        {**CLK, **sink("s", i), **source(o), "m_last": f"{o.name}_last",
                         "busy_cycles": busy(layer)})

    def memories(self, layer: HwLayer) -> list[Memory]:
        a, w = layer.attrs, layer.widths
        mems = [Memory("weight", a["K"] * a["D"], w["W_BITS"], mem_name(layer, "weight")),
                Memory("bias", a["K"], w["LOGIT_BITS"], mem_name(layer, "bias"))]
        if a.get("NB", 1) > 1:
            pp = head_pp(a, layer.parallel)
            mems.append(Memory("pool", a["D"] // pp, pp * w["POOL_BITS"], ""))
        return mems

    def images(self, layer: HwLayer) -> Images:
        wb, lb = layer.widths["W_BITS"], layer.widths["LOGIT_BITS"]
        weight = layer.params["weight"].reshape(-1)  # address k·D + d
        return {"weight": ([to_unsigned(int(v), wb) for v in weight], wb),
                "bias": ([to_unsigned(int(v), lb) for v in layer.params["bias"]], lb)}
