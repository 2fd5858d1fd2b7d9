"""The versioned integer IR: a pruned, quantized network as ops + integer tensors.

On disk an IR is a zip archive (extension ``.sdmfir``) holding ``ir.json`` (the
header: format, version, metadata, ops, tensor specs, parameter index, hash)
and one ``params/<name>.npy`` per integer tensor. See docs/ir.md.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sdmf.io import atomic_write

from .bounds import TensorSpec, analyze
from .program import INPUT_COUNT, OP_TYPES, PARAM_NAMES, REQUIRED_ATTRS, Op

IR_FORMAT = "sdmf-ir"
IR_VERSION = 1
_INT_TYPES = (np.int8, np.int16, np.int32, np.int64)


class IRError(ValueError):
    """An IR file or object that is inconsistent; the message names the field."""


def _narrowest(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.size == 0:
        return a.astype(np.int8)
    lo, hi = int(a.min()), int(a.max())
    for t in _INT_TYPES:
        info = np.iinfo(t)
        if info.min <= lo and hi <= info.max:
            return a.astype(t)
    raise IRError(f"integer tensor out of int64 range: {lo}..{hi}")


@dataclass
class IntegerIR:
    """ops, integer parameters, per-tensor specs and metadata of one deployed network."""

    ops: list[Op]
    params: dict[str, np.ndarray]
    input_shape: tuple[int, int, int, int]  # T, C, H, W
    meta: dict[str, Any] = field(default_factory=dict)
    tensors: dict[str, TensorSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.params = {k: _narrowest(v) for k, v in self.params.items()}
        if not self.tensors:
            self.tensors = analyze(self.ops, self.params, self.input_shape)

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
        """Write atomically; returns the path."""
        header = {**self.header(), "hash": self.content_hash()}
        with atomic_write(path, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("ir.json", json.dumps(header, indent=1))
            for name, a in self.params.items():
                buf = io.BytesIO()
                np.save(buf, a, allow_pickle=False)
                z.writestr(f"params/{name}.npy", buf.getvalue())
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> IntegerIR:
        """Read and validate an IR file; raises :class:`IRError` naming the bad field."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"IR file not found: {path}")
        try:
            with zipfile.ZipFile(path) as z:
                header = json.loads(z.read("ir.json"))
                params = {}
                for name, entry in _field(header, "params", dict, path).items():
                    params[name] = np.load(io.BytesIO(z.read(entry["file"])), allow_pickle=False)
        except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, OSError, ValueError) as exc:
            raise IRError(f"{path}: not a readable IR archive ({exc})") from exc
        return cls.from_header(header, params, source=str(path))

    @classmethod
    def from_header(cls, header: dict[str, Any], params: dict[str, np.ndarray],
                    source: str = "<ir>") -> IntegerIR:
        """Validate a header + parameters (format, version, ops, shapes, widths, hash)."""
        if _field(header, "format", str, source) != IR_FORMAT:
            raise IRError(f"{source}: field 'format' must be {IR_FORMAT!r}")
        version = _field(header, "version", int, source)
        if version != IR_VERSION:
            raise IRError(f"{source}: field 'version' is {version}, this build reads {IR_VERSION}")
        ops = _validate_ops(_field(header, "ops", list, source), source)
        for name, entry in header["params"].items():
            a = params[name]
            if list(a.shape) != entry["shape"] or str(a.dtype) != entry["dtype"]:
                raise IRError(f"{source}: field 'params.{name}' declares {entry['dtype']}"
                              f"{entry['shape']}, file holds {a.dtype}{list(a.shape)}")
            if a.dtype.type not in _INT_TYPES:
                raise IRError(f"{source}: field 'params.{name}' is not an integer tensor")
        for op in ops:
            for p in PARAM_NAMES[op.type]:
                if op.param_key(p) not in params:
                    raise IRError(f"{source}: field 'params.{op.param_key(p)}' is missing")
        input_shape = tuple(_field(header, "input_shape", list, source))
        if len(input_shape) != 4:
            raise IRError(f"{source}: field 'input_shape' must be [T, C, H, W]")
        try:
            specs = analyze(ops, params, input_shape)
        except ValueError as exc:
            raise IRError(f"{source}: field 'ops': {exc}") from exc
        declared = _field(header, "tensors", dict, source)
        for name, spec in specs.items():
            got = declared.get(name)
            if got is None or got != spec.to_dict():
                raise IRError(f"{source}: field 'tensors.{name}' is {got}, the parameters "
                              f"imply {spec.to_dict()}")
        ir = cls(ops=ops, params=params, input_shape=input_shape,  # type: ignore[arg-type]
                 meta=_field(header, "meta", dict, source), tensors=specs)
        if header.get("hash") != ir.content_hash():
            raise IRError(f"{source}: field 'hash' does not match the content "
                          f"(stored {header.get('hash')!r}, computed {ir.content_hash()!r})")
        return ir


def _field(header: dict[str, Any], key: str, kind: type, source: str) -> Any:
    if key not in header:
        raise IRError(f"{source}: field {key!r} is missing")
    value = header[key]
    if not isinstance(value, kind):
        raise IRError(f"{source}: field {key!r} must be a {kind.__name__}")
    return value


def _validate_ops(raw: list[Any], source: str) -> list[Op]:
    ops: list[Op] = []
    defined: set[str] = set()
    for i, d in enumerate(raw):
        where = f"ops[{i}]"
        if not isinstance(d, dict) or not {"name", "type", "inputs"} <= set(d):
            raise IRError(f"{source}: field '{where}' needs name, type and inputs")
        op = Op.from_dict(d)
        if op.type not in OP_TYPES:
            raise IRError(f"{source}: field '{where}.type' is {op.type!r}, "
                          f"expected one of {', '.join(OP_TYPES)}")
        if op.name in defined:
            raise IRError(f"{source}: field '{where}.name' {op.name!r} is defined twice")
        for attr in REQUIRED_ATTRS.get(op.type, ()):
            if not isinstance(op.attrs.get(attr), int) or op.attrs[attr] < 0:
                raise IRError(f"{source}: field '{where}.attrs.{attr}' must be an integer >= 0")
        want = INPUT_COUNT.get(op.type, 1)
        if len(op.inputs) != want:
            raise IRError(f"{source}: field '{where}.inputs' must list {want} tensor(s)")
        for src in op.inputs:
            if src not in defined:
                raise IRError(f"{source}: field '{where}.inputs' names {src!r}, "
                              "which no earlier op defines")
        defined.add(op.name)
        ops.append(op)
    if not ops or ops[0].type != "input" or ops[-1].type != "head":
        raise IRError(f"{source}: field 'ops' must start with an input op and end with a head op")
    return ops
