"""The HLS backend's halves of the layer kinds (one module per kind; fork and FIFO share
one, as their templates do).

:data:`HLS_KINDS` maps every kind name of :data:`sdmf.hw.kinds.KINDS` to the
:class:`HlsKind` that emits its configuration, arrays and call.
"""

from ....graph import HwLayer
from .attention_lif import HlsAttentionLif
from .base import HlsKind, array_name, cfg_name
from .conv_lif import HlsConvLif
from .head import HlsHead
from .io import HlsInput, HlsOutput
from .maxpool import HlsMaxpool
from .residual_add import HlsResidualAdd
from .stream_ops import HlsFifo, HlsFork

HLS_KINDS: dict[str, HlsKind] = {k.kind: k for k in (
    HlsInput(), HlsConvLif(), HlsMaxpool(), HlsAttentionLif(), HlsResidualAdd(), HlsHead(),
    HlsFork(), HlsFifo(), HlsOutput())}


def hls_kind(layer: HwLayer) -> HlsKind:
    """The HLS half of ``layer``'s kind."""
    try:
        return HLS_KINDS[layer.kind]
    except KeyError:
        raise KeyError(f"layer {layer.name!r}: kind {layer.kind!r} has no HLS "
                       "implementation") from None


__all__ = ["HLS_KINDS", "HlsKind", "array_name", "cfg_name", "hls_kind"]
