"""The static bounds of quant/bounds.py: reached exactly, and never exceeded.

(a) Constructions: for every kind of bound (saturated input, 3×3 and 1×1
    accumulators, LIF currents with per-channel and per-token biases,
    attention ``N·|q·k channels|``, residual sums ``1 + adds``, the head's
    logits) an input is built here, from the weights, that drives the value to
    the declared ``lo``/``hi`` exactly. The golden model must produce that value
    without a ``WidthError``, so a bound that is one bit (or one unit) too tight
    fails, and so does one that is looser than the construction shows.
(b) Brute force: tiny random layers are run on every possible input; every
    value stays inside its interval and the accumulator and current bounds,
    which are reachable channel by channel, are attained.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
import torch

from sdmf.quant.golden import GoldenModel, WidthError
from sdmf.quant.ir import IntegerIR
from sdmf.quant.opdefs import Op
from sdmf.quant.program import execute

F = 2
LIF = {"frac_bits": F}


def _ir(prog: list[Op], params: dict, shape: tuple[int, int, int, int]) -> IntegerIR:
    return IntegerIR(ops=prog, params={k: np.asarray(v, dtype=np.int64) for k, v in params.items()},
                     input_shape=shape)


def _observe(ir: IntegerIR, x: np.ndarray) -> dict[str, tuple[int, int]]:
    """Run the golden model (width-checked) and return every tensor's observed (min, max)."""
    GoldenModel(ir).run(torch.as_tensor(x))              # raises WidthError past a bound
    seen: dict[str, tuple[int, int]] = {}

    def record(name: str, value: torch.Tensor) -> None:
        seen[name] = (int(value.min()), int(value.max()))

    params = {k: torch.from_numpy(v.astype(np.int64)) for k, v in ir.params.items()}
    execute(ir.ops, params, torch.as_tensor(x, dtype=torch.int64), check=record)
    return seen


def _assert_reached(ir: IntegerIR, seen: dict, names: list[str], side: str = "both") -> None:
    for name in names:
        spec, (lo, hi) = ir.tensors[name], seen[name]
        if side in ("both", "hi"):
            assert hi == spec.hi, f"{name}: reached {hi}, declared hi {spec.hi}"
        if side in ("both", "lo"):
            assert lo == spec.lo, f"{name}: reached {lo}, declared lo {spec.lo}"


# ---------------------------------------------------------------- (a) constructions


def test_input_and_conv2d_hand_computed_bound_is_reached():
    # 8-bit counts saturate at 255; a 3×3 kernel of +7 on one channel: hi = 9·7·255 = 16065,
    # reached at an interior pixel when every count is ≥ 255 (here 1000, saturated)
    prog = [Op("input", "input", attrs={"bits": 8}), Op("c", "conv2d", ("input",)),
            Op("l", "lif", ("c",), LIF), Op("f", "flatten", ("l",)),
            Op("head", "head", ("f",), {"shift": 0})]
    params = {"c.weight": np.full((1, 1, 3, 3), 7), "l.bias": [-5], "l.theta": [1],
              "head.weight": [[1]], "head.bias": [0]}
    ir = _ir(prog, params, (1, 1, 3, 3))
    assert (ir.tensors["input"].lo, ir.tensors["input"].hi) == (0, 255)
    assert (ir.tensors["c"].lo, ir.tensors["c"].hi) == (0, 16065)
    assert (ir.tensors["l.current"].lo, ir.tensors["l.current"].hi) == (-5, 16065 * 4 - 5)
    seen = _observe(ir, np.full((2, 1, 1, 3, 3), 1000) * np.array([0, 1]).reshape(2, 1, 1, 1, 1))
    _assert_reached(ir, seen, ["input", "c", "l.current"])


def _window_input(w: np.ndarray, xmax: int, sign: int, hw: tuple[int, int]) -> np.ndarray:
    """Counts ``[Ci, H, W]`` with ``xmax`` under the taps of ``w [Ci, 3, 3]`` of the given
    sign around pixel (1, 1) and 0 elsewhere: the 3×3 sum there is Σ max(sign·w, 0)·xmax."""
    x = np.zeros((w.shape[0], *hw), dtype=np.int64)
    x[:, 0:3, 0:3] = np.where(sign * w > 0, xmax, 0)
    return x


