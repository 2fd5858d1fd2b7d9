"""Every integer op of the contract (quant/ops.py) against independent references.

The expected values come from hand-worked examples (worked out in the comments)
and from plain-Python loops written here from docs/integer-semantics.md — never
from ``quant/ops.py`` itself. Each op runs on int64 tensors (the golden model)
and on float64 tensors holding the same integers (the QAT model in eval); both
must give exactly the reference integers. The last tests check the wiring of
``quant/program.execute`` and the golden model end to end against
``int_reference.run_program``, an independent NumPy executor of the op list.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from int_reference import run_program

from sdmf.quant import ops
from sdmf.quant.golden import GoldenModel
from sdmf.quant.ir import IntegerIR
from sdmf.quant.opdefs import Op
from sdmf.quant.program import execute

DTYPES = (torch.int64, torch.float64)


def _t(values, dtype) -> torch.Tensor:
    return torch.tensor(np.asarray(values, dtype=np.int64)).to(dtype)


def _ints(t: torch.Tensor) -> np.ndarray:
    """An op's result as int64, asserting that a float result holds integers."""
    t = t.detach()
    if torch.is_floating_point(t):
        assert torch.equal(t, torch.round(t)), "float path produced a non-integer"
    return t.to(torch.int64).numpy()


def _check(got: torch.Tensor, expected) -> None:
    exp = np.asarray(expected, dtype=np.int64)
    assert got.shape == exp.shape
    np.testing.assert_array_equal(_ints(got), exp)


def _rand(rng: np.random.Generator, shape, lo: int, hi: int) -> np.ndarray:
    """Random ints in [lo, hi] with both extremes planted."""
    a = rng.integers(lo, hi + 1, size=shape, dtype=np.int64)
    flat = a.reshape(-1)
    if flat.size >= 2:
        flat[0], flat[-1] = lo, hi
    return a


# ---------------------------------------------------------------- input


@pytest.mark.parametrize("dtype", DTYPES)
def test_saturate_counts(dtype):
    # bits = 3: the largest count is 2^3 − 1 = 7; a count of 0 stays 0
    _check(ops.saturate_counts(_t([0, 1, 6, 7, 8, 255, 10**6], dtype), 3), [0, 1, 6, 7, 7, 7, 7])
    _check(ops.saturate_counts(_t([0, 1, 2], dtype), 1), [0, 1, 1])
    _check(ops.saturate_counts(_t([-4, 65535, 65536], dtype), 16), [0, 65535, 65535])
    rng = np.random.default_rng(0)
    for bits in range(1, 17):
        x = _rand(rng, (50,), 0, 2**18)
        _check(ops.saturate_counts(_t(x, dtype), bits), [min(int(v), 2**bits - 1) for v in x])


# ---------------------------------------------------------------- convolutions


