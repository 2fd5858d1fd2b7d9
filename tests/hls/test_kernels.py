"""Every HLS kernel template (hw/backends/hls/templates/) C-simulated with g++ against
sdmf.quant.ops on int64 tensors: random and extreme stimuli, several inferences per run
(state must not leak between them), pruned corners (a conv with no input channel, a head
of the attention with v channels but no q·k channel, T = 1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hls_kernels import build, frames_hex, ints, main_source, read_frames, run

from sdmf.device.stream import output_beats, pack_input
from sdmf.device.words import hex_lines, pack, parse_hex_lines
from sdmf.hw.backends.hls.cpp import config_struct
from sdmf.quant import ops
from sdmf.quant.bounds import bit_width, signed_bits

RNG = np.random.default_rng(2024)


def t64(a: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.int64))


def lif_ref(acc: np.ndarray, bias: np.ndarray, theta: np.ndarray, F: int) -> np.ndarray:
    """Spikes of the contract's LIF on ``acc[B, T, C, ...]``."""
    cur = ops.membrane_input(t64(acc), t64(bias), F)
    return ops.lif(cur, t64(theta)).numpy()


# ------------------------------------------------------------------ conv_lif

CONV_BODY = """
    std::vector<long long> w = read_ints("weight.txt"), b = read_ints("bias.txt"),
                           th = read_ints("theta.txt");
    hls::stream<cfg::in_t> in;
    hls::stream<cfg::out_t> out;
    read_words<cfg::in_t, IN_WORD>("in.hex", in);
    auto w3 = reinterpret_cast<const long long (*)[cfg::CIN ? cfg::CIN : 1][cfg::K * cfg::K]>(
        w.data());                                   // [COUT][CIN][K*K], row-major
    for (int f = 0; f < frames; f++) sdmf::conv_lif<cfg>(in, out, w3, b.data(), th.data());
    write_words<OUT_WORD>("out.hex", out);"""


def conv_binary(K: int, H: int, W: int, T: int, CIN: int, COUT: int, in_bits: int,
                per_token: int, in_word: int, wmax: int, bmax: int, F: int = 4) -> Path:
    xmax = (1 << in_bits) - 1
    acc = K * K * CIN * wmax * xmax
    cur = signed_bits(-acc * (1 << F) - bmax, acc * (1 << F) + bmax, -bmax, bmax, 1, bmax)
    cfg = config_struct("cfg", {
        "K": K, "H": H, "W": W, "T": T, "CIN": CIN, "COUT": COUT, "F": F,
        "BIAS_PER_TOKEN": per_token, "IN_BITS": in_bits, "W_BITS": signed_bits(-wmax, wmax),
        "ACC_BITS": signed_bits(-acc, acc), "CUR_BITS": cur, "PO": 1, "PI": 1, "PK": 1},
        {"in_t": f"ap_uint<{in_word}>", "out_t": f"ap_uint<{T * COUT}>"})
    consts = f"#define IN_WORD {in_word}\n#define OUT_WORD {T * COUT}\n"
    name = f"conv{K}_{CIN}x{COUT}_T{T}"
    return build(name, main_source(["sdmf_conv_lif.h"], consts + cfg, CONV_BODY))


def conv_case(tmp: Path, binary: Path, xs: list[np.ndarray], w: np.ndarray, b: np.ndarray,
              th: np.ndarray, K: int, H: int, W: int, in_bits: int, F: int = 4) -> None:
    T, COUT = xs[0].shape[0], w.shape[0]
    x = np.stack(xs)                                        # [frames, T, CIN, P]
    if K == 3:
        acc = ops.conv2d_acc(t64(x.reshape(*x.shape[:3], H, W)), t64(w)).numpy()
        acc = acc.reshape(*acc.shape[:3], H * W)
    else:
        acc = ops.conv1d_acc(t64(x), t64(w.reshape(COUT, -1))).numpy()
    want = lif_ref(acc, b, th, F)
    bits = in_bits if x.shape[2] else max(1, in_bits)
    folder = run(binary, tmp, {
        "in.hex": frames_hex(xs, bits) if x.shape[2] else
        hex_lines([int(v) for v in RNG.integers(0, 1 << 7, len(xs) * H * W)], 7),
        "weight.txt": ints(w), "bias.txt": ints(b), "theta.txt": ints(th),
        "frames.txt": f"{len(xs)}\n"})
    got = read_frames(folder / "out.hex", len(xs), T, COUT, 1)
    np.testing.assert_array_equal(got, want)


