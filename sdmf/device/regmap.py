"""The AXI4-Lite register map of a generated design (docs/hardware.md, "Top level").

The single owner of every register offset, bit position and field, the ID and the
interface version, the counter addresses and the address-width rule. The RTL backend
renders these constants into the SystemVerilog package ``sdmf_regmap_pkg`` that the
control block reads; testbenches and the host import them from here.

The ID register carries the interface version: bits [31:16] are :data:`ID_MAGIC`
(identifies an SDMFormer accelerator), bits [15:0] :data:`INTERFACE_VERSION`, raised
whenever a register, field, stream layout or behaviour a host relies on changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

INTERFACE_VERSION = 4
ID_MAGIC = 0x5D3F
DATA_BITS = 32                 # AXI4-Lite data width
DECODE_BITS = 12               # address bits the control block decodes (4 KiB window)
MIN_ADDR_BITS = 6              # AXI4-Lite address width without busy counters
IR_HASH_DIGITS = 8             # hex digits of the hash the hash register holds (hash_register)


@dataclass(frozen=True)
class Field:
    """Bits ``[lsb + width − 1 : lsb]`` of a register, unsigned."""

    name: str
    lsb: int
    width: int = 1

    @property
    def msb(self) -> int:
        return self.lsb + self.width - 1

    @property
    def mask(self) -> int:
        """The field's bits within the register word."""
        return ((1 << self.width) - 1) << self.lsb

    def insert(self, value: int) -> int:
        """``value`` at the field's bits (``ValueError`` if it does not fit)."""
        v = int(value)
        if not 0 <= v < 1 << self.width:
            raise ValueError(f"field {self.name} = {v} does not fit [{self.msb}:{self.lsb}]")
        return v << self.lsb

    def extract(self, word: int) -> int:
        return (int(word) & self.mask) >> self.lsb


@dataclass(frozen=True)
class Register:
    """One 32-bit register: its role name, byte offset, access and fields (if any)."""

    name: str
    offset: int
    access: str                      # rw, ro, toggle-on-write (ISR)
    fields: tuple[Field, ...] = ()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"register {self.name} has no field {name!r} "
                       f"(fields: {', '.join(f.name for f in self.fields) or 'none'})")

    def bit(self, name: str) -> int:
        """The mask of the one-bit field ``name`` (``1 << position``)."""
        f = self.field(name)
        if f.width != 1:
            raise ValueError(f"field {self.name}.{name} is {f.width} bits wide, not a flag")
        return f.mask

    def pack(self, values: Mapping[str, int]) -> int:
        """The word with every field set from ``values`` (all fields must be given)."""
        missing = [f.name for f in self.fields if f.name not in values]
        extra = sorted(set(values) - {f.name for f in self.fields})
        if missing or extra:
            raise KeyError(f"register {self.name}: missing fields {missing}, unknown {extra}")
        word = 0
        for f in self.fields:
            word |= f.insert(values[f.name])
        return word

    def unpack(self, word: int) -> dict[str, int]:
        return {f.name: f.extract(word) for f in self.fields}


_IRQ = (Field("done", 0), Field("ready", 1))

CONTROL = Register("control", 0x00, "rw", (
    Field("ap_start", 0), Field("ap_done", 1), Field("ap_idle", 2), Field("ap_ready", 3),
    Field("auto_restart", 7)))
GIE = Register("gie", 0x04, "rw", (Field("enable", 0),))
IER = Register("ier", 0x08, "rw", _IRQ)
ISR = Register("isr", 0x0C, "toggle-on-write", _IRQ)
ID = Register("id", 0x10, "ro", (Field("version", 0, 16), Field("magic", 16, 16)))
IR_HASH = Register("ir_hash", 0x14, "ro")
LATENCY_LO = Register("latency_lo", 0x18, "ro")
LATENCY_HI = Register("latency_hi", 0x1C, "ro")
CONFIG0 = Register("config0", 0x20, "ro", (
    Field("T", 0, 8), Field("classes", 8, 8), Field("in_bits", 16, 5),
    Field("weight_bits", 24, 5)))
# word_beats: beats per position word on the input stream (docs/hardware.md, "Narrow
# streams"), since interface version 4 (H and W were 16 bits wide before)
CONFIG1 = Register("config1", 0x24, "ro", (Field("H", 0, 12), Field("W", 12, 12),
                                           Field("word_beats", 24, 8)))
