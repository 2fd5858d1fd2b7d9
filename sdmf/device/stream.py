"""The AXI4-Stream layouts: input samples → 64-bit beats, output beats → logits and class.

Input (docs/hardware.md, "Input stream layout"). One *position word* holds every
count of one pixel: ``for t, for c`` one ``in_bits``-wide unsigned count (saturated),
element ``t·C + c`` at bits ``[(t·C + c)·in_bits +: in_bits]`` — the word the first
conv unit consumes. Position words follow in raster order ``(y, x)`` and never
straddle beats:

* ``WORD ≤ 64``: each beat carries ``P = 64 // WORD`` consecutive positions,
  position ``p`` at bits ``[(p mod P)·WORD +: WORD]`` of beat ``p // P``;
* ``WORD > 64``: each position takes ``ceil(WORD / 64)`` beats, least
  significant 64 bits first.

Unused bits are zero; the last beat of a sample carries ``TLAST``.

Output ("Output stream"): K beats with the logits, each sign-extended to 64 bits,
then one beat with the predicted class (zero-extended), ``TLAST`` on the class beat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .words import pack, to_signed, unpack

BEAT_BITS = 64
IN_BITS = (1, 16)          # event-count widths the input stream format supports


class FramingError(ValueError):
    """Output beats that do not form whole results (count, ``TLAST`` or class)."""


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


def input_lasts(beats: int, per_sample: int) -> list[bool]:
    """``TLAST`` of each of ``beats`` consecutive beats: the last of every sample."""
    return [i % per_sample == per_sample - 1 for i in range(beats)]


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
    words = [pack(row, in_bits) for row in elems.tolist()]
    wb = word_bits(T, C, in_bits)
    if wb <= BEAT_BITS:
        per = positions_per_beat(T, C, in_bits)
        return [pack(words[start:start + per], wb) for start in range(0, len(words), per)]
    nb = beats_per_position(T, C, in_bits)
    return [b for w in words for b in unpack(w, nb, BEAT_BITS)]


def unpack_input(beats: Sequence[int], shape: Sequence[int], in_bits: int) -> np.ndarray:
    """Inverse of :func:`pack_input`: counts ``[T, C, H, W]`` (int64, saturated values)."""
    T, C, H, W = (int(v) for v in shape)
    _check_shape(np.zeros((T, C, 0, 0)), in_bits)
    want = beats_per_sample((T, C, H, W), in_bits)
    if len(beats) != want:
        raise ValueError(f"expected {want} beats for shape {tuple(shape)}, got {len(beats)}")
    beats = unpack_beats(beats)
    wb = word_bits(T, C, in_bits)
    if wb <= BEAT_BITS:
        per = positions_per_beat(T, C, in_bits)
        words = [w for b in beats for w in unpack(b, per, wb)][:H * W]
    else:
        nb = beats_per_position(T, C, in_bits)
        words = [pack(beats[p * nb:(p + 1) * nb], BEAT_BITS)
                 for p in range(H * W)]
    elems = np.array([unpack(w, T * C, in_bits) for w in words], dtype=np.int64)
    return elems.reshape(H, W, T, C).transpose(2, 3, 0, 1).copy()


def unpack_beats(beats: Sequence[int]) -> list[int]:
    """Beats as unsigned 64-bit values (``ValueError`` for one out of range)."""
    out = []
    for i, b in enumerate(beats):
        v = int(b)
        if not 0 <= v < 1 << BEAT_BITS:
            raise ValueError(f"beat {i} = {v} is not a {BEAT_BITS}-bit unsigned value")
        out.append(v)
    return out


def pack_batch(counts: np.ndarray, in_bits: int) -> np.ndarray:
    """The input beats of a batch ``counts[N, T, C, H, W]`` as ``uint64 [N, beats]``,
    vectorised (the same layout as :func:`pack_input`, sample by sample).

    Counts must be non-negative integers (any integer or bool dtype, or floats with
    integral values); they saturate at ``2^in_bits − 1`` as the IR's ``input`` op does.
    """
    a = np.asarray(counts)
    if a.ndim != 5:
        raise ValueError(f"counts must be [N, T, C, H, W], got shape {a.shape}")
    N, T, C, H, W = a.shape
    wb = word_bits(T, C, in_bits)
    sat = saturate(a, in_bits)
    elems = sat.transpose(0, 3, 4, 1, 2).reshape(N, H * W, T * C)   # [n, position, t·C + c]
    limbs = -(-wb // BEAT_BITS)                  # 64-bit limbs of one position word
    words = np.zeros((N, H * W, limbs), dtype=np.uint64)
    for e in range(T * C):                       # element e at bits [e·in_bits +: in_bits]
        v = elems[..., e]
        limb, shift = divmod(e * in_bits, BEAT_BITS)
        words[..., limb] |= v << np.uint64(shift)
        if shift + in_bits > BEAT_BITS:          # straddles into the next limb
            words[..., limb + 1] |= v >> np.uint64(BEAT_BITS - shift)
    if limbs > 1:                                # WORD > 64: a position's limbs are its beats
        return words.reshape(N, H * W * limbs)
    per = positions_per_beat(T, C, in_bits)
    beats = -(-H * W // per)
    padded = np.zeros((N, beats * per), dtype=np.uint64)
    padded[:, :H * W] = words[..., 0]
    grouped = padded.reshape(N, beats, per)
    out = np.zeros((N, beats), dtype=np.uint64)
    for p in range(per):                         # position p of a beat at [p·WORD +: WORD]
        out |= grouped[..., p] << np.uint64(p * wb)
    return out


def saturate(counts: np.ndarray, in_bits: int) -> np.ndarray:
    """``min(count, 2^in_bits − 1)`` as ``uint64`` (``ValueError`` for a negative or
    non-integer count, or a dtype that does not hold counts)."""
    a = np.asarray(counts)
    top = (1 << in_bits) - 1
    if a.dtype == np.bool_:
        return a.astype(np.uint64)
    if np.issubdtype(a.dtype, np.integer):
        if a.size and a.min() < 0:
            raise ValueError(f"counts must be >= 0, found {a.min()}")
        return np.minimum(a.astype(np.uint64), np.uint64(top))
    if np.issubdtype(a.dtype, np.floating):
        if a.size and not np.isfinite(a).all():
            raise ValueError("counts must be finite")
        if a.size and (a.min() < 0 or not np.array_equal(a, np.floor(a))):
            raise ValueError("counts must be non-negative integers (a float array with "
                             "fractional or negative values was given)")
        return np.minimum(a, top).astype(np.uint64)
    raise ValueError(f"counts must be integers, got dtype {a.dtype}")


# ------------------------------------------------------------------ output stream


@dataclass(frozen=True)
class Result:
    """One inference's output: integer logits and the predicted class."""

    logits: tuple[int, ...]
    cls: int


