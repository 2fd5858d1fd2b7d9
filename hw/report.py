"""The project report: machine-readable ``report.json`` and a human-readable ``report.md``."""

from __future__ import annotations

from typing import Any

from .backends.base import BackendOutput, GenOptions
from .graph import HwGraph, HwLayer

REPORT_FORMAT = "sdmf-hwproject/1"


def _layer_entry(graph: HwGraph, lay: HwLayer) -> dict[str, Any]:
    kept = None
    if lay.kept:
        kept = {"out": lay.kept["out"], "in": lay.kept["in"],
                "out_count": len(lay.kept["out"]), "in_count": len(lay.kept["in"])}
    return {
        "name": lay.name, "kind": lay.kind, "shape": graph.spec(lay).describe(lay),
        "instance": lay.instance, "ops": list(lay.ops), "tap": lay.tap,
        "attrs": {k: v for k, v in lay.attrs.items() if isinstance(v, (int, str, list))},
        "widths": dict(lay.widths), "parallel": dict(lay.parallel), "cycles": lay.cycles,
        "memories": [{"name": m.name, "file": m.file, "depth": m.depth, "width": m.width,
                      "bits": m.bits, "bram18": m.bram18, "style": m.style,
                      "read_ports": m.read_ports,
                      **({"banks": m.banks} if m.banks > 1 else {}),
                      **({"async_read": True} if m.async_read else {}),
                      **({"single_port": True} if m.single_port else {})}
                     for m in lay.memories],
        "memory_bits": sum(m.bits for m in lay.memories),
        "kept_channels": kept, "notes": list(lay.notes),
    }


def report_dict(graph: HwGraph, backend: str, out: BackendOutput,
                options: GenOptions) -> dict[str, Any]:
    """Everything a later tool (sim, synth, host) needs to know about the project."""
    info = {k: v for k, v in graph.info.items() if k != "kept_channels"}
    return {
        "format": REPORT_FORMAT,
        "backend": backend,
        "top": out.top,
        "ip_top": out.ip_top,
        "options": {"trace": options.trace, "counters": options.counters,
                    "params": options.params},
        "sources": out.sources,
        "memories": out.memories,
        "info": info,
        "layers": [_layer_entry(graph, lay) for lay in graph.layers.values()],
        "streams": [{"name": s.name, "src": s.src, "dst": s.dst, "port": s.port,
                     "src_port": s.src_port, "word_bits": s.word_bits,
                     "elem_bits": s.elem_bits, "channels": s.channels, "T": s.T,
                     "positions": s.positions, "nb": s.nb, "taps": list(s.taps)}
                    for s in graph.streams],
        **out.extra,
    }


def report_markdown(report: dict[str, Any]) -> str:
    """Per-layer table: kind, parallelism, widths, memory bits, analytic cycles."""
    info = report["info"]
    par, cyc = info.get("parallelism", {}), info.get("cycles", {})
    lines = [
        f"# Hardware project: {info.get('model')} (backend {report['backend']})",
        "",
        f"* IR hash: `{info.get('ir_hash')}`",
        *([f"* design hash: `{info['design_hash']}` (widths from the "
           f"{info.get('widths', 'weights')})"] if info.get("design_hash") else []),
        f"* input `[T, C, H, W]` = {info.get('input_shape')}, in_bits {info.get('in_bits')}, "
        f"classes {info.get('classes')}",
        f"* parallelism: {par.get('mode')}, target {par.get('target_cycles')} cycles, "
        f"{par.get('lanes')} lanes in total",
        f"* initiation interval {cyc.get('interval')} cycles (from the "
        f"{cyc.get('interval_from')}; bottleneck `{cyc.get('bottleneck')}`: "
        f"{cyc.get('bound')}), sum of busy cycles {cyc.get('sum')}",
        *([f"* planned on the activity of {cyc['activity']['samples']} sample(s): slowest "
           f"layer `{cyc['activity']['bottleneck']}` {cyc['activity']['bottleneck_cycles']} "
           f"cycles, back-to-back intervals {cyc['activity']['intervals']}"]
          if cyc.get("activity") else []),
        f"* memory: {info.get('memory_bits')} bits in ROMs and FIFOs",
        f"* trace monitors: {'yes' if report['options']['trace'] else 'no'}; AXI4-Lite busy "
        f"counters: {'yes' if report['options']['counters'] else 'no'}",
        f"* units removed because every channel was pruned: "
        f"{', '.join(info.get('empty_layers') or []) or 'none'}",
        "",
        "| layer | kind | PO | PI | PK | widths | memory bits | cycles | notes |",
        "|---|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for lay in report["layers"]:
        widths = ", ".join(f"{k}={v}" for k, v in lay["widths"].items())
        p = lay["parallel"]
        shape = f" {lay['shape']}" if lay["shape"] else ""
        lines.append(f"| `{lay['name']}` | {lay['kind']}{shape} | {p.get('PO', '')} | "
                     f"{p.get('PI', '')} | {p.get('PK', '')} | {widths} | {lay['memory_bits']} | "
                     f"{lay['cycles'] or ''} | {'; '.join(lay['notes'])} |")
    lines.append("")
    return "\n".join(lines)