@pytest.mark.parametrize("seed", range(3))
def test_conv2d_accumulator_and_current_bounds_are_reached(seed):
    rng = np.random.default_rng(seed)
    bits, (ci, co) = 4, (2, 3)
    w = rng.integers(-9, 10, size=(co, ci, 3, 3))
    bias = rng.integers(-40, 40, size=co)
    prog = [Op("input", "input", attrs={"bits": bits}), Op("c", "conv2d", ("input",)),
            Op("l", "lif", ("c",), LIF), Op("p", "maxpool", ("l",)), Op("f", "flatten", ("p",)),
            Op("head", "head", ("f",), {"shift": 0})]
    params = {"c.weight": w, "l.bias": bias, "l.theta": [3] * co,
              "head.weight": np.ones((2, co)), "head.bias": [0, 0]}
    ir = _ir(prog, params, (1, ci, 4, 5))
    xmax = 2**bits - 1
    pos = (np.maximum(w, 0) * xmax).sum(axis=(1, 2, 3))      # per-channel Σ W⁺·xmax
    neg = (np.minimum(w, 0) * xmax).sum(axis=(1, 2, 3))
    samples = [_window_input(w[int(np.argmax(pos))], xmax, +1, (4, 5)),
               _window_input(w[int(np.argmin(neg))], xmax, -1, (4, 5)),
               _window_input(w[int(np.argmax(pos * 2**F + bias))], xmax, +1, (4, 5)),
               _window_input(w[int(np.argmin(neg * 2**F + bias))], xmax, -1, (4, 5))]
    seen = _observe(ir, np.stack(samples)[:, None])
    _assert_reached(ir, seen, ["c", "l.current"])


@pytest.mark.parametrize("seed", range(3))
def test_conv1d_and_per_token_current_bounds_are_reached(seed):
    rng = np.random.default_rng(100 + seed)
    ci, co, n = 5, 4, 3
    w = rng.integers(-127, 128, size=(co, ci))
    bias = rng.integers(-300, 300, size=(co, n))          # per channel and token
    params = {"c.weight": w, "l.bias": bias, "l.theta": [5] * co,
              "add.channels": list(range(co)), "head.weight": np.ones((1, ci)),
              "head.bias": [0]}
    prog = [Op("input", "input", attrs={"bits": 1}), Op("f", "flatten", ("input",)),
            Op("c", "conv1d", ("f",)), Op("l", "lif", ("c",), LIF),
            Op("add", "residual_add", ("f", "l")),      # the IR gate: every output is used
            Op("head", "head", ("add",), {"shift": 0})]
    ir = _ir(prog, params, (1, ci, 1, n))
    pos, neg = np.maximum(w, 0).sum(1), np.minimum(w, 0).sum(1)
    hi_c = pos * 2**F + bias.max(1)
    lo_c = neg * 2**F + bias.min(1)
    samples = []
    for c, sign, token in ((np.argmax(pos), 1, 0), (np.argmin(neg), -1, 0),
                           (np.argmax(hi_c), 1, np.argmax(bias[np.argmax(hi_c)])),
                           (np.argmin(lo_c), -1, np.argmin(bias[np.argmin(lo_c)]))):
        x = np.zeros((ci, n), dtype=np.int64)
        x[:, token] = sign * w[c] > 0
        samples.append(x)
    seen = _observe(ir, np.stack(samples).reshape(4, 1, ci, 1, n))
    _assert_reached(ir, seen, ["c", "l.current"])


def _always(prefix: str, src: str, cout: int, cin: int, p: dict) -> list[Op]:
    """A conv1d + LIF whose neurons fire at every step: zero weights, bias 2θ → V = θ."""
    p[f"{prefix}.weight"] = np.zeros((cout, cin))
    p[f"{prefix}l.bias"] = [8] * cout
    p[f"{prefix}l.theta"] = [4] * cout
    return [Op(prefix, "conv1d", (src,)), Op(f"{prefix}l", "lif", (prefix,), LIF)]


