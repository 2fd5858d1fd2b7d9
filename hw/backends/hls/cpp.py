"""C++ text helpers of the HLS backend: identifiers, stream types, constant arrays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...graph import HwGraph, Stream, sanitize

INT64_MIN = -(1 << 63)


def ident(name: str) -> str:
    """A C++ identifier from a layer or stream name."""
    return sanitize(name)


def c_int_type(lo: int, hi: int) -> str:
    """The narrowest standard C integer type holding ``[lo, hi]`` (ROM element type)."""
    for bits in (8, 16, 32, 64):
        if -(1 << (bits - 1)) <= lo and hi < (1 << (bits - 1)):
            return f"int{bits}_t"
    raise ValueError(f"values {lo}..{hi} do not fit 64 signed bits")


def literal(v: int) -> str:
    """A C++ integer literal of ``v`` (64-bit safe)."""
    v = int(v)
    if v == INT64_MIN:
        return "(-9223372036854775807LL - 1)"
    return f"{v}LL" if not -(1 << 31) <= v < (1 << 31) else str(v)


def const_array(name: str, values: Sequence[int] | np.ndarray, ctype: str | None = None,
                dims: Sequence[int] | None = None) -> str:
    """``static const <type> name[n] = {...};`` (one zero element for an empty array), or
    ``name[d0][d1]...`` with ``dims`` (each at least 1; the row-major values, zero-filled
    when empty)."""
    vals = [int(v) for v in np.asarray(values).reshape(-1).tolist()]
    if ctype is None:
        ctype = c_int_type(min(vals, default=0), max(vals, default=0))
    body = vals or [0]
    shape = [len(body)] if dims is None else [int(d) for d in dims]
    if dims is not None and (min(shape) < 1 or (vals and int(np.prod(shape)) != len(vals))):
        raise ValueError(f"array {name}: dims {shape} do not hold {len(vals)} values")
    lines = [", ".join(literal(v) for v in body[i:i + 24]) for i in range(0, len(body), 24)]
    text = ",\n    ".join(lines)
    decl = "".join(f"[{d}]" for d in shape)
    return f"static const {ctype} {name}{decl} = {{\n    {text}}};"


def stream_type(graph: HwGraph, s: Stream) -> str:
    """The C++ element type of stream ``s``: its position word as ``ap_uint<WORD>``, or
    the head's logit words (``ap_int<LOGIT_BITS>``, one per position)."""
    if graph.layers[s.dst].kind == "output":
        return f"ap_int<{s.elem_bits}>"
    return f"ap_uint<{max(1, s.word_bits)}>"


def config_struct(name: str, ints: dict[str, int], types: dict[str, str]) -> str:
    """A kernel configuration: ``static const int`` fields and typedefs."""
    lines = [f"struct {name} {{"]
    lines += [f"    static const int {k} = {int(v)};" for k, v in ints.items()]
    lines += [f"    typedef {t} {k};" for k, t in types.items()]
    return "\n".join([*lines, "};"])
