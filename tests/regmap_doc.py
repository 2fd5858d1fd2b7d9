"""The AXI4-Lite register map as docs/hardware.md documents it, parsed from the table.

The control tests take every offset, bit position, field range and constant from
this parse, so the oracle is the documentation, not the generator's own constants.
A row the parser does not recognise is an error naming it: a new register must be
taught to the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "hardware.md"
HEADER = "| offset | register |"


@dataclass
class RegisterMap:
    """Offsets by role; ``*_bits``: bit of each named flag; ``config``: one field table
    (``name → (hi, lo)``) per configuration register, in offset order."""

    offsets: dict[str, int] = field(default_factory=dict)
    control_bits: dict[str, int] = field(default_factory=dict)
    ier_bits: dict[str, int] = field(default_factory=dict)
    gie_bit: int = -1
    tlast_error_bit: int = -1
    param_bits: dict[str, int] = field(default_factory=dict)
    id_value: int = -1
    id_magic: int = -1                      # the ID's fixed part and its bits
    id_magic_bits: tuple[int, int] = (-1, -1)
    interface_version: int = -1             # the ID's version part and its bits
    version_bits: tuple[int, int] = (-1, -1)
    hash_digits: int = 0
    config: list[tuple[int, dict[str, tuple[int, int]]]] = field(default_factory=list)
    counter_base: int = -1
    counter_stride: int = 0


def table_rows(text: str) -> list[tuple[str, str]]:
    """``(offset cell, description cell)`` of every row of the register table."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == HEADER)
    except StopIteration:
        raise ValueError(f"{DOC}: no register table (header {HEADER!r})") from None
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2:
            raise ValueError(f"{DOC}: register row {line!r} has {len(cells)} cells, expected 2")
        rows.append((cells[0], cells[1]))
    return rows


def _hex(cell: str) -> list[int]:
    return [int(v, 16) for v in re.findall(r"0x[0-9A-Fa-f]+", cell)]


def _fields(desc: str) -> dict[str, tuple[int, int]]:
    """``name [hi:lo]`` pieces after the colon; names normalised (``weight bits`` →
    ``weight_bits``, ``T`` → ``t``)."""
    out = {}
    for piece in desc.split(":", 1)[1].split(","):
        m = re.fullmatch(r"\s*`?([A-Za-z_][A-Za-z_ ]*?)`?\s*\[(\d+):(\d+)\]\s*", piece)
        if not m:
            raise ValueError(f"{DOC}: configuration field {piece.strip()!r} is not "
                             "`name [hi:lo]`")
        out[m.group(1).strip().lower().replace(" ", "_")] = (int(m.group(2)), int(m.group(3)))
    return out


def _id_fields(regs: RegisterMap, desc: str) -> None:
    """``[hi:lo] `0x…` marks …`` and ``[hi:lo] the interface version (n)`` of the ID row;
    the two must compose the documented ID."""
    magic = re.search(r"\[(\d+):(\d+)\] `(0x[0-9A-Fa-f]+)` marks", desc)
    version = re.search(r"\[(\d+):(\d+)\] the interface version \((\d+)\)", desc)
    if not magic or not version:
        raise ValueError(f"{DOC}: the ID row must give the magic and the interface version "
                         "fields (`[hi:lo] `0x…` marks …`, `[hi:lo] the interface version (n)`)")
    regs.id_magic_bits = (int(magic.group(1)), int(magic.group(2)))
    regs.id_magic = int(magic.group(3), 16)
    regs.version_bits = (int(version.group(1)), int(version.group(2)))
    regs.interface_version = int(version.group(3))
    fields = {"magic": (*regs.id_magic_bits, regs.id_magic),
              "version": (*regs.version_bits, regs.interface_version)}
    if config_value({k: v[:2] for k, v in fields.items()},
                    {k: v[2] for k, v in fields.items()}) != regs.id_value:
        raise ValueError(f"{DOC}: ID {regs.id_value:#x} is not its magic and version fields")


