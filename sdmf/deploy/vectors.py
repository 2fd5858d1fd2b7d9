"""Test vectors for the board: samples of the IR's test split with the golden model's
logits and classes, so the board reports accuracy and agreement without torch.

The layout (file names, ``vectors.json``) is the board script's
(:mod:`sdmf.deploy.board.run`, which reads it); this module writes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from sdmf.io import atomic_write, write_json
from sdmf.quant.golden import GoldenModel
from sdmf.quant.ir import IntegerIR

from .board.run import VECTOR_FILES, VECTORS_FORMAT, VECTORS_META

BATCH = 16


def _frames(dataset: Dataset, n: int, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` samples as integer counts ``[n, T, C, H, W]`` and their labels."""
    xs, ys = [], []
    for i in range(n):
        x, y = dataset[i]
        a = np.asarray(torch.as_tensor(x))
        if a.shape != shape:
            raise ValueError(f"sample {i} has shape {list(a.shape)}, the IR's input is "
                             f"{list(shape)}")
        if a.size and (a.min() < 0 or not np.array_equal(a, np.round(a))):
            raise ValueError(f"sample {i} holds values that are not event counts")
        xs.append(a.astype(np.int64))
        ys.append(int(y))
    frames = np.stack(xs) if xs else np.zeros((0, *shape), np.int64)
    top = int(frames.max()) if frames.size else 0
    dtype = np.uint8 if top < 1 << 8 else np.uint16 if top < 1 << 16 else np.int64
    return frames.astype(dtype), np.asarray(ys, np.int64)


def golden_vectors(ir: IntegerIR, dataset: Dataset, samples: int) -> dict[str, np.ndarray]:
    """``frames``, ``labels`` and the golden ``logits`` and ``classes`` of the first
    ``samples`` samples of ``dataset`` (fewer if it is shorter)."""
    n = min(samples, len(dataset))
    if n < 1:
        raise ValueError("the dataset split holds no samples")
    frames, labels = _frames(dataset, n, tuple(ir.input_shape))
    golden = GoldenModel(ir)
    logits, classes = [], []
    for start in range(0, n, BATCH):
        res = golden.run(torch.as_tensor(frames[start:start + BATCH].astype(np.int64)))
        logits.append(res.logits.to(torch.int64).numpy())
        classes.append(res.pred.to(torch.int64).numpy())
    return {"frames": frames, "labels": labels, "logits": np.concatenate(logits),
            "classes": np.concatenate(classes)}


def write_vectors(out: str | Path, vectors: dict[str, np.ndarray], ir: IntegerIR,
                  dataset: dict[str, Any]) -> dict[str, Any]:
    """Write ``vectors`` (:func:`golden_vectors`) and ``vectors.json`` into ``out``;
    returns the metadata."""
    out = Path(out)
    for key, fname in VECTOR_FILES.items():
        with atomic_write(out / fname, "wb") as fh:
            np.save(fh, vectors[key], allow_pickle=False)
    n = len(vectors["labels"])
    meta = {"format": VECTORS_FORMAT, "ir_hash": ir.content_hash(),
            "model": ir.meta.get("model_config"), "dataset": dataset, "split": "test",
            "samples": n, "input_shape": list(ir.input_shape),
            "classes": int(vectors["logits"].shape[1]),
            "golden_accuracy": float((vectors["classes"] == vectors["labels"]).mean()),
            "files": dict(VECTOR_FILES)}
    write_json(out / VECTORS_META, meta)
    return meta
