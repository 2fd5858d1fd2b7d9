"""A small AEDAT4 (iniVation DV) event reader and writer in pure numpy.

tonic's ``CIFAR10DVS`` reads its ``.aedat4`` files through the optional ``aedat``
package; when that is not installed the loader falls back to :func:`read_aedat4`,
which decodes the same streams. :func:`write_aedat4` writes uncompressed files
(used by the tests to build CIFAR10-DVS fixtures).

Layout: the 14-byte magic ``#!AER-DAT4.0\\r\\n``; a little-endian u32 header length and
an ``IOHeader`` flatbuffer (compression, data-table position, XML stream description);
then packets of ``u32 stream id, u32 size, payload`` where each payload (LZ4/ZSTD
compressed if the header says so) is a size-prefixed flatbuffer; event packets carry
the identifier ``EVTS`` and a vector of 16-byte structs ``{i64 t, i16 x, i16 y,
bool on}``.
"""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from sdmf.io import atomic_write

MAGIC = b"#!AER-DAT4.0\r\n"
COMPRESSION = ("NONE", "LZ4", "LZ4_HIGH", "ZSTD", "ZSTD_HIGH")

# What tonic's CIFAR10DVS yields (the ``aedat`` package's layout, ``on`` renamed ``p``).
AEDAT4_DTYPE = np.dtype([("t", np.uint64), ("x", np.uint16), ("y", np.uint16), ("p", bool)])
_STRUCT = np.dtype({"names": ["t", "x", "y", "on"], "formats": ["<i8", "<i2", "<i2", "u1"],
                    "offsets": [0, 8, 10, 12], "itemsize": 16})


