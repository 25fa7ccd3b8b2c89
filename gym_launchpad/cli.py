"""The ``launchpad`` command: ``launchpad corpus build|info|merge`` and ``launchpad render``.

Each subcommand lives beside the code it drives and registers itself through ``add_cli(subparsers)``;
its heavy imports happen when it runs, so ``launchpad --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys

from gym_launchpad import midi
from gym_launchpad.corpus import cli as corpus_cli


def build_parser() -> argparse.ArgumentParser:
    # The docstring's first line, without its reStructuredText literals' backticks.
    parser = argparse.ArgumentParser(prog="launchpad", description=__doc__.splitlines()[0].replace("``", ""))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    corpus_cli.add_cli(commands)
    midi.add_cli(commands)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
