"""Runtime-loaded parameters: the load stream, its checksum and the parameter set of a
design (docs/params.md). Numpy and the standard library only.

The loaded memories of a design are numbered ``id = 0 … M−1``. A memory word of
``width`` bits travels as ``⌈width / 64⌉`` beats, least significant 64 bits first. The
load stream is a sequence of chunks: one header beat (:data:`HEADER_FIELDS`: memory id,
word offset, word count) followed by the words of the chunk. The canonical image of a
design is one chunk per memory, in id order, covering the whole memory. The checksum
is CRC-32 (``zlib.crc32``) over the little-endian bytes of every beat, headers included.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sdmf.io import atomic_write

from .regmap import Field
from .stream import BEAT_BITS

ID_FIELD = Field("id", 0, 16)
OFFSET_FIELD = Field("offset", 16, 24)
COUNT_FIELD = Field("count", 40, 24)
HEADER_FIELDS = (ID_FIELD, OFFSET_FIELD, COUNT_FIELD)
IMAGE_FILE = "params.bin"
_BEAT_MASK = (1 << BEAT_BITS) - 1


class ParamsError(ValueError):
    """An invalid parameter set or image; the message names the file/field/memory."""


@dataclass(frozen=True)
class ParamMemory:
    """One loaded memory: its id, where it lives and its shape (``depth`` × ``width``)."""

    id: int
    layer: str
    role: str
    depth: int
    width: int

    def __post_init__(self) -> None:
        for name, lo, hi in (("id", 0, (1 << ID_FIELD.width) - 1),
                             ("depth", 1, (1 << COUNT_FIELD.width) - 1),
                             ("width", 1, None)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo \
                    or (hi is not None and v > hi):
                raise ParamsError(f"memory {self.layer}.{self.role}: {name} = {v!r} is not "
                                  f"an integer in {lo}..{hi if hi is not None else '∞'}")

    @property
    def beats_per_word(self) -> int:
        return -(-self.width // BEAT_BITS)

    @property
    def label(self) -> str:
        return f"memory {self.id} ({self.layer}.{self.role})"


def loader_word_bits(widths: Sequence[int]) -> int:
    """The parameter loader's word register for loaded memories of ``widths`` bits: whole
    beats of the widest word (one beat when there are none)."""
    return BEAT_BITS * max([-(-w // BEAT_BITS) for w in widths], default=1)


def bus_offset(width: int, bus_bits: int) -> int:
    """Bit offset of a ``width``-bit word on the loader's ``bus_bits``-bit write bus
    (``prm_data``): its ``B = ⌈width / 64⌉`` beats are shifted in from the top, so the word
    occupies the top B beats, least significant beat lowest (sdmf_param_loader)."""
    at = bus_bits - BEAT_BITS * -(-width // BEAT_BITS)
    if at < 0 or bus_bits % BEAT_BITS:
        raise ParamsError(f"a {width}-bit word does not fit a {bus_bits}-bit loader bus "
                          "(whole 64-bit beats)")
    return at


def bus_word(word: int, width: int, bus_bits: int) -> int:
    """The write bus carrying ``word`` (``width`` bits) as the loader leaves it."""
    return int(word) << bus_offset(width, bus_bits)


def header(mem_id: int, offset: int, count: int) -> int:
    """The header beat of a chunk of ``count ≥ 1`` words from word ``offset`` of ``mem_id``."""
    if count < 1:
        raise ParamsError(f"chunk of memory {mem_id}: count must be >= 1, got {count}")
    try:
        return (ID_FIELD.insert(mem_id) | OFFSET_FIELD.insert(offset)
                | COUNT_FIELD.insert(count))
    except ValueError as e:
        raise ParamsError(f"chunk of memory {mem_id}: {e}") from None


def word_beats(word: int, width: int) -> list[int]:
    """The ``⌈width / 64⌉`` beats of one ``width``-bit word, least significant first."""
    w = int(word)
    if not 0 <= w < 1 << width:
        raise ParamsError(f"word {w:#x} does not fit {width} unsigned bits")
    return [(w >> (BEAT_BITS * b)) & _BEAT_MASK for b in range(-(-width // BEAT_BITS))]


def chunk_beats(mem: ParamMemory, offset: int, words: Sequence[int]) -> list[int]:
    """Header and data beats writing ``words`` to ``mem`` from word ``offset``."""
    if offset < 0 or offset + len(words) > mem.depth:
        raise ParamsError(f"{mem.label}: words {offset}..{offset + len(words) - 1} outside "
                          f"its depth {mem.depth}")
    out = [header(mem.id, offset, len(words))]
    for i, w in enumerate(words):
        try:
            out += word_beats(w, mem.width)
        except ParamsError as e:
            raise ParamsError(f"{mem.label}, word {offset + i}: {e}") from None
    return out


def image_beats(memories: Sequence[ParamMemory],
                images: Mapping[int, Sequence[int]]) -> np.ndarray:
    """The canonical image (``uint64`` beats): one whole-memory chunk per memory, in id
    order; ``images[id]`` holds the memory's ``depth`` unsigned words."""
    _check_ids(memories)
    beats: list[int] = []
    for mem in memories:
        words = images.get(mem.id)
        if words is None or len(words) != mem.depth:
            got = "none" if words is None else len(words)
            raise ParamsError(f"{mem.label}: image has {got} words, depth {mem.depth}")
        beats += chunk_beats(mem, 0, words)
    return np.array(beats, dtype=np.uint64)


