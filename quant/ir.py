"""The versioned integer IR: a pruned, quantized network as ops + integer tensors.

On disk an IR is a zip archive (extension ``.sdmfir``) holding ``ir.json`` (the
header: format, version, metadata, ops, tensor specs, parameter index, hash)
and one ``params/<name>.npy`` per integer tensor. See docs/ir.md.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
import zlib
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sdmf.io import atomic_write

from .bounds import TensorSpec
from .opdefs import Op
from .validate import IRError, validate

__all__ = ["IR_FORMAT", "IR_VERSION", "IRError", "IntegerIR"]

IR_FORMAT = "sdmf-ir"
IR_VERSION = 1
_INT_TYPES = (np.int8, np.int16, np.int32, np.int64)
# what a damaged archive raises while it is read (zlib: a flipped byte in a deflated member)
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, KeyError,
                OSError, ValueError, struct.error, NotImplementedError, RuntimeError)


def _narrowest(name: str, a: Any, source: str) -> np.ndarray:
    """``a`` as the narrowest signed integer type holding it; refuses non-integer tensors."""
    a = np.asarray(a)
    if a.dtype.kind not in "iu":
        raise IRError(f"{source}: field 'params.{name}' is not an integer tensor ({a.dtype})")
    if a.size == 0:
        return a.astype(np.int8)
    lo, hi = int(a.min()), int(a.max())
    for t in _INT_TYPES:
        info = np.iinfo(t)
        if info.min <= lo and hi <= info.max:
            return a.astype(t)
    raise IRError(f"{source}: field 'params.{name}' is out of int64 range: {lo}..{hi}")


@dataclass
class IntegerIR:
    """ops, integer parameters, per-tensor specs and metadata of one deployed network.

    Construction validates everything (:func:`sdmf.quant.validate.validate`) and raises
    :class:`IRError` naming the field; ``source`` names the IR in those messages.
    """

    ops: list[Op]
    params: dict[str, np.ndarray]
    input_shape: tuple[int, int, int, int]  # T, C, H, W
    meta: dict[str, Any] = field(default_factory=dict)
    tensors: dict[str, TensorSpec] = field(default_factory=dict)
    source: InitVar[str] = "IntegerIR"

    def __post_init__(self, source: str) -> None:
        if not isinstance(self.params, dict):
            raise IRError(f"{source}: field 'params' must be a mapping")
        self.params = {k: _narrowest(k, v, source) for k, v in self.params.items()}
        self.ops = list(self.ops) if isinstance(self.ops, (list, tuple)) else self.ops
        self.input_shape, specs = validate(self.ops, self.params, self.input_shape, self.meta,
                                           source)
        for name, spec in self.tensors.items():
            if specs.get(name) != spec:
                raise IRError(f"{source}: field 'tensors.{name}' is {spec}, the parameters "
                              f"imply {specs.get(name)}")
        self.tensors = specs

    # ------------------------------------------------------------------ identity
    def header(self) -> dict[str, Any]:
        return {
            "format": IR_FORMAT,
            "version": IR_VERSION,
            "input_shape": list(self.input_shape),
            "meta": self.meta,
            "ops": [op.to_dict() for op in self.ops],
            "tensors": {k: v.to_dict() for k, v in self.tensors.items()},
            "params": {k: {"dtype": str(v.dtype), "shape": list(v.shape),
                           "file": f"params/{k}.npy"} for k, v in self.params.items()},
        }

    def content_hash(self) -> str:
        """SHA-256 over the canonical header and every parameter's dtype, shape and bytes."""
        h = hashlib.sha256()
        h.update(json.dumps(self.header(), sort_keys=True, separators=(",", ":")).encode())
        for name in sorted(self.params):
            a = np.ascontiguousarray(self.params[name])
            h.update(f"{name}|{a.dtype}|{a.shape}".encode())
            h.update(a.tobytes())
        return h.hexdigest()

    def op(self, name: str) -> Op:
        for op in self.ops:
            if op.name == name:
                return op
        raise KeyError(name)

    # ------------------------------------------------------------------ file I/O
    def save(self, path: str | Path) -> Path:
        """Write atomically; returns the path. The same content gives the same bytes (every
        archive member carries one fixed timestamp)."""
        header = {**self.header(), "hash": self.content_hash()}
        with atomic_write(path, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as z:
            _write_member(z, "ir.json", json.dumps(header, indent=1).encode())
            for name, a in self.params.items():
                buf = io.BytesIO()
                np.save(buf, a, allow_pickle=False)
                _write_member(z, f"params/{name}.npy", buf.getvalue())
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> IntegerIR:
        """Read and validate an IR file; raises :class:`IRError` naming the bad field."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"IR file not found: {path}")
        try:
            header, params = _read_archive(path)
        except IRError:
            raise
        except _READ_ERRORS as exc:
            raise IRError(f"{path}: not a readable IR archive "
                          f"({type(exc).__name__}: {exc})") from exc
        return cls.from_header(header, params, source=str(path))

    @classmethod
    def from_header(cls, header: dict[str, Any], params: dict[str, np.ndarray],
                    source: str = "<ir>") -> IntegerIR:
        """Validate a header + parameters (format, version, ops, shapes, widths, hash)."""
        if not isinstance(header, dict):
            raise IRError(f"{source}: the header must be a JSON object")
        if _field(header, "format", str, source) != IR_FORMAT:
            raise IRError(f"{source}: field 'format' must be {IR_FORMAT!r}")
        version = _field(header, "version", int, source)
        if version != IR_VERSION:
            raise IRError(f"{source}: field 'version' is {version}, this build reads {IR_VERSION}")
        ops = _ops_from_dicts(_field(header, "ops", list, source), source)
        _check_stored_params(_field(header, "params", dict, source), params, source)
        ir = cls(ops=ops, params=params,
                 input_shape=_field(header, "input_shape", list, source),
                 meta=_field(header, "meta", dict, source), source=source)
        declared = _field(header, "tensors", dict, source)
        for name in sorted(set(declared) | set(ir.tensors)):
            got, spec = declared.get(name), ir.tensors.get(name)
            if spec is None or got != spec.to_dict():
                raise IRError(f"{source}: field 'tensors.{name}' is {got}, the parameters "
                              f"imply {spec.to_dict() if spec else 'no such tensor'}")
        if header.get("hash") != ir.content_hash():
            raise IRError(f"{source}: field 'hash' does not match the content "
                          f"(stored {header.get('hash')!r}, computed {ir.content_hash()!r})")
        return ir


def _write_member(z: zipfile.ZipFile, name: str, data: bytes) -> None:
    """Store ``data`` as ``name`` with a fixed timestamp (reproducible archives)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o644 << 16
    z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


def _read_archive(path: Path) -> tuple[Any, dict[str, np.ndarray]]:
    """The header and every parameter file of an IR archive (not yet validated)."""
    with zipfile.ZipFile(path) as z:
        header = json.loads(z.read("ir.json"))
        if not isinstance(header, dict):
            raise IRError(f"{path}: ir.json must hold a JSON object")
        params = {}
        for name, entry in _field(header, "params", dict, str(path)).items():
            file = entry.get("file") if isinstance(entry, dict) else None
            if not isinstance(file, str):
                raise IRError(f"{path}: field 'params.{name}' must give its file")
            params[name] = np.load(io.BytesIO(z.read(file)), allow_pickle=False)
    return header, params


def _field(header: dict[str, Any], key: str, kind: type, source: str) -> Any:
    if key not in header:
        raise IRError(f"{source}: field {key!r} is missing")
    value = header[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise IRError(f"{source}: field {key!r} must be a {kind.__name__}")
    return value


def _check_stored_params(entries: dict[str, Any], params: dict[str, np.ndarray],
                         source: str) -> None:
    """Each parameter the header declares is stored, with the declared dtype and shape."""
    for name in params:
        if name not in entries:
            raise IRError(f"{source}: field 'params.{name}' is not declared in the header")
    for name, entry in entries.items():
        if not isinstance(entry, dict) or not {"dtype", "shape"} <= set(entry):
            raise IRError(f"{source}: field 'params.{name}' needs dtype, shape and file")
        a = params.get(name)
        if a is None:
            raise IRError(f"{source}: field 'params.{name}' is missing")
        a = np.asarray(a)
        if list(a.shape) != entry["shape"] or str(a.dtype) != entry["dtype"]:
            raise IRError(f"{source}: field 'params.{name}' declares {entry['dtype']}"
                          f"{entry['shape']}, file holds {a.dtype}{list(a.shape)}")
        if a.dtype.type not in _INT_TYPES:
            raise IRError(f"{source}: field 'params.{name}' is not an integer tensor")


def _ops_from_dicts(raw: list[Any], source: str) -> list[Op]:
    """Op records of the header (their content is checked by the gate)."""
    ops: list[Op] = []
    for i, d in enumerate(raw):
        where = f"ops[{i}]"
        if not isinstance(d, dict) or not {"name", "type", "inputs"} <= set(d):
            raise IRError(f"{source}: field '{where}' needs name, type and inputs")
        if not isinstance(d["inputs"], list) or not isinstance(d.get("attrs", {}), dict):
            raise IRError(f"{source}: field '{where}' needs an inputs list and an attrs object")
        ops.append(Op.from_dict(d))
    return ops
