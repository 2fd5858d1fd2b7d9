"""``sdmf``: the command line of the SDMFormer co-design flow."""

from __future__ import annotations

import argparse
import importlib
import sys

from .common import CliError

# Subcommand modules in sdmf/cli/, in the order they appear in --help. Each
# module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
COMMANDS = ["params", "energy", "analyze", "bench", "train", "eval", "quantize", "golden",
            "hwgen", "sim", "synth", "regress"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sdmf",
        description="SDMFormer co-design flow: models, analyses, training, quantization, "
        "hardware generation and bit-exact simulation.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"sdmf.cli.{name}")
        cmd = sub.add_parser(name, help=module.HELP, description=module.__doc__,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except CliError as exc:
        print(f"sdmf {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