def test_conv3_on_counts(tmp_path: Path) -> None:
    H, W, T, CIN, COUT, B, F = 5, 4, 3, 3, 4, 1 << 16, 4
    binary = conv_binary(3, H, W, T, CIN, COUT, 3, 0, T * CIN * 3, 127, B, F)
    for case in range(4):
        if case < 2:        # random
            xs = [RNG.integers(0, 8, (T, CIN, H * W)) for _ in range(2)]
            w = RNG.integers(-127, 128, (COUT, CIN, 3, 3))
            b = RNG.integers(-B, B + 1, COUT)
            th = RNG.integers(1, 3000, COUT)
        else:               # extreme: full-scale counts and weights, extreme bias/threshold
            sign = 1 if case == 2 else -1
            xs = [np.full((T, CIN, H * W), 7), np.zeros((T, CIN, H * W), dtype=np.int64)]
            w = np.where(np.arange(COUT)[:, None, None, None] % 2 == 0, 127, -127) * sign
            w = np.broadcast_to(w, (COUT, CIN, 3, 3)).copy()
            b = np.array([B, -B, 0, B])
            th = np.array([1, B, 1, 1])
        conv_case(tmp_path / f"c{case}", binary, xs, w, b, th, 3, H, W, 3, F)


def test_conv1_on_spikes_per_token_bias(tmp_path: Path) -> None:
    N, T, CIN, COUT, B = 6, 3, 5, 3, 300
    binary = conv_binary(1, 1, N, T, CIN, COUT, 1, 1, T * CIN, 127, B)
    for case in range(5):
        xs = [RNG.integers(0, 2, (T, CIN, N)) for _ in range(3)]
        if case == 2:
            xs = [np.ones((T, CIN, N), dtype=np.int64)] * 2
        w = RNG.integers(-127, 128, (COUT, CIN, 1, 1)) if case < 2 else \
            np.full((COUT, CIN, 1, 1), 127)
        b = RNG.integers(-B, B + 1, (COUT, N))
        th = RNG.integers(1, 400, COUT)
        if case >= 3:       # small currents near the threshold: the leak's rounding matters
            g = np.random.default_rng(case)
            xs = [g.integers(0, 2, (T, CIN, N)) for _ in range(8)]
            w = g.integers(-1, 2, (COUT, CIN, 1, 1))
            b = g.integers(-25, 26, (COUT, N))
            th = g.integers(1, 9, COUT)
        conv_case(tmp_path / f"c{case}", binary, xs, w, b, th, 1, 1, N, 1)
    # floor, not truncation: I = −3 then 16 − 3 gives V = −2, then 5 (< θ = 6: no spike);
    # halving toward 0 would give −1, then 6 (a spike)
    x = np.zeros((T, CIN, N), dtype=np.int64)
    x[1, 0, :] = 1
    w = np.zeros((COUT, CIN, 1, 1), dtype=np.int64)
    w[:, 0] = 1
    conv_case(tmp_path / "floor", binary, [x], w, np.full((COUT, N), -3), np.full(COUT, 6),
              1, 1, N, 1)


@pytest.mark.parametrize("T", [1, 3])
def test_conv1_without_inputs(tmp_path: Path, T: int) -> None:
    """CIN = 0 (every input channel pruned): LIF of the per-token bias; the 7-bit words of
    the ignored input stream are only counted."""
    N, COUT, B = 4, 3, 100
    binary = conv_binary(1, 1, N, T, 0, COUT, 1, 1, 7, 1, B)
    xs = [np.zeros((T, 0, N), dtype=np.int64)] * 2
    w = np.zeros((COUT, 0, 1, 1), dtype=np.int64)
    b = RNG.integers(-B, B + 1, (COUT, N))
    b[0, :] = B
    conv_case(tmp_path, binary, xs, w, b, np.array([1, 16, 50]), 1, 1, N, 1)


# ------------------------------------------------------------------ maxpool

