"""The token-level timing recurrence (sdmf.hw.timing) against a cycle-by-cycle walk of the
RTL's handshake registers, written out here independently (sdmf_conv_lif.sv: ``cnt`` /
``d``, ``c_in``, ``x_o``, ``y_o``, the stage-A EMIT stall, the output register)."""

from __future__ import annotations

import functools
import random

import numpy as np
import pytest

from sdmf.hw.kinds import ConvLif, event_cycles
from sdmf.hw.kinds.conv_lif import position_cycles
from sdmf.hw.timing import (
    AttentionUnit,
    ConvUnit,
    FifoUnit,
    ForkUnit,
    HeadUnit,
    JoinUnit,
    MaxpoolUnit,
    Network,
    Recurrence,
    Sink,
    Source,
    TimingError,
    UnpackUnit,
)
from sdmf.hw.timing.recurrence import NONE


def walk_conv(K: int, H: int, W: int, service: list[int], bubbles: list[int],
              ready: list[bool], limit: int = 200_000,
              nb: int = 1) -> tuple[list[int], list[int]]:
    """Cycle-stepped sdmf_conv_lif handshake with ``nb`` beats per position (``in_beat``,
    ``ob``): input and output beat transfer cycles (``bubbles`` per input beat)."""
    n = len(service)
    cnt = d = c_in = x_o = y_o = 0           # K = 1: cnt; K = 3: d, c_in, x_o, y_o
    in_beat = ob = 0
    p, left = 0, service[0]
    a_emit = m_valid = False
    q, offer = 0, bubbles[0]
    w_x, o_x = [], []
    for c in range(limit):
        m_ready = ready[c] if c < len(ready) else True
        last_x, last_y = x_o == W - 1, y_o == H - 1
        if K == 1:
            s_ready, avail = cnt != 2, cnt != 0
        else:
            lim_in = c_in if c_in == W - 1 else c_in + 1
            lim_o = x_o if last_x else x_o + 1
            s_ready = d < 2 or (d == 2 and x_o > lim_in)
            avail = (d > 1 or (d == 1 and c_in > lim_o)) if not last_y \
                else (d > 0 or (d == 0 and c_in > lim_o))
        wr = q < n * nb and c >= offer and s_ready
        wr_pos = wr and in_beat == nb - 1
        out_last = ob == nb - 1
        stall = a_emit and m_valid and not (m_ready and out_last)
        issue = avail and not stall and p < n
        emit = issue and left == 1
        if m_valid and m_ready:
            o_x.append(c)
        if wr:
            w_x.append(c)
            q += 1
            in_beat = 0 if wr_pos else in_beat + 1
            if q < n * nb:
                offer = c + 1 + bubbles[q]
        # registers
        if K == 1:
            cnt += int(wr_pos) - int(emit)
        else:
            in_row = wr_pos and c_in == W - 1
            out_row = emit and last_x
            if wr_pos:
                c_in = 0 if c_in == W - 1 else c_in + 1
            d += int(in_row) - int(out_row)
            if emit:
                x_o = 0 if last_x else x_o + 1
                if last_x:
                    y_o = 0 if last_y else y_o + 1
        if a_emit and not stall:
            m_valid, ob = True, 0
        elif m_valid and m_ready:
            m_valid, ob = not out_last, 0 if out_last else ob + 1
        if not stall:
            a_emit = emit
        if issue:
            left -= 1
            if emit:
                p += 1
                left = service[p] if p < n else 0
        if len(o_x) == n * nb:
            return w_x, o_x
    raise AssertionError("walk did not finish")


def model(K: int, H: int, W: int, service, bubbles, ready,
          nb: int = 1) -> tuple[list[int], list[int]]:
    attrs = {"K": K, "H": H, "W": W}
    net = Network([Source("src", bubbles, "a"), ConvUnit("conv", attrs, service, "a", "b", nb),
                   Sink("snk", ready, "b")])
    n = len(service) * nb
    return net.transfers("a", n), net.transfers("b", n)


