"""Layer kinds: every IR op has a kind with both halves, passes never branch on kind names,
a backend can swap a kind's spec, and docs/generator.md's recipes match the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
from tiny_models import make_ir

from sdmf.hw.backends.rtl.kinds import RTL_KINDS, RtlKind
from sdmf.hw.flow import build_graph
from sdmf.hw.graph import HwLayer, from_ir
from sdmf.hw.kinds import KINDS, ConvLif, Fork, LayerKind, event_cycles, event_ops
from sdmf.hw.passes import default_passes, run_passes
from sdmf.quant.opdefs import OP_TYPES

ROOT = Path(__file__).resolve().parents[2]
PASSES = sorted((ROOT / "hw" / "passes").glob("*.py"))
GENERATOR_DOC = ROOT / "docs" / "generator.md"


@pytest.fixture(scope="module")
def graph():
    return build_graph(make_ir())


def test_every_ir_op_type_maps_to_a_kind_with_a_spec_and_an_rtl_half():
    for op_type in OP_TYPES:
        owners = [k.name for k in KINDS if op_type in (*k.ops, *k.fuses)]
        assert owners or op_type in KINDS.aliases, f"IR op {op_type!r} has no layer kind"
        assert not (owners and op_type in KINDS.aliases), op_type
        starts = [k.name for k in KINDS if op_type in k.ops]
        assert len(starts) <= 1, (op_type, starts)
    for kind in KINDS:
        assert type(kind) is not LayerKind and kind.name, kind
        rtl = RTL_KINDS.get(kind.name)
        assert rtl is not None, f"kind {kind.name!r} has no RTL implementation"
        assert type(rtl).instance is not RtlKind.instance and rtl.source.is_file(), kind.name
        if kind.compute:                     # a compute unit needs its cycle formula
            assert type(kind).cycles is not LayerKind.cycles, kind.name
    assert set(RTL_KINDS) == set(KINDS.names)


def test_every_kind_and_rtl_half_is_exercised_by_the_tiny_network(graph):
    """Each RTL half instantiates its module on a real graph, with the layer's ports."""
    assert {lay.kind for lay in graph.layers.values()} == set(KINDS.names)
    for lay in graph.layers.values():
        inst = RTL_KINDS[lay.kind].instance(graph, lay)
        assert inst.module == RTL_KINDS[lay.kind].module and inst.name == lay.instance
        spec = graph.spec(lay)
        assert ("busy_cycles" in inst.ports) == spec.busy, lay.name
        for port in spec.ports:
            assert any(p.startswith(f"{port}_") for p in inst.ports), (lay.name, port)


# ------------------------------------------------------------------ no kind names in passes

def kind_branches(source: str) -> list[str]:
    """Places where a pass would switch on a kind: kind-name or op-type strings, reading
    ``.kind``, or ``getattr`` with a computed name."""
    names = set(KINDS.names) | set(OP_TYPES)
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and node.value in names:
            found.append(f"line {node.lineno}: string {node.value!r}")
        elif isinstance(node, ast.Attribute) and node.attr == "kind":
            found.append(f"line {node.lineno}: reads .kind")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "getattr" \
                and len(node.args) > 1 and not isinstance(node.args[1], ast.Constant):
            found.append(f"line {node.lineno}: getattr with a computed name")
    return found


def test_the_detector_finds_kind_branches():
    planted = ('if layer.kind == "conv_lif":\n    pass\n'
               'f = getattr(self, f"_{name}")\n'
               'ok = x in ("fork", "fifo")\n')
    assert len(kind_branches(planted)) == 5
    assert kind_branches("spec = graph.spec(layer)\nname = f'{a}.fork'\n") == []


@pytest.mark.parametrize("path", PASSES, ids=lambda p: p.name)
def test_no_pass_branches_on_kind_names(path):
    assert PASSES, "no pass modules found"
    assert kind_branches(path.read_text()) == [], path


# ------------------------------------------------------------------ backend-specific specs

class SlowConv(ConvLif):
    """A backend's conv with another cycle formula (twice the RTL unit's)."""

    def cycles(self, layer, knobs):
        return 2 * super().cycles(layer, knobs)


def test_a_backend_can_replace_a_kinds_spec(graph):
    kinds = KINDS.replace(SlowConv())
    assert isinstance(kinds["conv_lif"], SlowConv) and kinds["maxpool"] is KINDS["maxpool"]
    slow = run_passes(from_ir(graph.ir, kinds), default_passes())
    for lay in slow.layers.values():
        if lay.kind == "conv_lif":
            assert lay.cycles == 2 * ConvLif().cycles(lay, lay.parallel), lay.name
        elif lay.cycles:
            assert lay.cycles == graph.layer(lay.name).cycles, lay.name
    assert slow.info["cycles"]["interval"] > graph.info["cycles"]["interval"]

    class TwoPortFork(Fork):
        ports = ("a", "b")

    with pytest.raises(ValueError, match="ports"):
        KINDS.replace(TwoPortFork())