def test_maxpool(tmp_path: Path) -> None:
    H, W, T, C = 5, 6, 2, 3
    HO, WO = (H + 1) // 2, (W + 1) // 2
    cfg = config_struct("cfg", {"H": H, "W": W, "HO": HO, "WO": WO},
                        {"word_t": f"ap_uint<{T * C}>"})
    body = f"""
    hls::stream<cfg::word_t> in, out;
    read_words<cfg::word_t, {T * C}>("in.hex", in);
    for (int f = 0; f < frames; f++) sdmf::maxpool_or<cfg>(in, out);
    write_words<{T * C}>("out.hex", out);"""
    binary = build("maxpool", main_source(["sdmf_maxpool_or.h"], cfg, body))
    xs = [(RNG.random((T, C, H * W)) < 0.2).astype(np.int64) for _ in range(3)]
    xs += [np.ones((T, C, H * W), dtype=np.int64), np.zeros((T, C, H * W), dtype=np.int64)]
    folder = run(binary, tmp_path, {"in.hex": frames_hex(xs, 1), "frames.txt": f"{len(xs)}\n"})
    want = ops.maxpool_or(t64(np.stack(xs)).reshape(len(xs), T, C, H, W)).numpy()
    got = read_frames(folder / "out.hex", len(xs), T, C, 1)
    np.testing.assert_array_equal(got, want.reshape(len(xs), T, C, HO * WO))


# ------------------------------------------------------------------ attention_lif

def test_attention_lif(tmp_path: Path) -> None:
    """Head 2 has v channels but no q·k channel (A = 0); head 3's q·k channel is alone."""
    N, T, F = 5, 3, 4
    hq, hv = np.array([0, 0, 1, 1, 3]), np.array([0, 1, 1, 2, 3, 3])
    CQK, CV = len(hq), len(hv)
    amax = N * 2
    cfg = config_struct("cfg", {"N": N, "T": T, "CQK": CQK, "CV": CV, "F": F,
                                "A_BITS": bit_width(0, amax),
                                "CUR_BITS": signed_bits(0, amax << F, 1 << (F + 1))},
                        {"q_t": f"ap_uint<{T * CQK}>", "k_t": f"ap_uint<{T * CQK}>",
                         "v_t": f"ap_uint<{T * CV}>", "out_t": f"ap_uint<{T * CV}>"})
    body = f"""
    std::vector<long long> hq = read_ints("hq.txt"), hv = read_ints("hv.txt");
    std::vector<int> hqi(hq.begin(), hq.end()), hvi(hv.begin(), hv.end());
    hls::stream<cfg::q_t> q; hls::stream<cfg::k_t> k; hls::stream<cfg::v_t> v;
    hls::stream<cfg::out_t> out;
    read_words<cfg::q_t, {T * CQK}>("q.hex", q);
    read_words<cfg::k_t, {T * CQK}>("k.hex", k);
    read_words<cfg::v_t, {T * CV}>("v.hex", v);
    for (int f = 0; f < frames; f++) sdmf::attention_lif<cfg>(q, k, v, out, hqi.data(), hvi.data());
    write_words<{T * CV}>("out.hex", out);"""
    binary = build("attention", main_source(["sdmf_attention_lif.h"], cfg, body))
    frames = [[(RNG.random((T, c, N)) < p).astype(np.int64) for c in (CQK, CQK, CV)]
              for p in (0.3, 0.6, 0.9)]
    frames.append([np.ones((T, c, N), dtype=np.int64) for c in (CQK, CQK, CV)])
    folder = run(binary, tmp_path, {
        "q.hex": frames_hex([f[0] for f in frames], 1),
        "k.hex": frames_hex([f[1] for f in frames], 1),
        "v.hex": frames_hex([f[2] for f in frames], 1),
        "hq.txt": ints(hq), "hv.txt": ints(hv), "frames.txt": f"{len(frames)}\n"})
    q, k, v = (t64(np.stack([f[i] for f in frames])) for i in range(3))
    a = ops.attention(q, k, v, t64(hq), t64(hv)).numpy()
    want = lif_ref(a, np.zeros(CV), np.full(CV, 1 << (F + 1)), F)
    got = read_frames(folder / "out.hex", len(frames), T, CV, 1)
    np.testing.assert_array_equal(got, want)
    assert want[:, :, 3].sum() == 0 and want.sum() > 0


# ------------------------------------------------------------------ residual_add

