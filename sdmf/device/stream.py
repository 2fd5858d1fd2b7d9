"""The AXI4-Stream layouts: input samples → 64-bit beats, output beats → logits and class.

Input (docs/hardware.md, "Input stream layout"). One *position word* holds every
count of one pixel: ``for t, for c`` one ``in_bits``-wide unsigned count (saturated),
element ``t·C + c`` at bits ``[(t·C + c)·in_bits +: in_bits]`` — the word the first
conv unit consumes. With ``nb`` beats per position (a divisor of T; docs/hardware.md,
"Narrow streams") the design's stream carries each position word as ``nb`` *stream
beats* of ``BW = WORD / nb`` bits, beat b the slice ``[b·BW +: BW]`` (time steps
``b·T/nb … (b+1)·T/nb − 1``); ``nb = 1``: the stream beat is the position word. Stream
beats follow in order (positions in raster order ``(y, x)``, b ascending within one)
and never straddle AXI beats:

* ``BW ≤ 64``: each AXI beat carries ``P = 64 // BW`` consecutive stream beats, stream
  beat ``s`` at bits ``[(s mod P)·BW +: BW]`` of AXI beat ``s // P``;
* ``BW > 64``: each stream beat takes ``ceil(BW / 64)`` AXI beats, least significant
  64 bits first.

Unused bits are zero; the last AXI beat of a sample carries ``TLAST``.

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


def stream_beat_bits(T: int, C: int, in_bits: int, nb: int = 1) -> int:
    """Bits ``BW`` of one stream beat, ``nb`` per position word (``ValueError`` unless
    ``nb ≥ 1`` divides T)."""
    wb = word_bits(T, C, in_bits)
    if nb < 1 or T % nb:
        raise ValueError(f"nb (beats per position) must be a divisor of T = {T} that is "
                         f">= 1, got {nb}")
    return wb // nb


def positions_per_beat(T: int, C: int, in_bits: int, nb: int = 1) -> int:
    """Stream beats (``nb = 1``: positions) packed into one AXI beat (1 when a stream
    beat needs several AXI beats)."""
    return max(1, BEAT_BITS // stream_beat_bits(T, C, in_bits, nb))


def beats_per_position(T: int, C: int, in_bits: int, nb: int = 1) -> int:
    """AXI beats one stream beat (``nb = 1``: position) occupies (1 when several share
    an AXI beat)."""
    return -(-stream_beat_bits(T, C, in_bits, nb) // BEAT_BITS)


def beats_per_sample(shape: Sequence[int], in_bits: int, nb: int = 1) -> int:
    """AXI beats of one sample of counts ``[T, C, H, W]`` with ``nb`` beats per position."""
    T, C, H, W = (int(v) for v in shape)
    words = H * W * nb                           # stream beats of the sample
    per = positions_per_beat(T, C, in_bits, nb)
    if per > 1:
        return -(-words // per)
    return words * beats_per_position(T, C, in_bits, nb)


def input_lasts(beats: int, per_sample: int) -> list[bool]:
    """``TLAST`` of each of ``beats`` consecutive beats: the last of every sample."""
    return [i % per_sample == per_sample - 1 for i in range(beats)]


def _check_shape(counts: np.ndarray, in_bits: int, nb: int) -> None:
    if counts.ndim != 4:
        raise ValueError(f"counts must be [T, C, H, W], got shape {counts.shape}")
    stream_beat_bits(*counts.shape[:2], in_bits, nb)


def pack_input(counts: np.ndarray | Sequence, in_bits: int, nb: int = 1) -> list[int]:
    """64-bit AXI beats (Python ints) of one sample ``counts[T, C, H, W]``, each position
    as ``nb`` stream beats (``nb = 1``: whole position words).

    Counts are non-negative integers; they saturate at ``2^in_bits − 1`` exactly as
    the IR's ``input`` op does.
    """
    a = np.asarray(counts)
    _check_shape(a, in_bits, nb)
    if a.size and (a.min() < 0 or not np.array_equal(a, np.round(a))):
        raise ValueError("counts must be non-negative integers")
    T, C, H, W = a.shape
    sat = np.minimum(a.astype(np.int64), (1 << in_bits) - 1)
    # [stream beat p·nb + b, (t − b·T/nb)·C + c]: row p of [position, t·C + c] split in nb
    elems = sat.transpose(2, 3, 0, 1).reshape(H * W * nb, T * C // nb)
    words = [pack(row, in_bits) for row in elems.tolist()]
    bw = stream_beat_bits(T, C, in_bits, nb)
    if bw <= BEAT_BITS:
        per = positions_per_beat(T, C, in_bits, nb)
        return [pack(words[start:start + per], bw) for start in range(0, len(words), per)]
    limbs = beats_per_position(T, C, in_bits, nb)
    return [b for w in words for b in unpack(w, limbs, BEAT_BITS)]


def unpack_input(beats: Sequence[int], shape: Sequence[int], in_bits: int,
                 nb: int = 1) -> np.ndarray:
    """Inverse of :func:`pack_input`: counts ``[T, C, H, W]`` (int64, saturated values)."""
    T, C, H, W = (int(v) for v in shape)
    _check_shape(np.zeros((T, C, 0, 0)), in_bits, nb)
    want = beats_per_sample((T, C, H, W), in_bits, nb)
    if len(beats) != want:
        raise ValueError(f"expected {want} beats for shape {tuple(shape)} and nb = {nb}, "
                         f"got {len(beats)}")
    beats = unpack_beats(beats)
    bw, n = stream_beat_bits(T, C, in_bits, nb), H * W * nb
    if bw <= BEAT_BITS:
        per = positions_per_beat(T, C, in_bits, nb)
        words = [w for b in beats for w in unpack(b, per, bw)][:n]
    else:
        limbs = beats_per_position(T, C, in_bits, nb)
        words = [pack(beats[s * limbs:(s + 1) * limbs], BEAT_BITS) for s in range(n)]
    elems = np.array([unpack(w, T * C // nb, in_bits) for w in words], dtype=np.int64)
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


def pack_batch(counts: np.ndarray, in_bits: int, nb: int = 1) -> np.ndarray:
    """The input beats of a batch ``counts[N, T, C, H, W]`` as ``uint64 [N, beats]``,
    vectorised (the same layout as :func:`pack_input` with ``nb`` beats per position,
    sample by sample).

    Counts must be non-negative integers (any integer or bool dtype, or floats with
    integral values); they saturate at ``2^in_bits − 1`` as the IR's ``input`` op does.
    """
    a = np.asarray(counts)
    if a.ndim != 5:
        raise ValueError(f"counts must be [N, T, C, H, W], got shape {a.shape}")
    N, T, C, H, W = a.shape
    bw = stream_beat_bits(T, C, in_bits, nb)
    n, per_word = H * W * nb, T * C // nb        # stream beats, elements of one
    sat = saturate(a, in_bits)
    elems = sat.transpose(0, 3, 4, 1, 2).reshape(N, n, per_word)   # [n, stream beat, elem]
    limbs = -(-bw // BEAT_BITS)                  # 64-bit limbs of one stream beat
    words = np.zeros((N, n, limbs), dtype=np.uint64)
    for e in range(per_word):                    # element e at bits [e·in_bits +: in_bits]
        v = elems[..., e]
        limb, shift = divmod(e * in_bits, BEAT_BITS)
        words[..., limb] |= v << np.uint64(shift)
        if shift + in_bits > BEAT_BITS:          # straddles into the next limb
            words[..., limb + 1] |= v >> np.uint64(BEAT_BITS - shift)
    if limbs > 1:                                # BW > 64: a stream beat's limbs are AXI beats
        return words.reshape(N, n * limbs)
    per = positions_per_beat(T, C, in_bits, nb)
    beats = -(-n // per)
    padded = np.zeros((N, beats * per), dtype=np.uint64)
    padded[:, :n] = words[..., 0]
    grouped = padded.reshape(N, beats, per)
    out = np.zeros((N, beats), dtype=np.uint64)
    for p in range(per):                         # stream beat p of an AXI beat at [p·BW +: BW]
        out |= grouped[..., p] << np.uint64(p * bw)
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
