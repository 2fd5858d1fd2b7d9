"""What the resource model reads of one unit: :class:`UnitDesc`, built from a graph layer
(the planner) or from a project's ``report.json`` layer (the model-vs-Yosys report), and
the unit's *features* — the sizes its logic scales with, per kind of the RTL library.

Features are sums of datapath bits the unit's SystemVerilog instantiates (docs/hardware.md
per unit); the calibrated coefficients (:mod:`.calibration`) turn them into LUT, FF and
DSP counts. Besides its parameter memories (``memories``), a unit holds internal memories
(line buffers, FIFO storage, the attention's KV counters) that are placed ``auto``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..kinds import ceil_div
from ..kinds.head import head_pp


@dataclass(frozen=True)
class MemDesc:
    """One memory of a unit: ``depth × width`` bits, its placement, whether it is a
    runtime-loaded RAM (only those may go to URAM) or a ROM."""

    name: str
    depth: int
    width: int
    style: str = "auto"
    loaded: bool = False
    rom: bool = False        # a parameter memory of a ROM design (read-only)
    scratch: bool = False    # a working memory (no initial contents: URAM allowed)
    read_ports: int = 1      # > 1: asynchronous reads at as many addresses (LUT RAM copies)
    banks: int = 1           # > 1: the word split into as many memories (own addresses)
    async_read: bool = False  # read asynchronously: LUT RAM whatever its size
    single_port: bool = False  # read and written at one address (single-port LUT RAM)

    @property
    def no_init(self) -> bool:
        """Needs no initial contents (may be URAM): runtime-loaded or a working memory."""
        return self.loaded or self.scratch


@dataclass
class UnitDesc:
    """A unit's kind, structure, widths, knobs, stream word bits and memories."""

    name: str
    kind: str
    attrs: dict[str, Any]
    widths: dict[str, int]
    knobs: dict[str, int]
    word_in: int = 0              # Σ input stream word bits
    word_out: int = 0             # Σ output stream word bits
    memories: list[MemDesc] = field(default_factory=list)


def report_loads_params(report: dict[str, Any]) -> bool:
    """Whether a ``report.json``'s design loads its parameters at run time: its
    ``options.params``, or for a report written before that was recorded, a parameter map
    in its device interface."""
    params = report.get("options", {}).get("params")
    if params is not None:
        return params == "loaded"
    return bool((report.get("interface") or {}).get("params"))


def desc_from_report(lay: dict[str, Any], streams: list[dict[str, Any]],
                     loaded: bool = False) -> UnitDesc:
    """The unit of a ``report.json`` layer (``streams``: the report's streams; ``loaded``:
    the project's parameters are runtime-loaded)."""
    from ..backends.rtl.kinds import RTL_KINDS

    rk = RTL_KINDS.get(lay["kind"])
    roles, work = (rk.prm_roles, rk.work_roles) if rk else ((), ())
    w_in = sum(s["word_bits"] for s in streams if s["dst"] == lay["name"])
    w_out = sum(s["word_bits"] for s in streams if s["src"] == lay["name"])
    mems = [MemDesc(m["name"], m["depth"], m["width"], m.get("style", "auto"),
                    loaded and m["name"] in roles, not loaded and m["name"] in roles,
                    m["name"] in work, m.get("read_ports", 1), m.get("banks", 1),
                    m.get("async_read", False), m.get("single_port", False))
            for m in lay["memories"]]
    return UnitDesc(lay["name"], lay["kind"], dict(lay["attrs"]), dict(lay["widths"]),
                    dict(lay["parallel"]), w_in, w_out, mems)


# ---------------------------------------------------------------- features per kind
def _lane_events(u: UnitDesc) -> dict[str, float]:
    """EV = 2 beyond what EV = 1 has (its fit absorbs EV = 1's one encoder): the per-lane
    ``sdmf_first_set`` encoders have ``K²·CIN`` leaves instead of ``K²·CIN/PI`` (a leaf:
    a threshold compare and its share of the tree), each of the ``PI − 1`` further lanes
    has its threshold and element registers, and K = 3 rotates the nine taps'
    ``9·CIN`` mask bits instead of ``9·CIN/PI``."""
    a, k = u.attrs, u.knobs
    if k.get("EV", 0) != 2 or not a["CIN"]:
        return {}
    leaves = a["K"] * a["K"] * a["CIN"]
    extra = leaves - leaves // k.get("PI", 1)
    return {"lane_leaves": extra, "lane_regs": k.get("PI", 1) - 1,
            "lane_taps": extra if a["K"] == 3 else 0}


def _fanin_tree(u: UnitDesc) -> dict[str, float]:
    """The fan-in sums as ``sdmf_add_tree`` against the chains of ``ACC_BITS``-wide adders
    the calibration points were measured with (calibration.json ``fanin_tree``): per
    output a tree of ``N − 1`` two-input adders over ``N = PK·PI`` terms, ``⌈log2 N⌉``
    levels deep, of spikes (``sum_tree``: weights) or of products (``mul_tree``: ``x·w``,
    multi-bit inputs), each ``PO·(N − 1)·⌈log2 N⌉`` (an empirical form: the saving per
    adder grows with the depth in the measured pairs); with lane events on spikes also
    the weight bits each lane now zeroes at its register instead of gating (``lane_gate``)."""
    w, k = u.widths, u.knobs
    if not u.attrs["CIN"]:
        return {}
    po, n = k.get("PO", 1), k.get("PI", 1) * k.get("PK", 1)
    spikes = w["IN_BITS"] == 1
    gate = po * n * w["W_BITS"] if k.get("EV", 0) == 2 and spikes else 0
    depth = (n - 1).bit_length()
    return {"sum_tree" if spikes else "mul_tree": po * (n - 1) * depth, "lane_gate": gate}


