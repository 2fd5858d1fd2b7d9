"""sdmf.device: the device interface module (register map, word and stream layouts,
interface.json) — torch-free, the single owner of the register map, checked against
docs/hardware.md (tests/regmap_doc.py, the oracle) and by hand-computed examples.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import regmap_doc
from tiny_ir import tiny_ir

from sdmf.device import (
    INTERFACE_FILE,
    DeviceInterface,
    FramingError,
    InterfaceError,
    decode_output,
    output_beats,
    pack_input,
    regmap,
    split_output,
    unpack_input,
)
from sdmf.device.stream import beats_per_sample
from sdmf.device.words import encode, hex_lines, pack, parse_hex_lines, to_signed, unpack

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("model", "quant", "hw", "sim", "host", "sdmf")
HASH = "c75f8ca18e5f6afb1c921a7562dbe0ae0460960be90708a80eebdc24d9181350"
DESIGN = "0123abcd" * 8


# ---------------------------------------------------------------------- import


def test_import_pulls_neither_torch_nor_the_generator():
    code = ("import sys, sdmf.device, sdmf.device.regmap, sdmf.device.words, "
            "sdmf.device.stream, sdmf.device.interface\n"
            "bad = sorted(m for m in sys.modules if m == 'torch' or m.startswith("
            "('torch.', 'sdmf.hw', 'sdmf.quant', 'sdmf.sim', 'sdmf.model')))\n"
            "print(','.join(bad))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"sdmf.device imported {proc.stdout.strip()}"


# ---------------------------------------------------------------------- register map vs doc


def test_register_map_matches_the_documented_table():
    doc = regmap_doc.parse()
    assert {r.name: r.offset for r in regmap.REGISTERS} == doc.offsets
    assert {f.name: f.lsb for f in regmap.CONTROL.fields} == doc.control_bits
    assert {f.name: f.lsb for f in regmap.IER.fields} == doc.ier_bits
    assert regmap.ISR.fields == regmap.IER.fields
    assert regmap.GIE.bit("enable") == 1 << doc.gie_bit
    assert regmap.STATUS.bit("tlast_error") == 1 << doc.tlast_error_bit
    assert {f.name: f.lsb for f in regmap.PARAM.fields} == doc.param_bits
    assert doc.id_value == regmap.ID_VALUE
    assert (doc.id_magic, doc.interface_version) == (regmap.ID_MAGIC, regmap.INTERFACE_VERSION)
    id_fields = {f.name: (f.msb, f.lsb) for f in regmap.ID.fields}
    assert id_fields == {"magic": doc.id_magic_bits, "version": doc.version_bits}
    assert doc.hash_digits == regmap.IR_HASH_DIGITS
    for reg, (off, fields) in zip((regmap.CONFIG0, regmap.CONFIG1), doc.config):
        assert reg.offset == off
        assert {f.name.lower(): (f.msb, f.lsb) for f in reg.fields} == fields
    assert (doc.counter_base, doc.counter_stride) == (regmap.COUNTER_BASE,
                                                      regmap.COUNTER_STRIDE)
    assert [regmap.counter_offset(i) for i in range(3)] == [
        doc.counter_base + doc.counter_stride * i for i in range(3)]


def test_configuration_words_by_hand():
    # T 4, classes 10, in_bits 16, weight bits 8 | H 32, W 48, 1 beat per position word
    assert regmap.config_words(4, 10, 16, 8, 32, 48) == (0x0810_0A04, 0x0103_0020)
    # word_beats at [31:24] (interface version 4): 4 beats, H 128, W 4095
    assert regmap.config_words(4, 10, 16, 8, 128, 4095, 4)[1] == 0x04FF_F080
    with pytest.raises(ValueError, match=r"H = 4096 does not fit \[11:0\]"):
        regmap.config_words(4, 10, 8, 8, 4096, 32)
    with pytest.raises(ValueError, match=r"T = 256 does not fit \[7:0\]"):
        regmap.config_words(256, 10, 8, 8, 32, 32)
    with pytest.raises(KeyError, match="missing fields"):
        regmap.CONFIG1.pack({"H": 1})


def test_address_width_rule_and_hash_word():
    assert [regmap.axil_addr_bits(n) for n in (0, 1, 8, 9, 56, 504)] == [6, 7, 7, 8, 9, 12]
    with pytest.raises(ValueError, match="decodes 12"):
        regmap.axil_addr_bits(505)
    assert regmap.hash_word(HASH) == 0xC75F8CA1
    with pytest.raises(ValueError, match="8 hex digits"):
        regmap.hash_word("c75f8")


def _literal_values(text: str) -> set[int]:
    """Hex literals of a source text (Python ``0x…`` and SystemVerilog ``N'h…``)."""
    found = re.findall(r"(?i)\b0x([0-9a-f_]+)\b", text) + re.findall(r"(?i)\d+'h([0-9a-f_]+)",
                                                                      text)
    return {int(v.replace("_", ""), 16) for v in found if v.replace("_", "")}


def _product_files(*suffixes: str) -> list[Path]:
    return sorted(p for d in PRODUCT for p in (ROOT / d).rglob("*")
                  if p.suffix in suffixes and ".venv" not in p.parts)


def test_id_and_offset_table_are_literals_in_one_python_module():
    """The ID in any spelling (hex with or without underscores, the magic alone, decimal)
    and the register offset table appear in exactly one product Python module; no
    SystemVerilog source of the product holds the ID (it comes from the generated
    package). A module holding two or more documented offsets (beyond 0x00–0x08, which
    are common constants) counts as holding an offset table."""
    doc = regmap_doc.parse()
    id_spellings = re.compile(rf"(?i)5_?d_?3_?f|\b{doc.id_value}\b|\b{doc.id_magic}\b")
    offsets = {*doc.offsets.values(), doc.counter_base} - {0x00, 0x04, 0x08}
    with_id, with_table = [], []
    for path in _product_files(".py"):
        text = path.read_text(encoding="utf-8")
        rel = str(path.relative_to(ROOT))
        if id_spellings.search(text):
            with_id.append(rel)
        if len(_literal_values(text) & offsets) >= 2:
            with_table.append(rel)
    assert with_id == ["sdmf/device/regmap.py"], with_id
    assert with_table == ["sdmf/device/regmap.py"], with_table
    table = _literal_values((ROOT / "sdmf/device/regmap.py").read_text())
    assert offsets <= table                        # the one module holds all of them
    hdl = [str(p.relative_to(ROOT)) for p in _product_files(".sv", ".v")
           if id_spellings.search(p.read_text(encoding="utf-8"))]
    assert hdl == [], hdl


def test_generated_register_package_matches_the_doc():
    from sdmf.hw.backends.rtl.regpkg import package_text

    text = package_text()
    params = {m[0]: int(m[1].split("'h")[-1], 16) if "'h" in m[1] else int(m[1])
              for m in re.findall(r"localparam \S+(?: \[\d+:0\])? (\w+) = ([\w']+);", text)}
    doc = regmap_doc.parse()
    assert {k[4:].lower(): v for k, v in params.items() if k.startswith("REG_")} == doc.offsets
    assert {k[8:].lower(): v for k, v in params.items() if k.startswith("CONTROL_")} == \
        doc.control_bits
    assert {k[4:].lower(): v for k, v in params.items() if k.startswith("IER_")} == doc.ier_bits
    assert params["GIE_ENABLE"] == doc.gie_bit
    assert params["STATUS_TLAST_ERROR"] == doc.tlast_error_bit
    assert {k[6:].lower(): v for k, v in params.items() if k.startswith("PARAM_")} == \
        doc.param_bits
    assert params["ID_VALUE"] == doc.id_value
    assert params["INTERFACE_VERSION"] == doc.interface_version
    assert (params["COUNTER_BASE"], params["COUNTER_STRIDE"], params["COUNTER_HI"]) == (
        doc.counter_base, doc.counter_stride, 4)


# ---------------------------------------------------------------------- words


def test_words_pack_unpack_by_hand():
    assert pack([1, 2, 3], 4) == 0x321
    assert pack([-1, 1], 4, signed=True) == 0x1F
    assert pack([-2, 15], 4, signed=None) == 0xFE
    assert unpack(0xF1, 2, 4) == [1, 15] and unpack(0xF1, 2, 4, signed=True) == [1, -1]
    assert to_signed(0xFFFF_FFFF_FFFF_FFFE, 64) == -2 and to_signed(5, 64) == 5
    for value, bits, signed in ((16, 4, False), (-1, 4, False), (8, 4, True), (-9, 4, True),
                                (16, 4, None), (-9, 4, None)):
        with pytest.raises(ValueError, match=f"value {value} does not fit 4"):
            encode(value, bits, signed)
    assert hex_lines([0xA, 0x1F], 9) == "00a\n01f\n"
    assert parse_hex_lines("00a\n01f\n") == [0xA, 0x1F]
    with pytest.raises(ValueError, match=r"t\.hex: word 1 'xyz'"):
        parse_hex_lines("00a xyz", "t.hex")


# ---------------------------------------------------------------------- input stream


def test_input_packing_by_hand():
    # T 1, C 2, in_bits 4: WORD 8, 8 positions per beat; 1×3 pixels, counts (c0, c1)
    x = np.array([[[[1, 2, 3]], [[4, 5, 20]]]])               # [1, 2, 1, 3]
    assert pack_input(x, 4) == [0xF3_52_41]                 # 20 saturates at 15
    # T 2, C 3, in_bits 16: WORD 96 > 64, two beats per position, low 64 bits first
    y = np.arange(6).reshape(2, 3, 1, 1)                    # element t·3 + c = t·3 + c
    word = sum(v << (16 * i) for i, v in enumerate(range(6)))
    assert pack_input(y, 16) == [word & (2**64 - 1), word >> 64]


@pytest.mark.parametrize("shape,bits", [((4, 2, 5, 7), 3), ((2, 2, 4, 4), 16),
                                        ((1, 1, 3, 3), 1), ((4, 8, 3, 2), 5)])
def test_input_round_trip(shape, bits):
    rng = np.random.default_rng(sum(shape) + bits)
    x = rng.integers(0, 2 ** bits + 3, size=shape)
    beats = pack_input(x, bits)
    assert len(beats) == beats_per_sample(shape, bits)
    assert all(0 <= b < 2**64 for b in beats)
    assert np.array_equal(unpack_input(beats, shape, bits), np.minimum(x, 2 ** bits - 1))
    with pytest.raises(ValueError, match=r"expected \d+ beats"):
        unpack_input(beats[:-1], shape, bits)
    with pytest.raises(ValueError, match="not a 64-bit unsigned"):
        unpack_input([*beats[:-1], 2**64], shape, bits)


def reference_beats(x: np.ndarray, bits: int, nb: int) -> list[int]:
    """docs/hardware.md's input layout with ``nb`` beats per position, written out bit by
    bit: stream beat (p, b) holds counts (t, c), t in [b·T/nb, (b+1)·T/nb), at element
    (t − b·T/nb)·C + c; stream beats fill AXI beats whole (P per beat, or ⌈BW/64⌉ each)."""
    T, C, H, W = x.shape
    ts, top = T // nb, (1 << bits) - 1
    bw = ts * C * bits
    stream = []
    for y in range(H):
        for xx in range(W):
            for b in range(nb):
                v = 0
                for t in range(b * ts, (b + 1) * ts):
                    for c in range(C):
                        v |= min(int(x[t, c, y, xx]), top) << (((t - b * ts) * C + c) * bits)
                stream.append(v)
    if bw > 64:
        return [(v >> (64 * k)) & (2**64 - 1) for v in stream for k in range(-(-bw // 64))]
    per = 64 // bw
    return [sum(v << (i * bw) for i, v in enumerate(stream[s:s + per]))
            for s in range(0, len(stream), per)]


def test_input_packing_in_beats_by_hand():
    # T 3, C 1, in_bits 16, nb 3: BW 16, four stream beats per AXI beat, 2 positions
    x = np.array([1, 2, 3, 4, 5, 6]).reshape(1, 2, 3).transpose(2, 0, 1)[:, :, None, :]
    assert x.shape == (3, 1, 1, 2) and x[2, 0, 0, 1] == 6
    assert pack_input(x, 16, nb=3) == [0x0004_0003_0002_0001, 0x0006_0005]
    assert pack_input(x, 16) == [0x0003_0002_0001, 0x0006_0005_0004]     # nb = 1: words
    # T 4, C 3, in_bits 16, nb 2: BW 96, two AXI beats per stream beat, low bits first
    y = np.arange(12).reshape(4, 3, 1, 1)
    beat = [sum(v << (16 * i) for i, v in enumerate(range(6 * b, 6 * b + 6))) for b in (0, 1)]
    assert pack_input(y, 16, nb=2) == [beat[0] & (2**64 - 1), beat[0] >> 64,
                                       beat[1] & (2**64 - 1), beat[1] >> 64]


# (T, C, H, W), in_bits, nb: BW 16 at nb 16, BW not dividing 64 (20, 24: partial AXI
# beats), BW > 64 with straddling elements (5 bits), nb = T (one time step per beat)
BEAT_CASES = [((16, 1, 2, 3), 1, 16), ((16, 1, 2, 2), 16, 16), ((2, 5, 3, 3), 4, 2),
              ((4, 2, 3, 1), 3, 2), ((3, 1, 1, 2), 16, 3), ((4, 3, 2, 2), 16, 2),
              ((6, 7, 2, 1), 5, 3), ((6, 7, 2, 1), 5, 1), ((2, 2, 4, 4), 16, 1),
              ((2, 2, 4, 4), 16, 2), ((8, 2, 2, 2), 8, 2)]


@pytest.mark.parametrize("shape,bits,nb", BEAT_CASES)
def test_input_round_trip_in_beats(shape, bits, nb):
    """pack_input with nb beats per position equals the bit-by-bit reference, round-trips
    through unpack_input, has beats_per_sample beats, and equals the nb = 1 layout where
    docs/hardware.md says so (WORD divides 64 or 64 divides BW)."""
    rng = np.random.default_rng(sum(shape) * 7 + bits + nb)
    x = rng.integers(0, 2 ** bits + 3, size=shape)
    beats = pack_input(x, bits, nb=nb)
    assert beats == reference_beats(x, bits, nb)
    assert len(beats) == beats_per_sample(shape, bits, nb)
    assert np.array_equal(unpack_input(beats, shape, bits, nb), np.minimum(x, 2 ** bits - 1))
    wb, bw = x.shape[0] * x.shape[1] * bits, x.shape[0] // nb * x.shape[1] * bits
    if nb == 1 or 64 % wb == 0 or bw % 64 == 0:      # contiguous bits: nb = 1's beats
        assert beats == pack_input(x, bits)
    with pytest.raises(ValueError, match=r"expected \d+ beats"):
        unpack_input([*beats, 0], shape, bits, nb)


def test_beats_per_position_must_divide_t():
    x = np.zeros((4, 2, 2, 2), np.int64)
    for nb in (0, 3, 8):
        with pytest.raises(ValueError, match=f"divisor of T = 4 that is >= 1, got {nb}"):
            pack_input(x, 8, nb=nb)
        with pytest.raises(ValueError, match="divisor of T"):
            beats_per_sample(x.shape, 8, nb)


# ---------------------------------------------------------------------- output stream


def test_output_decoding_with_negative_logits():
    beats = [0xFFFF_FFFF_FFFF_FFFB, 7, 0x8000_0000_0000_0000, 1]
    res = decode_output(beats, 3, [0, 0, 0, 1])
    assert res.logits == (-5, 7, -(2**63)) and res.cls == 1
    assert output_beats(res.logits, res.cls) == beats
    two = split_output(beats * 2, [False, False, False, True] * 2, 3)
    assert two == [res, res]


@pytest.mark.parametrize("beats,lasts,match", [
    ([1, 2, 0], None, "3 output beats, expected 4"),
    ([1, 2, 3, 0], [0, 1, 0, 1], r"TLAST on beats \[1, 3\]"),
    ([1, 2, 3, 0], [0, 0, 0, 0], r"TLAST on beats \[\]"),
    ([1, 2, 3, 3], None, "class beat 0x3 is not one of the 3 classes"),
    ([1, -2, 3, 0], None, "beat 1 = -2 is not a 64-bit unsigned value"),
])
def test_output_framing_errors(beats, lasts, match):
    with pytest.raises(FramingError, match=match):
        decode_output(beats, 3, lasts)


def test_split_output_names_the_broken_result():
    good = [5, 6, 7, 0]
    with pytest.raises(FramingError, match=r"result 1 \(beats 4..6\): 3 output beats"):
        split_output([*good, 1, 2, 0], [0, 0, 0, 1, 0, 0, 1], 3)
    with pytest.raises(FramingError, match="2 beats after the last TLAST"):
        split_output([*good, 1, 2], [0, 0, 0, 1, 0, 0], 3)


# ---------------------------------------------------------------------- interface.json


def _iface(**kw) -> DeviceInterface:
    base = dict(ir_hash=HASH, input_shape=(4, 2, 32, 32), in_bits=8, weight_bits=8,
                classes=10, counter_layers=("sps.0", "head"), model="sdmformer-1-128",
                logit_scale=0.25, interval_cycles=41984, max_in_flight=8)
    return DeviceInterface(**{**base, **kw})


def test_interface_round_trip_and_derived_values(tmp_path):
    iface = _iface()
    d = iface.to_dict()
    assert d["beats_per_sample"] == 1024 and d["output_beats"] == 11
    assert d["counters"] == {"sps.0": 0x40, "head": 0x48} and d["axil_addr_bits"] == 7
    assert d["registers"] == {"id": 0x5D3F0004, "hash": 0xC75F8CA1, "config0": 0x0808_0A04,
                              "config1": 0x0102_0020}
    path = iface.write(tmp_path / INTERFACE_FILE)
    assert DeviceInterface.read(path) == iface
    assert json.loads(path.read_text()) == d
    assert [p.name for p in tmp_path.iterdir()] == [INTERFACE_FILE]   # no temporary left


def test_interface_with_loaded_parameters_round_trips(tmp_path):
    from sdmf.device.params import ParamMemory, ParamSet

    ps = ParamSet((ParamMemory(0, "sps.0", "weight", 4, 72), ParamMemory(1, "head", "bias", 10,
                                                                         24)), 0xDEADBEEF)
    iface = _iface(params=ps, design_hash=DESIGN)
    d = iface.to_dict()
    # the hash register identifies the design, not the IR (regmap.hash_register)
    assert d["registers"]["hash"] == 0x0123ABCD and d["design_hash"] == DESIGN
    assert _iface(design_hash=DESIGN).registers["hash"] == 0xC75F8CA1       # ROM: the IR
    with pytest.raises(InterfaceError, match="field design_hash: missing"):
        _iface(params=ps)
    assert d["params"] == {"file": "params.bin", "beats": 2 + 4 * 2 + 10, "words": 14,
                           "crc32": 0xDEADBEEF, "memories": [
                               {"id": 0, "layer": "sps.0", "role": "weight", "depth": 4,
                                "width": 72},
                               {"id": 1, "layer": "head", "role": "bias", "depth": 10,
                                "width": 24}]}
    assert DeviceInterface.read(iface.write(tmp_path / INTERFACE_FILE)) == iface
    assert _iface().to_dict()["params"] is None
    d["params"]["beats"] = 3
    (tmp_path / INTERFACE_FILE).write_text(json.dumps(d))
    with pytest.raises(InterfaceError, match=r"interface\.json: field params\.beats: 3 disagrees"):
        DeviceInterface.read(tmp_path / INTERFACE_FILE)


def _corrupt(tmp_path: Path, change) -> Path:
    d = _iface().to_dict()
    change(d)
    path = tmp_path / INTERFACE_FILE
    path.write_text(json.dumps(d))
    return path


@pytest.mark.parametrize("change,match", [
    (lambda d: d.update(format="sdmf-interface/9"), "field format"),
    (lambda d: d.update(interface_version=1), "field interface_version: 1; this sdmf.device"),
    (lambda d: d.pop("params"), "field params: missing"),
    (lambda d: d.update(params=[]), "field params: expected an object or null"),
    (lambda d: d.pop("classes"), "field classes: missing"),
    (lambda d: d.update(extra=1), "field extra: unknown"),
    (lambda d: d.update(in_bits="8"), "field in_bits: expected an integer"),
    (lambda d: d.update(in_bits=17), "field in_bits: 17 is not in 1..16"),
    (lambda d: d.update(input_shape=[4, 2, 32]), "field input_shape: expected"),
    (lambda d: d.update(ir_hash="xyz"), "field ir_hash"),
    (lambda d: d.update(design_hash="ABC"), "field design_hash: 'ABC' is not"),
    (lambda d: d.update(logit_scale=-1.0), "field logit_scale"),
    (lambda d: d["registers"].update(config0=0), "field registers: .* disagrees"),
    (lambda d: d["counters"].update(head=0x50), "field counters: .* disagrees"),
    (lambda d: d.update(beats_per_sample=1023), "field beats_per_sample: 1023 disagrees"),
    (lambda d: d.update(classes=256), r"field classes: field classes = 256 does not fit \[15:8\]"),
    (lambda d: d.update(input_shape=[4, 2, 70000, 32]), r"field input_shape\[2\]: field H"),
])
def test_a_corrupt_interface_file_is_refused_naming_file_and_field(tmp_path, change, match):
    path = _corrupt(tmp_path, change)
    with pytest.raises(InterfaceError, match=f"^{re.escape(str(path))}: {match}"):
        DeviceInterface.read(path)


def test_unreadable_interface_files(tmp_path):
    with pytest.raises(InterfaceError, match="cannot read"):
        DeviceInterface.read(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": ')
    with pytest.raises(InterfaceError, match=f"{re.escape(str(bad))}: not a JSON file"):
        DeviceInterface.read(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(InterfaceError, match="expected a JSON object, got list"):
        DeviceInterface.read(bad)


def test_word_beats_set_the_input_layout_and_config1(tmp_path):
    """Narrow streams: the input packs T/NB time steps per stream beat, config1 carries
    NB, so a host that packs another NB than the bitstream takes is refused by register."""
    one, two = _iface(input_shape=(4, 3, 8, 8)), _iface(input_shape=(4, 3, 8, 8), word_beats=2)
    x = np.arange(4 * 3 * 8 * 8).reshape(4, 3, 8, 8) % 200
    # 96-bit words in two AXI beats; 48-bit stream beats, one per AXI beat: same count
    assert two.beats_per_sample == len(pack_input(x, 8, nb=2)) == one.beats_per_sample
    assert pack_input(x, 8, nb=2) != pack_input(x, 8)
    assert regmap.CONFIG1.unpack(two.registers["config1"])["word_beats"] == 2
    (msg,) = one.register_mismatches({"config1": two.registers["config1"]})
    assert "config1" in msg
    assert DeviceInterface.read(two.write(tmp_path / INTERFACE_FILE)) == two
    with pytest.raises(InterfaceError, match="field word_beats: 3 does not divide T = 4"):
        _iface(word_beats=3)
    old = {**one.to_dict(), "interface_version": 3}
    del old["word_beats"]
    with pytest.raises(InterfaceError, match="field interface_version: 3"):
        DeviceInterface.from_dict(old)


def test_register_mismatches_say_what_is_wrong():
    iface = _iface()
    assert iface.register_mismatches(iface.registers) == []
    (older,) = iface.register_mismatches({"id": 0x5D3F0001})
    assert "interface version 1" in older and "version 4" in older
    (other,) = iface.register_mismatches({"id": 0x12340001})
    assert "not an SDMFormer accelerator" in other
    (ir,) = iface.register_mismatches({"hash": 0})
    assert "another IR" in ir


def test_generated_project_carries_its_interface(tmp_path):
    from sdmf.hw.flow import generate

    ir = tiny_ir()
    report = generate(ir, tmp_path / "proj", counters=True)
    iface = DeviceInterface.read(tmp_path / "proj" / INTERFACE_FILE)
    assert iface.to_dict() == report["interface"] == json.loads(
        (tmp_path / "proj" / "report.json").read_text())["interface"]
    assert iface.ir_hash == ir.content_hash() and iface.input_shape == tuple(ir.input_shape)
    assert iface.beats_per_sample == len(pack_input(np.zeros(ir.input_shape, np.int64),
                                                    iface.in_bits))
    assert report["sources"][0] == "rtl/sdmf_regmap_pkg.sv"
    assert (tmp_path / "proj" / "filelist.f").read_text().split()[0] == "rtl/sdmf_regmap_pkg.sv"


# ---------------------------------------------------------------------- RTL


@pytest.mark.rtl
@pytest.mark.parametrize("counters", [0, 5])
def test_control_block_with_the_package_is_lint_clean(tmp_path, counters):
    """sdmf_axilite_ctrl + the generated package: Verilator -Wall and Yosys clean."""
    from sdmf.hw.backends.rtl.backend import SUPPORT_DIR
    from sdmf.hw.backends.rtl.regpkg import PACKAGE_FILE, package_text
    from sdmf.sim import runner

    pkg = tmp_path / PACKAGE_FILE
    pkg.write_text(package_text())
    ctrl = SUPPORT_DIR / "sdmf_axilite_ctrl.sv"
    params = {"NUM_COUNTERS": counters, "ADDR_BITS": regmap.axil_addr_bits(counters)}
    runner.verilator_lint([pkg, ctrl], "sdmf_axilite_ctrl", params)
    (tmp_path / ctrl.name).write_bytes(ctrl.read_bytes())
    sets = " ".join(f"-set {k} {v}" for k, v in params.items())
    out = runner._run_yosys(f"read_verilog -sv {pkg.name}; read_verilog -sv {ctrl.name}; "
                            f"chparam {sets} sdmf_axilite_ctrl; hierarchy -check -top "
                            "sdmf_axilite_ctrl; proc; opt; stat", tmp_path)
    assert [line for line in out.splitlines() if "arning" in line] == []
