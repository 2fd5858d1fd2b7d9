"""The IR gate (issue 10, groups 2, 4, 5): every invariant the golden model or a backend
relies on is refused at construction and at load, with the field named.

Each case corrupts one thing of a valid hand-built IR (tests/tiny_ir.py) and is checked
twice: built through the API (``IntegerIR(...)``) and read from a file written without
validation.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from tiny_ir import member_data_span, op_index, parts, save_unchecked, tiny_ir

from sdmf.device.stream import beats_per_sample, pack_input, positions_per_beat
from sdmf.hw.backends.rtl.topgen import config_words
from sdmf.hw.flow import build_graph
from sdmf.quant.golden import GoldenModel
from sdmf.quant.ir import IntegerIR, IRError
from sdmf.quant.opdefs import Op

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "models" / "digits-dvs" / "sdmformer-1-128-int8.sdmfir"
A = "blocks.0.attn"
INDEX = {op.name: i for i, op in enumerate(parts()["ops"])}


def at(op: str, rest: str = "") -> str:
    """The field ``ops[i]<rest>`` of op ``op`` (``A.``-relative names allowed)."""
    return f"ops[{INDEX.get(op, INDEX.get(f'{A}.{op}'))}]{rest}"


# ---------------------------------------------------------------------- one corruption each

def _set_shape(i: int, v: Any) -> Callable[[dict], None]:
    def edit(p: dict) -> None:
        shape = list(p["input_shape"])
        shape[i] = v
        p["input_shape"] = tuple(shape)
    return edit


def _attr(op: str, key: str, v: Any) -> Callable[[dict], None]:
    def edit(p: dict) -> None:
        i = op_index(p, op)
        old = p["ops"][i]
        p["ops"][i] = Op(old.name, old.type, old.inputs, {**old.attrs, key: v})
    return edit


def _param(key: str, fn: Callable[[np.ndarray], Any]) -> Callable[[dict], None]:
    def edit(p: dict) -> None:
        p["params"][key] = fn(np.asarray(p["params"][key]))
    return edit


def _meta_bits(bits: Any) -> Callable[[dict], None]:
    def edit(p: dict) -> None:
        p["meta"]["quant_spec"]["weight_bits"] = bits
    return edit


def _rename(op: str, new: str) -> Callable[[dict], None]:
    def edit(p: dict) -> None:
        i = op_index(p, op)
        old = p["ops"][i]
        p["ops"][i] = Op(new, old.type, old.inputs, old.attrs)
    return edit


def _extra_param(p: dict) -> None:
    p["params"]["head.extra"] = np.zeros(3, np.int64)


def _empty_qk(p: dict) -> None:
    """q and k pruned away completely while v keeps its channels."""
    for n in ("q", "k"):
        p["params"][f"{A}.{n}.conv.weight"] = np.zeros((0, 4), np.int64)
        p["params"][f"{A}.{n}.lif.bias"] = np.zeros((0,), np.int64)
        p["params"][f"{A}.{n}.lif.theta"] = np.zeros((0,), np.int64)
    p["params"][f"{A}.attention.head_qk"] = np.zeros((0,), np.int64)


def _narrow_k(p: dict) -> None:
    """k with 3 channels, q with 4: q·kᵀ is undefined."""
    p["params"][f"{A}.k.conv.weight"] = p["params"][f"{A}.k.conv.weight"][:3]
    p["params"][f"{A}.k.lif.bias"] = p["params"][f"{A}.k.lif.bias"][:3]
    p["params"][f"{A}.k.lif.theta"] = p["params"][f"{A}.k.lif.theta"][:3]


CASES: dict[str, tuple[Callable[[dict], None], str]] = {
    # group 5: API-built IRs with T = 0 or input bits = 0 divided by zero in the input packing
    "T=0": (_set_shape(0, 0), "input_shape[0]"),
    "T=256 (8-bit register field)": (_set_shape(0, 256), "input_shape[0]"),
    "T not an integer": (_set_shape(0, 2.0), "input_shape[0]"),
    "C=0": (_set_shape(1, 0), "input_shape[1]"),
    "W beyond 16 bits": (_set_shape(3, 70000), "input_shape[3]"),
    "input bits 0": (_attr("input", "bits", 0), at("input", ".attrs.bits")),
    # group 4: input bits = 20 passed hwgen and failed in simulation
    "input bits 20": (_attr("input", "bits", 20), at("input", ".attrs.bits")),
    "frac bits 17": (_attr("sps.0.lif", "frac_bits", 17), at("sps.0.lif", ".attrs.frac_bits")),
    "head shift negative": (_attr("head", "shift", -1), at("head", ".attrs.shift")),
    "bits is a bool": (_attr("input", "bits", True), at("input", ".attrs.bits")),
    # group 4: conv2d kernels other than 3×3
    "conv2d 5x5": (_param("sps.0.conv.weight", lambda a: np.ones((4, 2, 5, 5), np.int64)),
                   at("sps.0.conv", ".params.weight")),
    "conv2d 1x1": (_param("sps.0.conv.weight", lambda a: a[:, :, 1:2, 1:2].copy()),
                   at("sps.0.conv", ".params.weight")),
    "conv1d 3-D weight": (_param(f"{A}.v.conv.weight", lambda a: a[:, :, None]),
                          at("v.conv", ".params.weight")),
    "conv1d wrong fan-in": (_param(f"{A}.v.conv.weight", lambda a: a[:, :3]),
                            at("v.conv", ".params.weight")),
    # group 4: a conv2d LIF bias of shape [C, H]
    "conv2d lif bias [C, H]": (_param("sps.0.lif.bias", lambda a: np.zeros((4, 4), np.int64)),
                               at("sps.0.lif", ".params.bias")),
    "conv1d lif bias [C, N+1]": (_param(f"{A}.q.lif.bias", lambda a: np.zeros((4, 5), np.int64)),
                                 at("q.lif", ".params.bias")),
    "theta 0": (_param("sps.0.lif.theta", lambda a: a * 0), at("sps.0.lif", ".params.theta")),
    "theta [C, 1]": (_param("sps.0.lif.theta", lambda a: a[:, None]),
                     at("sps.0.lif", ".params.theta")),
    "float parameter": (_param("sps.0.lif.theta", lambda a: a.astype(np.float64)),
                        "params.sps.0.lif.theta"),
    "parameter of no op": (_extra_param, "params.head.extra"),
    "weights beyond the declared bits": (_meta_bits(3), at("sps.0.conv", ".params.weight")),
    "weight bits 17": (_meta_bits(17), "meta.quant_spec.weight_bits"),
    "head_qk length": (_param(f"{A}.attention.head_qk", lambda a: a[:3]),
                       at("attention", ".params.head_qk")),
    "head tags decreasing": (_param(f"{A}.attention.head_v", lambda a: a[::-1].copy()),
                             at("attention", ".params.head_v")),
    "head tag 256": (_param(f"{A}.attention.head_qk", lambda a: a + 255),
                     at("attention", ".params.head_qk")),
    "v heads without q·k": (_empty_qk, at("attention", ".params.head_qk")),
    "q and k differ": (_narrow_k, at("attention", ".inputs")),
    "attention lif bias": (_param(f"{A}.attn_lif.bias", lambda a: a + 1),
                           at("attn_lif", ".params.bias")),
    "attention lif theta": (_param(f"{A}.attn_lif.theta", lambda a: a - 1),
                            at("attn_lif", ".params.theta")),
    # group 2: a repeated residual channel (golden kept the last write, the RTL added all)
    "residual channels repeat": (_param(f"{A}.add.channels", lambda a: np.array([0, 2, 2])),
                                 at("add", ".params.channels")),
    "residual channels unsorted": (_param(f"{A}.add.channels", lambda a: np.array([2, 0, 3])),
                                   at("add", ".params.channels")),
    "residual channel out of range": (_param(f"{A}.add.channels",
                                             lambda a: np.array([0, 2, 4])),
                                      at("add", ".params.channels")),
    "residual channel count": (_param(f"{A}.add.channels", lambda a: a[:2]),
                               at("add", ".params.channels")),
    "no classes": (lambda p: p["params"].update({"head.weight": np.zeros((0, 4), np.int64),
                                                 "head.bias": np.zeros(0, np.int64)}),
                   at("head", ".params.weight")),
    "256 classes": (lambda p: p["params"].update({"head.weight": np.ones((256, 4), np.int64),
                                                  "head.bias": np.zeros(256, np.int64)}),
                    at("head", ".params.weight")),
    "head bias shape": (_param("head.bias", lambda a: a[:2]), at("head", ".params.bias")),
    "logits beyond 2^52": (_attr("head", "shift", 50), "tensors.head"),
    "op name twice": (_rename("sps.0.pool", "sps.0.lif"), at("sps.0.pool", ".name")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_gate_refuses_api_built_ir_naming_the_field(case):
    edit, field = CASES[case]
    p = parts()
    edit(p)
    with pytest.raises(IRError, match=re.escape(f"'{field}'")):
        IntegerIR(**p)


@pytest.mark.parametrize("case", list(CASES))
def test_gate_refuses_ir_file_naming_file_and_field(case, tmp_path):
    edit, field = CASES[case]
    p = parts()
    edit(p)
    path = save_unchecked(p, tmp_path / "bad.sdmfir")
    with pytest.raises(IRError, match=re.escape(f"{path}: field '{field}'")):
        IntegerIR.load(path)


def test_the_unchanged_tiny_ir_is_valid_both_ways(tmp_path):
    ir = tiny_ir()
    loaded = IntegerIR.load(ir.save(tmp_path / "ok.sdmfir"))
    assert loaded.content_hash() == ir.content_hash()
    # the unchecked writer's file passes the gate and lacks only the declared tensor specs
    with pytest.raises(IRError, match=re.escape("field 'tensors.")):
        IntegerIR.load(save_unchecked(parts(), tmp_path / "unchecked.sdmfir"))


def _empty(p: dict, prefix: str, cin: int) -> None:
    """Conv ``prefix`` keeps no output channel (COUT = 0)."""
    p["params"][f"{prefix}.conv.weight"] = np.zeros((0, cin), np.int64)
    p["params"][f"{prefix}.lif.bias"] = np.zeros(0, np.int64)
    p["params"][f"{prefix}.lif.theta"] = np.zeros(0, np.int64)


def test_pruning_corners_stay_legal():
    """COUT = 0 and CIN = 0 convolutions, no v channel, an empty residual add: all valid."""
    p = parts()
    _empty(p, f"{A}.v", 4)                                         # v: COUT = 0, so CV = 0
    p["params"][f"{A}.attention.head_v"] = np.zeros(0, np.int64)
    p["params"][f"{A}.attn_lif.bias"] = np.zeros(0, np.int64)
    p["params"][f"{A}.attn_lif.theta"] = np.zeros(0, np.int64)
    p["params"][f"{A}.proj.conv.weight"] = np.zeros((3, 0), np.int64)   # proj: CIN = 0
    q = parts()
    _empty(q, f"{A}.proj", 3)                                      # proj: COUT = 0 ...
    q["params"][f"{A}.add.channels"] = np.zeros(0, np.int64)       # ... so the add is empty
    for ir in (IntegerIR(**p), IntegerIR(**q)):
        x = torch.randint(0, 6, (2, *ir.input_shape))
        assert GoldenModel(ir).run(x).logits.shape == (2, 3)
        assert build_graph(ir).info["empty_layers"]


def test_dataflow_rules_name_the_op():
    """Non-spikes into a maxpool; a conv that feeds no lif; an op whose output is unused."""
    head = {"head.weight": np.ones((3, 2), np.int64), "head.bias": np.zeros(3, np.int64)}
    base = [Op("input", "input", attrs={"bits": 4})]
    tail = [Op("flat", "flatten", ("pool",)), Op("head", "head", ("flat",), {"shift": 0})]
    with pytest.raises(IRError, match=re.escape("'ops[1].inputs'") + ".*spikes"):
        IntegerIR(ops=[*base, Op("pool", "maxpool", ("input",)), *tail], params=dict(head),
                  input_shape=(2, 2, 4, 4))
    conv = {"conv.weight": np.ones((2, 2, 3, 3), np.int64)}
    with pytest.raises(IRError, match=re.escape("'ops[1]'") + ".*exactly one lif"):
        IntegerIR(ops=[*base, Op("conv", "conv2d", ("input",)), Op("pool", "maxpool", ("conv",)),
                       *tail], params={**head, **conv}, input_shape=(2, 2, 4, 4))
    with pytest.raises(IRError, match=re.escape("'ops[1]'") + ".*never used"):
        IntegerIR(ops=[*base, Op("dead", "flatten", ("input",)), Op("flat", "flatten", ("input",)),
                       Op("head", "head", ("flat",), {"shift": 0})],
                  params=dict(head), input_shape=(2, 2, 4, 4))


# ---------------------------------------------------------------------- damaged archives

@pytest.mark.parametrize("member", ["ir.json", "params/head.weight.npy"])
def test_flipped_byte_inside_a_member_names_the_file(tmp_path, member):
    path = tiny_ir().save(tmp_path / "good.sdmfir")
    lo, hi = member_data_span(path, member)
    raw = bytearray(path.read_bytes())
    raw[(lo + hi) // 2] ^= 0xFF
    bad = tmp_path / "flipped.sdmfir"
    bad.write_bytes(bytes(raw))
    with pytest.raises(IRError, match=re.escape(f"{bad}: ")):
        IntegerIR.load(bad)


def test_any_flipped_byte_is_refused_or_harmless(tmp_path):
    """Flip bytes all over the archive: each load raises IRError or yields the same IR."""
    ir = tiny_ir()
    path = ir.save(tmp_path / "good.sdmfir")
    raw = path.read_bytes()
    bad = tmp_path / "bad.sdmfir"
    for pos in range(0, len(raw), max(1, len(raw) // 300)):
        damaged = bytearray(raw)
        damaged[pos] ^= 0x5A
        bad.write_bytes(bytes(damaged))
        try:
            loaded = IntegerIR.load(bad)
        except IRError as exc:
            assert str(bad) in str(exc) and "\n" not in str(exc)
        else:
            assert loaded.content_hash() == ir.content_hash(), pos


def test_header_that_is_no_object_and_malformed_entries(tmp_path):
    path = tmp_path / "list.sdmfir"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("ir.json", "[1, 2]")
    with pytest.raises(IRError, match=re.escape(f"{path}: ")):
        IntegerIR.load(path)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("ir.json", json.dumps({"params": {"x": [1]}}))
    with pytest.raises(IRError, match=re.escape("'params.x'")):
        IntegerIR.load(path)


# ---------------------------------------------------------------------- what the gate enables

def test_golden_and_generator_accept_what_the_gate_accepts():
    ir = tiny_ir()
    x = torch.randint(0, 6, (3, *ir.input_shape))
    result = GoldenModel(ir).run(x, taps=True)
    assert result.logits.shape == (3, 3)
    assert build_graph(ir).info["classes"] == 3


def _register_fields() -> dict[str, tuple[int, int]]:
    """``name -> (msb, lsb)`` of register 0x20 as docs/hardware.md's register table gives it."""
    text = (ROOT / "docs" / "hardware.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| 0x20 |"))
    return {m[0].strip(): (int(m[1]), int(m[2]))
            for m in re.findall(r"([A-Za-z_][\w ]*?) \[(\d+):(\d+)\]", row.split(":", 1)[1])}


