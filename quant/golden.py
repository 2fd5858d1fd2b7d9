"""The golden model: executes an integer IR exactly, with run-time width checks.

It is the reference every backend and testbench is compared against. It runs
the IR's op program (:mod:`sdmf.quant.program`) on int64 tensors and raises
:class:`WidthError` the moment any value leaves its declared interval.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sdmf.io import atomic_write, write_json

from .ir import IntegerIR
from .ops import predict
from .program import execute

DUMP_FORMAT = "sdmf-vectors/1"


class WidthError(RuntimeError):
    """A value exceeded the interval (and so the bit width) its tensor declares."""


@dataclass
class GoldenResult:
    logits: torch.Tensor          # [B, K] int64
    pred: torch.Tensor            # [B] int64
    taps: dict[str, torch.Tensor]  # op name -> [B, ...] int64 (empty unless requested)


class GoldenModel:
    """Integer execution of an :class:`IntegerIR`."""

    def __init__(self, ir: IntegerIR, check_widths: bool = True) -> None:
        self.ir = ir
        self.check_widths = check_widths
        self.params = {k: torch.from_numpy(v.astype(np.int64)) for k, v in ir.params.items()}

    @classmethod
    def from_file(cls, path: str | Path, **kw: Any) -> GoldenModel:
        return cls(IntegerIR.load(path), **kw)

    def _check(self, name: str, value: torch.Tensor) -> None:
        spec = self.ir.tensors[name]
        if value.numel() == 0:
            return
        lo, hi = int(value.min()), int(value.max())
        if lo < spec.lo or hi > spec.hi:
            raise WidthError(
                f"tensor {name!r}: value range {lo}..{hi} exceeds its declared "
                f"{spec.lo}..{spec.hi} ({spec.bits}-bit {'signed' if spec.signed else 'unsigned'})")

    def to_counts(self, x: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Validate and convert event-count frames ``[B, T, C, H, W]`` to int64."""
        x = torch.as_tensor(x)
        expected = tuple(self.ir.input_shape)
        if x.dim() != 5 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"input must be [B, {', '.join(map(str, expected))}], "
                             f"got {tuple(x.shape)}")
        if torch.is_floating_point(x):
            if not torch.equal(x, torch.round(x)):
                raise ValueError("input event counts must be integers")
            x = x.round()
        if (x < 0).any():
            raise ValueError("input event counts must be non-negative")
        return x.to(torch.int64)

    def run(self, x: torch.Tensor | np.ndarray, taps: bool = False) -> GoldenResult:
        """Logits, predicted classes and (with ``taps``) every op's output."""
        counts = self.to_counts(x)
        check = self._check if self.check_widths else None
        values = execute(self.ir.ops, self.params, counts, check=check, keep=taps)
        logits = values[self.ir.ops[-1].name]
        return GoldenResult(logits=logits, pred=predict(logits),
                            taps=values if taps else {})


def dump_vectors(ir: IntegerIR, x: torch.Tensor, result: GoldenResult, out_dir: str | Path,
                 labels: list[int] | None = None) -> Path:
    """Write test vectors: ``manifest.json`` plus one ``.npy`` per tensor (see docs/ir.md)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    entries: dict[str, Any] = {}
    arrays = {"input": x, **{k: v for k, v in result.taps.items() if k != "input"},
              "logits": result.logits, "pred": result.pred}
    for name, value in arrays.items():
        a = np.asarray(torch.as_tensor(value).to(torch.int64))
        fname = f"{name}.npy"
        with atomic_write(out / fname, "wb") as fh:
            np.save(fh, a, allow_pickle=False)
        spec = ir.tensors.get(name)
        entries[name] = {"file": fname, "shape": list(a.shape),
                         "bits": spec.bits if spec else None,
                         "signed": spec.signed if spec else None}
    manifest = {"format": DUMP_FORMAT, "ir_hash": ir.content_hash(), "samples": int(x.shape[0]),
                "labels": labels, "layout": "[sample, time, channel, (H, W) | token]",
                "tensors": entries}
    write_json(out / "manifest.json", manifest)
    return out


def load_vectors(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a directory written by :func:`dump_vectors`."""
    path = Path(path)
    manifest = json.loads((path / "manifest.json").read_text())
    if manifest.get("format") != DUMP_FORMAT:
        raise ValueError(f"{path / 'manifest.json'}: field 'format' must be {DUMP_FORMAT!r}")
    arrays = {k: np.load(path / e["file"]) for k, e in manifest["tensors"].items()}
    return manifest, arrays
