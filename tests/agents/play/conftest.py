"""Fixtures for the interactive launchpad's tests: an agent on the synthetic corpus, a session, pygame off
screen, and reading back the bars a recording holds."""


import numpy as np
import pytest

from agents.play.session import Session, make_agent
from gym_launchpad.corpus.build import read_midi_bars


@pytest.fixture
def fast_bpm():
    """A tempo at which a bar lasts 0.6 s, so live tests take seconds."""
    return 400.0


@pytest.fixture
def agent(synthetic_corpus_path):
    return make_agent("greedy", synthetic_corpus_path)


@pytest.fixture
def session(agent):
    return Session(agent, seed=0)




@pytest.fixture
def read_bars():
    """Reads the bars of a .mid file as an (n_bars, N) array, silent bars included."""

    def read(path, spec, n_bars):
        found = read_midi_bars(path, spec, fold=False, min_cells=0, min_pitches=0)
        bars = np.zeros((n_bars, spec.n_notes), dtype=np.uint64)
        for number, words in zip(found.bar_number, found.words, strict=True):
            assert number < n_bars, f"the file has a bar {number} beyond the {n_bars} played"
            bars[number] = words
        return bars

    return read
