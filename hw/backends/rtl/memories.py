"""The RTL backend's memory plan: every layer's memories in its module's layout, the
block-RAM estimate, and the ``$readmemh`` images (layouts and words per kind:
:mod:`sdmf.hw.backends.rtl.kinds`; word packing: :mod:`sdmf.device.words`)."""

from __future__ import annotations

from pathlib import Path

from sdmf.device.words import hex_lines

from ...graph import HwGraph, HwLayer, Memory
from ...kinds import ceil_div
from .kinds import rtl_kind

BRAM18_BITS = 18 * 1024


def bram18_estimate(mem: Memory) -> int:
    """18 Kb block RAMs a ROM needs if mapped to BRAM (width split into ≤ 36-bit columns)."""
    if mem.bits <= 1024:          # small ROMs go to LUTs
        return 0
    cols = ceil_div(mem.width, 36)
    return cols * ceil_div(mem.depth * min(mem.width, 36), BRAM18_BITS)


def plan_memories(graph: HwGraph) -> HwGraph:
    """``layer.memories`` of every layer (checked against its kind's memory needs),
    ``info['memory_bits']`` and ``info['bram18']``."""
    for lay in graph.layers.values():
        lay.memories = rtl_kind(lay).memories(lay)
        needed = {n.role for n in graph.spec(lay).memory_needs(lay) if n.count}
        planned = {m.name for m in lay.memories}
        if planned != needed:
            raise ValueError(f"layer {lay.name!r} ({lay.kind}): RTL memories "
                             f"{sorted(planned)}, but the kind stores {sorted(needed)}")
        for m in lay.memories:
            m.bram18 = bram18_estimate(m)
    mems = [m for lay in graph.layers.values() for m in lay.memories]
    graph.info["memory_bits"] = sum(m.bits for m in mems)
    graph.info["bram18"] = sum(m.bram18 for m in mems)
    return graph


def write_memories(layer: HwLayer, mem_dir: Path) -> list[Path]:
    """Write the ``.mem`` files of ``layer`` (names from :class:`Memory.file`)."""
    images = rtl_kind(layer).images(layer)
    out = []
    for mem in layer.memories:
        if mem.name not in images:
            continue
        words, width = images[mem.name]
        if len(words) != mem.depth or width != mem.width:
            raise ValueError(f"layer {layer.name!r}: memory {mem.name} has {len(words)}×{width} "
                             f"words, planned {mem.depth}×{mem.width}")
        path = mem_dir / mem.file
        path.write_text(hex_lines(words, width))
        out.append(path)
    return out
