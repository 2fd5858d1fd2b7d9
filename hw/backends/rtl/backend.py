"""The RTL backend: unit library + support modules + generated ``sdmf_top`` + ROM images
+ build scripts (Vivado, Yosys)."""

from __future__ import annotations

from pathlib import Path

from sdmf.device.params import write_image

from ...graph import HwGraph
from ...timing import steady_interval
from ..base import Backend, BackendOutput, GenOptions, register_backend
from .designhash import design_hash
from .kinds import RTL_KINDS, rtl_kind
from .memories import mark_loaded, param_image, plan_memories, write_memories
from .regpkg import PACKAGE_FILE, package_text
from .scripts import carry_bitstreams, vivado_command, write_scripts
from .topgen import (
    TRACE_DIR,
    busy_layers,
    device_interface,
    generate_top,
    generate_wrapper,
    trace_file,
    trace_streams,
)

SUPPORT_DIR = Path(__file__).resolve().parent / "support"
CONTROL_MODULE = "sdmf_axilite_ctrl"
LOADER_MODULE = "sdmf_param_loader"
TOP, IP_TOP = "sdmf_top", "sdmf_ip"


def module_sources(graph: HwGraph) -> list[Path]:
    """Library and support files the graph instantiates (in :data:`RTL_KINDS` order:
    library first), the parameter loader if a memory is loaded, then the AXI4-Lite
    control."""
    kinds = {lay.kind for lay in graph.layers.values()}
    used = [rk.source for name, rk in RTL_KINDS.items() if name in kinds]
    if any(m.loaded for lay in graph.layers.values() for m in lay.memories):
        used.append(SUPPORT_DIR / f"{LOADER_MODULE}.sv")
    return [*used, SUPPORT_DIR / f"{CONTROL_MODULE}.sv"]


def _trace_taps(graph: HwGraph) -> dict[str, dict[str, object]]:
    """Every traced tap: its file under trace/, stream and word layout."""
    taps = {}
    for s in trace_streams(graph):
        for tap in s.taps:
            taps[tap] = {"file": trace_file(s), "stream": s.name, "T": s.T,
                         "channels": s.channels, "elem_bits": s.elem_bits,
                         "positions": s.positions, "nb": s.nb}
    return taps


def _instances(graph: HwGraph, counters: list[str]) -> list[dict[str, object]]:
    """Per layer: module, instance name, parameters as SystemVerilog text, and the outputs
    the top leaves open (what per-unit synthesis needs)."""
    out = []
    for lay in graph.layers.values():
        inst = rtl_kind(lay).unit(graph, lay)
        out.append({"layer": lay.name, "module": inst.module, "instance": inst.name,
                    "params": inst.sv_params(),
                    # busy_cycles is read in synthesis only through the counters
                    "unused_ports": [] if lay.name in counters or
                    "busy_cycles" not in inst.ports else ["busy_cycles"]})
    return out


@register_backend
class RtlBackend(Backend):
    """SystemVerilog project: ``rtl/*.sv``, ``mem/*.mem``, ``filelist.f``, ``scripts/``."""

    name = "rtl"

    def plan(self, graph: HwGraph, interval: bool = True) -> HwGraph:
        """Memories in the layouts of the RTL units (:mod:`.memories`); with ``interval``,
        the pipelined interval from the units' token recurrence (exact for every N, where
        the bottleneck is only a bound: docs/generator.md, "The interval")."""
        nb = graph.info.get("word_beats", 1)
        wide = sorted({lay.kind for lay in graph.layers.values() if not rtl_kind(lay).narrow})
        if nb != 1 and wide:
            raise ValueError(f"--word-beats {nb}: the RTL units of {', '.join(wide)} "
                             "take whole position words only (docs/hardware.md, "
                             "\"Narrow streams\")")
        if interval:
            steady = steady_interval(graph)
            graph.info["cycles"].update(interval=steady.interval, interval_from="recurrence")
        return plan_memories(graph)

    def write(self, graph: HwGraph, root: Path, options: GenOptions) -> BackendOutput:
        rtl, mem = root / "rtl", root / "mem"
        rtl.mkdir(parents=True, exist_ok=True)
        mem.mkdir(parents=True, exist_ok=True)
        loaded = mark_loaded(graph, options.params)
        if options.clock_mhz is None:
            raise ValueError("GenOptions.clock_mhz: the RTL backend needs the PL clock")
        top, wrapper = f"rtl/{TOP}.sv", f"rtl/{IP_TOP}.v"
        lib = {f"rtl/{PACKAGE_FILE}": package_text()}              # packages compile first
        lib.update({f"rtl/{src.name}": src.read_text(encoding="utf-8")
                    for src in module_sources(graph)})
        lib[wrapper] = generate_wrapper(graph, options)
        graph.info["design_hash"] = design_hash({**lib, top: generate_top(graph, options)},
                                                graph, options.clock_mhz)
        params = None
        if loaded:                       # the canonical load image beside interface.json
            params, beats = param_image(graph)
            write_image(root / params.file, beats)
        iface = device_interface(graph, options, params)
        texts = {k: v for k, v in lib.items() if k != wrapper}
        texts.update({top: generate_top(graph, options, iface), wrapper: lib[wrapper]})
        for name, text in texts.items():                 # in compilation order
            (root / name).write_text(text, encoding="utf-8")
        sources = list(texts)
        memories = []
        for lay in graph.layers.values():
            memories += [f"mem/{p.name}" for p in write_memories(lay, mem)]
        counters = list(iface.counter_layers)
        trace = _trace_taps(graph) if options.trace else {}
        instances = _instances(graph, counters)
        scripts = write_scripts(root, sources, memories, TOP, IP_TOP, options.clock_mhz)
        return BackendOutput(top=TOP, ip_top=IP_TOP, sources=sources, memories=memories,
                             scripts=scripts, extra={
            "instances": instances,
            "interface": iface.to_dict(),
            "trace": {"dir": TRACE_DIR, "busy": f"{TRACE_DIR}/busy.txt", "taps": trace,
                      "busy_layers": busy_layers(graph)} if options.trace else None,
        })

    def bitstream_steps(self, board: str) -> list[tuple[str, ...]]:
        """Vivado: block design, implementation, bitstream (``vivado/<board>/``)."""
        return [vivado_command(board)]

    def carry_over(self, old: Path, new: Path) -> list[str]:
        """Complete bitstream builds (``vivado/<board>/``; valid if their design id is the
        one ``new``'s script builds)."""
        return carry_bitstreams(old, new)