STATUS = Register("status", 0x28, "ro", (Field("tlast_error", 0),))
NUM_COUNTERS = Register("counters", 0x2C, "ro")
INTERVAL_LO = Register("interval_lo", 0x30, "ro")
INTERVAL_HI = Register("interval_hi", 0x34, "ro")

# runtime-loaded parameters (docs/params.md): load is R/W, the other bits read-only; the
# checksum register takes the expected CRC-32 on write and reads the computed one
PARAM = Register("param", 0x38, "rw", (
    Field("load", 0), Field("valid", 1), Field("error", 2), Field("refused", 3),
    Field("loadable", 4)))
PARAM_CRC = Register("param_crc", 0x3C, "write-expected/read-computed")

REGISTERS: tuple[Register, ...] = (
    CONTROL, GIE, IER, ISR, ID, IR_HASH, LATENCY_LO, LATENCY_HI, CONFIG0, CONFIG1, STATUS,
    NUM_COUNTERS, INTERVAL_LO, INTERVAL_HI, PARAM, PARAM_CRC)

# per-layer busy counters (generated with --counters): counter i, 64 bits, low word at
# COUNTER_BASE + COUNTER_STRIDE·i, high word COUNTER_HI bytes above
COUNTER_BASE = 0x40
COUNTER_STRIDE = 8
COUNTER_HI = 4

ID_VALUE = ID.pack({"version": INTERFACE_VERSION, "magic": ID_MAGIC})


def register(name: str) -> Register:
    """The register whose role is ``name`` (``control``, ``config0``, …)."""
    for r in REGISTERS:
        if r.name == name:
            return r
    raise KeyError(f"no register {name!r} (known: {', '.join(r.name for r in REGISTERS)})")


def counter_offset(index: int) -> int:
    """Offset of busy counter ``index``'s low word."""
    if index < 0:
        raise ValueError(f"counter index must be >= 0, got {index}")
    return COUNTER_BASE + COUNTER_STRIDE * index


def axil_addr_bits(n_counters: int) -> int:
    """AXI4-Lite address width of a design with ``n_counters`` busy counters."""
    end = counter_offset(n_counters)               # one past the last counter's high word
    bits = max(MIN_ADDR_BITS, (end - 1).bit_length())
    if bits > DECODE_BITS:
        raise ValueError(f"{n_counters} busy counters need {bits} address bits; the control "
                         f"block decodes {DECODE_BITS}")
    return bits


def hash_word(digest: str) -> int:
    """The first :data:`IR_HASH_DIGITS` hex digits of ``digest`` (an IR or design hash)
    as the hash register holds them."""
    head = str(digest)[:IR_HASH_DIGITS]
    try:
        if len(head) != IR_HASH_DIGITS:
            raise ValueError
        return int(head, 16)
    except ValueError:
        raise ValueError(f"hash {digest!r} does not start with {IR_HASH_DIGITS} hex "
                         "digits") from None


def hash_register(ir_hash: str, design_hash: str | None, loaded: bool) -> int:
    """What the hash register (0x14) reads: the IR hash's first :data:`IR_HASH_DIGITS` hex
    digits for a ROM design (its parameters are part of the bitstream), the design hash's
    for a design with runtime-loaded parameters (docs/params.md, "One bitstream for
    several weight sets": the bitstream serves every IR of that design)."""
    if not loaded:
        return hash_word(ir_hash)
    if design_hash is None:
        raise ValueError("a design with runtime-loaded parameters needs its design hash "
                         "(the hash register holds it)")
    return hash_word(design_hash)


def config_words(T: int, classes: int, in_bits: int, weight_bits: int, H: int, W: int,
                 word_beats: int = 1) -> tuple[int, int]:
    """The configuration registers' values (0x20, 0x24) of a design."""
    return (CONFIG0.pack({"T": T, "classes": classes, "in_bits": in_bits,
                          "weight_bits": weight_bits}),
            CONFIG1.pack({"H": H, "W": W, "word_beats": word_beats}))


def _check_map() -> None:
    """Offsets unique, word aligned, below the counters; fields disjoint inside 32 bits."""
    offsets = [r.offset for r in REGISTERS]
    if len(set(offsets)) != len(offsets) or any(o % 4 for o in offsets) \
            or max(offsets) >= COUNTER_BASE:
        raise AssertionError(f"register offsets overlap or are unaligned: {offsets}")
    for r in REGISTERS:
        used = 0
        for f in r.fields:
            if f.mask & used or f.msb >= DATA_BITS:
                raise AssertionError(f"register {r.name}: field {f.name} overlaps")
            used |= f.mask


_check_map()
