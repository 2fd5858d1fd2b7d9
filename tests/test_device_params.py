"""sdmf.device.params: the load stream of runtime-loaded parameters (docs/params.md).

The oracles are written out by hand here: header bits from the documented layout, beats
from the documented word split, and a bit-serial CRC-32 (the reflected IEEE polynomial,
processed least significant bit of each little-endian byte first, as the loader does).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from sdmf.device import params
from sdmf.device.params import ParamMemory, ParamsError, ParamSet


def crc32_bitwise(beats: list[int]) -> int:
    """CRC-32 by hand: init all ones, for every bit LSB first, final complement."""
    c = 0xFFFFFFFF
    for beat in beats:
        for i in range(64):
            fb = (c ^ (beat >> i)) & 1
            c = (c >> 1) ^ (0xEDB88320 if fb else 0)
    return c ^ 0xFFFFFFFF


def mems() -> list[ParamMemory]:
    return [ParamMemory(0, "conv0", "weight", 3, 8),
            ParamMemory(1, "conv0", "bias", 2, 100),
            ParamMemory(2, "head", "bias", 1, 64)]


def test_header_layout_by_hand():
    # id [15:0], offset [39:16], count [63:40]
    assert params.header(5, 7, 3) == 5 | (7 << 16) | (3 << 40)
    assert params.header(0xFFFF, (1 << 24) - 1, (1 << 24) - 1) == (1 << 64) - 1
    for bad in ((1 << 16, 0, 1), (0, 1 << 24, 1), (0, 0, 0), (0, 0, 1 << 24)):
        with pytest.raises(ParamsError, match="chunk of memory"):
            params.header(*bad)


def test_words_split_into_beats_least_significant_first():
    assert params.word_beats(0xAB, 8) == [0xAB]
    w = (3 << 64) | 0x1122334455667788
    assert params.word_beats(w, 100) == [0x1122334455667788, 3]
    assert params.word_beats(0, 128) == [0, 0]
    with pytest.raises(ParamsError, match="does not fit 8"):
        params.word_beats(256, 8)


def test_canonical_image_by_hand():
    m = mems()
    images = {0: [1, 2, 0xFF], 1: [(1 << 99) | 5, 6], 2: [(1 << 64) - 1]}
    beats = params.image_beats(m, images)
    want = [params.header(0, 0, 3), 1, 2, 0xFF,
            params.header(1, 0, 2), 5, 1 << 35, 6, 0,
            params.header(2, 0, 1), (1 << 64) - 1]
    assert beats.dtype == np.uint64
    assert [int(b) for b in beats] == want
    assert params.image_size(m) == len(want) == 11


@pytest.mark.parametrize("images, match", [
    ({0: [1, 2], 1: [0, 0], 2: [0]}, "memory 0 .conv0.weight.: image has 2 words"),
    ({0: [1, 2, 3], 1: [0, 0]}, "memory 2 .head.bias.: image has none"),
    ({0: [1, 2, 256], 1: [0, 0], 2: [0]}, "conv0.weight., word 2: word 0x100"),
])
def test_image_errors_name_the_memory(images, match):
    with pytest.raises(ParamsError, match=match):
        params.image_beats(mems(), images)


def test_chunks_are_bounded_by_the_depth():
    m = mems()[0]
    assert params.chunk_beats(m, 1, [9, 8]) == [params.header(0, 1, 2), 9, 8]
    with pytest.raises(ParamsError, match="outside its depth 3"):
        params.chunk_beats(m, 2, [9, 8])


def test_ids_must_count_up():
    m = mems()
    with pytest.raises(ParamsError, match="ids must be"):
        params.image_beats([m[1], m[0]], {0: [0, 0, 0], 1: [0, 0]})


@pytest.mark.parametrize("beats", [[], [0], [1, 2, 3], [(1 << 64) - 1, 0, 0x5D3F0002]])
def test_checksum_is_the_bitwise_crc32(beats):
    assert params.checksum(np.array(beats, dtype=np.uint64)) == crc32_bitwise(beats)


def test_checksum_sees_a_skipped_zero_beat_and_a_flipped_bit():
    beats = [params.header(0, 0, 3), 0, 0, 0]
    full = params.checksum(beats)
    assert params.checksum(beats[:-1]) != full
    for i in range(len(beats)):
        for bit in (0, 17, 63):
            bad = list(beats)
            bad[i] ^= 1 << bit
            assert params.checksum(bad) != full


def test_param_set_round_trip_and_image_file(tmp_path):
    m = mems()
    beats = params.image_beats(m, {0: [1, 2, 3], 1: [4, 5], 2: [6]})
    ps = ParamSet.of_image(m, beats)
    assert ps.beats == 11 and ps.words == 6 and ps.crc32 == crc32_bitwise(
        [int(b) for b in beats])
    back = ParamSet.from_dict(json.loads(json.dumps(ps.to_dict())))
    assert back == ps
    params.write_image(tmp_path / ps.file, beats)
    assert (tmp_path / ps.file).stat().st_size == 88
    assert np.array_equal(ps.read_image(tmp_path), beats)


def test_a_corrupt_or_short_image_file_is_refused(tmp_path):
    m = mems()
    beats = params.image_beats(m, {0: [1, 2, 3], 1: [4, 5], 2: [6]})
    ps = ParamSet.of_image(m, beats)
    params.write_image(tmp_path / ps.file, beats[:-1])
    with pytest.raises(ParamsError, match=r"params\.bin: 80 bytes, the parameter set has 11"):
        ps.read_image(tmp_path)
    bad = beats.copy()
    bad[4] ^= np.uint64(1)
    params.write_image(tmp_path / ps.file, bad)
    with pytest.raises(ParamsError, match=r"params\.bin: CRC-32 0x.*expects"):
        ps.read_image(tmp_path)
    with pytest.raises(ParamsError, match="cannot read"):
        ps.read_image(tmp_path / "nowhere")


@pytest.mark.parametrize("change, match", [
    (lambda d: d.pop("crc32"), "params.crc32: missing"),
    (lambda d: d.update(extra=1), "params.extra: unknown"),
    (lambda d: d.update(beats=3), "params.beats: 3 disagrees"),
    (lambda d: d.update(words=1), "params.words: 1 disagrees"),
    (lambda d: d.update(crc32=-1), "params.crc32: -1"),
    (lambda d: d.update(file="a/b.bin"), "params.file"),
    (lambda d: d.update(memories=[]), "at least one"),
    (lambda d: d["memories"][0].pop("width"), r"params.memories\[0\]"),
    (lambda d: d["memories"][1].update(depth=0), "conv0.bias: depth = 0"),
    (lambda d: d["memories"][1].update(id=2), "ids must be"),
])
def test_a_corrupt_param_set_is_refused_naming_the_field(change, match):
    d = ParamSet(tuple(mems()), 0x1234).to_dict()
    change(d)
    with pytest.raises(ParamsError, match=match):
        ParamSet.from_dict(d)


def test_bus_words_sit_in_the_top_beats_of_the_loader_bus():
    """The loader shifts a word's beats in from the top of its bus (sdmf_param_loader):
    a word of B beats occupies the top B beats, least significant beat lowest."""
    from sdmf.device.params import bus_offset, bus_word

    assert bus_offset(64, 64) == 0 and bus_offset(8, 192) == 128
    assert bus_offset(65, 192) == 64 and bus_offset(192, 192) == 0
    w = (0xAB << 64) | 0x1234
    assert bus_word(w, 72, 256) == w << 128
    with pytest.raises(ParamsError, match="does not fit a 128-bit loader bus"):
        bus_offset(129, 128)
    with pytest.raises(ParamsError, match="whole 64-bit beats"):
        bus_offset(8, 100)
