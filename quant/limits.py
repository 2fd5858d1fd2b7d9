"""Sizes and widths an IR may use: what the golden model and the generated hardware support.

One owner for every limit the IR gate (:mod:`sdmf.quant.validate`) enforces; the
hardware generator and the quantizer import these values instead of restating them.
docs/ir.md ("Validation on load") lists the invariants, docs/hardware.md the register
fields and unit parameters the limits come from.
"""

from __future__ import annotations

from sdmf.device.regmap import CONFIG0, CONFIG1
from sdmf.device.stream import IN_BITS  # noqa: F401  (input event counts the stream carries)

# the configuration registers (sdmf.device.regmap) report T, classes, H and W
MAX_T = (1 << CONFIG0.field("T").width) - 1                  # 255
MAX_CLASSES = (1 << CONFIG0.field("classes").width) - 1      # 255
WEIGHT_BITS = (2, 16)      # two's-complement weights of conv2d, conv1d and head
MAX_SIDE = (1 << min(CONFIG1.field("H").width, CONFIG1.field("W").width)) - 1  # 4095
MAX_POSITIONS = (1 << 31) - 1   # H·W: SystemVerilog ``int`` unit parameters count positions
# channel indices (residual CHANNELS) and attention group-table fields are 16 bits wide
MAX_CHANNELS = 65535
MAX_HEAD_TAG = 255         # attention head tags
FRAC_BITS = (0, 16)        # LIF fractional bits F
MAX_SHIFT = 62             # head shift: 2^shift is an int64
MAX_LOGIT_BITS = 64        # logits travel in 64-bit output beats
