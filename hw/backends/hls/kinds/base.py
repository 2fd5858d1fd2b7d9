"""The HLS half of a layer kind: its C++ template, configuration struct, ROM arrays, call.

Each :class:`HlsKind` names the template header (``hw/backends/hls/templates/``) whose
function implements the kind, the integer constants and stream types of its
configuration struct (``cfg_<layer>``), the constant arrays it reads (weights, biases,
thresholds, tables: only kept channels exist in the graph, so only they are emitted) and
the call in the generated top. The arithmetic is in the templates, after quant/ops.py.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ....graph import HwGraph, HwLayer
from ..cpp import ident, stream_type

Arrays = dict[str, np.ndarray]          # role -> values (emitted as <layer>_<role>)


class HlsKind:
    """How the HLS backend implements one layer kind (one subclass per kind)."""

    kind: ClassVar[str] = ""          # the LayerKind (hw/kinds/) it implements
    header: ClassVar[str] = ""        # template header in templates/
    function: ClassVar[str] = ""      # the template function it calls

    def ints(self, graph: HwGraph, layer: HwLayer) -> dict[str, int]:
        """The ``static const int`` fields of the configuration struct."""
        return {}

    def types(self, graph: HwGraph, layer: HwLayer) -> dict[str, str]:
        """The stream typedefs of the configuration struct (``in_t``, ``out_t``, ...)."""
        return {}

    def arrays(self, layer: HwLayer) -> Arrays:
        """The constant arrays the kernel reads, by role."""
        return {}

    def array_dims(self, layer: HwLayer) -> dict[str, tuple[int, ...]]:
        """Dimensions of arrays declared multi-dimensional (by role; default: flat)."""
        return {}

    def array_types(self, layer: HwLayer) -> dict[str, str]:
        """C element types of arrays that must not use the narrowest type (by role)."""
        return {}

    def call(self, layer: HwLayer, ins: list[str], outs: list[str]) -> str:
        """The statement calling the kernel (``ins``/``outs``: stream expressions)."""
        args = [*ins, *outs, *(array_name(layer, r) for r in self.arrays(layer))]
        return f"sdmf::{self.function}<{cfg_name(layer)}>({', '.join(args)});"


def cfg_name(layer: HwLayer) -> str:
    return f"cfg_{ident(layer.name)}"


def array_name(layer: HwLayer, role: str) -> str:
    return f"{ident(layer.name)}_{role}"


def in_type(graph: HwGraph, layer: HwLayer, port: str = "s") -> str:
    """The element type of the stream into ``port`` of ``layer``."""
    (s,) = [s for s in graph.inputs_of(layer.name) if s.port == port]
    return stream_type(graph, s)


def out_type(graph: HwGraph, layer: HwLayer) -> str:
    """The element type of ``layer``'s output stream(s)."""
    return stream_type(graph, graph.outputs_of(layer.name)[0])