def test_config_register_reads_back_16_bit_widths():
    """in_bits = weight bits = 16 used to read back as 0 from 4-bit fields."""
    p = parts()
    p["ops"][0] = Op("input", "input", attrs={"bits": 16})
    p["meta"]["quant_spec"].update(weight_bits=16, in_bits=16)
    p["params"]["sps.0.conv.weight"][0, 0, 0, 0] = -(1 << 15)
    graph = build_graph(IntegerIR(**p))
    c0, c1 = config_words(graph)
    fields = _register_fields()
    assert set(fields) == {"T", "classes", "in_bits", "weight bits"}

    def read(name: str) -> int:
        msb, lsb = fields[name]
        return (c0 >> lsb) & ((1 << (msb - lsb + 1)) - 1)

    assert (read("T"), read("classes"), read("in_bits"), read("weight bits")) == (2, 3, 16, 16)
    assert c1 == 4 | (4 << 12) | (1 << 24)            # H, W, one beat per position word


def test_weight_bits_without_a_declared_spec_come_from_the_weights():
    p = parts()
    p["meta"] = {}
    p["params"]["head.weight"][0, 0] = 1000              # 11-bit two's complement
    assert build_graph(IntegerIR(**p)).info["weight_bits"] == 11


def test_layout_refuses_zero_time_steps_or_bits_instead_of_dividing_by_zero():
    with pytest.raises(ValueError, match="T and C"):
        beats_per_sample((0, 2, 4, 4), 8)
    with pytest.raises(ValueError, match="in_bits"):
        positions_per_beat(2, 2, 0)
    with pytest.raises(ValueError, match="in_bits"):
        pack_input(np.zeros((2, 2, 4, 4), np.int64), 20)


def test_shipped_ir_still_loads_with_its_hash():
    with zipfile.ZipFile(SHIPPED) as z:
        stored = json.loads(z.read("ir.json"))["hash"]
    assert IntegerIR.load(SHIPPED).content_hash() == stored
