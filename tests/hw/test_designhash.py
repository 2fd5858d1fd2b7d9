"""The design hash and ``sdmf hwgen --params-for`` (docs/params.md, "One bitstream for
several weight sets").

Oracles: the generated files themselves (two projects of one design must have equal RTL
but for the header comment), the hash register parameter in the top's text read back
with a regular expression, and IRs changed by hand (signs flipped, other weights, a
residual channel moved).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from tiny_ir import parts, tiny_ir

from sdmf.device import DeviceInterface
from sdmf.device.regmap import IR_HASH_DIGITS
from sdmf.hw.flow import generate
from sdmf.hw.paramsfor import DesignMismatchError, params_for
from sdmf.hw.project import Project, ProjectError
from sdmf.quant.ir import IntegerIR

WEIGHTS = ("sps.0.conv.weight", "blocks.0.attn.q.conv.weight", "blocks.0.attn.k.conv.weight",
           "blocks.0.attn.v.conv.weight", "blocks.0.attn.proj.conv.weight", "head.weight")


def flipped(seed: int = 0) -> IntegerIR:
    """The tiny IR with every weight's sign flipped at random: same masks, same
    magnitudes (with seed 0 the proj conv's accumulator needs one bit more)."""
    p = parts()
    g = np.random.default_rng(seed)
    for key in WEIGHTS:
        p["params"][key] = p["params"][key] * g.choice([-1, 1], p["params"][key].shape)
    return IntegerIR(**p)


def moved_channel() -> IntegerIR:
    """The tiny IR with the residual branch added into stream channels 0, 1, 3 instead of
    0, 2, 3: another mask, same parameter values."""
    p = parts()
    p["params"]["blocks.0.attn.add.channels"] = np.array([0, 1, 3])
    return IntegerIR(**p)


def _gen(ir: IntegerIR, out, **kw) -> tuple[DeviceInterface, str]:
    generate(ir, out, **kw)
    return DeviceInterface.read(out / "interface.json"), (out / "rtl/sdmf_top.sv").read_text()


def _register(top: str) -> int:
    (value,) = re.findall(r"\.IR_HASH\(32'h([0-9a-f]+)\)", top)
    return int(value, 16)


def _rtl(out) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((out / "rtl").iterdir())}


def test_one_design_for_other_weights_with_architecture_widths(tmp_path):
    a, top_a = _gen(tiny_ir(), tmp_path / "a", params="loaded", widths="architecture")
    for i, ir in enumerate((flipped(), tiny_ir(seed=3))):
        b, top_b = _gen(ir, tmp_path / f"b{i}", params="loaded", widths="architecture")
        assert b.ir_hash != a.ir_hash and b.design_hash == a.design_hash
        assert b.params.crc32 != a.params.crc32
        assert b.params.memories == a.params.memories
        # the RTL differs only in the header comment that names the IR
        diff = [(x, y) for x, y in zip(top_a.splitlines(), top_b.splitlines()) if x != y]
        assert len(diff) == 1 and a.ir_hash[:16] in diff[0][0] and b.ir_hash[:16] in diff[0][1]
        assert {k: v for k, v in _rtl(tmp_path / "a").items() if k != "sdmf_top.sv"} == \
            {k: v for k, v in _rtl(tmp_path / f"b{i}").items() if k != "sdmf_top.sv"}
    # a loaded design's hash register holds the design hash, read back from the text
    assert _register(top_a) == int(a.design_hash[:IR_HASH_DIGITS], 16) == a.registers["hash"]
    manifest = Project.load(tmp_path / "a")
    assert manifest.design_hash == a.design_hash and manifest.options.widths == "architecture"


def test_weight_derived_widths_make_flipped_signs_another_design(tmp_path):
    a, top_a = _gen(tiny_ir(), tmp_path / "a", params="loaded")
    b, top_b = _gen(flipped(), tmp_path / "b", params="loaded")
    assert a.design_hash != b.design_hash
    acc = re.compile(r"ACC_BITS\((\d+)\)")
    assert acc.findall(top_a) != acc.findall(top_b)        # the measured case of the docs
    same, _ = _gen(flipped(seed=7), tmp_path / "c", params="loaded")
    assert same.design_hash == a.design_hash != same.ir_hash    # these flips keep the widths


