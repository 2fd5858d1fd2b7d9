"""Unit instances of the generated top: one function per layer kind.

Each returns the :class:`Instance` of a library (or support) module, wired to
the stream signals ``<stream>_valid/_ready/_data`` and the layer's busy counter
``busy_<layer>``. Parameters follow docs/hardware.md ("Unit library").
"""

from __future__ import annotations

from collections.abc import Callable

from ...graph import HwGraph, HwLayer, Stream, sanitize
from ...passes.memories import PlanMemories
from . import library
from .sv import Instance, Literal, packed_list

CLK = {"clk": "ap_clk", "rst_n": "ap_rst_n"}


def sink(prefix: str, s: Stream) -> dict[str, str]:
    """Ports of a unit's input ``prefix`` fed by stream ``s`` (bit 0 only if ``ignored``)."""
    data = f"{s.name}_data[0]" if s.ignored else f"{s.name}_data"
    return {f"{prefix}_valid": f"{s.name}_valid", f"{prefix}_ready": f"{s.name}_ready",
            f"{prefix}_data": data}


def source(s: Stream, prefix: str = "m") -> dict[str, str]:
    return {f"{prefix}_valid": f"{s.name}_valid", f"{prefix}_ready": f"{s.name}_ready",
            f"{prefix}_data": f"{s.name}_data"}


def busy(layer: HwLayer) -> str:
    return f"busy_{sanitize(layer.name)}"


def mem_file(layer: HwLayer, role: str) -> str:
    for m in layer.memories:
        if m.name == role:
            return m.file
    return PlanMemories._file(layer, role)


def _conv_lif(g: HwGraph, lay: HwLayer) -> Instance:
    a, w, k = lay.attrs, lay.widths, lay.parallel
    (i,), (o,) = g.inputs_of(lay.name), g.outputs_of(lay.name)
    params = {"K": a["K"], "H": a["H"], "W": a["W"], "CIN": a["CIN"], "COUT": a["COUT"],
              "T": a["T"], "IN_BITS": w["IN_BITS"], "W_BITS": w["W_BITS"],
              "ACC_BITS": w["ACC_BITS"], "CUR_BITS": w["CUR_BITS"], "F": a["F"],
              "PO": k["PO"], "PI": k["PI"], "PK": k.get("PK", 1),
              "BIAS_PER_TOKEN": a["bias_per_token"],
              "WEIGHT_FILE": mem_file(lay, "weight"), "BIAS_FILE": mem_file(lay, "bias"),
              "THETA_FILE": mem_file(lay, "theta")}
    return Instance("sdmf_conv_lif", lay.instance, params,
                    {**CLK, **sink("s", i), **source(o), "busy_cycles": busy(lay)})


def _maxpool(g: HwGraph, lay: HwLayer) -> Instance:
    a = lay.attrs
    (i,), (o,) = g.inputs_of(lay.name), g.outputs_of(lay.name)
    return Instance("sdmf_maxpool_or", lay.instance,
                    {"H": a["H"], "W": a["W"], "WORD": lay.widths["WORD"]},
                    {**CLK, **sink("s", i), **source(o), "busy_cycles": busy(lay)})


def _attention_lif(g: HwGraph, lay: HwLayer) -> Instance:
    a, w = lay.attrs, lay.widths
    q, k, v = g.inputs_of(lay.name)
    (o,) = g.outputs_of(lay.name)
    groups = library.attention_params(lay.params["head_qk"], lay.params["head_v"],
                                      lay.parallel["PO"])
    params = {"N": a["N"], "T": a["T"], "CQK": a["CQK"], "CV": a["CV"],
              "NGRP": groups["NGRP"], "GROUPS": Literal(groups["GROUPS"]),
              "A_BITS": w["A_BITS"], "CUR_BITS": w["CUR_BITS"], "F": a["F"],
              "PO": lay.parallel["PO"]}
    return Instance("sdmf_attention_lif", lay.instance, params,
                    {**CLK, **sink("q", q), **sink("k", k), **sink("v", v), **source(o),
                     "busy_cycles": busy(lay)})