def test_rtl_memories_must_cover_the_kinds_memory_needs(graph, monkeypatch):
    """The backend's layouts are checked against what the kind says it stores."""
    from sdmf.hw.backends.rtl.kinds.conv_lif import RtlConvLif
    from sdmf.hw.backends.rtl.memories import plan_memories

    fc2 = graph.layer("blocks.0.mlp.fc2")
    need = {n.role: n for n in graph.spec(fc2).memory_needs(fc2)}
    assert need["weight"].count == fc2.params["weight"].size > 0
    mem = {m.name: m for m in fc2.memories}
    assert mem["theta"].depth * fc2.parallel["PO"] >= need["theta"].count
    real = RtlConvLif.memories
    monkeypatch.setattr(RtlConvLif, "memories", lambda self, lay: real(self, lay)[:-1])
    with pytest.raises(ValueError, match=r"'sps\.0' \(conv_lif\): RTL memories.*theta"):
        plan_memories(build_graph(graph.ir))


# ------------------------------------------------------------------ docs/generator.md

def _section(title: str) -> str:
    text = GENERATOR_DOC.read_text()
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.S | re.M)
    assert m, f"docs/generator.md has no section '## {title}'"
    return m.group(1)


@pytest.mark.parametrize("title", ["Adding a layer kind", "Adding a backend"])
def test_recipes_name_files_that_exist(title):
    """Every file a recipe lists exists; a path with a placeholder (``<kind>``) names a
    folder and naming scheme that existing files follow."""
    paths = re.findall(r"`((?:hw|sim|sdmf|tests|docs|quant)/[^`\s]+)`", _section(title))
    assert len(paths) >= 4, paths
    for rel in paths:
        if "<" in rel:
            pattern = re.sub(r"<[^>]+>", "*", rel)
            assert list(ROOT.glob(pattern)), f"{title}: nothing matches {rel}"
        else:
            assert (ROOT / rel).exists(), f"{title}: {rel} does not exist"


def _file(obj: object) -> str:
    """The repository path of the module that defines ``type(obj)``."""
    return type(obj).__module__.removeprefix("sdmf.").replace(".", "/") + ".py"


def test_the_kind_table_equals_the_registry():
    """| kind | spec | RTL half | RTL module | IR ops (started + fused) |, in registry order."""
    rows = re.findall(r"^\| `([a-z_]+)` \| `([^`]+)` \| `([^`]+)` \| `([a-z_]+)` \| ([^|]*) \|$",
                      _section("Layer kinds"), re.M)
    assert [r[0] for r in rows] == KINDS.names
    for name, spec_file, rtl_file, rtl_module, ops in rows:
        kind, rtl = KINDS[name], RTL_KINDS[name]
        assert (spec_file, rtl_file, rtl_module) == (_file(kind), _file(rtl), rtl.module), name
        assert re.findall(r"`([a-z0-9_]+)`", ops) == [*kind.ops, *kind.fuses], name


# ------------------------------------------------------------------ event-driven conv_lif