def output_beats(logits: Sequence[int], cls: int) -> list[int]:
    """The output beats of one result (the inverse of :func:`decode_output`)."""
    if not 0 <= int(cls) < len(logits):
        raise ValueError(f"class {cls} is not one of the {len(logits)} classes")
    return [pack([int(v)], BEAT_BITS, signed=True) for v in logits] + [int(cls)]


def decode_output(beats: Sequence[int], classes: int,
                  lasts: Sequence[bool | int] | None = None) -> Result:
    """One result from its ``classes + 1`` output beats; ``lasts`` (``TLAST`` of each
    beat), when given, must be set on the class beat only. Raises :class:`FramingError`."""
    try:
        raw = unpack_beats(beats)
    except ValueError as e:
        raise FramingError(str(e)) from None
    if len(raw) != classes + 1:
        raise FramingError(f"{len(raw)} output beats, expected {classes + 1} "
                           f"({classes} logits and the class)")
    if lasts is not None:
        flags = [bool(v) for v in lasts]
        if flags != [False] * classes + [True]:
            where = [i for i, f in enumerate(flags) if f]
            raise FramingError(f"TLAST on beats {where} of a result, expected only on beat "
                               f"{classes} (the class)")
    cls = raw[classes]
    if cls >= classes:
        raise FramingError(f"class beat {cls:#x} is not one of the {classes} classes")
    return Result(tuple(to_signed(v, BEAT_BITS) for v in raw[:classes]), cls)


def split_output(beats: Sequence[int], lasts: Sequence[bool | int], classes: int
                 ) -> list[Result]:
    """Every result of an output stream (beats and their ``TLAST`` flags, in order);
    a trailing incomplete result is a :class:`FramingError`."""
    if len(beats) != len(lasts):
        raise FramingError(f"{len(beats)} beats but {len(lasts)} TLAST flags")
    out, start = [], 0
    for i, last in enumerate(lasts):
        if last:
            try:
                out.append(decode_output(beats[start:i + 1], classes, lasts[start:i + 1]))
            except FramingError as e:
                raise FramingError(f"result {len(out)} (beats {start}..{i}): {e}") from None
            start = i + 1
    if start != len(beats):
        raise FramingError(f"{len(beats) - start} beats after the last TLAST (an incomplete "
                           "result)")
    return out


def decode_batch(beats: np.ndarray, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits ``int64 [N, K]`` and classes ``int64 [N]`` of ``N`` results, each its
    ``K + 1`` output beats (``beats[N, K + 1]``, unsigned 64-bit); vectorised
    :func:`decode_output` without ``TLAST`` flags. A class beat ≥ K is a
    :class:`FramingError` naming the result."""
    b = np.asarray(beats)
    if b.ndim != 2 or b.shape[1] != classes + 1:
        raise FramingError(f"expected [N, {classes + 1}] output beats ({classes} logits and "
                           f"the class), got shape {b.shape}")
    raw = b.astype(np.uint64)
    logits = raw[:, :classes].view(np.int64).copy()     # two's complement, 64-bit
    cls = raw[:, classes]
    bad = np.flatnonzero(cls >= np.uint64(classes))
    if bad.size:
        i = int(bad[0])
        raise FramingError(f"result {i}: class beat {int(cls[i]):#x} is not one of the "
                           f"{classes} classes")
    return logits, cls.astype(np.int64)