def test_other_masks_are_another_design(tmp_path):
    a, _ = _gen(tiny_ir(), tmp_path / "a", params="loaded", widths="architecture")
    b, top_b = _gen(moved_channel(), tmp_path / "b", params="loaded", widths="architecture")
    assert a.design_hash != b.design_hash and a.registers["hash"] != b.registers["hash"]
    assert _register(top_b) == b.registers["hash"]


def test_rom_designs_keep_the_ir_hash_in_the_register(tmp_path):
    a, top = _gen(tiny_ir(), tmp_path / "a")
    assert a.params is None and a.design_hash is not None
    assert _register(top) == int(a.ir_hash[:IR_HASH_DIGITS], 16) == a.registers["hash"]
    # ROM contents are not part of the design hash, the memory layout and clock are
    b, _ = _gen(flipped(seed=7), tmp_path / "b")
    c, _ = _gen(tiny_ir(), tmp_path / "c", clock_mhz=100)
    assert b.design_hash == a.design_hash != c.design_hash


# ---------------------------------------------------------------------- --params-for


@pytest.fixture(scope="module")
def arch_project(tmp_path_factory):
    out = tmp_path_factory.mktemp("arch") / "a"
    generate(tiny_ir(), out, params="loaded", widths="architecture", counters=True,
             overrides={"sps.0": {"PO": 2, "PI": 1, "PK": 1}})
    return out


def test_params_for_writes_the_interface_and_image_of_another_ir(arch_project, tmp_path):
    ir = flipped()
    res = params_for(arch_project, ir, tmp_path / "b")
    a = DeviceInterface.read(arch_project / "interface.json")
    b = DeviceInterface.read(tmp_path / "b" / "interface.json")
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == \
        ["interface.json", "model.sdmfir", "params.bin"]
    assert b.ir_hash == ir.content_hash() == res["ir_hash"] != a.ir_hash
    assert b.design_hash == a.design_hash == res["design_hash"]
    assert b.registers == a.registers and b.counter_layers == a.counter_layers
    assert IntegerIR.load(tmp_path / "b" / "model.sdmfir").content_hash() == b.ir_hash
    # the image is the one a project of B (with A's knobs) has
    generate(ir, tmp_path / "full", params="loaded", widths="architecture", counters=True,
             overrides={"sps.0": {"PO": 2, "PI": 1, "PK": 1}})
    full = DeviceInterface.read(tmp_path / "full" / "interface.json")
    assert np.array_equal(b.params.read_image(tmp_path / "b"),
                          full.params.read_image(tmp_path / "full"))


def test_params_for_refuses_another_design_naming_the_parameter(arch_project, tmp_path):
    with pytest.raises(DesignMismatchError, match=r"b\.sdmfir: design [0-9a-f]{12}… is not "
                       r"the design .*differs in layer blocks\.0\.attn\.add: CHANNELS"):
        params_for(arch_project, moved_channel(), tmp_path / "b", source="b.sdmfir")
    assert not (tmp_path / "b").exists()
    rom = tmp_path / "rom"
    generate(tiny_ir(), rom)
    with pytest.raises(ProjectError, match=r"project\.json: field options\.params is 'rom'"):
        params_for(rom, flipped(), tmp_path / "b")


def test_params_for_with_weight_widths_names_the_width(tmp_path):
    generate(tiny_ir(), tmp_path / "a", params="loaded")
    with pytest.raises(DesignMismatchError, match=r"layer blocks\.0\.attn\.proj: widths "
                       r"ACC_BITS: 4 in the project, 5 for the IR"):
        params_for(tmp_path / "a", flipped(), tmp_path / "b")


def test_cli_params_for(arch_project, tmp_path, capsys):
    from sdmf.cli.main import main

    b = flipped().save(tmp_path / "b.sdmfir")
    m = moved_channel().save(tmp_path / "m.sdmfir")
    assert main(["hwgen", "--ir", str(b), "--params-for", str(arch_project),
                 "--out", str(tmp_path / "p"), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["ir_hash"] == IntegerIR.load(b).content_hash()
    assert (tmp_path / "p" / "params.bin").is_file()
    capsys.readouterr()
    assert main(["hwgen", "--ir", str(m), "--params-for", str(arch_project),
                 "--out", str(tmp_path / "q")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert f"{m}: design" in err and "layer blocks.0.attn.add" in err
    assert not (tmp_path / "q").exists()
    assert main(["hwgen", "--ir", str(b), "--params-for", str(arch_project), "--trace",
                 "--budget", "4", "--out", str(tmp_path / "r")]) == 2
    assert "drop --trace, --budget" in capsys.readouterr().err
