"""The HLS backend: the hardware graph as Vitis HLS C++ (one template per kind, a
generated dataflow top, a C testbench) plus Vitis HLS scripts.

Project layout: ``hls/`` (templates, ``sdmf_top.h``, ``sdmf_params.h``, ``sdmf_top.cpp``),
``tb/sdmf_tb.cpp`` (the C testbench), ``scripts/`` (Vitis HLS Tcl). The ``ap_int`` and
``hls_stream.h`` headers are not part of a project: C simulation here takes hls4ml's
(:mod:`.headers`), Vitis HLS its own.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from ...graph import HwGraph, Memory
from ...kinds import KINDS
from ..base import Backend, BackendOutput, GenOptions, register_backend
from ..rtl.backend import _trace_taps
from ..rtl.topgen import TRACE_DIR, busy_layers, device_interface
from .cpp import c_int_type
from .kinds import hls_kind
from .scripts import write_scripts
from .topgen import (
    PARAMS_HEADER,
    TOP,
    TOP_HEADER,
    TOP_SOURCE,
    params_header,
    top_header,
    top_source,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
COMMON = ("sdmf_common.h", "sdmf_trace.h")
TB_SOURCE = "sdmf_tb.cpp"


def template_headers(graph: HwGraph) -> list[str]:
    """Template headers the graph uses (the shared ones first)."""
    used = sorted({hls_kind(lay).header for lay in graph.layers.values()})
    return [*COMMON, *used]


def plan_arrays(graph: HwGraph) -> HwGraph:
    """``layer.memories``: one constant array per stored tensor (its C element type's
    width; ``file`` is the header that holds it), ``info['memory_bits']``."""
    for lay in graph.layers.values():
        hk = hls_kind(lay)
        ctypes = hk.array_types(lay)
        mems = []
        for role, values in hk.arrays(lay).items():
            if not values.size:
                continue
            ctype = ctypes.get(role) or c_int_type(int(values.min()), int(values.max()))
            width = 32 if ctype == "int" else int(ctype[3:-2])
            mems.append(Memory(role, int(values.size), width, f"hls/{PARAMS_HEADER}"))
        lay.memories = mems
    graph.info["memory_bits"] = sum(m.bits for lay in graph.layers.values()
                                    for m in lay.memories)
    graph.info["bram18"] = 0          # the HLS tool decides (csynth report)
    return graph


@register_backend
class HlsBackend(Backend):
    """Vitis HLS C++ project: ``hls/*.h``, ``hls/sdmf_top.cpp``, ``tb/``, ``scripts/``."""

    name = "hls"
    kinds = KINDS

    def plan(self, graph: HwGraph) -> HwGraph:
        return plan_arrays(graph)

    def write(self, graph: HwGraph, root: Path, options: GenOptions) -> BackendOutput:
        if options.counters:
            raise ValueError("the hls backend has no busy counters (--counters is an RTL "
                             "option; docs/hls.md)")
        if options.params != "rom":
            raise ValueError("the hls backend keeps its parameters in ROMs (--params loaded "
                             "is an RTL option; docs/params.md)")
        src, tb = root / "hls", root / "tb"
        src.mkdir(parents=True, exist_ok=True)
        tb.mkdir(parents=True, exist_ok=True)
        sources = []
        for name in template_headers(graph):
            shutil.copyfile(TEMPLATES / name, src / name)
            sources.append(f"hls/{name}")
        for name, text in ((TOP_HEADER, top_header(graph)),
                           (PARAMS_HEADER, params_header(graph)),
                           (TOP_SOURCE, top_source(graph, options))):
            (src / name).write_text(text)
            sources.append(f"hls/{name}")
        shutil.copyfile(TEMPLATES / TB_SOURCE, tb / TB_SOURCE)
        sources.append(f"tb/{TB_SOURCE}")
        # no busy counters, latency/interval registers or in-flight limit in this design
        iface = dataclasses.replace(device_interface(graph, GenOptions()),
                                    interval_cycles=None, max_in_flight=None)
        scripts = write_scripts(root, graph, sources)
        return BackendOutput(top=TOP, ip_top=TOP, sources=sources, scripts=scripts, extra={
            "interface": iface.to_dict(),
            "trace": {"dir": TRACE_DIR, "busy": f"{TRACE_DIR}/busy.txt",
                      "taps": _trace_taps(graph),
                      "busy_layers": busy_layers(graph)} if options.trace else None,
        })
