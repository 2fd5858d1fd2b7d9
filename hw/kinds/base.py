"""The backend-neutral half of a layer kind, and the set of kinds a backend uses.

A :class:`LayerKind` owns everything the generator knows about one kind of hardware
layer that does not depend on how a backend implements it: its input ports, which IR
ops it is built from (:meth:`LayerKind.from_ir`), its datapath widths, the integer
tensors it stores (:meth:`LayerKind.memory_needs`), when it is empty, its parallelism
knobs with their legal values and cost, its exact busy cycles, and the stream facts
FIFO sizing needs. Passes ask these methods and never compare kind names.

A backend's code generation and memory layouts live in its own folder
(``hw/backends/<backend>/kinds/``). A backend whose units behave differently (other
cycle formulas, other knobs) supplies a :class:`KindSet` with its own subclasses
(:meth:`KindSet.replace`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from sdmf.quant.opdefs import Op

    from ..graph import HwGraph, HwLayer, IrBuilder, Stream

Knobs = dict[str, int]


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def divisors(n: int) -> list[int]:
    """Divisors of ``n`` (``[1]`` for 0: a unit without inputs has one lane)."""
    return [d for d in range(1, n + 1) if n % d == 0] or [1]


@dataclass(frozen=True)
class MemoryNeed:
    """An integer tensor a layer stores: ``count`` elements in ``[lo, hi]``.

    How the elements are laid out in memories (word width, depth, order) is the
    backend's decision; a need with ``count = 0`` needs no memory.
    """

    role: str          # weight, bias, theta, buffer, ...
    count: int
    lo: int
    hi: int


class LayerKind:
    """One kind of hardware layer (subclass per kind; one module per kind in hw/kinds/).

    The defaults describe a streaming unit with one input ``s``, no knobs, no stored
    tensors and no cycle model.
    """

    name: ClassVar[str] = ""
    ports: ClassVar[tuple[str, ...]] = ("s",)   # input port names, in order
    ops: ClassVar[tuple[str, ...]] = ()         # IR op types a layer of this kind starts at
    fuses: ClassVar[tuple[str, ...]] = ()       # IR op types fused into it (a conv's lif)
    busy: ClassVar[bool] = True                 # has a busy-cycle counter
    compute: ClassVar[bool] = False             # a compute unit (counted first, cycle model)
    boundary: ClassVar[bool] = False            # the graph's AXI4-Stream ends: never removed
    fans_out: ClassVar[bool] = False            # feeds several streams (a fork)
    buffer: ClassVar[bool] = False              # a FIFO placed by SizeFifos (absorbs nothing
    #                                             when SizeFifos sizes paths)
    po_max: ClassVar[int] = 64
    pi_max: ClassVar[int] = 64

    # ------------------------------------------------------------ graph construction
    def from_ir(self, op: Op, b: IrBuilder) -> None:
        """Add the layer(s) starting at IR op ``op`` (and the streams into them) to ``b``."""
        raise NotImplementedError(f"kind {self.name!r} is not built from IR ops")

    # ------------------------------------------------------------ widths and memories
    def assign_widths(self, graph: HwGraph, layer: HwLayer) -> None:
        """Set ``layer.widths`` (its input streams' element widths are already set)."""

    def memory_needs(self, layer: HwLayer) -> list[MemoryNeed]:
        """The integer tensors ``layer`` stores (backends decide the layout)."""
        return []

    def describe(self, layer: HwLayer) -> str:
        """A short shape summary for reports (``3×3 2→32 @1024``)."""
        return ""

    # ------------------------------------------------------------ empty layers
    def is_empty(self, layer: HwLayer) -> bool:
        """Whether every output channel was pruned (the layer produces nothing)."""
        return False

    def empty_feed(self, graph: HwGraph, layer: HwLayer) -> Stream:
        """The input stream an empty layer's consumers are fed instead (flagged ignored)."""
        return graph.inputs_of(layer.name)[0]

    # ------------------------------------------------------------ parallelism
    def knobs(self, layer: HwLayer) -> tuple[str, ...]:
        """Names of the parallelism knobs of ``layer`` (empty: fixed datapath)."""
        return ()

    def candidates(self, layer: HwLayer) -> Iterator[Knobs]:
        """Every legal knob setting (Pareto-relevant values only)."""
        yield {}

    def validate(self, layer: HwLayer, knobs: Knobs) -> None:
        """Raise ``ValueError`` naming the layer and knob when a setting is illegal."""
        allowed = set(self.knobs(layer))
        for key, value in knobs.items():
            if key not in allowed:
                raise ValueError(f"layer {layer.name!r} ({layer.kind}) has no knob {key!r}; "
                                 f"knobs: {sorted(allowed) or 'none'}")
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"layer {layer.name!r}: {key} must be a positive integer")
        self.check_knobs(layer, knobs)

    def lanes_allowed(self, layer: HwLayer, knobs: Knobs) -> bool:
        """Whether ``layer`` can be event-driven per input lane (``EV = 2``) under ``knobs``."""
        return False

    def check_knobs(self, layer: HwLayer, knobs: Knobs) -> None:
        """Kind-specific legality of known, positive knob values (see :meth:`validate`)."""

    def cost(self, layer: HwLayer, knobs: Knobs) -> int:
        """Resource proxy: parallel multiply/AND-accumulate lanes."""
        return 0

    # ------------------------------------------------------------ cycles
    def cycles(self, layer: HwLayer, knobs: Knobs) -> int:
        """Exact busy cycles of one inference under ``knobs`` (0: no cycle model); for a
        data-dependent unit the worst case over all inputs."""
        return 0

    def data_dependent(self, layer: HwLayer, knobs: Knobs) -> bool:
        """Whether the busy cycles under ``knobs`` depend on the input data."""
        return False

    def sample_cycles(self, layer: HwLayer, knobs: Knobs, inputs: dict[str, np.ndarray]) -> int:
        """Exact busy cycles of one inference on one sample's input tensors (``{port:
        tensor}``, the golden model's values); :meth:`cycles` unless data-dependent."""
        return self.cycles(layer, knobs)

    # ------------------------------------------------------------ stream facts (FIFO sizing)
    def capacity(self, layer: HwLayer) -> int:
        """Upper bound of the tokens the unit absorbs while its output is stalled."""
        return 0

    def row_window(self, layer: HwLayer) -> int:
        """Positions per input row when the unit buffers a window of whole input rows
        (a 3×3 conv's line buffer: W), else 0 (the Decouple pass's row FIFOs)."""
        return 0

    def phased(self, layer: HwLayer) -> bool:
        """Whether the unit works frame by frame in phases (not token by token): it takes
        whole frames on some ports before others and emits its tokens in a burst."""
        return False

    def hold(self, layer: HwLayer, port: str) -> int:
        """Tokens of the next frame the path into ``port`` must buffer while a phased unit
        works on its other phase."""
        return 0

    def burst(self, layer: HwLayer) -> int:
        """Tokens a phased unit emits faster than a steady consumer takes them: the depth
        of the FIFO on its output."""
        return 0

    def port_order(self, layer: HwLayer, port: str) -> int:
        """Phase in which a multi-input unit consumes ``port`` (equal: in lockstep)."""
        return 0

    def lead(self, layer: HwLayer, port: str) -> int:
        """Tokens the unit takes on earlier-phase ports before its first token on ``port``."""
        return 0

    def signature(self, layer: HwLayer) -> tuple:
        """What two paths must share, unit by unit, to deliver in lockstep."""
        return (self.name,)