def test_attention_bound_n_times_qk_channels_is_reached():
    # heads: q·k channels tagged [0, 0, 0, 1], v channels tagged [0, 1, 1, 2] (head 2
    # has no q·k channel). With every spike on, A = N·|q·k of the head| = 6·3 for head 0
    n, p = 6, {}
    prog = [Op("input", "input", attrs={"bits": 1}), Op("f", "flatten", ("input",))]
    prog += _always("q", "f", 4, 2, p) + _always("k", "f", 4, 2, p) + _always("v", "f", 4, 2, p)
    prog += [Op("a", "attention", ("ql", "kl", "vl")), Op("al", "lif", ("a",), LIF),
             Op("head", "head", ("al",), {"shift": 0})]
    p.update({"a.head_qk": [0, 0, 0, 1], "a.head_v": [0, 1, 1, 2], "al.bias": [0] * 4,
              "al.theta": [8] * 4, "head.weight": [[1, 1, 1, 1]], "head.bias": [0]})
    ir = _ir(prog, p, (2, 2, 2, 3))
    assert ir.tensors["a"].hi == n * 3 and ir.tensors["al.current"].hi == n * 3 * 2**F
    seen = _observe(ir, np.zeros((1, 2, 2, 2, 3)))
    _assert_reached(ir, seen, ["a", "al.current"], side="hi")


def _stream_head_program(d: int, adds: int, k: int, shift: int, rng) -> tuple[list[Op], dict]:
    """input (1 bit) → flatten → ``adds`` × (identity conv1d → LIF that copies its input
    spike, residual add into every channel) → head. The stream is ``(1 + adds)·x``."""
    prog = [Op("input", "input", attrs={"bits": 1}), Op("f", "flatten", ("input",))]
    p: dict = {}
    stream = "f"
    for i in range(adds):
        # I = x·2^F, V = ⌊I/2⌋ = 2^(F−1) = θ: the LIF fires exactly when x = 1
        p.update({f"u{i}.weight": np.eye(d), f"u{i}l.bias": [0] * d,
                  f"u{i}l.theta": [2 ** (F - 1)] * d, f"add{i}.channels": list(range(d))})
        prog += [Op(f"u{i}", "conv1d", ("f",)), Op(f"u{i}l", "lif", (f"u{i}",), LIF),
                 Op(f"add{i}", "residual_add", (stream, f"u{i}l"))]
        stream = f"add{i}"
    prog.append(Op("head", "head", (stream,), {"shift": shift}))
    p["head.weight"] = rng.integers(-127, 128, size=(k, d))
    p["head.bias"] = rng.integers(-10**4, 10**4, size=k)
    return prog, p


@pytest.mark.parametrize(("adds", "shift", "seed"), [(0, 0, 0), (2, 3, 1), (3, 5, 2)])
def test_residual_and_head_bounds_are_reached(adds, shift, seed):
    rng = np.random.default_rng(200 + seed)
    d, k, shape = 5, 3, (3, 5, 2, 2)                    # T = 3, N = 4
    prog, p = _stream_head_program(d, adds, k, shift, rng)
    ir = _ir(prog, p, shape)
    stream = ir.ops[-1].inputs[0]
    assert ir.tensors[stream].hi == 1 + adds            # residual sums: 1 + number of adds
    w, b = p["head.weight"], p["head.bias"]
    pooled = shape[0] * shape[2] * shape[3] * (1 + adds)
    hi_k = (np.maximum(w, 0).sum(1) * pooled) * 2**shift + b
    lo_k = (np.minimum(w, 0).sum(1) * pooled) * 2**shift + b
    assert (ir.tensors["head"].lo, ir.tensors["head"].hi) == (int(lo_k.min()), int(hi_k.max()))
    # every spike on where the head weight of the extreme class has the right sign
    x_hi = (w[int(np.argmax(hi_k))] > 0)[None, :, None, None] * np.ones(shape, dtype=np.int64)
    x_lo = (w[int(np.argmin(lo_k))] < 0)[None, :, None, None] * np.ones(shape, dtype=np.int64)
    seen = _observe(ir, np.stack([x_hi, x_lo]))
    _assert_reached(ir, seen, ["head", stream] if adds == 0 else ["head"])
    if adds:
        _assert_reached(ir, seen, [stream], side="hi")


def test_head_bound_one_unit_tighter_is_caught():
    """The construction above fails the golden model's width check when the declared
    head interval is one unit narrower than the analysis gives."""
    rng = np.random.default_rng(7)
    prog, p = _stream_head_program(4, 1, 2, 2, rng)
    ir = _ir(prog, p, (2, 4, 1, 3))
    spec = ir.tensors["head"]
    w = p["head.weight"]
    pooled = 2 * 3 * 2                                  # T · N · (1 + adds)
    hi_class = int(np.argmax(np.maximum(w, 0).sum(1) * pooled * 2**2 + p["head.bias"]))
    x = (w[hi_class] > 0)[None, :, None, None] * np.ones((2, 4, 1, 3), dtype=np.int64)
    ir.tensors["head"] = replace(spec, hi=spec.hi - 1)
    with pytest.raises(WidthError, match="'head'"):
        GoldenModel(ir).run(torch.as_tensor(x[None]))


