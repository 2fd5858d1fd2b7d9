"""The RTL backend's memory plan: every layer's memories in its module's layout, the
block-RAM estimate, the ``$readmemh`` images (layouts and words per kind:
:mod:`sdmf.hw.backends.rtl.kinds`; word packing: :mod:`sdmf.device.words`) and, for
runtime-loaded parameters, the memory ids and the load image (docs/params.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sdmf.device.params import ParamMemory, ParamSet, image_beats, loader_word_bits
from sdmf.device.words import hex_lines

from ...graph import HwGraph, HwLayer, Memory
from ...kinds import ceil_div
from ...resources.model import check_style
from ...resources.units import MemDesc
from .kinds import rtl_kind

BRAM18_BITS = 18 * 1024


def bram18_estimate(mem: Memory) -> int:
    """18 Kb block RAMs a ROM needs if mapped to BRAM (width split into ≤ 36-bit columns)."""
    if mem.bits <= 1024:          # small ROMs go to LUTs
        return 0
    width = mem.width // mem.banks
    cols = ceil_div(width, 36)
    return mem.banks * cols * ceil_div(mem.depth * min(width, 36), BRAM18_BITS)


def plan_memories(graph: HwGraph) -> HwGraph:
    """``layer.memories`` of every layer (checked against its kind's memory needs), their
    placement (``layer.placement``: parameter memories only), ``info['memory_bits']`` and
    ``info['bram18']``."""
    for lay in graph.layers.values():
        lay.memories = rtl_kind(lay).memories(lay)
        needed = {n.role for n in graph.spec(lay).memory_needs(lay) if n.count}
        planned = {m.name for m in lay.memories}
        if planned != needed:
            raise ValueError(f"layer {lay.name!r} ({lay.kind}): RTL memories "
                             f"{sorted(planned)}, but the kind stores {sorted(needed)}")
        placeable = planned & set(rtl_kind(lay).placeable_roles)
        unknown = set(lay.placement) - placeable
        if unknown:
            raise ValueError(f"layer {lay.name!r}: memory placement names {sorted(unknown)}, "
                             f"but its placeable memories are {sorted(placeable) or 'none'}")
        for m in lay.memories:
            m.style = lay.placement.get(m.name, "auto")
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


def mark_loaded(graph: HwGraph, mode: str) -> list[Memory]:
    """Mark the memories ``mode`` loads at run time (``"loaded"``: every memory of a kind
    with parameter write ports; ``"rom"``: none) and number them in layer and role order;
    sets ``info['param_bits']`` (the loader's word register: 64 × the most beats).
    A memory placed in URAM must be loaded (URAM has no initial contents): refused
    otherwise."""
    loaded = []
    for lay in graph.layers.values():
        roles = rtl_kind(lay).prm_roles
        for m in sorted(lay.memories, key=lambda m: roles.index(m.name)
                        if m.name in roles else len(roles)):
            m.loaded = mode == "loaded" and m.name in roles
            m.param_id = len(loaded) if m.loaded else None
            if m.loaded:
                loaded.append(m)
    graph.info["param_bits"] = loader_word_bits([m.width for m in loaded])
    for lay in graph.layers.values():
        work = rtl_kind(lay).work_roles
        for m in lay.memories:
            check_style(MemDesc(m.name, m.depth, m.width, m.style, m.loaded,
                                scratch=m.name in work), None, lay.name)
    return loaded


def param_memories(graph: HwGraph) -> list[ParamMemory]:
    """The loaded memories as the device interface describes them, in id order."""
    out = [ParamMemory(m.param_id, lay.name, m.name, m.depth, m.width)
           for lay in graph.layers.values() for m in lay.memories if m.loaded]
    return sorted(out, key=lambda p: p.id)


def param_image(graph: HwGraph) -> tuple[ParamSet, np.ndarray]:
    """The canonical load image of the loaded memories and its parameter set."""
    mems = param_memories(graph)
    images = {}
    for lay in graph.layers.values():
        words = rtl_kind(lay).images(lay)
        for m in lay.memories:
            if m.loaded:
                images[m.param_id] = words[m.name][0]
    beats = image_beats(mems, images)
    return ParamSet.of_image(mems, beats), beats
