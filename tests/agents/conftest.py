"""Fixtures for the agents' tests: a small synthetic corpus, so the tests run without the shipped one."""

import numpy as np
import pytest

from gym_launchpad import Corpus, LaunchpadSpec


@pytest.fixture(scope="session")
def synthetic_corpus_path(tmp_path_factory):
    """200 random sparse bars for the default spec, saved as a corpus file."""
    rng = np.random.default_rng(0)
    corpus = Corpus.from_bars(LaunchpadSpec(), rng.random((200, 24, 64)) < 0.1)
    return str(corpus.save(tmp_path_factory.mktemp("corpus") / "synthetic.npz"))


@pytest.fixture(scope="session")
def small_corpus_path(tmp_path_factory):
    """50 random bars for an 8-note launchpad with bars of 8 steps (low note 60)."""
    rng = np.random.default_rng(1)
    corpus = Corpus.from_bars(LaunchpadSpec(8, 3, 60), rng.random((50, 8, 8)) < 0.3)
    return str(corpus.save(tmp_path_factory.mktemp("corpus") / "small.npz"))


@pytest.fixture
def unship(monkeypatch, tmp_path):
    """``unship(name)``: the registry's shipped agent ``name`` points at weights that are not there."""
    from agents import policies

    def unship(name: str, command: str = "python -m x --out y"):
        entry = policies.REGISTRY[name]
        monkeypatch.setitem(policies.REGISTRY, name, policies.Registered(
            entry.kind, entry.tasks, entry.about, weights=tmp_path / f"{name}.safetensors", command=command))

    return unship