class KindSet:
    """The layer kinds one backend uses, by name, plus the IR ops that alias a stream.

    Graph construction finds the kind of an IR op with :meth:`for_op`; passes find a
    layer's spec with :meth:`of`.
    """

    def __init__(self, kinds: Iterable[LayerKind], aliases: Iterable[str] = ()) -> None:
        self._kinds = {k.name: k for k in kinds}
        self.aliases = tuple(aliases)
        self._by_op: dict[str, LayerKind] = {}
        for k in self._kinds.values():
            for t in k.ops:
                if t in self._by_op or t in self.aliases:
                    raise ValueError(f"IR op type {t!r} claimed twice (kind {k.name!r})")
                self._by_op[t] = k

    def __getitem__(self, name: str) -> LayerKind:
        try:
            return self._kinds[name]
        except KeyError:
            raise KeyError(f"no layer kind named {name!r}; kinds: "
                           f"{', '.join(self._kinds)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def __iter__(self) -> Iterator[LayerKind]:
        return iter(self._kinds.values())

    @property
    def names(self) -> list[str]:
        return list(self._kinds)

    def of(self, layer: HwLayer) -> LayerKind:
        """The spec of ``layer``'s kind."""
        return self[layer.kind]

    def for_op(self, op_type: str) -> LayerKind | None:
        """The kind a layer starting at an IR op of ``op_type`` has (None: not a start)."""
        return self._by_op.get(op_type)

    def replace(self, *kinds: LayerKind) -> KindSet:
        """A copy with some kinds replaced by subclasses (same name and ports)."""
        new = dict(self._kinds)
        for k in kinds:
            old = self[k.name]
            if k.ports != old.ports:
                raise ValueError(f"kind {k.name!r}: ports {k.ports} differ from {old.ports}")
            new[k.name] = k
        return KindSet(new.values(), self.aliases)


def strip_suffix(name: str, suffix: str) -> str:
    """``name`` without ``suffix`` (layer names from op names: ``sps.0.conv`` → ``sps.0``)."""
    return name[: -len(suffix)] if name.endswith(suffix) else name

