"""PackFifos (``--pack-fifos``): FIFO words as sub-words for UltraRAM's 4K × 72 shape —
which SUB the pass picks, what the project records, and a network with packed FIFOs in
RTL (docs/generator.md, "Passes", PackFifos)."""

from __future__ import annotations

import json

import pytest
from tiny_models import counts, make_ir

from sdmf.hw.flow import build_graph
from sdmf.hw.passes import packfifos
from sdmf.hw.passes.packfifos import best_sub
from sdmf.hw.resources.memory import auto_style, uram

# two input lanes on a 3×3 and a 1×1 conv (as tests/hw/test_lanes.py)
LANE_KNOBS = {"sps.2": {"PO": 2, "PI": 2, "PK": 1}, "blocks.0.attn.q": {"PO": 2, "PI": 2}}


@pytest.fixture(scope="module")
def ir():
    return make_ir()


@pytest.mark.parametrize("depth, word, want", [
    (2048, 512, 2), (2048, 114, 2), (1024, 169, 3), (1024, 128, 2), (4096, 32, 1),
    (32, 256, 1), (100, 8, 1), (8192, 144, 1)])
def test_the_sub_with_fewest_uram_blocks(depth, word, want):
    """Block-RAM-sized buffers take the SUB with the fewest UltraRAM blocks; LUT-RAM-sized
    ones (32 × 256) stay unpacked."""
    sub = best_sub(depth, word)
    assert sub == want
    if auto_style(depth, word, "xcup") != "lutram":
        assert all(uram(depth * s, -(-word // s)) >= uram(depth * sub, -(-word // sub))
                   for s in range(1, 9))


def test_pass_records_and_shapes_the_buffers(ir, monkeypatch):
    monkeypatch.setattr(packfifos, "best_sub", lambda depth, word: min(3, word))
    g = build_graph(ir, interval=False, pack_fifos=True)
    fifos = [lay for lay in g.layers.values() if lay.kind == "fifo"]
    assert fifos and g.info["pack_fifos"]["enabled"]
    for lay in fifos:
        sub = lay.attrs.get("SUB", 1)
        assert g.info["pack_fifos"]["packed"].get(lay.name, 1) == sub
        (buf,) = lay.memories
        assert (buf.depth, buf.width) == (lay.attrs["DEPTH"] * sub,
                                          -(-lay.widths["WORD"] // sub))
    off = build_graph(ir, interval=False)
    assert off.info["pack_fifos"] == {"enabled": False, "packed": {}}
    assert all("SUB" not in lay.attrs for lay in off.layers.values())


@pytest.mark.rtl
def test_packed_fifo_network_is_exact(ir, tmp_path, monkeypatch):
    """Every FIFO packed (SUB = 3 where the word allows), with lane events and decoupling
    FIFOs: taps and logits bit-exact, busy cycles = model, every done = the recurrence."""
    from sdmf.sim.network import check, simulate

    monkeypatch.setattr(packfifos, "best_sub", lambda depth, word: min(3, word))
    rep = simulate(ir, counts(3, seed=6), work_dir=tmp_path, word_beats=2, event_driven=2,
                   params="loaded", decouple_rows=1, fork_tokens=2, pack_fifos=True,
                   overrides=LANE_KNOBS)
    project = json.loads((tmp_path / "project" / "project.json").read_text())
    assert project["plan"]["pack_fifos"] is True
    report = json.loads((tmp_path / "project" / "report.json").read_text())
    assert any(lay["attrs"].get("SUB", 1) > 1 for lay in report["layers"])
    check(rep)
    assert rep.bit_exact and rep.cycles_ok and rep.interval_checked
    assert rep.done_model == rep.done_measured
