"""Sizes and widths an IR may use: what the golden model and the generated hardware support.

One owner for every limit the IR gate (:mod:`sdmf.quant.validate`) enforces; the
hardware generator and the quantizer import these values instead of restating them.
docs/ir.md ("Validation on load") lists the invariants, docs/hardware.md the register
fields and unit parameters the limits come from.
"""

from __future__ import annotations

# configuration register 0x20: T [7:0], classes [15:8], in_bits [20:16], weight bits [28:24]
MAX_T = 255
MAX_CLASSES = 255
IN_BITS = (1, 16)          # input event counts (also hw/layout.py's beat packing)
WEIGHT_BITS = (2, 16)      # two's-complement weights of conv2d, conv1d and head
# configuration register 0x24: H [15:0], W [31:16]
MAX_SIDE = 65535
MAX_POSITIONS = (1 << 31) - 1   # H·W: SystemVerilog ``int`` unit parameters count positions
# channel indices (residual CHANNELS) and attention group-table fields are 16 bits wide
MAX_CHANNELS = 65535
MAX_HEAD_TAG = 255         # attention head tags
FRAC_BITS = (0, 16)        # LIF fractional bits F
MAX_SHIFT = 62             # head shift: 2^shift is an int64
MAX_LOGIT_BITS = 64        # logits travel in 64-bit output beats
