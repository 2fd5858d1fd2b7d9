"""The max-plus recurrence of stream transfers and its lazy evaluation.

Token k of stream s transfers in cycle ``x(s, k)`` (valid and ready both high). Every
unit's output valid and input ready are *sticky* for a token (once up they stay up
until it transfers; a join's ready waits only for its other inputs' valid, which is
sticky too), so

``x(s, k) = max(o(s, k), accept(s, k))``

with ``o(s, k)`` the first cycle the producer presents token k and ``accept`` the first
cycle the consumer takes it, each a max-plus function of other keys. A boundary
:class:`Sink` may drop ready in any cycle (its pattern is given). Keys are
``(what, stream or unit, index)``; units answer ``offer``, ``accept`` and their own keys
(``rule``). A rule is data, not code: a floor, terms ``(key, plus)`` and an optional
final map, its value ``post(max(floor, max value(key) + plus))``; a transfer's rule holds
its offer's terms (``o`` keys exist only where a unit names one). Evaluation is memoised
with an explicit stack (no recursion limit), each rule built once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

Key = tuple[str, str, int]
NONE = -(1 << 62)               # the floor of a rule without a constant term


Term = tuple[Key, int]
Post = Callable[[int], int] | None
Rule = tuple[int, list[Term], Post]
"""``post(max(floor, max(value(key) + plus for key, plus in terms)))`` (a plain tuple:
rules are built once per key)."""


class TimingError(ValueError):
    """A timing model was asked for something it does not have (names unit and index)."""


def const(c: int) -> Rule:
    """A rule without dependencies."""
    return c, [], None


def after(key: Key, plus: int = 0) -> Rule:
    """``value(key) + plus``."""
    return NONE, [(key, plus)], None


def latest(*rules: Rule) -> Rule:
    """The max of several rules (without a final map)."""
    if len(rules) == 1:
        return rules[0]
    if len(rules) == 2:
        (f, a, _), (g, b, _) = rules
        return (f if f > g else g), a + b, None
    terms: list[Term] = []
    for r in rules:
        terms += r[1]
    return max(r[0] for r in rules), terms, None


def after_rule(rule: Rule, plus: int) -> Rule:
    """``rule`` + ``plus`` (a rule without a final map)."""
    floor, terms, _ = rule
    return floor + plus if floor != NONE else NONE, [(k, c + plus) for k, c in terms], None


class Unit(Protocol):
    name: str

    def offer(self, stream: str, k: int) -> Rule: ...

    def accept(self, stream: str, k: int) -> Rule: ...

    def rule(self, key: Key) -> Rule: ...

    def streams(self) -> tuple[list[str], list[str]]: ...


class Recurrence:
    """Memoised evaluation of keys whose rules name their dependencies."""

    def __init__(self, rule: Callable[[Key], Rule]) -> None:
        self.rule = rule
        self.memo: dict[Key, int] = {}

    def __call__(self, key: Key) -> int:
        memo, rule, stack = self.memo, self.rule, [key]
        push = stack.append
        pending: dict[Key, Rule] = {}           # keys waiting for their dependencies
        while stack:
            top = stack[-1]
            if top in memo:
                stack.pop()
                continue
            r = pending.pop(top, None) or rule(top)
            best, terms, post = r
            waits = False
            for d, plus in terms:
                v = memo.get(d)
                if v is None:
                    if d in pending or d == top:
                        raise TimingError(f"timing of {top} depends on itself (a deadlock)")
                    push(d)
                    waits = True
                elif v + plus > best:
                    best = v + plus
            if waits:
                pending[top] = r
                continue
            memo[top] = post(best) if post else best
            stack.pop()
        return memo[key]


@dataclass
class Source:
    """A boundary source: token k is presented ``bubbles[k]`` cycles after token k − 1's
    transfer (token 0: ``bubbles[0]`` cycles after cycle 0)."""

    name: str
    bubbles: Sequence[int]
    out: str

    def streams(self) -> tuple[list[str], list[str]]:
        return [], [self.out]

    def offer(self, stream: str, k: int) -> Rule:
        b = int(self.bubbles[k])
        return const(b) if k == 0 else after(("x", self.out, k - 1), 1 + b)


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

    def streams(self) -> tuple[list[str], list[str]]:
        return [self.inp], []

    def first_ready(self, c: int) -> int:
        return int(self._next[c]) if c < len(self._next) else c


class Network:
    """Units joined by streams (each stream: one producer, one consumer)."""

    def __init__(self, units: Sequence[Any]) -> None:
        self.producer: dict[str, Any] = {}
        self.consumer: dict[str, Any] = {}
        self.by_name = {u.name: u for u in units}
        for u in units:
            ins, outs = u.streams()
            for s in outs:
                self.producer[s] = u
            for s in ins:
                self.consumer[s] = u
        loose = sorted(set(self.producer) ^ set(self.consumer))
        if loose:
            raise TimingError(f"streams without a producer or a consumer: {loose}")
        self.eval = Recurrence(self.rule)

    def rule(self, key: Key) -> Rule:
        what, name, k = key
        if what == "o":
            return self.producer[name].offer(name, k)
        if what != "x":
            return self.by_name[name].rule(key)
        # the offer's terms stand in for ("o", name, k): one key less per transfer
        floor, terms, _ = self.producer[name].offer(name, k)
        dst = self.consumer[name]
        if isinstance(dst, Sink):
            return floor, terms, dst.first_ready
        f, more, _ = dst.accept(name, k)
        return max(floor, f), terms + more, None

    def transfers(self, stream: str, count: int) -> list[int]:
        """Transfer cycles of the first ``count`` tokens of ``stream``."""
        return [self.eval(("x", stream, k)) for k in range(count)]
