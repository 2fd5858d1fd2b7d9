"""The design hash of a generated RTL project (docs/params.md, "One bitstream for several
weight sets").

A SHA-256 digest of what determines the hardware: the text of every RTL source the
project compiles (the top in its canonical form: without the IR hash, the model name
and the hash register's value), the layout of every memory (layer, role, depth, width,
loaded or not, load id; not its contents) and the PL clock. Two IRs whose projects have
the same design hash need the same bitstream; with runtime-loaded parameters one
bitstream then serves both, each with its own ``params.bin``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ...graph import HwGraph

DESIGN_FORMAT = "sdmf-design/1"        # raised when what the hash covers changes


def memory_layout(graph: HwGraph) -> list[dict[str, Any]]:
    """Every memory's layout in layer order (no contents)."""
    return [{"layer": lay.name, "role": m.name, "depth": m.depth, "width": m.width,
             "loaded": bool(m.loaded), "id": m.param_id}
            for lay in graph.layers.values() for m in lay.memories]


def design_hash(texts: Mapping[str, str], graph: HwGraph, clock_mhz: float) -> str:
    """The design hash of ``graph``'s project: ``texts`` maps every RTL source (the top's
    canonical text) to its content."""
    h = hashlib.sha256()
    for part in (DESIGN_FORMAT, *(f"{name}\0{texts[name]}" for name in sorted(texts)),
                 json.dumps(memory_layout(graph), sort_keys=True), repr(float(clock_mhz))):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()
