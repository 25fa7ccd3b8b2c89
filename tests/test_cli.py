"""``launchpad --help`` and every subcommand's help read as plain text: no reStructuredText markup."""

import argparse
import re

from gym_launchpad.cli import build_parser


def parsers(parser):
    """``parser`` and every parser under it, however deep."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from parsers(child)


def test_every_help_is_plain_text():
    helps = {parser.prog: parser.format_help() for parser in parsers(build_parser())}
    assert {"launchpad", "launchpad corpus build", "launchpad render"} <= set(helps)
    assert "The launchpad command: launchpad corpus build|info|merge" in helps["launchpad"]
    marked = {prog: re.findall(r"``|:\w+:`", text) for prog, text in helps.items()}
    assert {prog: marks for prog, marks in marked.items() if marks} == {}
