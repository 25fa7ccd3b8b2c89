"""A documented dataclass is the command line: tuples take several values, an empty default may take none."""

from dataclasses import dataclass

import pytest

from agents.arguments import parse_dataclass


@dataclass
class Args:
    """A command."""

    #: what to play
    names: tuple[str, ...] = ()
    #: at least one
    levels: tuple[float, ...] = (0.0, 0.5)
    #: folders, none by default
    runs: tuple[str, ...] = ()


def test_a_tuple_with_an_empty_default_may_be_given_nothing_and_others_need_a_value(capsys):
    assert parse_dataclass(Args, [], "x", positional=("names",)) == Args()
    assert parse_dataclass(Args, ["a", "b", "--runs"], "x", positional=("names",)) == Args(names=("a", "b"))
    assert parse_dataclass(Args, ["--levels", "1", "2"], "x", positional=("names",)).levels == (1.0, 2.0)
    with pytest.raises(SystemExit):
        parse_dataclass(Args, ["--levels"], "x", positional=("names",))
    assert "expected at least one argument" in capsys.readouterr().err