def test_dense_chain_emits_one_token_per_service_time():
    """Hand-computed: constant service s, no bubbles, ready sink: the first output leaves
    at s + 2 (write, s ops, commit, register), then one every s cycles."""
    s, n = 7, 6
    w, o = model(1, 1, n, [s] * n, [0] * n, [])
    assert o == [s + 2 + k * s for k in range(n)]
    assert w[:2] == [0, 1] and w[2] == s + 1        # the ping-pong waits for EMIT 0


@pytest.mark.parametrize("K,H,W", [(1, 1, 9), (1, 3, 4), (3, 4, 5), (3, 1, 3), (3, 5, 2),
                                   (3, 2, 1)])
@pytest.mark.parametrize("seed", range(4))
def test_recurrence_equals_the_cycle_walk(K, H, W, seed):
    """Three frames, random per-position service (1 … 12), bubbles and sink stalls: every
    input and output transfer cycle equals the cycle-stepped walk."""
    rng = random.Random(seed * 100 + K * 10 + H)
    n = 3 * H * W
    service = [rng.randint(1, 12) for _ in range(n)]
    idle = [0.0, 0.3, 0.0, 0.6][seed]
    stall = [0.0, 0.0, 0.4, 0.7][seed]
    bubbles = [0] * n
    for k in range(n):
        while idle and rng.random() < idle:
            bubbles[k] += 1
    ready = [rng.random() >= stall for _ in range(20 * n * 12)]
    assert model(K, H, W, service, bubbles, ready) == walk_conv(K, H, W, service, bubbles,
                                                                ready)


def walk_head(N: int, D: int, K: int, nb: int, bubbles: list[int], ready: list[bool],
              pp: int = 1, limit: int = 100_000) -> tuple[list[int], list[int]]:
    """Cycle-stepped sdmf_head_argmax handshake (``st``, ``n``, ``d``, ``k``, ``e``; D (NB
    = 1) or D/PP (NB > 1) ACC cycles per beat): input beat and output word transfer
    cycles."""
    n_in, frames = len(bubbles), len(bubbles) // (N * nb)
    acc = D if nb == 1 else D // pp
    st, n = "IN", 0
    d = k = e = 0
    q, offer = 0, bubbles[0]
    w_x, o_x = [], []
    for c in range(limit):
        m_ready = ready[c] if c < len(ready) else True
        last_d, last_n, last_k = d == D - 1, n == N * nb - 1, k == K - 1
        last_acc = d == acc - 1
        s_ready = st == "IN" or (st == "ACC" and last_acc and not last_n)
        fire = q < n_in and c >= offer and s_ready
        if fire:
            w_x.append(c)
            q += 1
            if q < n_in:
                offer = c + 1 + bubbles[q]
        if st == "IN" and fire:
            d, st = 0, "ACC"
        elif st == "ACC":
            d = 0 if last_acc else d + 1
            if last_acc:
                n = 0 if last_n else n + 1
                st, k = ("LIN", 0) if last_n else ("ACC" if fire else "IN", k)
        elif st == "LIN":
            d = 0 if last_d else d + 1
            if last_d:
                k = 0 if last_k else k + 1
                st = "DRAIN" if last_k else st
        elif st == "DRAIN":
            st, e = "OUT", 0
        elif st == "OUT" and m_ready:
            o_x.append(c)
            st, e = ("IN", e + 1) if e == K else (st, e + 1)
        if len(o_x) == frames * (K + 1):
            return w_x, o_x
    raise AssertionError("walk did not finish")


@pytest.mark.parametrize("N,D,K,nb,pp", [(3, 4, 2, 1, 1), (1, 1, 1, 1, 1), (4, 3, 3, 2, 3),
                                         (2, 5, 2, 4, 1), (1, 2, 1, 3, 2), (5, 1, 4, 2, 1),
                                         (2, 6, 2, 2, 2), (3, 4, 1, 4, 4)])
