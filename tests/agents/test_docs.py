"""The docs say what the code does: who ``python -m agents play`` plays by default is stated once, in
``agents.policies.PLAY_DEFAULTS``, and the README, docs/play.md, docs/dj.md and ``play --help`` say the same."""

import re
from pathlib import Path

from agents import policies
from agents.arguments import dataclass_parser
from agents.play import cli

ROOT = Path(__file__).resolve().parents[2]
#: The phrase each doc states the default in, the agent's name in bold.
MARKER = re.compile(r"By default `python -m agents play` plays the \*\*(\w+)\*\*")
#: Older phrasings that named another default; none may remain.
STALE = re.compile(r"plays the (\w+)(?: agent)? by default|Hear the pretrained agent")


def test_every_doc_and_play_help_name_the_one_default_agent():
    default = policies.PLAY_DEFAULTS[0]
    for doc in ("README.md", "docs/play.md", "docs/dj.md"):
        text = (ROOT / doc).read_text()
        assert MARKER.findall(text) == [default], doc
        assert not STALE.search(text), (doc, STALE.search(text))
    help_text = " ".join(dataclass_parser(cli.PlayArgs, "python -m agents play").format_help().split())
    assert f"(default: {default} ({policies.REGISTRY[default].kind}," in help_text
    assert "the pretrained agent by default" not in (cli.__doc__ or "")


def test_the_default_agent_is_who_plays(tmp_path, capsys):
    out = tmp_path / "song.mid"
    assert cli.main(["--headless", "--bars", "2", "--seed", "1", "--out", str(out)]) == 0
    assert f"play: {policies.PLAY_DEFAULTS[0]} " in capsys.readouterr().err


def test_the_readmes_list_every_command():
    from agents.__main__ import COMMANDS

    for doc in ("README.md", "agents/README.md"):
        text = (ROOT / doc).read_text()
        missing = [name for name in COMMANDS if f"`{name}`" not in text and f"python -m agents {name}" not in text]
        assert not missing, (doc, missing)
