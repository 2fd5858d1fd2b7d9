"""Vectorised stream packing (``pack_batch``, ``decode_batch``) against the per-sample
reference implementations ``pack_input`` / ``decode_output`` of sdmf.device.stream."""

from __future__ import annotations

import numpy as np
import pytest

from sdmf.device.stream import (
    BEAT_BITS,
    FramingError,
    beats_per_sample,
    decode_batch,
    decode_output,
    output_beats,
    pack_batch,
    pack_input,
    word_bits,
)

# (N, T, C, H, W), in_bits: WORD ≤ 64 with several positions per beat and a partial last
# beat, WORD = 64, WORD > 64 with elements straddling 64-bit limbs (3, 5, 7 bits)
CASES = [((3, 2, 2, 5, 3), 8), ((2, 1, 1, 4, 4), 3), ((2, 1, 1, 7, 1), 1),
         ((2, 3, 2, 3, 3), 5), ((2, 4, 2, 3, 3), 8), ((2, 16, 2, 2, 3), 8),
         ((1, 4, 2, 3, 3), 16), ((2, 5, 3, 2, 2), 7), ((1, 11, 1, 3, 2), 6)]


@pytest.mark.parametrize(("shape", "bits"), CASES)
def test_pack_batch_equals_pack_input(shape, bits):
    rng = np.random.default_rng(sum(shape) * bits)
    x = rng.integers(0, 1 << (bits + 1), size=shape)            # half of them saturate
    got = pack_batch(x, bits)
    want = np.array([pack_input(s, bits) for s in x], dtype=np.uint64)
    assert got.dtype == np.uint64 and got.shape == (shape[0], beats_per_sample(shape[1:], bits))
    assert np.array_equal(got, want)


@pytest.mark.parametrize(("shape", "bits", "nb"), [((2, 16, 1, 2, 3), 16, 16),
                                                  ((3, 2, 5, 3, 3), 4, 2),
                                                  ((2, 4, 3, 2, 2), 16, 2),
                                                  ((2, 6, 7, 2, 1), 5, 3),
                                                  ((1, 4, 2, 3, 3), 8, 4)])
def test_pack_batch_in_beats_equals_pack_input(shape, bits, nb):
    rng = np.random.default_rng(sum(shape) * bits + nb)
    x = rng.integers(0, 1 << (bits + 1), size=shape)
    got = pack_batch(x, bits, nb)
    want = np.array([pack_input(s, bits, nb) for s in x], dtype=np.uint64)
    assert got.shape == (shape[0], beats_per_sample(shape[1:], bits, nb))
    assert np.array_equal(got, want)


def test_the_cases_cover_both_layouts_and_partial_beats():
    words = [word_bits(s[1], s[2], b) for s, b in CASES]
    assert min(words) < BEAT_BITS < max(words) and BEAT_BITS in words
    partial = [(s, b) for s, b in CASES if word_bits(s[1], s[2], b) <= BEAT_BITS
               and (s[3] * s[4]) % (BEAT_BITS // word_bits(s[1], s[2], b))]
    assert partial
    straddle = [b for s, b in CASES if word_bits(s[1], s[2], b) > BEAT_BITS and 64 % b]
    assert straddle


def test_pack_batch_dtypes_and_saturation():
    x = np.array([[[[[0, 1], [255, 300]]]]])                 # [1, 1, 1, 2, 2]
    ref = pack_batch(x, 8)
    assert np.array_equal(pack_batch(x.astype(np.float32), 8), ref)
    assert np.array_equal(pack_batch(x.astype(np.uint16), 8), ref)
    assert np.array_equal(pack_batch(np.minimum(x, 255).astype(np.uint8), 8), ref)
    huge = np.array([[[[[2**63 + 5]]]]], dtype=np.uint64)
    assert pack_batch(huge, 8).tolist() == [[255]]
    assert np.array_equal(pack_batch(x > 0, 1), pack_batch(np.minimum(x, 1), 1))
    for bad, match in ((-x, ">= 0"), (x + 0.5, "non-negative integers"),
                       (x.astype(complex), "integers, got dtype")):
        with pytest.raises(ValueError, match=match):
            pack_batch(bad, 8)
    with pytest.raises(ValueError, match=r"\[N, T, C, H, W\]"):
        pack_batch(x[0], 8)


def test_decode_batch_equals_decode_output():
    rng = np.random.default_rng(3)
    K = 5
    rows = [[int(v) for v in rng.integers(-2**40, 2**40, K)] for _ in range(6)]
    rows[0] = [-(2**63), 2**63 - 1, -1, 0, 1]
    beats = np.array([output_beats(r, i % K) for i, r in enumerate(rows)], dtype=np.uint64)
    logits, classes = decode_batch(beats, K)
    assert logits.dtype == np.int64 and classes.dtype == np.int64
    for i, b in enumerate(beats):
        ref = decode_output([int(v) for v in b], K)
        assert tuple(logits[i].tolist()) == ref.logits and classes[i] == ref.cls


def test_decode_batch_refuses_bad_results():
    beats = np.array([output_beats([1, 2, 3], 2), output_beats([1, 2, 3], 0)], np.uint64)
    beats[1, 3] = 3
    with pytest.raises(FramingError, match="result 1: class beat 0x3"):
        decode_batch(beats, 3)
    with pytest.raises(FramingError, match=r"\[N, 4\]"):
        decode_batch(beats[:, :3], 3)
