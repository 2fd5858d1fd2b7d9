"""The RTL backend's halves of the layer kinds (one module per kind).

:data:`RTL_KINDS` maps every kind name of :data:`sdmf.hw.kinds.KINDS` to the
:class:`RtlKind` that instantiates its module and lays out its memories. The order is
the compilation order of the modules (unit library first, then support modules).
"""

from ....graph import HwLayer
from .attention_lif import RtlAttentionLif
from .base import RtlKind, busy, mem_file, mem_name, sink, source
from .conv_lif import RtlConvLif
from .fifo import RtlFifo
from .fork import RtlFork, fork_data
from .head import RtlHead
from .io import RtlInput, RtlOutput
from .maxpool import RtlMaxpool
from .residual_add import RtlResidualAdd

RTL_KINDS: dict[str, RtlKind] = {k.kind: k for k in (
    RtlConvLif(), RtlMaxpool(), RtlAttentionLif(), RtlResidualAdd(), RtlHead(), RtlFork(),
    RtlFifo(), RtlInput(), RtlOutput())}


def rtl_kind(layer: HwLayer) -> RtlKind:
    """The RTL half of ``layer``'s kind."""
    try:
        return RTL_KINDS[layer.kind]
    except KeyError:
        raise KeyError(f"layer {layer.name!r}: kind {layer.kind!r} has no RTL "
                       "implementation") from None


__all__ = ["RTL_KINDS", "RtlKind", "busy", "fork_data", "mem_file", "mem_name", "rtl_kind",
           "sink", "source"]