def test_residual_add(tmp_path: Path) -> None:
    P, T, D, CB, RB = 4, 2, 6, 3, 3
    ch = np.array([0, 2, 5])
    branch = np.full(D, -1)
    branch[ch] = np.arange(CB)
    cfg = config_struct("cfg", {"T": T, "D": D, "CB": CB, "POSITIONS": P, "R_IN_BITS": RB,
                                "R_OUT_BITS": RB},
                        {"r_t": f"ap_uint<{T * D * RB}>", "s_t": f"ap_uint<{T * CB}>",
                         "out_t": f"ap_uint<{T * D * RB}>"})
    body = f"""
    std::vector<long long> br = read_ints("branch.txt");
    std::vector<int> bi(br.begin(), br.end());
    hls::stream<cfg::r_t> r; hls::stream<cfg::s_t> s; hls::stream<cfg::out_t> out;
    read_words<cfg::r_t, {T * D * RB}>("r.hex", r);
    read_words<cfg::s_t, {T * CB}>("s.hex", s);
    for (int f = 0; f < frames; f++) sdmf::residual_add<cfg>(r, s, out, bi.data());
    write_words<{T * D * RB}>("out.hex", out);"""
    binary = build("residual", main_source(["sdmf_residual_add.h"], cfg, body))
    rs = [RNG.integers(0, 7, (T, D, P)), np.full((T, D, P), 6)]
    ss = [RNG.integers(0, 2, (T, CB, P)), np.ones((T, CB, P), dtype=np.int64)]
    folder = run(binary, tmp_path, {"r.hex": frames_hex(rs, RB), "s.hex": frames_hex(ss, 1),
                                    "branch.txt": ints(branch), "frames.txt": "2\n"})
    want = ops.residual_add(t64(np.stack(rs)), t64(np.stack(ss)), t64(ch)).numpy()
    np.testing.assert_array_equal(read_frames(folder / "out.hex", 2, T, D, RB), want)


# ------------------------------------------------------------------ head

def test_head_argmax(tmp_path: Path) -> None:
    """Random and full-scale stimuli, and ties (they go to the lowest class index)."""
    N, T, D, K, SHIFT, RB = 5, 2, 4, 3, 2, 3
    pool = T * N * 7
    lmax = (D * 127 * pool << SHIFT) + 1000
    L = signed_bits(-lmax, lmax, 0, K)
    cfg = config_struct("cfg", {"N": N, "T": T, "D": D, "K": K, "SHIFT": SHIFT, "R_BITS": RB,
                                "W_BITS": 8, "POOL_BITS": bit_width(0, pool), "LOGIT_BITS": L},
                        {"in_t": f"ap_uint<{T * D * RB}>", "out_t": f"ap_int<{L}>"})
    body = f"""
    std::vector<long long> w = read_ints("weight.txt"), b = read_ints("bias.txt");
    hls::stream<cfg::in_t> in; hls::stream<cfg::out_t> out;
    read_words<cfg::in_t, {T * D * RB}>("in.hex", in);
    for (int f = 0; f < frames; f++) sdmf::head_argmax<cfg>(in, out, w.data(), b.data());
    write_words<{L}>("out.hex", out);"""
    binary = build("head", main_source(["sdmf_head_argmax.h"], cfg, body))
    cases = [(RNG.integers(0, 8, (T, D, N)), RNG.integers(-127, 128, (K, D)),
              RNG.integers(-1000, 1001, K)),
             (np.full((T, D, N), 7), np.full((K, D), -127), np.array([-1000, -1000, 1000])),
             (np.full((T, D, N), 7), np.full((K, D), 127), np.array([1000, 1000, 1000])),
             (np.zeros((T, D, N), dtype=np.int64), np.zeros((K, D), dtype=np.int64),
              np.array([5, 7, 7]))]
    for i, (r, w, b) in enumerate(cases):
        folder = run(binary, tmp_path / f"c{i}", {"in.hex": frames_hex([r], RB),
                                                   "weight.txt": ints(w), "bias.txt": ints(b),
                                                   "frames.txt": "1\n"})
        logits = ops.head_logits(t64(r[None]), t64(w), t64(b), SHIFT)
        cls = int(ops.predict(logits)[0])
        got = parse_hex_lines((folder / "out.hex").read_text())
        want = [pack([int(v)], L, signed=True) for v in logits[0]] + [cls]
        assert got == want, f"case {i}"
    assert cls == 1      # the last case: a tie of classes 1 and 2


# ------------------------------------------------------------------ AXI4-Stream ends

IO_BODY = """
    hls::stream<sdmf::beat_t> beats;
    std::vector<long long> lasts = read_ints("last.txt");
    hls::stream<ap_uint<64> > raw;
    int n = read_words<ap_uint<64>, 64>("beats.hex", raw);
    for (int i = 0; i < n; i++) {
        sdmf::beat_t b; b.data = raw.read(); b.keep = 0xFF; b.last = lasts[i]; beats.write(b);
    }
    hls::stream<cfg::word_t> out;
    FILE *e = open_file("errors.txt", "w");
    for (int f = 0; f < frames; f++) {
        ap_uint<1> err; sdmf::axis_unpack<cfg>(beats, out, err); std::fprintf(e, "%d\\n", (int)err);
    }
    std::fclose(e);
    write_words<cfg::WORD>("out.hex", out);"""


