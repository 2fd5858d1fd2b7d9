"""Word packing of memory images (``$readmemh`` files); the per-kind layouts are in
:mod:`sdmf.hw.backends.rtl.kinds`, planning and writing in
:mod:`sdmf.hw.backends.rtl.memories`."""

from __future__ import annotations

from ...kinds import ceil_div


def to_unsigned(value: int, bits: int) -> int:
    """Two's-complement encoding of ``value`` in ``bits`` bits; raises if it does not fit."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if not lo <= value <= hi:
        raise ValueError(f"value {value} does not fit {bits}-bit two's complement")
    return value & ((1 << bits) - 1)


def hex_lines(words: list[int], width: int) -> str:
    digits = max(1, ceil_div(width, 4))
    return "".join(f"{w:0{digits}x}\n" for w in words)


def pack(values: list[int], bits: int) -> int:
    """Element ``i`` at bits ``[i·bits +: bits]``, two's complement."""
    word = 0
    for i, v in enumerate(values):
        word |= to_unsigned(int(v), bits) << (i * bits)
    return word