@pytest.mark.parametrize("seed", range(4))
def test_head_recurrence_equals_the_cycle_walk(N, D, K, nb, pp, seed):
    """HeadUnit (NB = 1 and NB > 1 with PP lanes): three frames under random bubbles and
    sink stalls, every input beat and output word transfers in the walk's cycle."""
    rng = random.Random(seed * 100 + N * 10 + nb)
    n = 3 * N * nb
    idle, stall = [0.0, 0.3, 0.0, 0.6][seed], [0.0, 0.0, 0.4, 0.7][seed]
    bubbles = [0] * n
    for j in range(n):
        while idle and rng.random() < idle:
            bubbles[j] += 1
    ready = [rng.random() >= stall for _ in range(40 * n * (D + K * D + K + 3))]
    net = Network([Source("src", bubbles, "a"), HeadUnit("h", N, D, K, "a", "b", nb, pp),
                   Sink("snk", ready, "b")])
    want = walk_head(N, D, K, nb, bubbles, ready, pp)
    assert (net.transfers("a", n), net.transfers("b", 3 * (K + 1))) == want


def walk_attention(N: int, upd: int, att: int, nb: int, bubbles: dict[str, list[int]],
                   ready: list[bool], limit: int = 100_000) -> dict[str, list[int]]:
    """Cycle-stepped sdmf_attention_lif handshake (``st``, ``lb``, ``m``, the op count,
    stage A's EMIT and stall, ``m_valid`` and ``ob``): transfer cycles of every q, k, v
    and output beat (``upd``, ``att`` ≥ 1)."""
    n = len(bubbles["q"])
    sent = dict.fromkeys("qkv", 0)
    offer = {s: b[0] for s, b in bubbles.items()}
    xs: dict[str, list[int]] = {s: [] for s in "qkvo"}
    st, lb, m, left = "LD1", 0, 0, 0
    a_emit = m_valid = False
    ob = 0
    for c in range(limit):
        m_ready = ready[c] if c < len(ready) else True
        valid = {s: sent[s] < n and c >= offer[s] for s in "qkv"}
        last_ob = ob == nb - 1
        stall = a_emit and m_valid and not (m_ready and last_ob)
        ld1 = st == "LD1" and valid["k"] and valid["v"] and not stall
        ld2 = st == "LD2" and valid["q"] and not stall
        for s in ("kv" if ld1 else "q" if ld2 else ""):
            xs[s].append(c)
            sent[s] += 1
            if sent[s] < n:
                offer[s] = c + 1 + bubbles[s][sent[s]]
        op = {"LD1": ld1, "LD2": ld2}.get(st, True)
        issue, emit = op and not stall, st == "EMIT"
        if m_valid and m_ready:
            xs["o"].append(c)
        # output register (old stage A, old stall)
        if a_emit and not stall:
            m_valid, ob = True, 0
        elif m_valid and m_ready:
            ob = 0 if last_ob else ob + 1
            m_valid = m_valid and not last_ob
        if not stall:
            a_emit = issue and emit
        if issue:
            if st in ("LD1", "LD2"):
                lb = 0 if lb == nb - 1 else lb + 1
                if lb == 0:
                    st, left = ("UPD", upd) if st == "LD1" else ("ATT", att)
            elif st in ("UPD", "ATT"):
                left -= 1
                if left == 0 and st == "ATT":
                    st = "EMIT"
                elif left == 0:
                    st, m = ("LD2" if m == N - 1 else "LD1"), (m + 1) % N
            else:
                st, m = ("LD1" if m == N - 1 else "LD2"), (m + 1) % N
        if len(xs["o"]) == n:
            return xs
    raise AssertionError("walk did not finish")


@pytest.mark.parametrize("N,nb", [(1, 1), (3, 1), (4, 2), (2, 3), (1, 4), (5, 2)])
@pytest.mark.parametrize("seed", range(4))
def test_attention_recurrence_equals_the_cycle_walk(N, nb, seed):
    """AttentionUnit (NB = 1 and NB > 1): three frames, random op counts, bubbles on q, k,
    v and sink stalls: every input and output beat transfers in the walk's cycle."""
    rng = random.Random(seed * 100 + N * 10 + nb)
    n, upd, att = 3 * N * nb, rng.randint(1, 6), rng.randint(1, 6)
    idle, stall = [0.0, 0.3, 0.0, 0.6][seed], [0.0, 0.0, 0.4, 0.7][seed]
    bubbles = {s: [0] * n for s in "qkv"}
    for s in "qkv":
        for j in range(n):
            while idle and rng.random() < idle:
                bubbles[s][j] += 1
    ready = [rng.random() >= stall for _ in range(40 * n * (upd + att + 3))]
    net = Network([*(Source(f"src_{s}", bubbles[s], s) for s in "qkv"),
                   AttentionUnit("at", N, upd, att, "q", "k", "v", "o", nb),
                   Sink("snk", ready, "o")])
    want = walk_attention(N, upd, att, nb, bubbles, ready)
    assert {s: net.transfers(s, n) for s in "qkvo"} == want


