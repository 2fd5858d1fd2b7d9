"""Small SystemVerilog text helpers for the RTL backend."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sdmf.device.words import pack


class Literal(str):
    """SystemVerilog text passed through verbatim (e.g. ``64'h...``)."""


def sv_value(value: object) -> str:
    """A parameter value as SystemVerilog text (ints, strings, (width, int) literals)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        if value < 0:
            return f"-{-value}"
        return str(value) if value < (1 << 31) else f"{value.bit_length()}'h{value:x}"
    if isinstance(value, Literal):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple) and len(value) == 2:
        width, v = value
        return f"{max(1, int(width))}'h{int(v):x}"
    raise TypeError(f"unsupported parameter value {value!r}")


@dataclass(frozen=True)
class Instance:
    """One module instance of the generated top (rendered by :meth:`text`)."""

    module: str
    name: str
    params: Mapping[str, object]
    ports: Mapping[str, str]

    def text(self, indent: str = "  ") -> str:
        """``module #(.P(v), ...) name (.port(signal), ...);``"""
        lines = [f"{indent}{self.module}"]
        if self.params:
            plist = [f"{indent}    .{k}({sv_value(v)})" for k, v in self.params.items()]
            lines[0] += " #("
            lines.append(",\n".join(plist))
            lines.append(f"{indent}) {self.name} (")
        else:
            lines[0] += f" {self.name} ("
        lines.append(",\n".join(f"{indent}    .{k}({v})" for k, v in self.ports.items()))
        lines.append(f"{indent});")
        return "\n".join(lines)

    def sv_params(self) -> dict[str, str]:
        """Parameter values as SystemVerilog text (what ``chparam`` takes)."""
        return {k: sv_value(v) for k, v in self.params.items()}


def instance(module: str, name: str, params: Mapping[str, object],
             ports: Mapping[str, str], indent: str = "  ") -> str:
    """Text of one instance (see :class:`Instance`)."""
    return Instance(module, name, params, ports).text(indent)


def packed_list(values: list[int], bits: int) -> tuple[int, int]:
    """A packed parameter: element ``i`` at bits ``[i·bits +: bits]`` (unsigned)."""
    return max(bits, len(values) * bits), pack(values, bits)


def clog2(n: int) -> int:
    return max(1, (max(1, n) - 1).bit_length())