def _conv(u: UnitDesc) -> tuple[dict[str, float], list[MemDesc]]:
    a, w, k = u.attrs, u.widths, u.knobs
    po, pi, pk = k.get("PO", 1), k.get("PI", 1), k.get("PK", 1)
    lanes = po * pi * pk
    # the issue stage selects its chunk from one beat (T/NB time steps) of the buffer
    xw = max(1, a["T"] // a.get("NB", 1) * a["CIN"] * w["IN_BITS"])
    mul = lanes * w["IN_BITS"] * w["W_BITS"] if w["IN_BITS"] > 1 else 0
    # NB = 1: the position's T·COUT spikes are registers ("out"); NB > 1: they are the
    # output ping-pong memory, written a group of PO spikes at a time ("ogrp" enables)
    nb = a.get("NB", 1)
    out = a["T"] * a["COUT"] if nb == 1 else 0
    ogrp = 0 if nb == 1 else a["T"] // nb * ceil_div(a["COUT"], po)
    feats = {"one": 1.0, "add": lanes * w["ACC_BITS"], "mul": mul, **_lane_events(u),
             **_fanin_tree(u),
             "lif": po * (w["ACC_BITS"] + w["CUR_BITS"]), "xsel": xw, "xrows": xw * (pk - 1),
             "out": out, "ogrp": ogrp, "wreg": lanes * w["W_BITS"]}
    # its input buffers (line buffer / ping-pong, EV masks) and, NB > 1, its output
    # ping-pong are the layer's memories (hw/backends/rtl/kinds/conv_lif.py)
    return feats, []


def _attention(u: UnitDesc) -> tuple[dict[str, float], list[MemDesc]]:
    a, w, po = u.attrs, u.widths, u.knobs.get("PO", 1)
    heads = max(1, len(a.get("heads", [1])))
    kvd = a["T"] * a["CQK"] * ceil_div(ceil_div(a["CV"], heads), po)
    kvb = max(1, (a["N"]).bit_length())
    # token registers q, k, v and the output (NB = 1); with NB > 1 the tokens and the
    # output ping-pong are the layer's memories qk, v and obuf
    regs = a["T"] * (2 * a["CQK"] + a["CV"]) if a.get("NB", 1) == 1 else 0
    feats = {"one": 1.0, "lanes": po * (w["A_BITS"] + w["CUR_BITS"]), "regs": regs,
             "out": u.word_out}
    return feats, [MemDesc("kv", kvd, po * kvb)] if kvd else []


def _head(u: UnitDesc) -> tuple[dict[str, float], list[MemDesc]]:
    a, w = u.attrs, u.widths
    # NB = 1: D pooled sums in a register chain; NB > 1: PP adders, the sums are the
    # layer's memory pool
    lanes = a["D"] if a.get("NB", 1) == 1 else head_pp(a, u.knobs)
    feats = {"one": 1.0, "pool": lanes * w["POOL_BITS"], "tok": u.word_in,
             "mac": w["LOGIT_BITS"] + w["W_BITS"] + w["POOL_BITS"]}
    return feats, []


def _maxpool(u: UnitDesc) -> tuple[dict[str, float], list[MemDesc]]:
    # its column buffer is the layer's memory ``colbuf``; a report written before it was
    # one (NB = 1 only) has it here
    has = any(m.name == "colbuf" for m in u.memories)
    return {"one": 1.0, "word": u.word_in}, [] if has else [MemDesc("colbuf", u.attrs["WO"],
                                                                    u.word_out)]


def _fifo(u: UnitDesc) -> tuple[dict[str, float], list[MemDesc]]:
    # a packed FIFO (SUB > 1 sub-words per word, PackFifos) assembles and splits its words
    # in registers and multiplexers as wide as the word; its buffer is the layer's memory
    # ``buffer``
    packed = u.word_in if u.attrs.get("SUB", 1) > 1 else 0
    return {"one": 1.0, "word": u.word_in, "packed": packed}, []


def _stream(u: UnitDesc) -> tuple[dict[str, float], list[MemDesc]]:
    return {"one": 1.0, "word": u.word_in + u.word_out}, []


FEATURES: dict[str, Callable[[UnitDesc], tuple[dict[str, float], list[MemDesc]]]] = {
    "conv_lif": _conv, "attention_lif": _attention, "head": _head, "maxpool": _maxpool,
    "fifo": _fifo, "fork": _stream, "residual_add": _stream, "input": _stream,
    "output": _stream,
}


def features(u: UnitDesc) -> tuple[dict[str, float], list[MemDesc]]:
    """The logic features of ``u`` and its internal (auto-placed) memories."""
    try:
        fn = FEATURES[u.kind]
    except KeyError:
        raise ValueError(f"resource model: no features for kind {u.kind!r} "
                         f"(layer {u.name!r}); kinds: {', '.join(FEATURES)}") from None
    return fn(u)
