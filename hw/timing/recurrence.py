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
(``rule``). Evaluation is memoised with an explicit stack (no recursion limit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

Key = tuple[str, str, int]
Fn = Callable[[list[int]], int]
Rule = tuple[list[Key], Fn]


class TimingError(ValueError):
    """A timing model was asked for something it does not have (names unit and index)."""


def const(c: int) -> Rule:
    """A rule without dependencies."""
    return [], lambda v: c


def after(key: Key, plus: int = 0) -> Rule:
    """``value(key) + plus``."""
    return [key], lambda v: v[0] + plus


def latest(*rules: Rule) -> Rule:
    """The max of several rules."""
    deps: list[Key] = []
    spans = []
    for d, f in rules:
        spans.append((len(deps), len(deps) + len(d), f))
        deps += d
    return deps, lambda v: max(f(v[a:b]) for a, b, f in spans)


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
        dst = self.consumer[name]
        if isinstance(dst, Sink):
            return [("o", name, k)], lambda v: dst.first_ready(v[0])
        return latest(after(("o", name, k)), dst.accept(name, k))

    def transfers(self, stream: str, count: int) -> list[int]:
        """Transfer cycles of the first ``count`` tokens of ``stream``."""
        return [self.eval(("x", stream, k)) for k in range(count)]
