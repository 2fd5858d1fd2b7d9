"""The RTL backend: unit library + support modules + generated ``sdmf_top`` + ROM images."""

from __future__ import annotations

import shutil
from pathlib import Path

from ...graph import HwGraph
from ..base import Backend, BackendOutput, GenOptions, register_backend
from . import library
from .mems import write_memories
from .regpkg import PACKAGE_FILE, package_text
from .topgen import (
    TRACE_DIR,
    busy_layers,
    device_interface,
    generate_top,
    generate_wrapper,
    trace_file,
    trace_streams,
)
from .units import UNIT_INSTANCES

SUPPORT_DIR = Path(__file__).resolve().parent / "support"
KIND_MODULES = {"conv_lif": "sdmf_conv_lif", "maxpool": "sdmf_maxpool_or",
                "attention_lif": "sdmf_attention_lif", "residual_add": "sdmf_residual_add",
                "head": "sdmf_head_argmax", "fork": "sdmf_fork", "fifo": "sdmf_fifo"}
SUPPORT_MODULES = {"input": "sdmf_axis_unpack", "output": "sdmf_axis_logits"}
CONTROL_MODULE = "sdmf_axilite_ctrl"


def module_sources(graph: HwGraph) -> list[Path]:
    """Library and support files the graph instantiates (library first, fixed order)."""
    kinds = {lay.kind for lay in graph.layers.values()}
    lib = [library.source(KIND_MODULES[k]) for k in KIND_MODULES if k in kinds]
    support = [SUPPORT_DIR / f"{SUPPORT_MODULES[k]}.sv" for k in SUPPORT_MODULES if k in kinds]
    return [*lib, *support, SUPPORT_DIR / f"{CONTROL_MODULE}.sv"]


@register_backend
class RtlBackend(Backend):
    """SystemVerilog project: ``rtl/*.sv`` and ``mem/*.mem``."""

    name = "rtl"

    def write(self, graph: HwGraph, root: Path, options: GenOptions) -> BackendOutput:
        rtl, mem = root / "rtl", root / "mem"
        rtl.mkdir(parents=True, exist_ok=True)
        mem.mkdir(parents=True, exist_ok=True)
        (rtl / PACKAGE_FILE).write_text(package_text())
        sources = [f"rtl/{PACKAGE_FILE}"]          # packages compile first
        for src in module_sources(graph):
            shutil.copyfile(src, rtl / src.name)
            sources.append(f"rtl/{src.name}")
        (rtl / "sdmf_top.sv").write_text(generate_top(graph, options))
        (rtl / "sdmf_ip.v").write_text(generate_wrapper(graph, options))
        sources += ["rtl/sdmf_top.sv", "rtl/sdmf_ip.v"]
        memories = []
        for lay in graph.layers.values():
            memories += [f"mem/{p.name}" for p in write_memories(lay, mem)]
        iface = device_interface(graph, options)
        counters = iface.counter_layers
        trace = {}
        if options.trace:
            for s in trace_streams(graph):
                for tap in s.taps:
                    trace[tap] = {"file": trace_file(s), "stream": s.name, "T": s.T,
                                  "channels": s.channels, "elem_bits": s.elem_bits,
                                  "positions": s.positions}
        instances = []
        for lay in graph.layers.values():
            inst = UNIT_INSTANCES[lay.kind](graph, lay)
            instances.append({"layer": lay.name, "module": inst.module, "instance": inst.name,
                              "params": inst.sv_params(),
                              # busy_cycles is read in synthesis only through the counters
                              "unused_ports": [] if lay.name in counters or
                              "busy_cycles" not in inst.ports else ["busy_cycles"]})
        return BackendOutput(top="sdmf_top", sources=sources, memories=memories, extra={
            "ip_top": "sdmf_ip",
            "instances": instances,
            "interface": iface.to_dict(),
            "trace": {"dir": TRACE_DIR, "busy": f"{TRACE_DIR}/busy.txt", "taps": trace,
                      "busy_layers": busy_layers(graph)} if options.trace else None,
        })
