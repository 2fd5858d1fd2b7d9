"""CPU-only: the interface a generated project declares equals docs/hardware.md.

The ID, the configuration words and the counter addresses in a project's report.json
(what the testbenches expect and a host will use) are checked against the register
table parsed from the documentation (tests/regmap_doc.py), with the configuration
fields filled from the IR — not against the generator's own constants.
"""

from __future__ import annotations

import json

import regmap_doc
from tiny_ir import tiny_ir

from sdmf.hw.flow import generate


def test_generated_interface_matches_the_register_table(tmp_path):
    ir = tiny_ir()
    report = generate(ir, tmp_path / "proj", counters=True)
    iface = json.loads((tmp_path / "proj" / "report.json").read_text())["interface"]
    assert iface == report["interface"]
    regs = regmap_doc.parse()
    T, _, H, W = ir.input_shape
    values = {"t": T, "classes": ir.params["head.weight"].shape[0],
              "in_bits": ir.ops[0].attrs["bits"],
              "weight_bits": ir.meta["quant_spec"]["weight_bits"], "h": H, "w": W,
              "word_beats": 1}
    (_, f0), (_, f1) = regs.config
    assert iface["registers"] == {
        "id": regs.id_value, "hash": int(ir.content_hash()[:regs.hash_digits], 16),
        "config0": regmap_doc.config_value(f0, values),
        "config1": regmap_doc.config_value(f1, values)}
    layers = list(iface["counters"])
    assert layers and iface["counters"] == {
        name: regs.counter_base + regs.counter_stride * i for i, name in enumerate(layers)}
