"""The control interface of the generated ``sdmf_ip`` against docs/hardware.md.

The bench (tests/ip_bench.py) simulates the Verilog wrapper that Vivado instantiates,
not ``sdmf_top``, of a tiny network, driving AXI4-Lite and both AXI4-Streams from
cocotb (sim/tests/tb_control.py). Offsets, bits, fields and the ID come from parsing
the register table of docs/hardware.md (tests/regmap_doc.py); the configuration words
are assembled from the IR at the documented positions; outputs come from the golden
model. Each test is one cocotb test in a fresh simulator run.
"""

from __future__ import annotations

import pytest
import regmap_doc


def test_the_register_table_parses_into_every_role():
    regs = regmap_doc.parse()
    assert set(regs.control_bits) == {"ap_start", "ap_done", "ap_idle", "ap_ready",
                                      "auto_restart"}
    assert set(regs.ier_bits) == {"done", "ready"}
    names = {name for _, fields in regs.config for name in fields}
    assert names == {"t", "classes", "in_bits", "weight_bits", "h", "w", "word_beats"}
    offsets = sorted(regs.offsets.values())
    assert len(set(offsets)) == len(offsets) and all(o % 4 == 0 for o in offsets)
    assert regs.counter_base > max(offsets)


def test_configuration_fields_follow_the_text_of_the_table():
    """The test reads field positions from the doc, so a changed layout changes the
    expected word (here the wider in_bits / weight-bits layout)."""
    text = regmap_doc.DOC.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| 0x20 |"))
    wide = text.replace(row, "| 0x20 | configuration: `T` [7:0], classes [15:8], in_bits "
                             "[20:16], weight bits [28:24] |")
    (off, fields), _ = regmap_doc.parse(wide).config
    assert off == 0x20
    assert fields == {"t": (7, 0), "classes": (15, 8), "in_bits": (20, 16),
                      "weight_bits": (28, 24)}
    values = {"t": 4, "classes": 10, "in_bits": 16, "weight_bits": 8}
    assert regmap_doc.config_value(fields, values) == 4 | 10 << 8 | 16 << 16 | 8 << 24
    with pytest.raises(ValueError, match="in_bits = 32 does not fit"):
        regmap_doc.config_value(fields, {**values, "in_bits": 32})
    with pytest.raises(ValueError, match="not known to the control tests"):
        regmap_doc.parse(text.replace("| 0x28 | status:", "| 0x28 | mystery:"))


@pytest.mark.rtl
def test_id_hash_configuration_and_reset_state(ip_bench, tmp_path):
    """ID, IR hash (first 8 hex digits of content_hash), configuration words, the
    counter count, control/GIE/IER/ISR/status after reset; ID, hash, count read-only."""
    ip_bench.run("registers_after_reset", tmp_path)


@pytest.mark.rtl
def test_start_done_clear_on_read_latency_interval(ip_bench, tmp_path):
    """Input closed before ap_start; ap_start clears at the start; done interrupt; ISR
    only the enabled bit and toggle on write; ap_done/ap_ready clear on read; output
    logits and class = golden, TLAST only on the class beat, tkeep all ones; latency
    within the cycles measured by the testbench; interval = cycles since reset after the
    first done, then the difference of the two done times; max-pool busy counters = H·W
    per inference."""
    seen = ip_bench.run("start_done_and_clear_on_read", tmp_path)
    lo, hi = seen["latency_bounds"]
    assert lo <= seen["latency"] <= hi


@pytest.mark.rtl
def test_interrupt_is_gated_by_gie_and_ier(ip_bench, tmp_path):
    """ISR bits set with GIE = 0 but no interrupt; ap_ready (ISR bit 1) at input
    complete, before done; interrupt = GIE ∧ (ISR ∧ IER), ISR toggle on write."""
    ip_bench.run("interrupt_gating", tmp_path)


@pytest.mark.rtl
def test_auto_restart_streams_samples_until_cleared(ip_bench, tmp_path):
    seen = ip_bench.run("auto_restart", tmp_path)
    B = ip_bench.beats
    assert seen["taken"] // B >= 3                             # several without a rewrite
    assert seen["taken"] < seen["offered"] * B                 # and then it stopped


@pytest.mark.rtl
def test_tlast_error_is_flagged_and_sticky_until_reset(ip_bench, tmp_path):
    """Early and missing TLAST each set status bit 0 (the data still count); sticky
    across a correct sample; cleared by reset."""
    ip_bench.run("tlast_errors", tmp_path)


@pytest.mark.rtl
def test_at_most_eight_inferences_in_flight(ip_bench, tmp_path):
    """Output stalled: 8 inputs taken, the 9th ap_start pends (input closed); released,
    the 9 results come out in order, bit-exact; interval and latency registers agree
    with the done times."""
    seen = ip_bench.run("inflight_limit", tmp_path)
    done = seen["done"]
    assert len(done) == 9 and done == sorted(done)


@pytest.mark.rtl
def test_isr_event_in_the_cycle_of_an_isr_write_is_kept(ip_bench, tmp_path):
    """ap_ready arriving 0–3 cycles into a host's ISR acknowledge write (one offset
    coincides with the write) still sets ISR bit 1 (it was lost before the fix)."""
    ip_bench.run("isr_event_during_isr_write", tmp_path)