def image_size(memories: Sequence[ParamMemory]) -> int:
    """Beats of the canonical image: one header per memory plus every word's beats."""
    return sum(1 + m.depth * m.beats_per_word for m in memories)


def checksum(beats: Any) -> int:
    """CRC-32 of the little-endian bytes of ``beats`` (what the loader's register reads)."""
    arr = np.asarray(beats, dtype=np.uint64)
    return zlib.crc32(arr.astype("<u8").tobytes()) & 0xFFFFFFFF


def _check_ids(memories: Sequence[ParamMemory]) -> None:
    ids = [m.id for m in memories]
    if ids != list(range(len(ids))):
        raise ParamsError(f"memory ids must be 0 … {len(ids) - 1} in order, got {ids}")


@dataclass(frozen=True)
class ParamSet:
    """The ``params`` entry of ``interface.json``: the layout of the loaded memories and
    the canonical image's size and checksum."""

    memories: tuple[ParamMemory, ...]
    crc32: int
    file: str = IMAGE_FILE

    def __post_init__(self) -> None:
        object.__setattr__(self, "memories", tuple(self.memories))
        if not self.memories:
            raise ParamsError("field params.memories: a loaded design has at least one")
        _check_ids(self.memories)
        if isinstance(self.crc32, bool) or not isinstance(self.crc32, int) \
                or not 0 <= self.crc32 <= 0xFFFFFFFF:
            raise ParamsError(f"field params.crc32: {self.crc32!r} is not a 32-bit integer")
        if not isinstance(self.file, str) or not self.file or "/" in self.file:
            raise ParamsError(f"field params.file: {self.file!r} is not a file name")

    @property
    def beats(self) -> int:
        return image_size(self.memories)

    @property
    def words(self) -> int:
        return sum(m.depth for m in self.memories)

    @classmethod
    def of_image(cls, memories: Sequence[ParamMemory], beats: np.ndarray) -> ParamSet:
        return cls(tuple(memories), checksum(beats))

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "beats": self.beats, "words": self.words,
                "crc32": self.crc32,
                "memories": [{"id": m.id, "layer": m.layer, "role": m.role,
                              "depth": m.depth, "width": m.width} for m in self.memories]}

    @classmethod
    def from_dict(cls, data: Any) -> ParamSet:
        """Parse :meth:`to_dict`; derived values (``beats``, ``words``) must agree."""
        if not isinstance(data, Mapping):
            raise ParamsError(f"field params: expected an object or null, got {data!r}")
        keys = {"file", "beats", "words", "crc32", "memories"}
        if missing := sorted(keys - set(data)):
            raise ParamsError(f"field params.{missing[0]}: missing")
        if extra := sorted(set(data) - keys):
            raise ParamsError(f"field params.{extra[0]}: unknown")
        mems = data["memories"]
        if not isinstance(mems, Sequence) or isinstance(mems, str):
            raise ParamsError(f"field params.memories: expected a list, got {mems!r}")
        parsed = []
        for i, m in enumerate(mems):
            if not isinstance(m, Mapping) or set(m) != {"id", "layer", "role", "depth",
                                                        "width"}:
                raise ParamsError(f"field params.memories[{i}]: expected id, layer, role, "
                                  f"depth, width; got {m!r}")
            parsed.append(ParamMemory(**m))
        out = cls(tuple(parsed), data["crc32"], data["file"])
        for name in ("beats", "words"):
            if data[name] != getattr(out, name):
                raise ParamsError(f"field params.{name}: {data[name]!r} disagrees with the "
                                  f"memories ({getattr(out, name)})")
        return out

    def read_image(self, folder: str | Path) -> np.ndarray:
        """The image file beside ``interface.json``, checked for size and checksum."""
        path = Path(folder) / self.file
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise ParamsError(f"{path}: cannot read ({e.strerror or e})") from None
        if len(raw) != 8 * self.beats:
            raise ParamsError(f"{path}: {len(raw)} bytes, the parameter set has "
                              f"{self.beats} beats ({8 * self.beats} bytes)")
        beats = np.frombuffer(raw, dtype="<u8").astype(np.uint64)
        if (crc := checksum(beats)) != self.crc32:
            raise ParamsError(f"{path}: CRC-32 {crc:#010x}, the interface expects "
                              f"{self.crc32:#010x}")
        return beats


def write_image(path: str | Path, beats: Any) -> Path:
    """Write the beats as little-endian ``uint64`` atomically (never half a file)."""
    with atomic_write(path, "wb") as fh:
        fh.write(np.asarray(beats, dtype=np.uint64).astype("<u8").tobytes())
    return Path(path)