def test_head_and_attention_refuse_nb_below_one():
    with pytest.raises(TimingError, match="nb = 0"):
        HeadUnit("h", 2, 3, 2, "a", "b", 0)
    with pytest.raises(TimingError, match="nb = 0"):
        AttentionUnit("at", 2, 1, 1, "q", "k", "v", "o", 0)
    with pytest.raises(TimingError, match="PP=2 must divide D=3"):
        HeadUnit("h", 2, 3, 2, "a", "b", 2, 2)


def walk_maxpool(H: int, W: int, nb: int, frames: int, bubbles: list[int],
                 ready: list[bool]) -> tuple[list[int], list[int]]:
    """Cycle-stepped sdmf_maxpool_or (its registers, written out from the SV): input and
    output beat transfer cycles; input beat (y, x, b) loads the output register when
    x is odd or last and y is odd or last; ``s_ready = !m_valid || m_ready``."""
    n = frames * H * W * nb
    closes = [(x % 2 or x == W - 1) and (y % 2 or y == H - 1)
              for y in range(H) for x in range(W) for _ in range(nb)]
    ins, outs, m_valid, shown = [], [], False, bubbles[0]
    c = 0
    while len(ins) < n or m_valid:
        rdy = ready[c] if c < len(ready) else True
        fire = len(ins) < n and c >= shown and (not m_valid or rdy)
        if m_valid and rdy:
            outs.append(c)
        if fire:
            ins.append(c)
            if len(ins) < n:
                shown = c + 1 + bubbles[len(ins)]
        m_valid = True if fire and closes[(len(ins) - 1) % len(closes)] else \
            (m_valid and not rdy)
        c += 1
    return ins, outs


@pytest.mark.parametrize("H,W,nb", [(1, 1, 1), (5, 7, 1), (4, 6, 1), (1, 2, 3), (5, 7, 2),
                                    (3, 3, 4), (2, 5, 3), (1, 1, 2)])
@pytest.mark.parametrize("seed", range(4))
def test_maxpool_recurrence_equals_the_cycle_walk(H, W, nb, seed):
    """Two frames of nb beats per position, random bubbles and sink stalls: every input
    and output beat of MaxpoolUnit transfers in the cycle of the stepped registers."""
    rng = random.Random(seed * 1000 + H * 100 + W * 10 + nb)
    n = 2 * H * W * nb
    idle, stall = [0.0, 0.3, 0.0, 0.6][seed], [0.0, 0.0, 0.5, 0.7][seed]
    bubbles = [0] * n
    for k in range(n):
        while idle and rng.random() < idle:
            bubbles[k] += 1
    ready = [rng.random() >= stall for _ in range(40 * n)]
    pool = MaxpoolUnit("mp", H, W, "a", "b", nb)
    net = Network([Source("src", bubbles, "a"), pool, Sink("snk", ready, "b")])
    outs = 2 * len(pool.gen) * nb
    assert (net.transfers("a", n), net.transfers("b", outs)) == \
        walk_maxpool(H, W, nb, 2, bubbles, ready)


def test_maxpool_beats_flow_one_per_cycle():
    """Hand-computed, no bubbles and a ready sink: input beat q transfers in cycle q and
    output beat j·nb + b one cycle after input beat gen[j]·nb + b."""
    H, W, nb = 3, 4, 3
    pool = MaxpoolUnit("mp", H, W, "a", "b", nb)
    net = Network([Source("src", [0] * H * W * nb, "a"), pool, Sink("snk", [], "b")])
    assert pool.gen == [5, 7, 9, 11]                 # (1, 1), (1, 3), (2, 1), (2, 3)
    assert net.transfers("a", H * W * nb) == list(range(H * W * nb))
    assert net.transfers("b", 4 * nb) == [q * nb + b + 1 for q in pool.gen for b in range(nb)]
    with pytest.raises(TimingError, match="nb = 0"):
        MaxpoolUnit("mp", H, W, "a", "b", 0)