def _brute_event_cycles(attrs: dict, knobs: dict, x: np.ndarray) -> int:
    """The EV = 1 schedule walked op by op (docs/hardware.md, sdmf_conv_lif, EV = 1)."""
    K, T, cin, cout = attrs["K"], attrs["T"], attrs["CIN"], attrs["COUT"]
    H, W = attrs["H"], attrs["W"]
    po, pi, pk = knobs["PO"], knobs["PI"], knobs.get("PK", 1)
    xs = x.reshape(T, cin, H, W)

    def elem(t: int, i: int, y: int, xx: int) -> int:
        return int(xs[t, i, y, xx]) if 0 <= y < H and 0 <= xx < W else 0

    def op_nonzero(t: int, j: int, y: int, xx: int) -> bool:
        """Fan-in op j of output (y, xx) at step t reads a non-zero input (dense order)."""
        groups = cin // pi
        tap, c = divmod(j, groups)
        rows = range(3) if pk == 3 else [tap // K]
        kx = tap if pk == 3 else tap % K
        off = (K - 1) // 2
        return any(elem(t, c * pi + u, y + ky - off, xx + kx - off) != 0
                   for ky in rows for u in range(pi))

    cycles = 0
    for y in range(H):
        for xx in range(W):
            for _og in range(-(-cout // po)):
                for t in range(T):
                    for j in range(K * K * cin // (pi * pk) if cin else 0):
                        cycles += op_nonzero(t, j, y, xx)    # FETCH of a non-zero op
                    cycles += 1                              # LIF
            cycles += 1                                      # EMIT
    return cycles


def _conv_layer(K: int, cin: int, cout: int, T: int, H: int, W: int) -> HwLayer:
    return HwLayer("c", "conv_lif", attrs={"K": K, "H": H, "W": W, "positions": H * W, "T": T,
                                           "CIN": cin, "COUT": cout})


@pytest.mark.parametrize("shape", [(1, 16, 5, 4, 2, 4, 2, 4, 1), (1, 6, 3, 3, 1, 6, 3, 2, 1),
                                   (1, 5, 2, 2, 1, 5, 1, 1, 1), (1, 8, 4, 3, 1, 4, 4, 8, 1),
                                   (1, 0, 3, 4, 1, 4, 2, 1, 1), (3, 2, 5, 4, 5, 6, 3, 1, 1),
                                   (3, 2, 5, 4, 5, 6, 3, 2, 3), (3, 4, 3, 2, 4, 5, 1, 2, 1),
                                   (3, 1, 2, 2, 1, 3, 2, 1, 3), (3, 1, 1, 1, 1, 1, 1, 1, 1)])
def test_event_cycles_match_a_brute_force_walk(shape):
    """The spec's exact EV = 1 cycles equal an op-by-op count at every density, the dense
    worst case (every element non-zero; K = 3: padding aside) bounds them and equals
    ConvLif.cycles for K = 1, and EV = 0 ignores the data."""
    K, cin, cout, T, H, W, po, pi, pk = shape
    layer, spec = _conv_layer(K, cin, cout, T, H, W), ConvLif()
    knobs = {"PO": po, "PI": pi, "EV": 1} | ({"PK": pk} if K == 3 else {})
    rng = np.random.default_rng(cin * 7 + cout)
    for p in (0.0, 0.02, 0.08, 0.3, 0.7, 1.0):
        x = np.where(rng.random((T, cin, H, W)) < p, rng.integers(1, 8, (T, cin, H, W)), 0)
        want = _brute_event_cycles(layer.attrs, knobs, x)
        assert event_cycles(layer.attrs, knobs, x) == want
        assert spec.sample_cycles(layer, knobs, {"s": x}) == want
        assert want <= spec.cycles(layer, knobs)
        dense = {k: v for k, v in knobs.items() if k != "EV"}
        assert spec.sample_cycles(layer, dense, {"s": x}) == spec.cycles(layer, dense)
    ones = np.ones((T, cin, H, W), dtype=np.int64)
    assert event_cycles(layer.attrs, knobs, ones) == _brute_event_cycles(layer.attrs, knobs,
                                                                         ones)
    if K == 1:
        assert event_cycles(layer.attrs, knobs, ones) == spec.cycles(layer, knobs)
    zeros = np.zeros((T, cin, H, W), dtype=np.int64)
    assert event_cycles(layer.attrs, knobs, zeros) == H * W * (-(-cout // po) * T + 1)
    assert spec.data_dependent(layer, knobs) and not spec.data_dependent(layer, {"PO": po})


def _brute_lane_cycles(attrs: dict, knobs: dict, x: np.ndarray) -> int:
    """The EV = 2 schedule walked cycle by cycle: per (og, t) every lane u keeps a queue of
    its non-zero elements (channel c·PI + u of each tap, padding zero); each FETCH pops one
    from every non-empty queue, until all are empty; then the LIF; an EMIT per position."""
    K, T, cin, cout = attrs["K"], attrs["T"], attrs["CIN"], attrs["COUT"]
    H, W = attrs["H"], attrs["W"]
    po, pi = knobs["PO"], knobs["PI"]
    xs = x.reshape(T, cin, H, W)
    off = (K - 1) // 2
    cycles = 0
    for y in range(H):
        for xx in range(W):
            for _og in range(-(-cout // po)):
                for t in range(T):
                    queues = [[(ky, kx, c) for ky in range(K) for kx in range(K)
                               for c in range(u, cin, pi)
                               if 0 <= y + ky - off < H and 0 <= xx + kx - off < W
                               and xs[t, c, y + ky - off, xx + kx - off] != 0]
                              for u in range(pi)]
                    while any(queues):
                        queues = [q[1:] for q in queues]
                        cycles += 1                          # FETCH
                    cycles += 1                              # LIF
            cycles += 1                                      # EMIT
    return cycles


@pytest.mark.parametrize("shape", [(1, 16, 5, 4, 2, 4, 2, 4), (1, 6, 3, 3, 1, 6, 3, 6),
                                   (1, 5, 2, 2, 1, 5, 1, 1), (3, 4, 3, 2, 4, 5, 1, 2),
                                   (3, 6, 2, 2, 1, 3, 2, 3), (3, 1, 1, 1, 1, 1, 1, 1)])
def test_lane_cycles_match_a_brute_force_walk(shape):
    """EV = 2: the spec's cycles (:func:`lane_ops`) equal a lane-by-lane walk at every
    density, never exceed the chunk-event (EV = 1) count, and every element set gives
    the dense count for K = 1."""
    K, cin, cout, T, H, W, po, pi = shape
    layer, spec = _conv_layer(K, cin, cout, T, H, W), ConvLif()
    knobs = {"PO": po, "PI": pi, "EV": 2}
    rng = np.random.default_rng(cin * 11 + cout)
    for p in (0.0, 0.08, 0.3, 0.7, 1.0):
        x = (rng.random((T, cin, H, W)) < p) * rng.integers(1, 4, (T, cin, H, W))
        want = _brute_lane_cycles(layer.attrs, knobs, x)
        assert spec.sample_cycles(layer, knobs, {"s": x}) == want
        assert want <= event_cycles(layer.attrs, {**knobs, "EV": 1}, x)
    if K == 1:
        ones = np.ones((T, cin, H, W), dtype=np.int64)
        assert event_cycles(layer.attrs, knobs, ones) == spec.cycles(layer, knobs)


def test_event_knob_is_checked():
    """EV is 0, 1 or 2; 2 only with PK = 1 on one-bit inputs; a wrongly shaped input names
    the expected shape."""
    k1, k3 = _conv_layer(1, 8, 4, 2, 1, 4), _conv_layer(3, 8, 4, 2, 4, 4)
    spec = ConvLif()
    spec.validate(k1, {"PO": 2, "PI": 4, "EV": 0})
    spec.validate(k1, {"PO": 2, "PI": 4, "EV": 1})
    spec.validate(k3, {"PO": 2, "PI": 4, "PK": 3, "EV": 1})
    with pytest.raises(ValueError, match="EV must be 0, 1 or 2"):
        spec.validate(k1, {"PO": 2, "PI": 4, "EV": 3})
    with pytest.raises(ValueError, match="IN_BITS=\\?"):
        spec.validate(k1, {"PO": 2, "PI": 4, "EV": 2})       # widths not assigned
    k1.widths, k3.widths = {"IN_BITS": 1}, {"IN_BITS": 1}
    spec.validate(k1, {"PO": 2, "PI": 4, "EV": 2})
    spec.validate(k3, {"PO": 2, "PI": 4, "PK": 1, "EV": 2})
    with pytest.raises(ValueError, match="needs PK=1"):
        spec.validate(k3, {"PO": 2, "PI": 4, "PK": 3, "EV": 2})
    k1.widths, k3.widths = {"IN_BITS": 4}, {"IN_BITS": 4}
    spec.validate(k1, {"PO": 2, "PI": 4, "EV": 2})          # K = 1 takes counts too
    with pytest.raises(ValueError, match="one-bit inputs"):
        spec.validate(k3, {"PO": 2, "PI": 4, "EV": 2})
    with pytest.raises(ValueError, match="expected"):
        event_ops(k1.attrs, {"PI": 4}, np.zeros((2, 4, 4)))


# ------------------------------------------------------------------ the head's PP knob

def head_layer(nb: int, d: int = 12) -> HwLayer:
    return HwLayer("head", "head", attrs={"N": 3, "T": 4, "D": d, "K": 2, "NB": nb})


def test_head_pools_pp_channels_per_cycle_only_with_narrow_streams():
    """NB = 1: no knob (one channel per cycle); NB > 1: PP over the divisors of D, the
    busy cycles 1 + N·NB·D/PP + K·D + 1 + K + 1, the cost PP lanes, a bad PP refused."""
    spec = KINDS["head"]
    wide, narrow = head_layer(1), head_layer(2)
    assert spec.knobs(wide) == () and list(spec.candidates(wide)) == [{}]
    assert spec.cycles(wide, {}) == 1 + 3 * 12 + 2 * 12 + 1 + 3
    assert spec.knobs(narrow) == ("PP",)
    assert [k["PP"] for k in spec.candidates(narrow)] == [1, 2, 3, 4, 6, 12]
    for pp in (1, 4, 12):
        assert spec.cycles(narrow, {"PP": pp}) == 1 + 3 * 2 * (12 // pp) + 2 * 12 + 1 + 3
        assert spec.cost(narrow, {"PP": pp}) == pp
    assert spec.cycles(narrow, {}) == spec.cycles(narrow, {"PP": 12})   # unplanned: D
    with pytest.raises(ValueError, match="PP=5 must divide D=12"):
        spec.validate(narrow, {"PP": 5})
    with pytest.raises(ValueError, match="no knob 'PP'"):
        spec.validate(wide, {"PP": 2})
