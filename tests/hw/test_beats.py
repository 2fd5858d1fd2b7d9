"""Narrow streams at the graph level (SetBeats): beats per position on every stream,
FIFO depths in beats, the generator's checks (docs/hardware.md, "Narrow streams")."""

from __future__ import annotations

import pytest
from tiny_models import make_ir

from sdmf.hw.backends import get_backend
from sdmf.hw.flow import build_graph
from sdmf.hw.graph import GraphError, HwGraph, from_ir
from sdmf.hw.passes import SetBeats, default_passes, run_passes


@pytest.fixture(scope="module")
def ir():
    return make_ir()


def passes_only(ir, word_beats: int = 1) -> HwGraph:
    """The graph after the generator's passes (no backend plan)."""
    return run_passes(from_ir(ir, get_backend("rtl").kinds),
                      default_passes(word_beats=word_beats))


def test_one_beat_per_position_is_the_wide_format(ir):
    g = build_graph(ir, interval=False)
    assert g.info["word_beats"] == 1
    for s in g.streams:
        assert s.nb == 1 and s.word_bits == s.position_bits and s.beats == s.positions


def test_every_positional_stream_carries_nb_beats_of_t_over_nb_time_steps(ir):
    wide, narrow = passes_only(ir), passes_only(ir, 2)
    assert narrow.info["word_beats"] == 2
    by_name = {s.name: s for s in wide.streams}
    logits = [s for s in narrow.streams if s.dst == "output"]
    assert len(logits) == 1 and logits[0].nb == 1          # the head's words stay whole
    for s in narrow.streams:
        if s.dst == "output":
            continue
        w = by_name[s.name]
        assert s.nb == 2 and s.beats == 2 * w.positions
        assert s.word_bits * 2 == s.position_bits == w.word_bits
    for lay in narrow.layers.values():
        if "T" in lay.attrs:
            assert lay.attrs["NB"] == 2


def test_fifo_depths_scale_to_beats_and_residual_adds_count_beats(ir):
    wide, narrow = passes_only(ir), passes_only(ir, 2)
    depth = {lay.name: lay.attrs["DEPTH"] for lay in wide.of_kind("fifo")}
    assert depth and {lay.name: lay.attrs["DEPTH"] for lay in narrow.of_kind("fifo")} == \
        {k: 2 * v for k, v in depth.items()}
    for lay in narrow.of_kind("residual_add"):
        assert lay.cycles == 2 * wide.layers[lay.name].cycles == 2 * lay.attrs["positions"]


def test_beats_must_divide_t(ir):
    with pytest.raises(GraphError, match="3 beats per position do not divide"):
        passes_only(ir, 3)
    with pytest.raises(ValueError, match=">= 1"):
        SetBeats(0)


def test_hls_backend_refuses_beats(ir):
    with pytest.raises(ValueError, match="hls backend streams whole position words"):
        build_graph(ir, backend="hls", word_beats=2, interval=False)


def test_rtl_backend_names_the_units_without_narrow_streams(ir, monkeypatch):
    from sdmf.hw.backends.rtl.kinds import RTL_KINDS

    monkeypatch.setattr(type(RTL_KINDS["maxpool"]), "narrow", False)
    with pytest.raises(ValueError, match=r"--word-beats 2: the RTL units of .*maxpool"):
        build_graph(ir, word_beats=2)
    build_graph(ir, word_beats=1)                  # the wide format needs nothing


@pytest.mark.rtl
def test_narrow_network_is_bit_cycle_and_interval_exact(ir, tmp_path):
    """T = 2 time steps as two beats per position on every stream: every tap and the
    logits bit-exact, every layer's busy cycles = model, and the overlapped pass's done
    cycles (so the interval) = the token recurrence over beats."""
    from tiny_models import counts

    from sdmf.sim.network import check, simulate

    rep = simulate(ir, counts(3, seed=7), work_dir=tmp_path, word_beats=2)
    check(rep)
    assert rep.bit_exact and rep.cycles_ok and rep.interval_checked
    assert rep.pipelined_interval == rep.design_interval
    assert rep.done_model == rep.done_measured and len(rep.done_model) == 3
    adds = [lay for lay in rep.layers if lay.kind == "residual_add"]
    assert adds and all(lay.analytic == 2 * 4 for lay in adds)      # 4 tokens × 2 beats


@pytest.mark.rtl
def test_narrow_event_driven_network_is_exact_per_sample(ir, tmp_path):
    """Narrow streams with every conv event-driven, and both kinds of decoupling FIFO
    (tests/hw/test_decouple.py): busy cycles per sample and every done cycle equal to
    the model on the samples' golden tensors."""
    from tiny_models import counts

    from sdmf.sim.network import check, simulate

    rep = simulate(ir, counts(3, seed=8), work_dir=tmp_path, word_beats=2, event_driven=True,
                   decouple_rows=1, fork_tokens=2)
    import json

    layers = {lay["name"] for lay in
              json.loads((tmp_path / "project" / "report.json").read_text())["layers"]}
    assert {"sps.1.s_fifo", "blocks.0.attn.q.s_fifo"} <= layers      # the FIFOs were built
    check(rep)
    assert rep.bit_exact and rep.cycles_ok and rep.interval_checked and rep.data_dependent
    assert rep.done_model == rep.done_measured and rep.pipelined_interval == rep.model_interval