@pytest.mark.parametrize("K,H,W", [(1, 1, 7), (3, 4, 5), (3, 1, 3), (3, 3, 1)])
@pytest.mark.parametrize("nb", [2, 3])
@pytest.mark.parametrize("seed", range(4))
def test_recurrence_equals_the_cycle_walk_with_beats(K, H, W, nb, seed):
    """NB beats per position: every input and output beat transfers in the walk's cycle
    (bubbles before every input beat, sink stalls per cycle)."""
    rng = random.Random(seed * 1000 + nb * 100 + K * 10 + H)
    n = 3 * H * W
    service = [rng.randint(1, 12) for _ in range(n)]
    idle = [0.0, 0.3, 0.0, 0.6][seed]
    stall = [0.0, 0.0, 0.4, 0.7][seed]
    bubbles = [0] * (n * nb)
    for k in range(n * nb):
        while idle and rng.random() < idle:
            bubbles[k] += 1
    ready = [rng.random() >= stall for _ in range(40 * n * nb * 12)]
    want = walk_conv(K, H, W, service, bubbles, ready, nb=nb)
    assert model(K, H, W, service, bubbles, ready, nb) == want


def test_beats_leave_back_to_back_after_one_service_time():
    """Hand-computed, K = 1, NB = 3, service s ≥ 3, no bubbles, ready sink: position 0's
    ops start in cycle 3 (its last beat is written in cycle 2), so its EMIT commits in
    s + 3; beat b of position p leaves at s + 4 + p·s + b (the next position's ops follow
    back to back, and its three beats leave before the following EMIT commits)."""
    s, n, nb = 7, 4, 3
    w, o = model(1, 1, n, [s] * n, [0] * (n * nb), [], nb)
    assert o == [s + 4 + p * s + b for p in range(n) for b in range(nb)]
    assert w[:6] == list(range(6))            # two positions fill the ping-pong


def test_position_cycles_sum_to_the_busy_counts():
    rng = np.random.default_rng(3)
    attrs = {"K": 3, "H": 4, "W": 5, "positions": 20, "T": 3, "CIN": 4, "COUT": 5}
    knobs = {"PO": 2, "PI": 2, "PK": 1}
    x = (rng.random((3, 4, 4, 5)) < 0.2).astype(np.int64)
    per = position_cycles(attrs, knobs | {"EV": 1}, x)
    assert per.shape == (20,) and int(per.sum()) == event_cycles(attrs, knobs, x)
    dense = position_cycles(attrs, knobs, x)              # EV = 0: the data is ignored
    lay = type("L", (), {"attrs": attrs})()
    assert int(dense.sum()) == ConvLif().cycles(lay, knobs) and len(set(dense)) == 1


def test_a_cyclic_rule_is_a_clear_error():
    rules = {("x", "a", 0): [("x", "b", 0)], ("x", "b", 0): [("x", "a", 0)]}
    ev = Recurrence(lambda k: (NONE, [(d, 0) for d in rules[k]], None))
    with pytest.raises(TimingError, match="depends on itself"):
        ev(("x", "a", 0))
    loop = Recurrence(lambda k: (0, [(k, 1)], None))        # a key on itself
    with pytest.raises(TimingError, match="depends on itself"):
        loop(("x", "a", 0))


# ------------------------------------------------------------------ whole networks (CPU)


@pytest.fixture(scope="module")
def tiny():
    """The tiny SDMFormer and the golden tensors of four samples."""
    import torch
    from tiny_models import counts, make_ir

    from sdmf.quant.golden import GoldenModel

    ir = make_ir()
    g = GoldenModel(ir).run(torch.as_tensor(counts(4, seed=2)), taps=True)
    return ir, [{k: v[i].numpy() for k, v in g.taps.items()} for i in range(4)]


