"""Dataset arguments shared by commands that read a split recorded in a checkpoint or IR."""

from __future__ import annotations

import argparse
from typing import Any

from torch.utils.data import Dataset

from sdmf.model.config import ModelConfig

from .common import CliError

DEFAULT_DATASET = "digits-dvs"


def add_data_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data (defaults: the dataset recorded in the input file)")
    group.add_argument("--dataset", help="dvs128-gesture | cifar10-dvs | n-caltech101 | digits-dvs")
    group.add_argument("--data-dir", help="folder holding the dataset's files")
    group.add_argument("--cache-dir", help="frame cache (default $SDMF_CACHE or ~/.cache/sdmf)")


def _build(name: str, split: str, T: int, img_size: int, root: str | None,
           cache_dir: str | None, progress: bool = True) -> Dataset:
    from sdmf.model.data import build_dataset

    try:
        return build_dataset(name, split, root=root, T=T, img_size=img_size, cache_dir=cache_dir,
                             progress=progress)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        raise CliError(str(exc)) from exc


def resolve(args: argparse.Namespace, recorded: dict[str, Any] | None, T: int | None,
            img_size: int) -> dict[str, Any]:
    """Dataset name, root, T and image size: command line first, then the recorded values."""
    rec = recorded or {}
    name = args.dataset or rec.get("name") or DEFAULT_DATASET
    root = args.data_dir or (rec.get("root") if name == rec.get("name") else None)
    T = T or rec.get("T")
    if not T:
        raise CliError("the number of time steps is unknown: the input file records no dataset T")
    return {"name": name, "root": root, "T": int(T), "img_size": int(img_size)}


def dataset_from_args(args: argparse.Namespace, ckpt: dict[str, Any], split: str,
                      cfg: ModelConfig) -> tuple[Dataset, dict[str, Any]]:
    """The split of the dataset recorded in a training checkpoint (overridable)."""
    info = resolve(args, ckpt.get("dataset"), getattr(args, "time_steps", None), cfg.img_size)
    return _build(info["name"], split, info["T"], info["img_size"], info["root"],
                  args.cache_dir), info


def dataset_for_ir(args: argparse.Namespace, meta: dict[str, Any],
                   split: str) -> tuple[Dataset, dict[str, Any]]:
    """The split of the dataset recorded in an IR; T and image size are the IR's own."""
    img = meta["model_config"]["img_size"]
    info = resolve(args, meta.get("dataset"), meta.get("time_steps"), img)
    return _build(info["name"], split, info["T"], img, info["root"], args.cache_dir,
                  progress=not getattr(args, "no_progress", False)), info
