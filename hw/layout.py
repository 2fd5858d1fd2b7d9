"""The input stream layout: event counts of one sample packed into 64-bit AXI4-Stream beats.

Shared by the testbench and the host (docs/hardware.md, "Top level"). One
*position word* holds every count of one pixel: ``for t, for c`` one
``in_bits``-wide unsigned count (saturated), element ``t·C + c`` at bits
``[(t·C + c)·in_bits +: in_bits]`` — the word the first conv unit consumes.
Position words follow in raster order ``(y, x)`` and never straddle beats:

* ``WORD ≤ 64``: each beat carries ``P = 64 // WORD`` consecutive positions,
  position ``p`` at bits ``[(p mod P)·WORD +: WORD]`` of beat ``p // P``;
* ``WORD > 64``: each position takes ``ceil(WORD / 64)`` beats, least
  significant 64 bits first.

Unused bits are zero; the last beat of a sample carries ``TLAST``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sdmf.quant.limits import IN_BITS

BEAT_BITS = 64
_BEAT_MASK = (1 << BEAT_BITS) - 1


def word_bits(T: int, C: int, in_bits: int) -> int:
    """Bits of one position word (``ValueError`` unless T, C ≥ 1 and in_bits in 1..16)."""
    if T < 1 or C < 1:
        raise ValueError(f"T and C must be >= 1, got T = {T}, C = {C}")
    lo, hi = IN_BITS
    if not lo <= in_bits <= hi:
        raise ValueError(f"in_bits must be in {lo}..{hi}, got {in_bits}")
    return T * C * in_bits


def positions_per_beat(T: int, C: int, in_bits: int) -> int:
    """Positions packed into one beat (1 when a position needs several beats)."""
    return max(1, BEAT_BITS // word_bits(T, C, in_bits))


def beats_per_position(T: int, C: int, in_bits: int) -> int:
    """Beats one position occupies (1 when several positions share a beat)."""
    return -(-word_bits(T, C, in_bits) // BEAT_BITS)


def beats_per_sample(shape: Sequence[int], in_bits: int) -> int:
    """Beats of one sample of counts ``[T, C, H, W]``."""
    T, C, H, W = (int(v) for v in shape)
    positions = H * W
    per = positions_per_beat(T, C, in_bits)
    if per > 1:
        return -(-positions // per)
    return positions * beats_per_position(T, C, in_bits)


def _check_shape(counts: np.ndarray, in_bits: int) -> None:
    if counts.ndim != 4:
        raise ValueError(f"counts must be [T, C, H, W], got shape {counts.shape}")
    word_bits(*counts.shape[:2], in_bits)


def pack_input(counts: np.ndarray | Sequence, in_bits: int) -> list[int]:
    """64-bit beats (Python ints) of one sample ``counts[T, C, H, W]``.

    Counts are non-negative integers; they saturate at ``2^in_bits − 1`` exactly as
    the IR's ``input`` op does.
    """
    a = np.asarray(counts)
    _check_shape(a, in_bits)
    if a.size and (a.min() < 0 or not np.array_equal(a, np.round(a))):
        raise ValueError("counts must be non-negative integers")
    T, C, H, W = a.shape
    sat = np.minimum(a.astype(np.int64), (1 << in_bits) - 1)
    elems = sat.transpose(2, 3, 0, 1).reshape(H * W, T * C)  # [position, t·C + c]
    wb = word_bits(T, C, in_bits)
    words = []
    for row in elems.tolist():
        w = 0
        for i, v in enumerate(row):
            w |= int(v) << (i * in_bits)
        words.append(w)
    per = positions_per_beat(T, C, in_bits)
    beats: list[int] = []
    if wb <= BEAT_BITS:
        for start in range(0, len(words), per):
            beat = 0
            for k, w in enumerate(words[start:start + per]):
                beat |= w << (k * wb)
            beats.append(beat)
    else:
        nb = beats_per_position(T, C, in_bits)
        for w in words:
            beats += [(w >> (BEAT_BITS * k)) & _BEAT_MASK for k in range(nb)]
    return beats


def unpack_input(beats: Sequence[int], shape: Sequence[int], in_bits: int) -> np.ndarray:
    """Inverse of :func:`pack_input`: counts ``[T, C, H, W]`` (int64, saturated values)."""
    T, C, H, W = (int(v) for v in shape)
    _check_shape(np.zeros((T, C, 0, 0)), in_bits)
    want = beats_per_sample((T, C, H, W), in_bits)
    if len(beats) != want:
        raise ValueError(f"expected {want} beats for shape {tuple(shape)}, got {len(beats)}")
    wb = word_bits(T, C, in_bits)
    wmask = (1 << wb) - 1
    words: list[int] = []
    if wb <= BEAT_BITS:
        per = positions_per_beat(T, C, in_bits)
        for p in range(H * W):
            words.append((int(beats[p // per]) >> ((p % per) * wb)) & wmask)
    else:
        nb = beats_per_position(T, C, in_bits)
        for p in range(H * W):
            w = 0
            for k in range(nb):
                w |= (int(beats[p * nb + k]) & _BEAT_MASK) << (BEAT_BITS * k)
            words.append(w)
    emask = (1 << in_bits) - 1
    elems = np.array([[(w >> (i * in_bits)) & emask for i in range(T * C)] for w in words],
                     dtype=np.int64).reshape(H, W, T, C)
    return elems.transpose(2, 3, 0, 1).copy()
