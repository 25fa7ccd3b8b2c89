"""``python -m agents``: the command list, and a clear message when the [agents] extra is missing."""

import sys

import pytest
from gymnasium.error import DependencyNotInstalled

from agents.__main__ import main


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("demo", "train", "imitate", "evaluate", "compare", "toy-study", "play"))
    assert main(["fly"]) == 2


@pytest.mark.parametrize("missing", ["torch", "stable_baselines3"])
def test_missing_agents_extra_names_what_to_install(monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)  # makes `import missing` raise ImportError
    for name in [n for n in sys.modules if n.startswith(("agents.", missing + "."))]:
        monkeypatch.delitem(sys.modules, name)  # so the command's modules import again
    with pytest.raises(DependencyNotInstalled, match=r"pip install gym_launchpad\[agents\]"):
        main(["train", "--help"])