# ---------------------------------------------------------------- (b) brute force


@pytest.mark.parametrize("seed", range(4))
def test_brute_force_token_layers_stay_inside_and_reach_their_bounds(seed):
    rng = np.random.default_rng(300 + seed)
    ci, co, k = 4, 3, 2
    prog = [Op("input", "input", attrs={"bits": 1}), Op("f", "flatten", ("input",)),
            Op("c", "conv1d", ("f",)), Op("l", "lif", ("c",), LIF),
            Op("add", "residual_add", ("f", "l")), Op("head", "head", ("add",), {"shift": 1})]
    params = {"c.weight": rng.integers(-4, 5, size=(co, ci)),
              "l.bias": rng.integers(-20, 21, size=co), "l.theta": rng.integers(1, 6, size=co),
              "add.channels": np.sort(rng.permutation(ci)[:co]),
              "head.weight": rng.integers(-5, 6, size=(k, ci)),
              "head.bias": rng.integers(-9, 10, size=k)}
    ir = _ir(prog, params, (2, ci, 1, 1))
    # every binary input over T = 2 steps: 2^(2·4) = 256 samples
    xs = np.array(list(itertools.product([0, 1], repeat=2 * ci))).reshape(-1, 2, ci, 1, 1)
    seen = _observe(ir, xs)                              # no WidthError: all inside
    for name, spec in ir.tensors.items():
        assert spec.lo <= seen[name][0] and seen[name][1] <= spec.hi, name
    _assert_reached(ir, seen, ["input", "f", "c", "l.current"])


@pytest.mark.parametrize("seed", range(2))
def test_brute_force_conv2d_every_window(seed):
    rng = np.random.default_rng(400 + seed)
    prog = [Op("input", "input", attrs={"bits": 1}), Op("c", "conv2d", ("input",)),
            Op("l", "lif", ("c",), LIF), Op("p", "maxpool", ("l",)), Op("f", "flatten", ("p",)),
            Op("head", "head", ("f",), {"shift": 0})]
    params = {"c.weight": rng.integers(-6, 7, size=(2, 1, 3, 3)),
              "l.bias": rng.integers(-9, 10, size=2), "l.theta": [2, 3],
              "head.weight": rng.integers(-3, 4, size=(2, 2)), "head.bias": [1, -1]}
    ir = _ir(prog, params, (1, 1, 3, 3))
    xs = np.array(list(itertools.product([0, 1], repeat=9))).reshape(-1, 1, 1, 3, 3)
    seen = _observe(ir, xs)                              # all 512 binary 3×3 maps
    for name, spec in ir.tensors.items():
        assert spec.lo <= seen[name][0] and seen[name][1] <= spec.hi, name
    _assert_reached(ir, seen, ["c", "l.current"])


def test_brute_force_attention_reaches_n_times_qk():
    # q = x[0:2], k = x[2:4], v = x[4] copied through LIFs; N = 2, one head with two
    # q·k channels: every binary input (2^10) stays within A ≤ N·2 = 4 and reaches it
    prog = [Op("input", "input", attrs={"bits": 1}), Op("f", "flatten", ("input",))]
    p: dict = {}
    for name, rows in (("q", [0, 1]), ("k", [2, 3]), ("v", [4])):
        p[f"{name}.weight"] = np.eye(5)[rows]
        p[f"{name}l.bias"] = [0] * len(rows)
        p[f"{name}l.theta"] = [2 ** (F - 1)] * len(rows)
        prog += [Op(name, "conv1d", ("f",)), Op(f"{name}l", "lif", (name,), LIF)]
    prog += [Op("a", "attention", ("ql", "kl", "vl")), Op("al", "lif", ("a",), LIF),
             Op("head", "head", ("al",), {"shift": 0})]
    p.update({"a.head_qk": [0, 0], "a.head_v": [0], "al.bias": [0], "al.theta": [2 ** (F + 1)],
              "head.weight": [[1]], "head.bias": [0]})
    ir = _ir(prog, p, (1, 5, 1, 2))
    xs = np.array(list(itertools.product([0, 1], repeat=10))).reshape(-1, 1, 5, 1, 2)
    seen = _observe(ir, xs)
    assert ir.tensors["a"].hi == 4
    _assert_reached(ir, seen, ["a"])
