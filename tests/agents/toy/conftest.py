"""Fixtures for the toy study's tests: the paper's toy launchpad, its transition table, and a second small
launchpad for the learners."""

import gymnasium as gym
import pytest

import gym_launchpad  # noqa: F401  (registers the envs)
from agents.toy.study import TOY_ID
from agents.toy.tabular import TransitionTable

#: A second small launchpad for the learners: two pitch rows, bars of 4 steps, a corpus of two bars.
TWO_NOTE_BARS = [[[1, 0, 1, 1], [0, 0, 1, 0]], [[1, 0, 0, 0], [0, 1, 0, 1]]]


@pytest.fixture(scope="module")
def toy_env():
    return gym.make(TOY_ID, max_episode_steps=500)


@pytest.fixture(scope="module")
def toy_table(toy_env):
    return TransitionTable.from_env(toy_env)


@pytest.fixture
def two_note_env():
    """Makes the two-note launchpad's env with a time limit."""

    def make(max_episode_steps):
        return gym.make(TOY_ID, n_notes=2, corpus=TWO_NOTE_BARS, max_episode_steps=max_episode_steps)

    return make