def _residual_add(g: HwGraph, lay: HwLayer) -> Instance:
    a, w = lay.attrs, lay.widths
    r, s = g.inputs_of(lay.name)
    (o,) = g.outputs_of(lay.name)
    params = {"T": a["T"], "D": a["D"], "CB": a["CB"], "R_IN_BITS": w["R_IN_BITS"],
              "R_OUT_BITS": w["R_OUT_BITS"],
              "CHANNELS": packed_list([int(c) for c in lay.params["channels"]], 16)}
    return Instance("sdmf_residual_add", lay.instance, params,
                    {**CLK, **sink("r", r), **sink("s", s), **source(o),
                     "busy_cycles": busy(lay)})


def _head(g: HwGraph, lay: HwLayer) -> Instance:
    a, w = lay.attrs, lay.widths
    (i,), (o,) = g.inputs_of(lay.name), g.outputs_of(lay.name)
    params = {"N": a["N"], "T": a["T"], "D": a["D"], "K": a["K"], "R_BITS": w["R_BITS"],
              "W_BITS": w["W_BITS"], "POOL_BITS": w["POOL_BITS"],
              "LOGIT_BITS": w["LOGIT_BITS"], "SHIFT": a["shift"],
              "WEIGHT_FILE": mem_file(lay, "weight"), "BIAS_FILE": mem_file(lay, "bias")}
    return Instance("sdmf_head_argmax", lay.instance, params,
                    {**CLK, **sink("s", i), **source(o), "m_last": f"{o.name}_last",
                     "busy_cycles": busy(lay)})


def _fork(g: HwGraph, lay: HwLayer) -> Instance:
    (i,) = g.inputs_of(lay.name)
    outs = g.outputs_of(lay.name)
    m = len(outs)
    valid = "{" + ", ".join(f"{s.name}_valid" for s in reversed(outs)) + "}"
    ready = "{" + ", ".join(f"{s.name}_ready" for s in reversed(outs)) + "}"
    return Instance("sdmf_fork", lay.instance, {"WORD": lay.widths["WORD"], "M": m},
                    {**CLK, **sink("s", i), "m_valid": valid, "m_ready": ready,
                     "m_data": f"{sanitize(lay.name)}_data", "busy_cycles": busy(lay)})


def _fifo(g: HwGraph, lay: HwLayer) -> Instance:
    (i,), (o,) = g.inputs_of(lay.name), g.outputs_of(lay.name)
    return Instance("sdmf_fifo", lay.instance,
                    {"WORD": lay.widths["WORD"], "DEPTH": lay.attrs["DEPTH"]},
                    {**CLK, **sink("s", i), **source(o), "busy_cycles": busy(lay)})


def _input(g: HwGraph, lay: HwLayer) -> Instance:
    (o,) = g.outputs_of(lay.name)
    return Instance("sdmf_axis_unpack", lay.instance,
                    {"WORD": lay.widths["WORD"], "POSITIONS": lay.attrs["H"] * lay.attrs["W"]},
                    {**CLK, "s_valid": "in_valid", "s_ready": "in_ready",
                     "s_data": "s_axis_tdata", **source(o)})


def _output(g: HwGraph, lay: HwLayer) -> Instance:
    (i,) = g.inputs_of(lay.name)
    return Instance("sdmf_axis_logits", lay.instance,
                    {"LOGIT_BITS": lay.widths["LOGIT_BITS"]},
                    {"s_valid": f"{i.name}_valid", "s_ready": f"{i.name}_ready",
                     "s_data": f"{i.name}_data", "s_last": f"{i.name}_last",
                     "m_valid": "m_axis_tvalid",
                     "m_ready": "m_axis_tready", "m_data": "m_axis_tdata",
                     "m_last": "m_axis_tlast"})


UNIT_INSTANCES: dict[str, Callable[[HwGraph, HwLayer], Instance]] = {
    "input": _input, "conv_lif": _conv_lif, "maxpool": _maxpool,
    "attention_lif": _attention_lif, "residual_add": _residual_add, "head": _head,
    "output": _output, "fork": _fork, "fifo": _fifo,
}
HAS_BUSY = ("conv_lif", "maxpool", "attention_lif", "residual_add", "head", "fork", "fifo")
COMPUTE = ("conv_lif", "maxpool", "attention_lif", "residual_add", "head")
