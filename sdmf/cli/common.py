"""Arguments and output helpers shared by the ``sdmf`` subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sdmf.model.checkpoint import load_model
from sdmf.model.config import config_from_name
from sdmf.model.transformer import SpikingTransformer

from .argtypes import as_text, existing_file, positive_int


class CliError(Exception):
    """A user-facing error: printed as ``sdmf: error: ...`` with exit status 2."""


def add_model_args(parser: argparse.ArgumentParser, default_model: str | None = None) -> None:
    """``--model/--classes/--img-size/--heads`` or ``--checkpoint``."""
    group = parser.add_argument_group("model (a name, or a checkpoint that records its config)")
    group.add_argument("--model", default=default_model,
                       help="named config: sdmformer-L-D or spikformer-L-D (e.g. sdmformer-2-256)")
    group.add_argument("--checkpoint", type=as_text(existing_file),
                       help="checkpoint written by `sdmf train` (overrides --model)")
    group.add_argument("--classes", type=positive_int, default=None,
                       help="number of classes (default 10)")
    group.add_argument("--img-size", type=positive_int, default=None,
                       help="input height = width, divisible by 16 (default 128)")
    group.add_argument("--heads", type=positive_int, default=None,
                       help="attention heads (default 16)")


def model_from_args(args: argparse.Namespace) -> tuple[SpikingTransformer, dict[str, Any]]:
    """Build the model named on the command line, or load it from ``--checkpoint``.

    Returns ``(model, checkpoint_dict)``; the dict is empty for a fresh model.
    """
    if getattr(args, "checkpoint", None):
        try:
            return load_model(args.checkpoint)
        except (FileNotFoundError, ValueError) as exc:
            raise CliError(str(exc)) from exc
    if not args.model:
        raise CliError("give --model NAME or --checkpoint FILE")
    try:
        cfg = config_from_name(args.model, num_classes=args.classes, img_size=args.img_size,
                               heads=args.heads)
    except (TypeError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    model = SpikingTransformer(cfg)
    model.eval()
    return model, {}


def emit(result: Any, as_json: bool, text: str) -> None:
    """Print ``result`` as JSON when asked, otherwise the human-readable ``text``."""
    if as_json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(text)


def format_table(headers: list[str], rows: list[list[Any]]) -> str:
    """A plain fixed-width table (right-aligned numbers, left-aligned text)."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]

    def line(values: list[str], raw: list[Any] | None = None) -> str:
        out = []
        for i, v in enumerate(values):
            numeric = raw is not None and isinstance(raw[i], (int, float))
            out.append(v.rjust(widths[i]) if numeric else v.ljust(widths[i]))
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep, *(line(c, r) for c, r in zip(cells, rows))])


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)