def _ref_conv2d(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """acc[c,y,x] = Σ_{i,ky,kx} W[c,i,ky,kx]·x[i,y+ky−1,x+kx−1], outside the map = 0."""
    B, T, Ci, H, W = x.shape
    out = np.zeros((B, T, w.shape[0], H, W), dtype=np.int64)
    for b, t, c, y, xx in np.ndindex(B, T, w.shape[0], H, W):
        s = 0
        for i, ky, kx in np.ndindex(Ci, 3, 3):
            yy, xs = y + ky - 1, xx + kx - 1
            if 0 <= yy < H and 0 <= xs < W:
                s += int(w[c, i, ky, kx]) * int(x[b, t, i, yy, xs])
        out[b, t, c, y, xx] = s
    return out


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_hand_worked(dtype):
    x = _t([[[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]], dtype)          # [1, 1, 1, 3, 3]
    ones = _t(np.ones((1, 1, 3, 3)), dtype)
    # all-ones kernel: corner = 1+2+4+5 = 12, top edge = 1+…+6 = 21, centre = 45
    _check(ops.conv2d_acc(x, ones)[0, 0, 0], [[12, 21, 16], [27, 45, 33], [24, 39, 28]])
    # only the top-left tap (ky = kx = 0) is 1: acc[y,x] = x[y−1, x−1] — a shift down
    # and right with zeros coming in (a flipped kernel would shift up and left)
    tl = np.zeros((1, 1, 3, 3))
    tl[0, 0, 0, 0] = 1
    _check(ops.conv2d_acc(x, _t(tl, dtype))[0, 0, 0], [[0, 0, 0], [0, 1, 2], [0, 4, 5]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "xr", "wr"), [
    ((2, 2, 3, 5, 4), (0, 255), (-127, 127)),        # first layer: counts, int8 weights
    ((1, 3, 2, 1, 1), (0, 1), (-7, 7)),              # 1×1 map: only the centre tap counts
    ((1, 1, 2, 2, 3), (0, 2**20), (-2**15, 2**15)),  # extremes, sums up to ~2^40
])
def test_conv2d_brute_force(dtype, shape, xr, wr):
    rng = np.random.default_rng(1)
    x = _rand(rng, shape, *xr)
    w = _rand(rng, (3, shape[2], 3, 3), *wr)
    _check(ops.conv2d_acc(_t(x, dtype), _t(w, dtype)), _ref_conv2d(x, w))


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv1d_hand_worked_and_brute_force(dtype):
    # W = [[1, −2], [3, 0]], x[i, n] = [[1, 0, 1], [1, 1, 0]]:
    # acc[0] = x0 − 2·x1 = [−1, −2, 1]; acc[1] = 3·x0 = [3, 0, 3]
    w = _t([[1, -2], [3, 0]], dtype)
    x = _t([[[[1, 0, 1], [1, 1, 0]]]], dtype)
    _check(ops.conv1d_acc(x, w), [[[[-1, -2, 1], [3, 0, 3]]]])
    rng = np.random.default_rng(2)
    for xr, wr in (((0, 1), (-127, 127)), ((0, 9), (-2**20, 2**20))):
        xs = _rand(rng, (2, 3, 4, 5), *xr)
        ws = _rand(rng, (3, 4), *wr)
        ref = np.zeros((2, 3, 3, 5), dtype=np.int64)
        for b, t, c, n in np.ndindex(*ref.shape):
            ref[b, t, c, n] = sum(int(ws[c, i]) * int(xs[b, t, i, n]) for i in range(4))
        _check(ops.conv1d_acc(_t(xs, dtype), _t(ws, dtype)), ref)


# ---------------------------------------------------------------- LIF


@pytest.mark.parametrize("dtype", DTYPES)
def test_membrane_input_per_channel_and_per_token(dtype):
    # F = 4: I = acc·16 + B. Per token B = [[5, −7]]: [2·16 + 5, −1·16 − 7] = [37, −23]
    _check(ops.membrane_input(_t([[[[2, -1]]]], dtype), _t([[5, -7]], dtype), 4), [[[[37, -23]]]])
    rng = np.random.default_rng(3)
    acc = _rand(rng, (2, 3, 4, 5), -1000, 1000)
    per_token = _rand(rng, (4, 5), -500, 500)
    per_chan = _rand(rng, (4,), -500, 500)
    ref_tok, ref_chan = np.zeros_like(acc), np.zeros_like(acc)
    for b, t, c, n in np.ndindex(*acc.shape):
        ref_tok[b, t, c, n] = int(acc[b, t, c, n]) * 2**3 + int(per_token[c, n])
        ref_chan[b, t, c, n] = int(acc[b, t, c, n]) * 2**3 + int(per_chan[c])
    _check(ops.membrane_input(_t(acc, dtype), _t(per_token, dtype), 3), ref_tok)
    _check(ops.membrane_input(_t(acc, dtype), _t(per_chan, dtype), 3), ref_chan)
    # per-channel bias on the [B, T, C, H, W] layout of the patch splitter
    acc5 = acc.reshape(2, 3, 4, 1, 5)
    _check(ops.membrane_input(_t(acc5, dtype), _t(per_chan, dtype), 3),
           ref_chan.reshape(2, 3, 4, 1, 5))
    _check(ops.membrane_input(_t(acc, dtype), _t(per_chan, dtype), 0), acc + per_chan[:, None])


def _ref_lif(currents: list[int], theta: int) -> list[int]:
    """V ← ⌊(V + I)/2⌋ (Python // floors toward −∞); fire at V ≥ θ; then V ← 0."""
    v, out = 0, []
    for i in currents:
        v = (v + i) // 2
        out.append(int(v >= theta))
        if v >= theta:
            v = 0
    return out


# Hand-worked: (θ, I[t], spikes). V starts at 0.
LIF_CASES = [
    # ⌊(0 − 3)/2⌋ = ⌊−1.5⌋ = −2; ⌊(−2 + 5)/2⌋ = ⌊1.5⌋ = 1; ⌊(1 + 7)/2⌋ = 4 ≥ 3 fires
    (3, [-3, 5, 7], [0, 0, 1]),
    # V = −2 (floor), then ⌊(−2 + 7)/2⌋ = 2 < 3. Truncation toward 0 would give
    # V = −1, then ⌊6/2⌋ = 3 and a spike: this case tells floor from truncation.
    (3, [-3, 7], [0, 0]),
    # ⌊−1/2⌋ = −1 (not 0), then ⌊(−1 + 8)/2⌋ = 3 < 4 (truncation: 0, then 4 fires)
    (4, [-1, 8], [0, 0]),
    (3, [6], [1]),                    # V = 3 = θ fires: Θ(0) = 1
    (3, [5], [0]),                    # V = 2: V starts at 0, not at θ
    # V = 6 fires and resets to 0; then ⌊0/2⌋ = 0. A reset by subtraction (V = 4)
    # would give 2 ≥ 2 and fire again; no reset would give 3 and fire again.
    (2, [12, 0], [1, 0]),
    (1, [2, 2, 2, 2], [1, 1, 1, 1]),  # V = 1 every step, fires, resets
    # a deep negative membrane recovers slowly: ⌊−100/2⌋ = −50, ⌊(−50 + 20)/2⌋ = −15,
    # ⌊(−15 + 20)/2⌋ = 2, ⌊(2 + 20)/2⌋ = 11 ≥ 5 fires
    (5, [-100, 20, 20, 20], [0, 0, 0, 1]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("theta", "current", "spikes"), LIF_CASES)
def test_lif_hand_worked(dtype, theta, current, spikes):
    assert _ref_lif(current, theta) == spikes           # the reference agrees with the hand
    x = _t(current, dtype).reshape(1, -1, 1, 1)          # [B=1, T, C=1, N=1]
    _check(ops.lif(x, _t([theta], dtype)).flatten(), spikes)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("lo", "hi", "theta_hi"), [
    (-50, 50, 20), (-7, 9, 3), (-2**49, 2**49, 2**40), (0, 2**49, 2**48), (-2**49, 40, 8)])
def test_lif_brute_force(dtype, lo, hi, theta_hi):
    rng = np.random.default_rng(4)
    cur = _rand(rng, (3, 6, 4, 5), lo, hi)             # [B, T, C, N]
    theta = rng.integers(1, theta_hi + 1, size=4)
    ref = np.zeros_like(cur)
    for b, c, n in np.ndindex(3, 4, 5):
        ref[b, :, c, n] = _ref_lif([int(v) for v in cur[b, :, c, n]], int(theta[c]))
    _check(ops.lif(_t(cur, dtype), _t(theta, dtype)), ref)
    # the [B, T, C, H, W] layout, per-channel θ broadcast over both spatial dims
    cur5 = cur.reshape(3, 6, 4, 1, 5)
    _check(ops.lif(_t(cur5, dtype), _t(theta, dtype)), ref.reshape(3, 6, 4, 1, 5))


# ---------------------------------------------------------------- max-pool


def _ref_pool(s: np.ndarray) -> np.ndarray:
    """OR over rows 2y−1..2y+1 and columns 2x−1..2x+1 that lie inside the map."""
    H, W = s.shape[-2:]
    Ho, Wo = (H - 1) // 2 + 1, (W - 1) // 2 + 1
    out = np.zeros((*s.shape[:-2], Ho, Wo), dtype=np.int64)
    for idx in np.ndindex(*s.shape[:-2]):
        for y, x in np.ndindex(Ho, Wo):
            out[(*idx, y, x)] = int(any(
                s[(*idx, yy, xx)] for yy in range(2 * y - 1, 2 * y + 2)
                for xx in range(2 * x - 1, 2 * x + 2) if 0 <= yy < H and 0 <= xx < W))
    return out


@pytest.mark.parametrize("dtype", DTYPES)
def test_maxpool_hand_worked(dtype):
    s = np.zeros((1, 1, 1, 3, 3), dtype=np.int64)
    s[..., 2, 2] = 1
    # (2, 2) lies only in the window of output (1, 1): rows 1..3, columns 1..3
    _check(ops.maxpool_or(_t(s, dtype))[0, 0, 0], [[0, 0], [0, 1]])
    s[..., 2, 2], s[..., 1, 1] = 0, 1
    # (1, 1) lies in all four windows (rows/columns −1..1 and 1..3)
    _check(ops.maxpool_or(_t(s, dtype))[0, 0, 0], [[1, 1], [1, 1]])
    s[..., 1, 1], s[..., 0, 2] = 0, 1
    # (0, 2): rows −1..1 only (output row 0), columns 1..3 only (output column 1)
    _check(ops.maxpool_or(_t(s, dtype))[0, 0, 0], [[0, 1], [0, 0]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hw", [(1, 1), (2, 3), (4, 4), (5, 5), (7, 4), (3, 8), (9, 1)])
def test_maxpool_brute_force_odd_even_and_edges(dtype, hw):
    rng = np.random.default_rng(5)
    for p in (0.1, 0.5):
        s = (rng.random((2, 2, 3, *hw)) < p).astype(np.int64)
        _check(ops.maxpool_or(_t(s, dtype)), _ref_pool(s))
    # a single spike on every position, one at a time, reaches exactly its windows
    for y, x in np.ndindex(*hw):
        s = np.zeros((1, 1, 1, *hw), dtype=np.int64)
        s[..., y, x] = 1
        _check(ops.maxpool_or(_t(s, dtype)), _ref_pool(s))


# ---------------------------------------------------------------- attention


def _ref_attention(q, k, v, head_qk, head_v) -> np.ndarray:
    """A[j, n] = Σ_{c: head(c) = head(j)} Σ_m q[c, n]·k[c, m]·v[j, m]."""
    B, T, _, N = v.shape
    out = np.zeros(v.shape, dtype=np.int64)
    for b, t, j, n in np.ndindex(B, T, v.shape[2], N):
        out[b, t, j, n] = sum(
            int(q[b, t, c, n]) * int(k[b, t, c, m]) * int(v[b, t, j, m])
            for c in range(q.shape[2]) if head_qk[c] == head_v[j] for m in range(N))
    return out


@pytest.mark.parametrize("dtype", DTYPES)
def test_attention_hand_worked(dtype):
    # one head, N = 3: q = [1, 0, 1], k = [1, 1, 0]; scores S[n, m] = q[n]·k[m] =
    # [[1, 1, 0], [0, 0, 0], [1, 1, 0]]. v0 = [0, 1, 1] → A = S·v0 = [1, 0, 1];
    # v1 = [1, 1, 1] → [2, 0, 2]
    q, k = _t([[[[1, 0, 1]]]], dtype), _t([[[[1, 1, 0]]]], dtype)
    v = _t([[[[0, 1, 1], [1, 1, 1]]]], dtype)
    same = _t([0, 0], torch.int64)
    _check(ops.attention(q, k, v, _t([0], torch.int64), same), [[[[1, 0, 1], [2, 0, 2]]]])
    # v1 in head 1, which has no q·k channel: its A is 0
    _check(ops.attention(q, k, v, _t([0], torch.int64), _t([0, 1], torch.int64)),
           [[[[1, 0, 1], [0, 0, 0]]]])
    # a second q·k channel in head 1, which has no v channel, changes nothing
    q2 = _t([[[[1, 0, 1], [1, 1, 1]]]], dtype)
    k2 = _t([[[[1, 1, 0], [1, 1, 1]]]], dtype)
    _check(ops.attention(q2, k2, v, _t([0, 1], torch.int64), same), [[[[1, 0, 1], [2, 0, 2]]]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(4))
def test_attention_brute_force(dtype, seed):
    rng = np.random.default_rng(10 + seed)
    N, cqk, cv = 5, 6, 5
    head_qk = rng.integers(0, 4, size=cqk)          # some heads lack q·k or v channels
    head_v = rng.integers(0, 4, size=cv)
    q, k, v = ((rng.random((2, 2, c, N)) < 0.6).astype(np.int64) for c in (cqk, cqk, cv))
    got = ops.attention(_t(q, dtype), _t(k, dtype), _t(v, dtype),
                        torch.tensor(head_qk), torch.tensor(head_v))
    _check(got, _ref_attention(q, k, v, head_qk, head_v))


@pytest.mark.parametrize("dtype", DTYPES)
def test_attention_all_ones_reaches_n_times_qk_channels(dtype):
    # every q, k, v spike on: A[j, n] = Σ_c Σ_m 1 = N·|q·k channels of j's head|
    N = 7
    head_qk, head_v = np.array([0, 0, 0, 2, 1]), np.array([0, 1, 2, 3])
    q = np.ones((1, 1, 5, N), dtype=np.int64)
    v = np.ones((1, 1, 4, N), dtype=np.int64)
    got = ops.attention(_t(q, dtype), _t(q, dtype), _t(v, dtype),
                        torch.tensor(head_qk), torch.tensor(head_v))
    _check(got[0, 0, :, 0], [3 * N, 1 * N, 1 * N, 0])


# ---------------------------------------------------------------- residual, head, predict


@pytest.mark.parametrize("dtype", DTYPES)
def test_residual_add(dtype):
    # stream channels [1, 0, 2]; spikes of 2 kept channels go to stream channels 2 and 0
    stream = _t([[[[1], [0], [2]]]], dtype)
    got = ops.residual_add(stream, _t([[[[1], [1]]]], dtype), torch.tensor([2, 0]))
    _check(got, [[[[2], [0], [3]]]])
    _check(stream, [[[[1], [0], [2]]]])                 # the input stream is not modified
    rng = np.random.default_rng(6)
    st = _rand(rng, (2, 3, 6, 4), 0, 5)
    sp = (rng.random((2, 3, 3, 4)) < 0.5).astype(np.int64)
    ch = rng.permutation(6)[:3]
    ref = st.copy()
    for b, t, j, n in np.ndindex(*sp.shape):
        ref[b, t, ch[j], n] += sp[b, t, j, n]
    _check(ops.residual_add(_t(st, dtype), _t(sp, dtype), torch.tensor(ch)), ref)


@pytest.mark.parametrize("dtype", DTYPES)
def test_head_logits(dtype):
    # R[t][d][n]: t0 = [[1, 0], [2, 1]], t1 = [[1, 1], [0, 0]] → pooled = [3, 3];
    # W = [[1, −1], [2, 0]], B = [3, −5], shift 2:
    # logit0 = (3 − 3)·4 + 3 = 3, logit1 = (2·3)·4 − 5 = 19
    r = _t([[[[1, 0], [2, 1]], [[1, 1], [0, 0]]]], dtype)
    got = ops.head_logits(r, _t([[1, -1], [2, 0]], dtype), _t([3, -5], dtype), 2)
    _check(got, [[3, 19]])
    rng = np.random.default_rng(7)
    for rr, wr, br, shift in (((0, 3), (-127, 127), (-10**6, 10**6), 5),
                              ((0, 2**10), (-2**15, 2**15), (-2**40, 2**40), 0)):
        st = _rand(rng, (3, 4, 6, 5), *rr)
        w = _rand(rng, (4, 6), *wr)
        b = _rand(rng, (4,), *br)
        ref = np.zeros((3, 4), dtype=np.int64)
        for bb, kk in np.ndindex(3, 4):
            pooled = [int(st[bb, :, d, :].sum()) for d in range(6)]
            ref[bb, kk] = sum(int(w[kk, d]) * pooled[d] for d in range(6)) * 2**shift + int(b[kk])
        _check(ops.head_logits(_t(st, dtype), _t(w, dtype), _t(b, dtype), shift), ref)


@pytest.mark.parametrize("dtype", DTYPES)
def test_predict_ties_go_to_the_lowest_index(dtype):
    logits = _t([[3, 5, 5], [-1, -1, -1], [0, 7, 7], [9, 9, -3]], dtype)
    _check(ops.predict(logits), [1, 0, 1, 0])
    _check(ops.predict(_t([[0, 7, 2, 7]], dtype)), [1])
    rng = np.random.default_rng(8)
    many = rng.integers(0, 3, size=(300, 6))         # ties on almost every row
    ref = [row.index(max(row)) for row in many.tolist()]
    _check(ops.predict(_t(many, dtype)), ref)
    big = rng.integers(-2**40, 2**40, size=(50, 4))
    big[:, 3] = big[:, 1] = big.max(axis=1) + 1
    _check(ops.predict(_t(big, dtype)), [1] * 50)


# ---------------------------------------------------------------- program wiring


def test_execute_wires_a_hand_made_program():
    # input (2 bits) → flatten → head (shift 1). Counts [[5, 1], [0, 3]] saturate to
    # [[3, 1], [0, 3]]; flattened and summed over T = 1 and N = 4: pooled = 7;
    # W = [[1], [−2]], B = [0, 5]: logits = [7·2 + 0, −14·2 + 5] = [14, −23]
    program = [Op("input", "input", attrs={"bits": 2}), Op("flat", "flatten", ("input",)),
               Op("head", "head", ("flat",), {"shift": 1})]
    params = {"head.weight": torch.tensor([[1], [-2]]), "head.bias": torch.tensor([0, 5])}
    out = execute(program, params, torch.tensor([[[[[5, 1], [0, 3]]]]]))
    _check(out["input"], [[[[[3, 1], [0, 3]]]]])
    _check(out["flat"], [[[[3, 1, 0, 3]]]])
    _check(out["head"], [[14, -23]])


def _every_op_program(rng: random.Random) -> tuple[list[Op], dict[str, np.ndarray]]:
    """A small program using every op type, with non-adjacent inputs and random params."""
    f = {"frac_bits": 2}
    prog = [Op("input", "input", attrs={"bits": 3}),
            Op("c2", "conv2d", ("input",)), Op("l2", "lif", ("c2",), f),
            Op("pool", "maxpool", ("l2",)), Op("flat", "flatten", ("pool",)),
            Op("q", "conv1d", ("flat",)), Op("ql", "lif", ("q",), f),
            Op("k", "conv1d", ("flat",)), Op("kl", "lif", ("k",), f),
            Op("v", "conv1d", ("flat",)), Op("vl", "lif", ("v",), f),
            Op("att", "attention", ("ql", "kl", "vl")), Op("al", "lif", ("att",), f),
            Op("add1", "residual_add", ("flat", "al")),
            Op("add2", "residual_add", ("add1", "ql")),
            Op("head", "head", ("add2",), {"shift": 3})]

    def ints(shape, lo, hi):
        return np.array([rng.randint(lo, hi) for _ in range(int(np.prod(shape)))],
                        dtype=np.int64).reshape(shape)

    p = {"c2.weight": ints((4, 2, 3, 3), -5, 5), "l2.bias": ints((4,), -8, 8),
         "l2.theta": ints((4,), 1, 12)}
    for name, cout in (("q", 3), ("k", 3), ("v", 2)):
        p[f"{name}.weight"] = ints((cout, 4), -3, 3)
        p[f"{name}l.bias"] = ints((cout, 9), -4, 6)      # per-token bias, N = 9
        p[f"{name}l.theta"] = ints((cout,), 1, 4)
    p.update({"att.head_qk": np.array([0, 1, 1]), "att.head_v": np.array([0, 1]),
              "al.bias": np.zeros(2, dtype=np.int64), "al.theta": np.array([8, 8]),
              "add1.channels": np.array([1, 3]), "add2.channels": np.array([0, 2, 3]),
              "head.weight": ints((3, 4), -9, 9), "head.bias": ints((3,), -50, 50)})
    return prog, p


@pytest.mark.parametrize("seed", range(3))
def test_golden_model_equals_the_independent_executor_on_every_op(seed):
    rng = random.Random(seed)
    prog, params = _every_op_program(rng)
    ir = IntegerIR(ops=prog, params=params, input_shape=(3, 2, 5, 6))
    x = np.array([rng.randint(0, 12) for _ in range(2 * 3 * 2 * 5 * 6)]).reshape(2, 3, 2, 5, 6)
    got = GoldenModel(ir).run(torch.tensor(x), taps=True)
    ref = run_program([op.to_dict() for op in prog], params, x)
    assert set(got.taps) == set(ref)
    for name, value in ref.items():
        np.testing.assert_array_equal(got.taps[name].numpy(), value, err_msg=name)
    assert any(ref[n].any() for n in ("l2", "ql", "vl", "al"))   # spikes happen
    np.testing.assert_array_equal(got.pred.numpy(), ref["head"].argmax(axis=1))
