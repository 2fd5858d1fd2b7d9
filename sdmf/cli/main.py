"""``sdmf``: the command line of the SDMFormer co-design flow.

Every failure the user can cause ends as one line on stderr,
``sdmf <command>: error: <message>``, and exit status 2: arguments are validated at
parse time (``sdmf.cli.argtypes``), and the commands turn the project's errors (a bad
IR, a generator refusal, a file that cannot be written) into :class:`CliError`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn

from .common import CliError

# Subcommand modules in sdmf/cli/, in the order they appear in --help. Each
# module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
# A command's module is its name with "-" spelled "_".
COMMANDS = ["params", "energy", "analyze", "bench", "train", "eval", "quantize", "golden",
            "activity-ir", "firing-rates", "hwgen", "sim", "csim", "synth", "bitstream",
            "regress", "run", "deploy"]


def one_line(message: str) -> str:
    """``message`` with its lines joined: errors are reported on exactly one line."""
    return "; ".join(part.strip() for part in str(message).splitlines() if part.strip())


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block): see ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="sdmf",
        description="SDMFormer co-design flow: models, analyses, training, quantization, "
        "hardware generation and bit-exact simulation.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"sdmf.cli.{name.replace('-', '_')}")
        cmd = sub.add_parser(name, help=module.HELP, description=module.__doc__,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status (2 for any usage or input error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:           # --help (0) or an argument error (2, already printed)
        return 2 if isinstance(exc.code, str) else int(exc.code or 0)
    try:
        return int(args._run(args) or 0)
    except CliError as exc:
        print(f"sdmf {args.command}: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
