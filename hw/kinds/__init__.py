"""Layer kinds: one backend-neutral spec per kind of hardware layer (docs/generator.md).

:data:`KINDS` is the default :class:`KindSet`: every kind with its spec, and the IR ops
that are aliases (no hardware: ``flatten``'s tap is its input's stream). Each IR op
type either starts a kind (``LayerKind.ops``), is fused into one (``LayerKind.fuses``),
or is an alias.
"""

from .attention_lif import AttentionLif, attention_heads
from .base import KindSet, Knobs, LayerKind, MemoryNeed, ceil_div, divisors
from .conv_lif import ConvLif, conv_steps, conv_weight_lanes, event_cycles, event_ops
from .fifo import Fifo
from .fork import Fork
from .head import Head
from .io import Input, Output
from .maxpool import Maxpool
from .residual_add import ResidualAdd

ALIAS_OPS = ("flatten",)
KINDS = KindSet([Input(), ConvLif(), Maxpool(), AttentionLif(), ResidualAdd(), Head(), Output(),
                 Fork(), Fifo()], aliases=ALIAS_OPS)

__all__ = ["ALIAS_OPS", "KINDS", "AttentionLif", "ConvLif", "Fifo", "Fork", "Head", "Input",
           "KindSet", "Knobs", "LayerKind", "Maxpool", "MemoryNeed", "Output", "ResidualAdd",
           "attention_heads", "ceil_div", "conv_steps", "conv_weight_lanes", "divisors",
           "event_cycles", "event_ops"]