class _Buf:
    """Bounds-checked little-endian reads from one flatbuffer."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, fmt: str, pos: int) -> int:
        size = struct.calcsize(fmt)
        if pos < 0 or pos + size > len(self.data):
            raise ValueError("flatbuffer offset out of range (truncated or corrupt packet)")
        return struct.unpack_from("<" + fmt, self.data, pos)[0]

    def field(self, table: int, index: int) -> int:
        """Absolute position of field ``index`` of the table at ``table`` (0 = absent)."""
        vtable = table - self.read("i", table)
        vt_size = self.read("H", vtable)
        slot = 4 + 2 * index
        offset = self.read("H", vtable + slot) if slot + 2 <= vt_size else 0
        return table + offset if offset else 0

    def indirect(self, pos: int) -> int:
        return pos + self.read("I", pos)


def _parse_header(header: bytes) -> tuple[int, int, str]:
    buf = _Buf(header)
    table = buf.indirect(0)
    pos = buf.field(table, 0)
    compression = buf.read("i", pos) if pos else 0
    pos = buf.field(table, 1)
    data_table = buf.read("q", pos) if pos else -1
    pos = buf.field(table, 2)
    if not pos:
        raise ValueError("AEDAT4 header has no stream description")
    text = buf.indirect(pos)
    length = buf.read("I", text)
    if text + 4 + length > len(header):
        raise ValueError("AEDAT4 header truncated")
    return compression, data_table, header[text + 4:text + 4 + length].decode("utf-8")


def _event_stream(description: str) -> int:
    """The lowest stream id whose type is ``EVTS`` (as tonic picks it)."""
    root = ET.fromstring(description)
    out_info = next((n for n in root.findall("node") if n.get("name") == "outInfo"), None)
    ids = []
    for node in [] if out_info is None else out_info.findall("node"):
        kind = next((a.text for a in node.findall("attr") if a.get("key") == "typeIdentifier"),
                    None)
        if kind == "EVTS":
            ids.append(int(node.get("name", "")))
    if not ids:
        raise ValueError("there are no events in the AEDAT file")
    return min(ids)


def _decompress(payload: bytes, compression: int) -> bytes:
    name = COMPRESSION[compression] if 0 <= compression < len(COMPRESSION) else str(compression)
    if name == "NONE":
        return payload
    try:
        if name.startswith("LZ4"):
            import lz4.frame

            return lz4.frame.decompress(payload)
        if name.startswith("ZSTD"):
            import zstandard

            return zstandard.ZstdDecompressor().decompressobj().decompress(payload)
    except ImportError as exc:
        raise ValueError(f"{name}-compressed AEDAT4 needs the 'aedat' package (or "
                         f"'lz4'/'zstandard'): pip install aedat") from exc
    raise ValueError(f"unknown AEDAT4 compression {name}")


def _events(packet: bytes) -> np.ndarray:
    buf = _Buf(packet)
    if buf.read("I", 0) + 4 > len(packet) or packet[8:12] != b"EVTS":
        raise ValueError("malformed event packet")
    table = 4 + buf.read("I", 4)
    pos = buf.field(table, 0)
    if not pos:
        return np.zeros(0, _STRUCT)
    vec = buf.indirect(pos)
    n = buf.read("I", vec)
    if vec + 4 + 16 * n > len(packet):
        raise ValueError("event vector truncated")
    return np.frombuffer(packet, _STRUCT, count=n, offset=vec + 4)


def read_aedat4(path: str | Path) -> np.ndarray:
    """Events of the first event stream of an AEDAT4 file, as :data:`AEDAT4_DTYPE`.

    Raises ``ValueError`` (message without the path) if the file is not AEDAT4 or is
    truncated/corrupt.
    """
    data = Path(path).read_bytes()
    if not data.startswith(MAGIC):
        raise ValueError("not an AEDAT4 file (wrong magic number)")
    pos = len(MAGIC)
    if pos + 4 > len(data):
        raise ValueError("AEDAT4 header truncated")
    (length,) = struct.unpack_from("<I", data, pos)
    pos += 4
    if pos + length > len(data):
        raise ValueError("AEDAT4 header truncated")
    compression, data_table, description = _parse_header(data[pos:pos + length])
    stream = _event_stream(description)
    pos += length
    end = data_table if data_table >= 0 else len(data)
    chunks = []
    while pos < end:
        if pos + 8 > len(data):
            raise ValueError(f"packet header truncated at byte {pos}")
        stream_id, size = struct.unpack_from("<II", data, pos)
        pos += 8
        if pos + size > len(data):
            raise ValueError(f"packet truncated at byte {pos}")
        if stream_id == stream:
            chunks.append(_events(_decompress(data[pos:pos + size], compression)))
        pos += size
    raw = np.concatenate(chunks) if chunks else np.zeros(0, _STRUCT)
    out = np.empty(len(raw), AEDAT4_DTYPE)
    out["t"], out["x"], out["y"], out["p"] = raw["t"], raw["x"], raw["y"], raw["on"] != 0
    return out


def _header(description: str) -> bytes:
    text = description.encode()
    # root offset | vtable(4 fields-worth) | pad | table: soffset, i32, i64, uoffset | string
    vtable = struct.pack("<HHHHH", 10, 20, 4, 8, 16)
    table = struct.pack("<iiqI", 12, 0, -1, 4)
    body = struct.pack("<I", 16) + vtable + b"\0\0" + table
    body += struct.pack("<I", len(text)) + text + b"\0"
    return body + b"\0" * (-len(body) % 8)


def _packet(events: np.ndarray) -> bytes:
    elements = np.zeros(len(events), _STRUCT)
    elements["t"], elements["x"], elements["y"] = events["t"], events["x"], events["y"]
    elements["on"] = events["p"].astype(np.int64) > 0
    # size | root | "EVTS" | vtable(6) pad(2) | table: soffset, uoffset | len | structs
    head = struct.pack("<I", 16) + b"EVTS" + struct.pack("<HHH", 6, 8, 4) + b"\0\0"
    head += struct.pack("<iII", 8, 4, len(events))
    body = head + elements.tobytes()
    return struct.pack("<I", len(body)) + body


def write_aedat4(path: str | Path, events: np.ndarray, width: int = 128, height: int = 128,
                 *, packet_size: int = 4096) -> None:
    """Write ``events`` (fields t, x, y, p) as an uncompressed single-stream AEDAT4 file."""
    description = (
        '<dv version="2.0"><node name="outInfo" path="/mainloop/Recorder/outInfo/">'
        '<node name="0" path="/mainloop/Recorder/outInfo/0/">'
        '<attr key="compression" type="string">NONE</attr>'
        '<attr key="originalOutputName" type="string">events</attr>'
        '<attr key="typeIdentifier" type="string">EVTS</attr>'
        '<node name="info" path="/mainloop/Recorder/outInfo/0/info/">'
        f'<attr key="sizeX" type="int">{width}</attr>'
        f'<attr key="sizeY" type="int">{height}</attr>'
        '<attr key="source" type="string">sdmf</attr></node></node></node></dv>')
    header = _header(description)
    with atomic_write(path, "wb") as fh:
        fh.write(MAGIC + struct.pack("<I", len(header)) + header)
        for start in range(0, max(len(events), 1), packet_size):
            packet = _packet(events[start:start + packet_size])
            fh.write(struct.pack("<II", 0, len(packet)) + packet)