def _row(regs: RegisterMap, cell: str, desc: str, prev: str | None) -> str:
    """Record one row; returns its role."""
    offs = _hex(cell)
    if desc.startswith("control:"):
        regs.control_bits = {n: int(b) for b, n in re.findall(r"bit (\d+) `(\w+)`", desc)}
        role = "control"
    elif m := re.match(r"global interrupt enable \(bit (\d+)\)", desc):
        regs.gie_bit, role = int(m.group(1)), "gie"
    elif desc.startswith("IP interrupt enable:"):
        regs.ier_bits = {n: int(b) for b, n in re.findall(r"bit (\d+) (\w+)", desc)}
        role = "ier"
    elif desc.startswith("IP interrupt status"):
        role = "isr"
    elif m := re.match(r"ID: `(0x[0-9A-Fa-f]+)`", desc):
        regs.id_value, role = int(m.group(1), 16), "id"
        _id_fields(regs, desc)
    elif m := re.match(r"IR hash: the first (\d+) hex digits of `IntegerIR\.content_hash\(\)`",
                       desc):
        regs.hash_digits, role = int(m.group(1)), "ir_hash"
    elif desc.startswith("latency of the last finished inference") and "low 32" in desc:
        role = "latency_lo"
    elif desc.startswith("the same, high 32 bits") and prev == "latency_lo":
        role = "latency_hi"
    elif desc.startswith("configuration:"):
        regs.config.append((offs[0], _fields(desc)))
        role = f"config{len(regs.config) - 1}"
    elif m := re.match(r"status: bit (\d+) `TLAST` error", desc):
        regs.tlast_error_bit, role = int(m.group(1)), "status"
    elif desc.startswith("parameters:"):
        regs.param_bits = {n: int(b) for b, n in re.findall(r"bit (\d+) `(\w+)`", desc)}
        role = "param"
    elif desc.startswith("parameter checksum:"):
        role = "param_crc"
    elif desc.startswith("number of per-layer busy counters"):
        role = "counters"
    elif desc.startswith("cycles between the last two `done`s, low / high") and len(offs) == 2:
        regs.offsets["interval_lo"], regs.offsets["interval_hi"] = offs
        return "interval"
    elif (m := re.fullmatch(r"(0x[0-9A-Fa-f]+) \+ (\d+)·i", cell)) and \
            desc.startswith("busy counter i, low / high 32 bits at +0 / +4"):
        regs.counter_base, regs.counter_stride = int(m.group(1), 16), int(m.group(2))
        return "counter"
    else:
        raise ValueError(f"{DOC}: register row {cell} ({desc[:60]!r}…) is not known to the "
                         "control tests; teach tests/regmap_doc.py what it means")
    if len(offs) != 1:
        raise ValueError(f"{DOC}: register row {cell!r} should name one offset")
    regs.offsets[role] = offs[0]
    return role


def parse(text: str | None = None) -> RegisterMap:
    """The register map documented in ``text`` (default: docs/hardware.md)."""
    regs = RegisterMap()
    prev = None
    for cell, desc in table_rows(DOC.read_text() if text is None else text):
        prev = _row(regs, cell, desc, prev)
    missing = {"control", "gie", "ier", "isr", "id", "ir_hash", "latency_lo", "latency_hi",
               "status", "counters", "interval_lo", "interval_hi", "param", "param_crc"} \
        - set(regs.offsets)
    if missing or len(regs.config) != 2 or regs.counter_base < 0:
        raise ValueError(f"{DOC}: the register table lacks {sorted(missing) or 'a row'}")
    return regs


def config_value(fields: dict[str, tuple[int, int]], values: dict[str, int]) -> int:
    """A configuration word: each field's value at its documented bits (it must fit)."""
    word = 0
    for name, (hi, lo) in fields.items():
        if name not in values:
            raise KeyError(f"configuration field {name!r} of {DOC} has no expected value")
        v, width = values[name], hi - lo + 1
        if not 0 <= v < 1 << width:
            raise ValueError(f"configuration field {name} = {v} does not fit [{hi}:{lo}]")
        word |= v << lo
    return word
