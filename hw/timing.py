"""Token-level timing: the max-plus recurrence of stream transfers (docs/event-driven.md).

Every stream carries tokens (position words) in order; token k of stream s transfers in
cycle ``x(s, k)`` (valid and ready both high in that cycle). A unit's output valid and
input ready are *sticky* (once up for a token they stay up until it transfers), so

``x(s, k) = max(offer(s, k), accept(s, k))``

with ``offer`` the first cycle the producer presents token k and ``accept`` the first
cycle the consumer takes it, each a max-plus function of earlier transfers and the
unit's per-token service times (the kind specs own those: e.g.
:func:`sdmf.hw.kinds.conv_lif.position_cycles`). A boundary source presents token k
``bubbles(k)`` cycles after the previous transfer; a boundary sink may drop ready in
any cycle (its pattern is given).

Implemented unit models: ``sdmf_conv_lif`` (K = 1 and 3, EV = 0 and 1). The
evaluation is lazy and memoised over keys ``(name, unit, index)`` with an explicit stack
(no recursion limit on long runs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .kinds.conv_lif import slot_need, window_need

Key = tuple[str, str, int]
Rule = tuple[list[Key], Callable[[list[int]], int]]


class TimingError(ValueError):
    """A timing model was asked for a token it does not have (names unit and index)."""


class Recurrence:
    """Memoised evaluation of keys whose rules name their dependencies."""

    def __init__(self, rule: Callable[[Key], Rule]) -> None:
        self.rule = rule
        self.memo: dict[Key, int] = {}

    def __call__(self, key: Key) -> int:
        memo, stack, expanding = self.memo, [key], set()
        while stack:
            top = stack[-1]
            if top in memo:
                stack.pop()
                continue
            deps, fn = self.rule(top)
            todo = [d for d in deps if d not in memo]
            if todo:
                if top in expanding or any(d in expanding for d in todo):
                    raise TimingError(f"timing of {top} depends on itself (a deadlock)")
                expanding.add(top)
                stack.extend(todo)
                continue
            expanding.discard(top)
            memo[top] = fn([memo[d] for d in deps])
            stack.pop()
        return memo[key]


@dataclass
class ConvUnit:
    """``sdmf_conv_lif`` (hw/backends/rtl/library/sdmf_conv_lif.sv), per output position p
    (global index over the run): its ops issue in consecutive cycles from
    ``f(p) = max(A(p − 1), x_in(window_need(p) − 1) + 1)``; the EMIT issues at ``e(p) =
    f(p) + service(p) − 1``; stage A commits it at ``A(p) = max(e(p) + 1, x_out(p − 1))``
    (it stalls the issue stage while the output register still holds p − 1); the output
    is valid from ``A(p) + 1``. Input word q is accepted from ``e(slot_need(q) − 1) + 1``.
    """

    name: str
    attrs: dict
    service: Sequence[int]          # issue cycles of each output position of the run
    inp: str                        # input stream
    out: str                        # output stream

    def rule(self, key: Key, net: Network) -> Rule:
        what, _, p = key
        n = len(self.service)
        if not 0 <= p < n:
            raise TimingError(f"unit {self.name}: position {p} outside the run (0..{n - 1})")
        if what == "e":
            deps = [("x", self.inp, window_need(self.attrs, p) - 1)]
            if p:
                deps.append(("A", self.name, p - 1))
            s = int(self.service[p])
            return deps, lambda v: max([v[0] + 1, *v[1:]]) + s - 1
        if what == "A":
            deps = [("e", self.name, p)] + ([("x", self.out, p - 1)] if p else [])
            return deps, lambda v: max([v[0] + 1, *v[1:]])
        raise TimingError(f"unit {self.name}: no timing key {what!r}")

    def offer(self, k: int) -> Rule:
        return [("A", self.name, k)], lambda v: v[0] + 1

    def accept(self, q: int) -> Rule:
        need = slot_need(self.attrs, q)
        if need <= 0:
            return [], lambda v: 0
        return [("e", self.name, need - 1)], lambda v: v[0] + 1


@dataclass
class Source:
    """A boundary source: token k is presented ``bubbles[k]`` cycles after token k − 1's
    transfer (token 0: ``bubbles[0]`` cycles after cycle 0)."""

    name: str
    bubbles: Sequence[int]
    out: str

    def offer(self, k: int) -> Rule:
        b = int(self.bubbles[k])
        if k == 0:
            return [], lambda v: b
        return [("x", self.out, k - 1)], lambda v: v[0] + 1 + b


@dataclass
class Sink:
    """A boundary sink whose ready is ``ready[c]`` in cycle c (high beyond the list)."""

    name: str
    ready: Sequence[bool]
    inp: str
    _next: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        r = np.asarray(self.ready, dtype=bool)
        nxt = np.arange(len(r) + 1)                  # first ready cycle >= c
        for c in range(len(r) - 1, -1, -1):
            if not r[c]:
                nxt[c] = nxt[c + 1]
        self._next = nxt

    def first_ready(self, c: int) -> int:
        return int(self._next[c]) if c < len(self._next) else c


@dataclass
class Network:
    """Units joined by streams (each stream: one producer, one consumer)."""

    units: list
    producer: dict[str, object] = field(init=False)
    consumer: dict[str, object] = field(init=False)

    def __post_init__(self) -> None:
        self.producer, self.consumer = {}, {}
        self.by_name = {u.name: u for u in self.units}
        for u in self.units:
            if hasattr(u, "out"):
                self.producer[u.out] = u
            if hasattr(u, "inp"):
                self.consumer[u.inp] = u
        self.eval = Recurrence(self.rule)

    def rule(self, key: Key) -> Rule:
        what, name, k = key
        if what != "x":
            return self.by_name[name].rule(key, self)
        src, dst = self.producer[name], self.consumer[name]
        od, of = src.offer(k)
        if isinstance(dst, Sink):
            return od, lambda v: dst.first_ready(of(v))
        ad, af = dst.accept(k)
        return od + ad, lambda v: max(of(v[:len(od)]), af(v[len(od):]))

    def transfers(self, stream: str, count: int) -> list[int]:
        """Transfer cycles of the first ``count`` tokens of ``stream``."""
        return [self.eval(("x", stream, k)) for k in range(count)]
