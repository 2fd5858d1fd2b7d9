"""Lane events (``--event-driven lanes``, ``EV = 2``) at the graph level: where the planner
sets them, what they need, how their weight banks are costed, and a whole network in RTL
(docs/event-driven.md, "Lane events")."""

from __future__ import annotations

import json

import pytest
from tiny_models import counts, make_ir

from sdmf.hw.flow import build_graph
from sdmf.hw.resources.memory import memory_cost
from sdmf.hw.resources.model import memories_cost
from sdmf.hw.resources.units import MemDesc


@pytest.fixture(scope="module")
def ir():
    return make_ir()


def test_lanes_go_where_the_kind_allows_them_and_chunks_elsewhere(ir):
    g = build_graph(ir, event_driven=2, params="loaded", interval=False,
                    overrides={"sps.1": {"PO": 2, "PI": 2, "PK": 3},
                               "sps.2": {"PO": 2, "PI": 2, "PK": 1},
                               "blocks.0.attn.q": {"PO": 2, "PI": 2},
                               "blocks.0.attn.v": {"PO": 2, "PI": 1}})
    convs = [lay for lay in g.layers.values() if lay.kind == "conv_lif" and lay.attrs["CIN"]]
    assert convs
    for lay in convs:
        allowed = g.spec(lay).lanes_allowed(lay, lay.parallel) and lay.parallel["PI"] > 1
        assert lay.parallel["EV"] == (2 if allowed else 1), lay.name
    assert g.layers["sps.1"].parallel["EV"] == 1                     # PK = 3: chunks
    sps0 = g.layers["sps.0"]                                         # 3×3 on counts
    assert sps0.widths["IN_BITS"] > 1 and sps0.parallel["EV"] == 1
    assert any(lay.parallel["EV"] == 2 and lay.attrs["K"] == 3 for lay in convs)
    assert any(lay.parallel["EV"] == 2 and lay.attrs["K"] == 1 for lay in convs)


def test_lane_units_split_their_weights_into_banks_and_keep_only_masks(ir):
    g = build_graph(ir, event_driven=2, params="loaded", interval=False)
    for lay in g.layers.values():
        if lay.kind != "conv_lif" or lay.parallel.get("EV") != 2:
            continue
        mems = {m.name: m for m in lay.memories}
        w = mems["weight"]
        assert w.banks == lay.parallel["PI"] and w.width % w.banks == 0
        if lay.attrs["K"] == 3:                      # the masks are the spikes: no data
            assert "line" not in mems and mems["mask"].width == lay.attrs["T"] // \
                lay.attrs.get("NB", 1) * lay.attrs["CIN"]


def test_banks_cost_one_memory_each():
    one = memory_cost(512, 64, "bram")
    got = memories_cost([MemDesc("weight", 512, 256, "bram", loaded=True, banks=4)], "xcup")
    assert got.BRAM18 == 4 * one.BRAM18
    assert memories_cost([MemDesc("weight", 512, 256, "bram", loaded=True)], "xcup").BRAM18 \
        == memory_cost(512, 256, "bram").BRAM18


def test_lanes_need_loaded_parameters(ir):
    with pytest.raises(ValueError, match="--params loaded"):
        build_graph(ir, event_driven=2, interval=False)
    with pytest.raises(ValueError, match="needs runtime-loaded"):
        build_graph(ir, interval=False, overrides={"blocks.0.attn.q": {"PO": 1, "PI": 1,
                                                                      "EV": 2}})


def test_cli_event_driven_modes():
    import argparse

    from sdmf.cli.plan import add_plan_args, event_mode

    ap = argparse.ArgumentParser()
    add_plan_args(ap)
    assert event_mode(ap.parse_args([])) == 0
    assert event_mode(ap.parse_args(["--event-driven"])) == 1
    assert event_mode(ap.parse_args(["--event-driven", "chunks"])) == 1
    assert event_mode(ap.parse_args(["--event-driven", "lanes"])) == 2
    with pytest.raises(SystemExit):
        ap.parse_args(["--event-driven", "rows"])


# two input lanes on a 3×3 and a 1×1 conv (the tiny model's plan has one lane everywhere,
# where lane events are chunk events and the planner keeps EV = 1)
LANE_KNOBS = {"sps.2": {"PO": 2, "PI": 2, "PK": 1}, "blocks.0.attn.q": {"PO": 2, "PI": 2}}


@pytest.mark.rtl
def test_lane_event_network_is_exact_per_sample(ir, tmp_path):
    """Every allowed conv with lane events, loaded parameters, narrow streams: taps and
    logits bit-exact, busy cycles per sample and every done cycle equal to the model."""
    from sdmf.sim.network import check, simulate

    rep = simulate(ir, counts(3, seed=5), work_dir=tmp_path, word_beats=2, event_driven=2,
                   params="loaded", overrides=LANE_KNOBS)
    report = json.loads((tmp_path / "project" / "report.json").read_text())
    evs = {lay["name"]: lay["parallel"].get("EV") for lay in report["layers"]
           if lay["kind"] == "conv_lif"}
    assert evs["sps.2"] == evs["blocks.0.attn.q"] == 2 and evs["sps.0"] == 1
    project = json.loads((tmp_path / "project" / "project.json").read_text())
    assert project["plan"]["lane_events"] is True
    check(rep)
    assert rep.bit_exact and rep.cycles_ok and rep.interval_checked and rep.data_dependent
    assert rep.done_model == rep.done_measured