@pytest.mark.parametrize("T,C,H,W,in_bits", [(2, 3, 1, 7, 3), (2, 5, 2, 2, 8), (1, 2, 3, 3, 1)])
def test_axis_unpack(tmp_path: Path, T: int, C: int, H: int, W: int, in_bits: int) -> None:
    """Beats of sdmf.device.stream.pack_input (several positions per beat with a partial last
    beat; several beats per position; T = 1) → the position words; TLAST errors flagged."""
    word = T * C * in_bits
    cfg = config_struct("cfg", {"WORD": word, "POSITIONS": H * W},
                        {"word_t": f"ap_uint<{word}>"})
    binary = build(f"unpack_{word}", main_source(["sdmf_axis_io.h"], cfg, IO_BODY))
    xs = [RNG.integers(0, 1 << (in_bits + 1), (T, C, H, W)) for _ in range(2)]
    beats = [pack_input(x, in_bits) for x in xs]
    lasts = [[int(i == len(b) - 1) for i in range(len(b))] for b in beats]
    lasts[1][-1] = 0                                     # the second sample lacks TLAST
    folder = run(binary, tmp_path, {"beats.hex": hex_lines([v for b in beats for v in b], 64),
                                    "last.txt": ints([v for lf in lasts for v in lf]),
                                    "frames.txt": "2\n"})
    sat = [np.minimum(x, (1 << in_bits) - 1).reshape(T, C, H * W) for x in xs]
    got = read_frames(folder / "out.hex", 2, T, C, in_bits)
    np.testing.assert_array_equal(got, np.stack(sat))
    assert (folder / "errors.txt").read_text().split() == ["0", "1"]


def test_axis_logits(tmp_path: Path) -> None:
    """Logit words → sdmf.device.stream.output_beats (sign-extended, class last, TLAST)."""
    K, L = 4, 19
    cfg = config_struct("cfg", {"K": K, "LOGIT_BITS": L}, {"word_t": f"ap_int<{L}>"})
    body = f"""
    hls::stream<ap_uint<{L}> > raw; hls::stream<cfg::word_t> in; hls::stream<sdmf::beat_t> out;
    int n = read_words<ap_uint<{L}>, {L}>("in.hex", raw);
    for (int i = 0; i < n; i++) in.write(cfg::word_t(raw.read()));
    for (int f = 0; f < frames; f++) sdmf::axis_logits<cfg>(in, out);
    FILE *o = open_file("out.txt", "w");
    while (!out.empty()) {{
        sdmf::beat_t b = out.read();
        std::fprintf(o, "%llx %d %d\\n", (unsigned long long)b.data.to_uint64(), (int)b.keep,
                     (int)b.last);
    }}
    std::fclose(o);"""
    binary = build("logits", main_source(["sdmf_axis_io.h"], cfg, body))
    results = [([-(1 << (L - 1)), (1 << (L - 1)) - 1, 0, -1], 1), ([5, -7, 9, 9], 2)]
    words = [pack([v], L, signed=True) for lg, c in results for v in [*lg, c]]
    folder = run(binary, tmp_path, {"in.hex": hex_lines(words, L), "frames.txt": "2\n"})
    want = [f"{b:x} 255 {int(i == K)}" for lg, c in results
            for i, b in enumerate(output_beats(lg, c))]
    assert (folder / "out.txt").read_text().splitlines() == want


# ------------------------------------------------------------------ fork and fifo

def test_fork_and_fifo(tmp_path: Path) -> None:
    P, M, WB = 5, 3, 70
    cfg = config_struct("cfg", {"M": M, "POSITIONS": P}, {"word_t": f"ap_uint<{WB}>"})
    body = f"""
    hls::stream<cfg::word_t> in, mid, outs[cfg::M], out;
    read_words<cfg::word_t, {WB}>("in.hex", in);
    for (int f = 0; f < frames; f++) {{ sdmf::fifo<cfg>(in, mid); sdmf::fork<cfg>(mid, outs); }}
    write_words<{WB}>("o0.hex", outs[0]); write_words<{WB}>("o1.hex", outs[1]);
    write_words<{WB}>("o2.hex", outs[2]);"""
    binary = build("fork", main_source(["sdmf_stream_ops.h"], cfg, body))
    data = [int(v) for v in RNG.integers(0, 1 << 62, 2 * P)]
    data[0] = (1 << WB) - 1
    folder = run(binary, tmp_path, {"in.hex": hex_lines(data, WB), "frames.txt": "2\n"})
    for m in range(M):
        assert parse_hex_lines((folder / f"o{m}.hex").read_text()) == data
