"""Word layout helpers: the one place that packs elements into words and back.

Every multi-element word of the design — stream position words, packed SystemVerilog
parameters, ROM lanes, input beats — puts element ``i`` at bits ``[i·bits +: bits]``
(docs/hardware.md, "Conventions shared by all units"). Elements are unsigned, two's
complement, or (``signed=None``) either: a negative value is written in two's
complement, a non-negative one as unsigned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def _check_bits(bits: int) -> None:
    if bits < 1:
        raise ValueError(f"element width must be >= 1 bit, got {bits}")


def encode(value: int, bits: int, signed: bool | None = False) -> int:
    """``value`` as a ``bits``-wide field (``ValueError`` if it does not fit).

    ``signed=False``: ``0 … 2^bits − 1``; ``True``: two's complement
    ``−2^(bits−1) … 2^(bits−1) − 1``; ``None``: either range.
    """
    _check_bits(bits)
    v = int(value)
    lo = 0 if signed is False else -(1 << (bits - 1))
    hi = (1 << (bits - 1)) - 1 if signed is True else (1 << bits) - 1
    if not lo <= v <= hi:
        kind = {False: " unsigned", True: " two's complement", None: ""}[signed]
        raise ValueError(f"value {v} does not fit {bits}{kind} bits")
    return v & ((1 << bits) - 1)


def to_unsigned(value: int, bits: int) -> int:
    """Two's-complement encoding of ``value`` in ``bits`` bits; raises if it does not fit."""
    return encode(value, bits, signed=True)


def to_signed(raw: int, bits: int) -> int:
    """The two's-complement value of the low ``bits`` bits of ``raw`` (sign extension)."""
    _check_bits(bits)
    v = int(raw) & ((1 << bits) - 1)
    return v - (1 << bits) if v >> (bits - 1) else v


def pack(values: Iterable[int], bits: int, signed: bool | None = False) -> int:
    """Element ``i`` of ``values`` at bits ``[i·bits +: bits]`` (see :func:`encode`)."""
    word = 0
    for i, v in enumerate(values):
        word |= encode(v, bits, signed) << (i * bits)
    return word


def unpack(word: int, count: int, bits: int, signed: bool = False) -> list[int]:
    """Inverse of :func:`pack`: ``count`` elements of ``bits`` bits (sign-extended if
    ``signed``); bits above ``count·bits`` are ignored."""
    _check_bits(bits)
    mask = (1 << bits) - 1
    w = int(word)
    out = [(w >> (i * bits)) & mask for i in range(count)]
    return [to_signed(v, bits) for v in out] if signed else out


def hex_digits(width: int) -> int:
    """Hex digits of one ``width``-bit word (at least one)."""
    return max(1, -(-int(width) // 4))


def hex_lines(words: Sequence[int], width: int) -> str:
    """One word per line, ``ceil(width / 4)`` lower-case hex digits (``$readmemh``)."""
    digits = hex_digits(width)
    return "".join(f"{int(w):0{digits}x}\n" for w in words)


def parse_hex_lines(text: str, what: str = "hex file") -> list[int]:
    """Words of a :func:`hex_lines` text (whitespace separated); errors name ``what``."""
    out = []
    for n, token in enumerate(text.split()):
        try:
            out.append(int(token, 16))
        except ValueError:
            raise ValueError(f"{what}: word {n} {token!r} is not hexadecimal") from None
    return out
