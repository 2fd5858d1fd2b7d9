"""The HLS backend: the hardware graph as Vitis HLS C++ (one template per kind, a
generated dataflow top, a C testbench) plus Vitis HLS scripts.

Project layout: ``hls/`` (templates, ``sdmf_top.h``, ``sdmf_params.h``, ``sdmf_top.cpp``: the
core), ``rtl/`` (the control shell around the core and its ``sdmf_ip`` wrapper,
:mod:`.shell`), ``tb/sdmf_tb.cpp`` (the C testbench), ``scripts/`` (Vitis HLS Tcl). The
``ap_int`` and ``hls_stream.h`` headers are not part of a project: C simulation here takes
hls4ml's (:mod:`.headers`), Vitis HLS its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sdmf.device import DeviceInterface

from ...graph import HwGraph, Memory
from ...kinds import KINDS
from ..base import Backend, BackendOutput, GenOptions, register_backend
from ..rtl.backend import CONTROL_MODULE, SUPPORT_DIR, _trace_taps
from ..rtl.regpkg import PACKAGE_FILE, package_text
from ..rtl.scripts import carry_bitstreams, vivado_command
from ..rtl.topgen import TRACE_DIR, busy_layers, generate_wrapper
from .cpp import c_int_type
from .kinds import hls_kind
from .scripts import vitis_command, write_scripts
from .shell import IP_FILE, IP_TOP, SHELL, SHELL_FILE, generate_shell, hls_interface
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


def write_shell(graph: HwGraph, root: Path, options: GenOptions,
                iface: DeviceInterface) -> list[str]:
    """``rtl/``: the register package, the AXI4-Lite block, ``sdmf_shell`` and ``sdmf_ip``
    (compile order); the Vitis HLS core's Verilog joins them after csynth."""
    rtl = root / "rtl"
    rtl.mkdir(parents=True, exist_ok=True)
    (rtl / PACKAGE_FILE).write_text(package_text())
    shutil.copyfile(SUPPORT_DIR / f"{CONTROL_MODULE}.sv", rtl / f"{CONTROL_MODULE}.sv")
    (root / SHELL_FILE).write_text(generate_shell(graph, iface))
    (root / IP_FILE).write_text(generate_wrapper(graph, options, inner=SHELL, iface=iface))
    return [f"rtl/{PACKAGE_FILE}", f"rtl/{CONTROL_MODULE}.sv", SHELL_FILE, IP_FILE]


@register_backend
class HlsBackend(Backend):
    """Vitis HLS C++ project: ``hls/*.h``, ``hls/sdmf_top.cpp``, ``tb/``, ``rtl/`` (the
    shell), ``scripts/`` (Vitis HLS, and Vivado: the RTL backend's block design)."""

    name = "hls"
    kinds = KINDS

    def plan(self, graph: HwGraph, interval: bool = True) -> HwGraph:
        nb = graph.info.get("word_beats", 1)
        if nb != 1:
            raise ValueError(f"the hls backend streams whole position words; "
                             f"--word-beats {nb} is an RTL option (docs/hls.md)")
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
        iface = hls_interface(graph, options)
        sources += write_shell(graph, root, options, iface)
        if options.clock_mhz is None:
            raise ValueError("GenOptions.clock_mhz: the HLS backend needs the PL clock")
        scripts = write_scripts(root, graph, sources, options.clock_mhz)
        return BackendOutput(top=TOP, ip_top=IP_TOP, sources=sources, scripts=scripts, extra={
            "interface": iface.to_dict(),
            "trace": {"dir": TRACE_DIR, "busy": f"{TRACE_DIR}/busy.txt",
                      "taps": _trace_taps(graph),
                      "busy_layers": busy_layers(graph)} if options.trace else None,
        })

    def bitstream_steps(self, board: str) -> list[tuple[str, ...]]:
        """Vitis HLS (csim, csynth, cosim, IP export of the core), then the Vivado block
        design around the shell and that IP (``vivado/<board>/``, as for the RTL backend)."""
        return [vitis_command(board), vivado_command(board)]

    def carry_over(self, old: Path, new: Path) -> list[str]:
        """Complete bitstream builds (``vivado/<board>/``, as for the RTL backend; valid if
        their design id is the one ``new``'s script builds)."""
        return carry_bitstreams(old, new)
