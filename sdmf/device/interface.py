"""The device interface of one generated design: what a host needs to drive it.

:class:`DeviceInterface` is written into every generated project as
``interface.json`` (:data:`INTERFACE_FILE`; docs/hardware.md, "interface.json") and
read back by the simulation and the board host without the generator. Derived
values (beats per sample, register values, counter addresses, address width) are
stored for readers in other languages and checked on read: a file whose fields
disagree is refused with the file and field named.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sdmf.io import write_json

from . import regmap
from .blockdesign import check_clock_mhz
from .params import ParamsError, ParamSet
from .stream import BEAT_BITS, IN_BITS, beats_per_sample

INTERFACE_FILE = "interface.json"
FORMAT = "sdmf-interface/2"


class InterfaceError(ValueError):
    """An invalid device interface; the message names the file (if any) and the field."""


def _int(value: Any, name: str, lo: int = 0, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InterfaceError(f"field {name}: expected an integer, got {value!r}")
    if value < lo or (hi is not None and value > hi):
        rng = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise InterfaceError(f"field {name}: {value} is not {rng}")
    return value


@dataclass(frozen=True)
class DeviceInterface:
    """The interface of one design (docs/hardware.md, "Top level" and "interface.json")."""

    ir_hash: str                                  # IntegerIR.content_hash(), full
    input_shape: tuple[int, int, int, int]        # [T, C, H, W] of one sample's counts
    in_bits: int                                  # width of one input count
    weight_bits: int                              # as the configuration register reports it
    classes: int
    counter_layers: tuple[str, ...] = ()          # layer of busy counter i (--counters)
    model: str | None = None
    logit_scale: float | None = None              # float logit = integer logit × scale
    interval_cycles: int | None = None            # model cycles per result, overlapped
    max_in_flight: int | None = None              # inferences the top accepts at once
    clock_mhz: float | None = None                # the PL clock of the design (MHz)
    params: ParamSet | None = None                # runtime-loaded parameters (None: ROMs)
    # what determines the hardware, without the IR hash and parameter contents
    # (docs/params.md); the hash register holds it for designs with loaded parameters
    design_hash: str | None = None
    word_beats: int = 1                           # beats per input position word (NB)
    interface_version: int = field(default=regmap.INTERFACE_VERSION)

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_shape", tuple(self.input_shape))
        object.__setattr__(self, "counter_layers", tuple(self.counter_layers))
        self._validate()

    # ------------------------------------------------------------------ derived values
    @property
    def beat_bits(self) -> int:
        return BEAT_BITS

    @property
    def beats_per_sample(self) -> int:
        return beats_per_sample(self.input_shape, self.in_bits, nb=self.word_beats)

    @property
    def output_beats(self) -> int:
        """Beats of one result: the logits, then the class."""
        return self.classes + 1

    @property
    def axil_addr_bits(self) -> int:
        return regmap.axil_addr_bits(len(self.counter_layers))

    @property
    def counters(self) -> dict[str, int]:
        """``{layer: offset of its busy counter's low word}``."""
        return {name: regmap.counter_offset(i) for i, name in enumerate(self.counter_layers)}

    @property
    def registers(self) -> dict[str, int]:
        """What the read-only identification registers must read."""
        T, _, H, W = self.input_shape
        c0, c1 = regmap.config_words(T, self.classes, self.in_bits, self.weight_bits, H, W,
                                     self.word_beats)
        return {"id": regmap.ID.pack({"version": self.interface_version,
                                      "magic": regmap.ID_MAGIC}),
                "hash": regmap.hash_register(self.ir_hash, self.design_hash,
                                             self.params is not None),
                "config0": c0, "config1": c1}

    def register_mismatches(self, read: Mapping[str, int]) -> list[str]:
        """Messages for the identification registers in ``read`` (``{name: value}``, names
        as in :attr:`registers`) that differ from this design's; empty when all match."""
        out = []
        want = self.registers
        for name, value in read.items():
            if name not in want:
                raise KeyError(f"no identification register {name!r}")
            if value == want[name]:
                continue
            msg = f"register {name} reads {value:#010x}, expected {want[name]:#010x}"
            if name == "id":
                got = regmap.ID.unpack(value)
                msg += (" (not an SDMFormer accelerator)" if got["magic"] != regmap.ID_MAGIC
                        else f" (interface version {got['version']}, this project and "
                             f"sdmf.device are version {self.interface_version})")
            elif name == "hash":
                msg += (" (the bitstream is another design)" if self.params is not None
                        else " (the bitstream was generated from another IR)")
            out.append(msg)
        return out

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "interface_version": self.interface_version,
            "ir_hash": self.ir_hash,
            "design_hash": self.design_hash,
            "model": self.model,
            "input_shape": list(self.input_shape),
            "in_bits": self.in_bits,
            "weight_bits": self.weight_bits,
            "classes": self.classes,
            "word_beats": self.word_beats,
            "logit_scale": self.logit_scale,
            "beat_bits": self.beat_bits,
            "beats_per_sample": self.beats_per_sample,
            "output_beats": self.output_beats,
            "max_in_flight": self.max_in_flight,
            "interval_cycles": self.interval_cycles,
            "clock_mhz": self.clock_mhz,
            "axil_addr_bits": self.axil_addr_bits,
            "registers": self.registers,
            "counters": self.counters,
            "params": None if self.params is None else self.params.to_dict(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def write(self, path: str | Path) -> Path:
        """Write ``path`` atomically (a reader never sees half a file)."""
        return write_json(path, self.to_dict())

    @classmethod
    def from_dict(cls, data: Any) -> DeviceInterface:
        """Parse and check a :meth:`to_dict` mapping (:class:`InterfaceError` names the
        field)."""
        return _from_dict(cls, data)

    @classmethod
    def read(cls, path: str | Path) -> DeviceInterface:
        """Read an ``interface.json``; every error names ``path`` and the field."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise InterfaceError(f"{path}: cannot read ({e.strerror or e})") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise InterfaceError(f"{path}: not a JSON file ({e})") from None
        try:
            return cls.from_dict(data)
        except InterfaceError as e:
            raise InterfaceError(f"{path}: {e}") from None

    # ------------------------------------------------------------------ checks
    def _validate(self) -> None:
        """Types and ranges of every field (:class:`InterfaceError` names the field)."""
        _int(self.interface_version, "interface_version", 0, 0xFFFF)
        for name in ("ir_hash", "design_hash"):
            value = getattr(self, name)
            if (value is not None or name == "ir_hash") and (
                    not isinstance(value, str)
                    or not re.fullmatch(f"[0-9a-f]{{{regmap.IR_HASH_DIGITS},}}", value)):
                raise InterfaceError(f"field {name}: {value!r} is not a lower-case hex digest")
        if len(self.input_shape) != 4:
            raise InterfaceError(f"field input_shape: expected [T, C, H, W], got "
                                 f"{list(self.input_shape)}")
        for i, v in enumerate(self.input_shape):
            _int(v, f"input_shape[{i}]", 1)
        _int(self.in_bits, "in_bits", *IN_BITS)
        _int(self.weight_bits, "weight_bits", 1)
        _int(self.classes, "classes", 1)
        T, _, H, W = self.input_shape
        for reg, fname, value, name in (
                (regmap.CONFIG0, "T", T, "input_shape[0]"),
                (regmap.CONFIG0, "classes", self.classes, "classes"),
                (regmap.CONFIG0, "weight_bits", self.weight_bits, "weight_bits"),
                (regmap.CONFIG1, "H", H, "input_shape[2]"),
                (regmap.CONFIG1, "W", W, "input_shape[3]"),
                (regmap.CONFIG1, "word_beats", self.word_beats, "word_beats")):
            try:
                reg.field(fname).insert(value)
            except ValueError as e:
                raise InterfaceError(f"field {name}: {e} (register {reg.name})") from None
        if _int(self.word_beats, "word_beats", 1) and T % self.word_beats:
            raise InterfaceError(f"field word_beats: {self.word_beats} does not divide "
                                 f"T = {T} (input_shape[0])")
        self._validate_optional()

    def _validate_optional(self) -> None:
        """Fields a design may leave unknown (None), the model name, the counter layers."""
        for name in ("interval_cycles", "max_in_flight"):
            if getattr(self, name) is not None:
                _int(getattr(self, name), name, 1)
        if self.logit_scale is not None and (
                isinstance(self.logit_scale, bool)
                or not isinstance(self.logit_scale, (int, float))
                or not math.isfinite(self.logit_scale) or self.logit_scale <= 0):
            raise InterfaceError(f"field logit_scale: {self.logit_scale!r} is not a positive "
                                 "number")
        if self.clock_mhz is not None:
            try:
                object.__setattr__(self, "clock_mhz", check_clock_mhz(self.clock_mhz))
            except ValueError as e:
                raise InterfaceError(f"field {e}") from None
        if self.params is not None and not isinstance(self.params, ParamSet):
            raise InterfaceError(f"field params: {self.params!r} is not a ParamSet")
        if self.params is not None and self.design_hash is None:
            raise InterfaceError("field design_hash: missing; a design with runtime-loaded "
                                 "parameters is identified by it (docs/params.md)")
        if self.model is not None and not isinstance(self.model, str):
            raise InterfaceError(f"field model: {self.model!r} is not a string")
        if not all(isinstance(n, str) and n for n in self.counter_layers) \
                or len(set(self.counter_layers)) != len(self.counter_layers):
            raise InterfaceError(f"field counters: layer names must be distinct strings, got "
                                 f"{list(self.counter_layers)}")
        try:
            regmap.axil_addr_bits(len(self.counter_layers))
        except ValueError as e:
            raise InterfaceError(f"field counters: {e}") from None


_STORED = ("ir_hash", "input_shape", "in_bits", "weight_bits", "classes", "model",
           "logit_scale", "interval_cycles", "max_in_flight", "interface_version",
           "word_beats")
# absent from files written before they existed: None
_OPTIONAL = ("clock_mhz", "design_hash")
_DERIVED = ("beat_bits", "beats_per_sample", "output_beats", "axil_addr_bits", "registers",
            "counters")


def _from_dict(cls: type[DeviceInterface], data: Any) -> DeviceInterface:
    if not isinstance(data, Mapping):
        raise InterfaceError(f"expected a JSON object, got {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise InterfaceError(f"field format: {data.get('format')!r}, expected {FORMAT!r}")
    version = data.get("interface_version")     # first: older files lack newer fields
    if version != regmap.INTERFACE_VERSION:
        raise InterfaceError(f"field interface_version: {version!r}; this sdmf.device "
                             f"implements version {regmap.INTERFACE_VERSION}")
    known = {"format", "params", *_STORED, *_OPTIONAL, *_DERIVED}
    if missing := sorted(known - set(data) - set(_OPTIONAL)):
        raise InterfaceError(f"field {missing[0]}: missing")
    if extra := sorted(set(data) - known):
        raise InterfaceError(f"field {extra[0]}: unknown to {FORMAT}")
    counters = data["counters"]
    if not isinstance(counters, Mapping):
        raise InterfaceError(f"field counters: expected an object, got {counters!r}")
    shape = data["input_shape"]
    if not isinstance(shape, Sequence) or isinstance(shape, str):
        raise InterfaceError(f"field input_shape: expected [T, C, H, W], got {shape!r}")
    try:
        params = None if data["params"] is None else ParamSet.from_dict(data["params"])
    except ParamsError as e:
        raise InterfaceError(str(e)) from None
    iface = cls(**{k: data[k] for k in _STORED if k != "input_shape"},
                **{k: data[k] for k in _OPTIONAL if k in data},
                input_shape=tuple(shape), counter_layers=tuple(counters), params=params)
    for name in _DERIVED:
        want = getattr(iface, name)
        if data[name] != want:
            raise InterfaceError(f"field {name}: {data[name]!r} disagrees with the other "
                                 f"fields ({want!r})")
    return iface
