"""Token timing of every unit of the RTL library (hw/backends/rtl/library, support/).

Each class states, for one unit, when it presents output token k (``offer``) and from
which cycle it takes input token k (``accept``), as max-plus rules over transfers
``("x", stream, k)`` and its own keys; indices run over the whole run (all samples in
order). The per-token service times are the kind specs' (``position_cycles``,
``AttentionLif.token_ops``, ``Head`` constants); the handshake equations follow the SV
registers named in each docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from ..kinds.conv_lif import slot_need, window_need
from ..kinds.head import head_acc
from .recurrence import Key, Rule, TimingError, after, after_rule, const, latest


def _x(stream: str, k: int, plus: int = 0) -> Rule:
    return after(("x", stream, k), plus)


@dataclass
class ConvUnit:
    """``sdmf_conv_lif`` with ``nb`` beats per position (stream index k = p·nb + b): the
    ops of output position p issue in consecutive cycles from ``f(p) = max(A(p − 1),
    x_in(window_need(p) − 1) + 1)`` (the last beat of its window); its EMIT issues at
    ``e(p) = f(p) + service(p) − 1``; stage A commits it at ``A(p) = max(e(p) + 1,
    x_out(p·nb − 1))`` (the EMIT stall until the last beat of p − 1 left the output
    register); beat 0 of p is valid from ``A(p) + 1``, beat b > 0 from ``x_out(k − 1) + 1``.
    Input beat k is taken from ``e(slot_need(k) − 1) + 1``."""

    name: str
    attrs: dict
    service: Sequence[int]          # issue cycles of each output position of the run
    inp: str
    out: str
    nb: int = 1                     # beats per position on both streams

    def streams(self) -> tuple[list[str], list[str]]:
        return [self.inp], [self.out]

    def rule(self, key: Key) -> Rule:
        what, _, p = key
        if not 0 <= p < len(self.service):
            raise TimingError(f"unit {self.name}: position {p} outside the run "
                              f"(0..{len(self.service) - 1})")
        if what == "e":
            start = latest(_x(self.inp, window_need(self.attrs, p, self.nb) - 1, 1),
                           *([after(("A", self.name, p - 1))] if p else []))
            return after_rule(start, int(self.service[p]) - 1)
        if what == "A":
            return latest(after(("e", self.name, p), 1),
                          *([_x(self.out, p * self.nb - 1)] if p else []))
        raise TimingError(f"unit {self.name}: no timing key {what!r}")

    def offer(self, stream: str, k: int) -> Rule:
        p, b = divmod(k, self.nb)
        return _x(self.out, k - 1, 1) if b else after(("A", self.name, p), 1)

    def accept(self, stream: str, k: int) -> Rule:
        need = slot_need(self.attrs, k, self.nb)
        return const(0) if need <= 0 else after(("e", self.name, need - 1), 1)


@dataclass
class FifoUnit:
    """``sdmf_fifo`` with ``sub`` sub-words per token: reading token k starts at ``s(k) =
    max(x_in(k) + sub, f(k − 1) + 1)`` and its last sub-word is read at ``f(k) = max(s(k) +
    sub − 1, x_out(k − 1))`` (``rlast``; sub = 1: ``max(x_in(k) + 1, x_out(k − 1))``, the
    plain FIFO's ``rd``); it is valid from ``f(k) + 1`` (sub = 1) or ``f(k) + 2``; input k
    is taken once the writer is idle, ``x_in(k − 1) + sub``, and the memory has room,
    ``f(k − DEPTH) + 1``."""

    name: str
    depth: int
    inp: str
    out: str
    sub: int = 1

    def streams(self) -> tuple[list[str], list[str]]:
        return [self.inp], [self.out]

    def rule(self, key: Key) -> Rule:
        what, _, k = key
        if what == "s":
            return latest(_x(self.inp, k, self.sub),
                          *([after(("r", self.name, k - 1), 1)] if k else []))
        if what == "r":
            return latest(after(("s", self.name, k), self.sub - 1),
                          *([_x(self.out, k - 1)] if k else []))
        raise TimingError(f"unit {self.name}: no timing key {what!r}")

    def offer(self, stream: str, k: int) -> Rule:
        return after(("r", self.name, k), 1 if self.sub == 1 else 2)

    def accept(self, stream: str, k: int) -> Rule:
        rules = [_x(self.inp, k - 1, self.sub)] if k else []
        if k >= self.depth:
            rules.append(after(("r", self.name, k - self.depth), 1))
        return latest(*rules) if rules else const(0)


@dataclass
class ForkUnit:
    """``sdmf_fork``: token k is presented on every output from ``x_in(k) + 1``; the next
    one is taken in the cycle its last output transfers (``&taken``)."""

    name: str
    inp: str
    outs: Sequence[str]

    def streams(self) -> tuple[list[str], list[str]]:
        return [self.inp], list(self.outs)

    def rule(self, key: Key) -> Rule:
        raise TimingError(f"unit {self.name}: no timing key {key[0]!r}")

    def offer(self, stream: str, k: int) -> Rule:
        return _x(self.inp, k, 1)

    def accept(self, stream: str, k: int) -> Rule:
        return const(0) if k == 0 else latest(*(_x(o, k - 1) for o in self.outs))


@dataclass
class MaxpoolUnit:
    """``sdmf_maxpool_or``, over beats (``nb`` per position, token k = position·nb + b):
    input beat (y, x, b) emits output beat b of its window when it closes a 2×2 window
    (x odd or last, y odd or last), valid from its transfer + 1 — output beat j·nb + b of
    a frame comes from input beat gen[j]·nb + b; every input beat waits while the output
    register holds a beat (``s_ready = !m_valid || m_ready``)."""

    name: str
    H: int
    W: int
    inp: str
    out: str
    nb: int = 1

    def __post_init__(self) -> None:
        if self.nb < 1:
            raise TimingError(f"unit {self.name}: nb = {self.nb} beats per position, "
                              "must be >= 1")
        self.emits = [(x % 2 == 1 or x == self.W - 1) and (y % 2 == 1 or y == self.H - 1)
                      for y in range(self.H) for x in range(self.W)]
        self.gen = [q for q, e in enumerate(self.emits) if e]      # input of output j
        self.before = [0, *accumulate(self.emits)][:-1]            # outputs of inputs < q

    def streams(self) -> tuple[list[str], list[str]]:
        return [self.inp], [self.out]

    def rule(self, key: Key) -> Rule:
        raise TimingError(f"unit {self.name}: no timing key {key[0]!r}")

    def offer(self, stream: str, j: int) -> Rule:
        i, jl = divmod(j, len(self.gen) * self.nb)
        jp, b = divmod(jl, self.nb)
        return _x(self.inp, (i * self.H * self.W + self.gen[jp]) * self.nb + b, 1)

    def accept(self, stream: str, q: int) -> Rule:
        i, ql = divmod(q, self.H * self.W * self.nb)
        qp, b = divmod(ql, self.nb)
        done = (i * len(self.gen) + self.before[qp]) * self.nb     # beats of earlier outputs
        prev = done + (b if self.emits[qp] else 0) - 1
        return const(0) if prev < 0 else _x(self.out, prev)


@dataclass
class JoinUnit:
    """``sdmf_residual_add``: both inputs transfer together once both are valid and the
    output register has room (``x_out(k − 1)``); the sum is valid from the next cycle."""

    name: str
    ins: Sequence[str]
    out: str

    def streams(self) -> tuple[list[str], list[str]]:
        return list(self.ins), [self.out]

    def rule(self, key: Key) -> Rule:
        raise TimingError(f"unit {self.name}: no timing key {key[0]!r}")

    def offer(self, stream: str, k: int) -> Rule:
        return _x(self.ins[0], k, 1)

    def accept(self, stream: str, k: int) -> Rule:
        others = [after(("o", s, k)) for s in self.ins if s != stream]
        return latest(*others, *([_x(self.out, k - 1)] if k else [const(0)]))


@dataclass
class AttentionUnit:
    """``sdmf_attention_lif``, per frame of N tokens of ``nb`` beats (stream index = beat
    ``g·nb + b``; keys ``P``, ``R``, ``A`` per token g): k/v token g's first beat loads
    (both ports in one cycle) from ``P(g)`` (state LD1, not stalled), each further beat
    from the previous one + 1, then ``upd`` UPD ops; after the frame's last, q token g's
    first beat loads from ``R(g)`` (LD2), its beats one per cycle, then ``att`` ATT ops
    and the EMIT, which commits (``A(g)``) once the previous token's last output beat
    has left; output beat b of token g is offered from ``A(g) + 1`` (b = 0) or the
    previous beat's transfer + 1. ``P(0)`` of the next frame = ``A`` of the last q
    token."""

    name: str
    N: int
    upd: int                        # phase-1 ops per k/v token (after its load)
    att: int                        # phase-2 ops per q token (between its load and EMIT)
    q: str
    k: str
    v: str
    out: str
    nb: int = 1

    def __post_init__(self) -> None:
        if self.nb < 1:
            raise TimingError(f"unit {self.name}: nb = {self.nb} beats per token, must be >= 1")

    def streams(self) -> tuple[list[str], list[str]]:
        return [self.q, self.k, self.v], [self.out]

    def _last(self, stream: str, g: int, plus: int) -> Rule:
        """The transfer of token g's last beat on ``stream``, + ``plus``."""
        return _x(stream, g * self.nb + self.nb - 1, plus)

    def rule(self, key: Key) -> Rule:
        what, _, g = key
        m = g % self.N
        if what == "P":
            if m == 0:
                return const(0) if g == 0 else after(("A", self.name, g - 1))
            return self._last(self.k, g - 1, 1 + self.upd)
        if what == "R":
            return self._last(self.k, g + self.N - 1, self.upd + 1) if m == 0 \
                else after(("A", self.name, g - 1))
        if what == "A":
            return latest(self._last(self.q, g, self.att + 2),
                          *([self._last(self.out, g - 1, 0)] if g else []))
        raise TimingError(f"unit {self.name}: no timing key {what!r}")

    def offer(self, stream: str, j: int) -> Rule:
        g, b = divmod(j, self.nb)
        return _x(self.out, j - 1, 1) if b else after(("A", self.name, g), 1)

    def accept(self, stream: str, j: int) -> Rule:
        g, b = divmod(j, self.nb)
        if stream == self.q:
            return _x(self.q, j - 1, 1) if b else after(("R", self.name, g))
        other = self.v if stream == self.k else self.k
        own = _x(stream, j - 1, 1) if b else after(("P", self.name, g))
        return latest(own, after(("o", other, j)))


@dataclass
class HeadUnit:
    """``sdmf_head_argmax``, input index = beat ``n·NB + b``, ``A`` accumulation cycles per
    beat (:func:`sdmf.hw.kinds.head.head_acc`: D with NB = 1, D/PP with NB > 1): beat n of
    a frame is taken in state IN or in the last ACC cycle of beat n − 1 (``x_in(n − 1) +
    A``), and the frame's last beat is followed by A ACC cycles. Then K·D LIN and one
    DRAIN cycle, and the K + 1 output words (logits, class) leave one per ready cycle; the
    next frame's first beat is taken after the last word."""

    name: str
    N: int
    D: int
    K: int
    inp: str
    out: str
    nb: int = 1
    pp: int = 1

    def __post_init__(self) -> None:
        if self.nb < 1:
            raise TimingError(f"unit {self.name}: nb = {self.nb} beats per token, must be >= 1")
        try:
            self.acc = head_acc(self.D, self.nb, self.pp)
        except ValueError as e:
            raise TimingError(f"unit {self.name}: {e}") from None

    def streams(self) -> tuple[list[str], list[str]]:
        return [self.inp], [self.out]

    def rule(self, key: Key) -> Rule:
        raise TimingError(f"unit {self.name}: no timing key {key[0]!r}")

    @property
    def beats(self) -> int:
        """Input beats per frame."""
        return self.N * self.nb

    def offer(self, stream: str, w: int) -> Rule:
        i, e = divmod(w, self.K + 1)
        if e:
            return _x(self.out, w - 1, 1)
        return _x(self.inp, (i + 1) * self.beats - 1, self.acc + self.K * self.D + 2)

    def accept(self, stream: str, g: int) -> Rule:
        i, n = divmod(g, self.beats)
        if n:
            return _x(self.inp, g - 1, self.acc)
        return const(0) if i == 0 else _x(self.out, i * (self.K + 1) - 1, 1)


@dataclass
class UnpackUnit:
    """``sdmf_axis_unpack`` over the stream's beats (``nb`` per position, so ``positions ·
    nb`` words of ``WORD = BW`` bits per sample; the module's ``POSITIONS`` is that count).
    WORD ≤ 64 — an AXI beat carries ``per`` words of one sample, presented one per cycle
    from its transfer + 1; the next AXI beat is taken after the last word left. WORD > 64
    — ``limbs`` AXI beats fill one word, presented from the last one's transfer + 1; the
    next word's first AXI beat waits for it to leave."""

    name: str
    positions: int
    per: int                        # words per AXI beat (0: wide words)
    limbs: int                      # AXI beats per word (wide words)
    inp: str
    out: str
    nb: int = 1                     # stream beats (words) per position

    def __post_init__(self) -> None:
        if self.nb < 1:
            raise TimingError(f"unit {self.name}: nb = {self.nb} beats per position, "
                              "must be >= 1")

    def streams(self) -> tuple[list[str], list[str]]:
        return [self.inp], [self.out]

    @property
    def words(self) -> int:
        """Words (stream beats) per sample."""
        return self.positions * self.nb

    @property
    def beats(self) -> int:
        """AXI beats per sample."""
        return -(-self.words // self.per) if self.per else self.words * self.limbs

    def rule(self, key: Key) -> Rule:
        raise TimingError(f"unit {self.name}: no timing key {key[0]!r}")

    def offer(self, stream: str, j: int) -> Rule:
        if not self.per:
            return _x(self.inp, j * self.limbs + self.limbs - 1, 1)
        i, jl = divmod(j, self.words)
        b, m = divmod(jl, self.per)
        return _x(self.out, j - 1, 1) if m else _x(self.inp, i * self.beats + b, 1)

    def accept(self, stream: str, bg: int) -> Rule:
        if not self.per:
            j, m = divmod(bg, self.limbs)
            return _x(self.out, j - 1, 1) if m == 0 and j else const(0)
        i, b = divmod(bg, self.beats)
        last = i * self.words + b * self.per - 1
        return const(0) if bg == 0 else _x(self.out, last, 1)


@dataclass
class HostSource:
    """The input beats of ``sdmf_top``: sample i's input opens the cycle after its
    ``start`` (``in_open``) and its beats are valid from ``valid[i]`` on, back to back
    (no gaps); beat 0 is presented from ``max(start + 1, valid)``."""

    name: str
    starts: Sequence[int]
    valid: Sequence[int]
    beats: int
    out: str

    def streams(self) -> tuple[list[str], list[str]]:
        return [], [self.out]

    def rule(self, key: Key) -> Rule:
        raise TimingError(f"unit {self.name}: no timing key {key[0]!r}")

    def offer(self, stream: str, bg: int) -> Rule:
        i, b = divmod(bg, self.beats)
        if b:
            return _x(self.out, bg - 1, 1)
        if i >= min(len(self.starts), len(self.valid)):
            raise TimingError(f"{self.name}: no start cycle of sample {i}")
        return const(max(int(self.starts[i]) + 1, int(self.valid[i])))
