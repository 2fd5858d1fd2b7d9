"""The decoupling FIFOs (sdmf.hw.passes.Decouple; docs/generator.md, "Passes", 5): where
they go, how deep, and that projects record them. The RTL with them is checked bit- and
cycle-exact by tests/hw/test_beats.py (the narrow event-driven network)."""

from __future__ import annotations

import pytest
from tiny_models import make_ir

from sdmf.hw.flow import build_graph, generate
from sdmf.hw.graph import GraphError
from sdmf.hw.passes import Decouple
from sdmf.hw.project import Project


@pytest.fixture(scope="module")
def ir():
    return make_ir()


def decoupling(graph) -> dict[str, tuple[str, int]]:
    """The decoupling FIFOs of ``graph``: name → (consumer, depth)."""
    return {lay.name: (graph.outputs_of(lay.name)[0].dst, lay.attrs["DEPTH"])
            for lay in graph.of_kind("fifo") if lay.attrs["reason"].startswith("decouples")}


def test_off_by_default(ir):
    g = build_graph(ir, interval=False)
    assert decoupling(g) == {} and g.info["decouple"] == {"rows": 0, "fork_tokens": 0}


def test_row_fifos_front_every_3x3_conv_but_the_first(ir):
    g = build_graph(ir, interval=False, word_beats=2, decouple_rows=3)
    convs = [lay for lay in g.layers.values() if lay.kind == "conv_lif" and lay.attrs["K"] == 3]
    assert len(convs) >= 3
    got = decoupling(g)
    assert got == {f"{c.name}.s_fifo": (c.name, 3 * c.attrs["W"] * 2) for c in convs[1:]}
    (first_in,) = g.inputs_of(convs[0].name)
    assert g.layers[first_in.src].kind == "input"          # the first one reads the input


def test_fork_fifos_only_where_a_fork_feeds_two_compute_units(ir):
    g = build_graph(ir, interval=False, word_beats=2, fork_tokens=5)
    got = decoupling(g)
    assert got == {f"blocks.0.attn.{p}.s_fifo": (f"blocks.0.attn.{p}", 5 * 2)
                   for p in ("q", "k", "v")}
    # the block's residual fork feeds fc1 and a FIFO: one compute unit, nothing to decouple
    outs = g.outputs_of("blocks.0.attn.add.fork")
    assert {g.layers[s.dst].kind for s in outs} == {"conv_lif", "fifo"}
    assert g.info["decouple"] == {"rows": 0, "fork_tokens": 5}
    g.check()


def test_bad_values_and_name_clashes_are_refused(ir):
    with pytest.raises(ValueError, match="must be >= 0"):
        Decouple(-1, 0)
    g = build_graph(ir, interval=False, decouple_rows=1)
    with pytest.raises(GraphError, match=r"sps\.1\.s_fifo.*exists already"):
        Decouple(1, 0).apply(g)


def test_projects_record_them_and_rebuilds_match(ir, tmp_path):
    """The manifest keeps the options; the simulator's rebuild of the project's graph
    (sdmf.sim.network) has the same FIFOs as the project."""
    from sdmf.sim.network import _project_graph

    out = tmp_path / "p"
    report = generate(ir, out, word_beats=2, decouple_rows=1, fork_tokens=2)
    plan = Project.load(out).plan
    assert (plan.decouple_rows, plan.fork_tokens, plan.word_beats) == (1, 2, 2)
    rebuilt = _project_graph(Project.load(out), ir)
    assert [lay.name for lay in rebuilt.layers.values()] == \
        [lay["name"] for lay in report["layers"]]
    assert decoupling(rebuilt) and all(
        rebuilt.layers[n].attrs["DEPTH"] == lay["attrs"]["DEPTH"]
        for lay in report["layers"] for n in [lay["name"]] if n in decoupling(rebuilt))


def test_cli_options(ir, tmp_path, capsys):
    from sdmf.cli.main import main

    path = tmp_path / "m.sdmfir"
    ir.save(path)
    assert main(["hwgen", "--ir", str(path), "--out", str(tmp_path / "x"), "--fork-fifo",
                 "-1"]) == 2
    assert "argument --fork-fifo: must be >= 0" in capsys.readouterr().err
    assert main(["hwgen", "--ir", str(path), "--out", str(tmp_path / "y"), "--word-beats", "2",
                 "--decouple-rows", "2", "--fork-fifo", "1"]) == 0
    plan = Project.load(tmp_path / "y").plan
    assert (plan.decouple_rows, plan.fork_tokens) == (2, 1)


def test_one_token_of_one_beat_still_gets_the_smallest_fifo(ir):
    g = build_graph(ir, interval=False, fork_tokens=1)           # one beat per token
    assert {d for _, d in decoupling(g).values()} == {2}