def test_narrow_maxpool_layer_in_beats(tiny):
    """At 2 beats per position every maxpool layer of the tiny network is instantiated
    with NB and the beat width, stores WO·NB + NB beats, counts H·W·NB busy cycles and
    its timing unit runs over beats; at 1 beat the instance is the wide one."""
    from sdmf.hw.backends import get_backend
    from sdmf.hw.backends.rtl.kinds import RTL_KINDS
    from sdmf.hw.graph import from_ir
    from sdmf.hw.passes import default_passes, run_passes
    from sdmf.hw.timing.network import _unit

    ir, _ = tiny
    g = run_passes(from_ir(ir, get_backend("rtl").kinds), default_passes(word_beats=2))
    pools = g.of_kind("maxpool")
    assert pools
    for lay in pools:
        a, (s,) = lay.attrs, g.inputs_of(lay.name)
        rtl = RTL_KINDS["maxpool"]
        assert rtl.narrow and s.nb == 2
        params = rtl.instance(g, lay).params
        assert (params["NB"], params["WORD"]) == (2, s.word_bits) == (2, s.position_bits // 2)
        assert [(m.name, m.depth, m.width) for m in rtl.memories(lay)] == \
            [("colbuf", a["WO"] * 2, s.word_bits), ("hpart", 2, s.word_bits)]
        assert lay.cycles == a["H"] * a["W"] * 2
        unit = _unit(g, lay, [], True)
        assert isinstance(unit, MaxpoolUnit) and unit.nb == 2
    wide = run_passes(from_ir(ir, get_backend("rtl").kinds), default_passes())
    for lay in wide.of_kind("maxpool"):          # NB = 1: today's instance and buffer
        (s,) = wide.inputs_of(lay.name)
        assert RTL_KINDS["maxpool"].instance(wide, lay).params == \
            {"H": lay.attrs["H"], "W": lay.attrs["W"], "WORD": s.position_bits}
        assert [(m.name, m.depth, m.width) for m in RTL_KINDS["maxpool"].memories(lay)] == \
            [("colbuf", lay.attrs["WO"], s.position_bits)]


@functools.cache
def _case(name: str):
    """An adversarial case's spec and IR (built once per module: calibration is slow)."""
    from sdmf.sim.adversarial import CASES, build_case

    (spec,) = [s for s, _ in CASES if s.name == name]
    return spec, build_case(spec)[0]


def test_dense_tiny_network_interval_is_the_bottleneck(tiny):
    """Dense: one result per bottleneck busy count once the pipeline is full, whatever the
    host's reaction time (FIFOs sized by SizeFifos)."""
    from sdmf.hw.flow import build_graph
    from sdmf.hw.timing import host_pass

    ir, taps = tiny
    graph = build_graph(ir)
    cyc = graph.info["cycles"]
    assert cyc["interval_from"] == "recurrence" and cyc["interval"] == cyc["bound"]
    for delay in (0, 17):
        _, done = host_pass(graph, taps, delay)
        assert done[-1] - done[-2] == cyc["interval"], delay


def test_coupled_design_interval_is_the_recurrence_not_the_bottleneck():
    """A row of 8 tokens with a dense 128-wide block: the pipeline cannot keep the
    bottleneck's pace (the RTL measures what the recurrence says: tests/hw/
    test_adversarial.py); hwgen quotes the recurrence's steady interval, the bottleneck
    stays as the lower bound, and a slower host never makes it shorter."""
    from sdmf.hw.flow import build_graph
    from sdmf.hw.timing import host_pass, steady_interval

    spec, ir = _case("coupled_row_8_tokens")
    graph = build_graph(ir, **spec.plan)
    cyc = graph.info["cycles"]
    assert cyc["bound"] == 22_528 and cyc["bottleneck"] == "sps.0"
    assert cyc["interval"] == steady_interval(graph).interval == 25_248 > cyc["bound"]
    for delay in (0, 1, 50):
        _, done = host_pass(graph, [{}] * 4, delay)
        assert done[-1] - done[-2] >= cyc["interval"], delay


def test_steady_interval_needs_three_samples(tiny):
    from sdmf.hw.flow import build_graph
    from sdmf.hw.timing import TimingError, steady_interval

    with pytest.raises(TimingError, match="max_samples = 2"):
        steady_interval(build_graph(tiny[0]), max_samples=2)


def test_event_driven_network_is_never_later_than_dense(tiny):
    """Max-plus monotonicity: EV service times are at most the dense ones, so with the
    same host starts no done is later; on sparse spikes the pass ends earlier."""
    from sdmf.hw.flow import build_graph
    from sdmf.hw.timing import done_cycles, host_pass

    ir, taps = tiny
    dense, ev = build_graph(ir), build_graph(ir, event_driven=True)
    starts, done = host_pass(dense, taps, 9)
    ev_done = done_cycles(ev, taps, starts, starts)
    assert all(e <= d for e, d in zip(ev_done, done)) and ev_done[-1] < done[-1]
    assert done_cycles(dense, taps, starts, starts) == done


def test_missing_start_is_a_clear_error(tiny):
    from sdmf.hw.flow import build_graph
    from sdmf.hw.timing import done_cycles

    ir, taps = tiny
    with pytest.raises(TimingError, match="one of each per sample"):
        done_cycles(build_graph(ir), taps, [0], [0])


def test_project_rebuild_skips_the_interval_model(tiny, tmp_path, monkeypatch):
    """`sdmf sim` rebuilds the project's graph for its checks without re-running the
    recurrence (the interval is the project's): same layers, knobs and memories; the
    rebuilt graph quotes only the bottleneck, and says so."""
    import sdmf.hw.backends.rtl.backend as rtl
    from sdmf.hw.flow import build_graph, generate
    from sdmf.sim.network import _project_graph, load_project

    ir, _ = tiny
    generate(ir, tmp_path / "p", trace=True, counters=True)
    manifest, saved = load_project(tmp_path / "p")
    full = build_graph(saved, overrides=manifest.plan.knobs)

    def refused(graph):
        raise AssertionError("the rebuild ran the interval recurrence")

    monkeypatch.setattr(rtl, "steady_interval", refused)
    graph = _project_graph(manifest, saved)
    assert list(graph.layers) == list(full.layers)
    for name, lay in graph.layers.items():
        assert (lay.parallel, lay.attrs, lay.memories) == \
            (full.layers[name].parallel, full.layers[name].attrs, full.layers[name].memories)
    cyc = graph.info["cycles"]
    assert cyc["interval_from"] == "bottleneck" and cyc["interval"] == cyc["bound"]
    assert full.info["cycles"]["interval_from"] == "recurrence"
    assert manifest.cycles.interval == full.info["cycles"]["interval"]


def _rule_value(net: Network, key) -> int:
    floor, terms, post = net.rule(key)
    best = max([floor, *(net.eval.memo[d] + plus for d, plus in terms)])
    return post(best) if post else best


@pytest.mark.parametrize("case", ["coupled_row_8_tokens", "sample_below_one_beat",
                                  "kv_bound_9_tokens"])
def test_every_memoised_value_satisfies_its_rule(case):
    """The lazy evaluation is the recurrence's solution: after a back-to-back pass every
    memoised key (its dependencies memoised too) equals its own rule evaluated on the
    memo. The dependency graph is acyclic (no deadlock), so that solution is unique."""
    from sdmf.hw.flow import build_graph
    from sdmf.hw.timing import network_timing, steady_interval

    spec, ir = _case(case)
    graph = build_graph(ir, interval=False, **spec.plan)
    steady = steady_interval(graph)
    starts: list[int] = [0]
    net = network_timing(graph, [{}] * steady.samples, starts, starts, dense=True)
    beats, (out,) = net.by_name["host"].beats, graph.inputs_of("output")
    done = []
    for i in range(steady.samples):
        if i:
            starts.append(net.eval(("x", "host.beats", i * beats - 1)))
        done.append(net.eval(("x", out.name, (i + 1) * out.positions - 1)))
    assert done[-1] - done[-2] == steady.interval
    memo = net.eval.memo
    assert {name for what, name, _ in memo if what == "x"} == set(net.producer)  # all streams
    assert all(_rule_value(net, key) == value for key, value in memo.items())


def _random_network(seed: int) -> tuple[Network, dict[str, int]]:
    """A small network of library units between random sources and stalling sinks, and
    the token count of each of its streams."""
    rng = random.Random(seed)
    idle, stall = rng.choice([0.0, 0.4]), rng.choice([0.0, 0.3, 0.7])

    def src(name: str, out: str, n: int) -> Source:
        return Source(name, [int(rng.random() < idle) * rng.randint(1, 4) for _ in range(n)],
                      out)

    def snk(name: str, inp: str) -> Sink:
        return Sink(name, [rng.random() >= stall for _ in range(4000)], inp)

    frames, kind = rng.randint(1, 3), seed % 5
    if kind == 0:                                   # conv, fifo, conv
        K, H, W = rng.choice([1, 3]), rng.randint(1, 4), rng.randint(1, 5)
        n, attrs = frames * H * W, {"K": K, "H": H, "W": W}
        units = [src("s", "a", n), ConvUnit("c1", attrs, [rng.randint(1, 9) for _ in range(n)],
                                            "a", "b"),
                 FifoUnit("f", rng.randint(1, 4), "b", "c"),
                 ConvUnit("c2", attrs, [rng.randint(1, 9) for _ in range(n)], "c", "d"),
                 snk("k", "d")]
        return Network(units), dict.fromkeys("abcd", n)
    if kind == 1:                                   # fork, fifo | conv, join
        n = rng.randint(1, 20)
        conv = ConvUnit("c", {"K": 1, "H": 1, "W": n}, [rng.randint(1, 6) for _ in range(n)],
                        "c", "e")
        units = [src("s", "a", n), ForkUnit("fk", "a", ["b", "c"]),
                 FifoUnit("f", rng.randint(1, 3), "b", "d"), conv, JoinUnit("j", ["d", "e"], "g"),
                 snk("k", "g")]
        return Network(units), dict.fromkeys("abcdeg", n)
    if kind == 2:                                   # attention (NB beats per token)
        N, nb = rng.randint(1, 6), rng.choice([1, 1, 2, 3])
        n = frames * N * nb
        units = [src("sq", "q", n), src("sk", "k", n), src("sv", "v", n),
                 AttentionUnit("at", N, rng.randint(0, 5), rng.randint(0, 5), "q", "k", "v", "o",
                               nb),
                 snk("z", "o")]
        return Network(units), dict.fromkeys("qkvo", n)
    if kind == 3:                                   # maxpool (nb beats), head (N·nb tokens)
        H, W, D, K = rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 4), rng.randint(1, 4)
        nb = rng.choice([1, 1, 2, 3])
        pool = MaxpoolUnit("mp", H, W, "a", "b", nb)
        N = len(pool.gen) * nb
        units = [src("s", "a", frames * H * W * nb), pool, HeadUnit("h", N, D, K, "b", "c"),
                 snk("k", "c")]
        return Network(units), {"a": frames * H * W * nb, "b": frames * N,
                                "c": frames * (K + 1)}
    pos, per = rng.randint(1, 9), rng.choice([0, 1, 2, 3])     # unpack (per = 0: wide)
    nb = rng.choice([1, 1, 2, 4])                               # stream beats per position
    up = UnpackUnit("u", pos, per, rng.randint(1, 3) if not per else 1, "a", "b", nb)
    units = [src("s", "a", frames * up.beats), up, snk("k", "b")]
    return Network(units), {"a": frames * up.beats, "b": frames * pos * nb}


@pytest.mark.parametrize("seed", range(40))
def test_random_unit_networks_satisfy_every_rule(seed):
    """Every library unit between random sources and stalling sinks: the evaluation of
    every transfer leaves a memo that satisfies each of its rules (the unique solution)."""
    net, counts = _random_network(seed)
    for stream, n in counts.items():
        assert len(net.transfers(stream, n)) == n
    assert all(_rule_value(net, key) == value for key, value in net.eval.memo.items())
