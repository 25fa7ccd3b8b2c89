"""LaunchpadDJ-v0: struck notes scored against a corpus of onsets, paid for closeness and for moving as a
listener hears it."""

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gym_launchpad  # noqa: F401  (registers the ids)
from gym_launchpad.corpus import Corpus
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState

DJ = "gym_launchpad/LaunchpadDJ-v0"
SPEC = LaunchpadSpec()


def onset_corpus(bars):
    return Corpus.from_bars(SPEC, np.asarray(bars, dtype=np.uint64), metadata={"cells": "onsets"})


def state_playing(rows: dict) -> LaunchpadState:
    """A state whose rows play {row: (mask, offset)}."""
    state = LaunchpadState.empty(SPEC)
    for row, (mask, offset) in rows.items():
        state.masks[row], state.offsets[row] = mask, offset
    return state


def test_check_env_and_the_vector_env():
    check_env(gym.make(DJ).unwrapped, skip_render_check=True)
    envs = gym.make_vec(DJ, num_envs=3)
    obs, _ = envs.reset(seed=0)
    assert obs.shape == (3, *gym.make(DJ).observation_space.shape)
    _, rewards, _, _, infos = envs.step(np.array([0, 1, SPEC.noop_action]))
    assert rewards.shape == (3,) and infos["heard_change"].tolist() == [True, True, False]


def test_the_default_corpus_is_the_shipped_onsets_and_sounding_cells_are_refused():
    env = gym.make(DJ).unwrapped
    assert env.corpus.cells == "onsets" and env.corpus.hash == Corpus.onsets().hash
    with pytest.raises(ValueError, match="holds sounding cells.*--cells onsets"):
        gym.make(DJ, corpus=Corpus.default())


@pytest.mark.parametrize("bad", [{"memory": 0}, {"arrival_radius": -1}, {"heard_bonus": float("nan")},
                                 {"arrival_bonus": "40"}])
def test_bad_arguments_are_refused(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        gym.make(DJ, **bad)


def test_two_seeded_envs_step_in_lockstep_and_pickle():
    a, b = gym.make(DJ), gym.make(DJ)
    obs_a, _ = a.reset(seed=7)
    obs_b, _ = b.reset(seed=7)
    rng = np.random.default_rng(0)
    for action in rng.integers(SPEC.n_actions, size=30):
        step_a, step_b = a.step(action), b.step(action)
        np.testing.assert_array_equal(step_a[0], step_b[0])
        assert step_a[1] == step_b[1]
    clone = pickle.loads(pickle.dumps(a.unwrapped))
    np.testing.assert_array_equal(clone.step(3)[0], a.unwrapped.step(3)[0])


def test_the_reward_is_its_terms_and_inaudible_presses_earn_no_movement():
    # Two corpus bars: A plays row 0's downbeat; B adds row 1's downbeat (one cell away).
    bar_a = np.zeros(SPEC.n_notes, dtype=np.uint64)
    bar_a[0] = 1
    bar_b = bar_a.copy()
    bar_b[1] = 1
    env = gym.make(DJ, corpus=onset_corpus([bar_a, bar_b]), arrival_radius=0, memory=2).unwrapped
    obs, info = env.reset(options={"state": state_playing({0: (1, 0)})})
    assert info["distance"] == 0 and info["rewards"] == {"closeness": 0.0, "heard": 0.0, "arrival": 0.0}
    # An offset press of a silent row and the no-op change nothing a listener hears (A is played on).
    for silent in (SPEC.offset_action(5, 0), SPEC.noop_action):
        _, reward, _, _, info = env.step(silent)
        assert not info["heard_change"] and not info["arrival"] and reward == 0.0
    # Striking row 1 on the downbeat arrives at B: heard and new.
    _, reward, _, _, info = env.step(SPEC.toggle_action(1, 0))
    assert info["heard_change"] and info["arrival"] and info["nearest_bar"] == 1
    assert reward == 0.0 + env.heard_bonus + env.arrival_bonus
    assert sum(info["rewards"].values()) == reward
    env.step(SPEC.noop_action)  # B again: played, not an arrival
    # Back to A, last played 3 bars ago (memory 2): an arrival; then B, played 2 bars ago: only heard.
    _, reward, _, _, info = env.step(SPEC.toggle_action(1, 0))
    assert info["arrival"] and info["nearest_bar"] == 0
    _, reward, _, _, info = env.step(SPEC.toggle_action(1, 0))
    assert not info["arrival"] and info["nearest_bar"] == 1 and reward == env.heard_bonus
    assert reward <= info["reward_bound"] == -info["best_distance"] + env.heard_bonus + env.arrival_bonus


def test_the_observation_shows_what_the_reward_depends_on():
    env = gym.make(DJ).unwrapped
    obs, _ = env.reset(seed=3)
    n = SPEC.n_notes * (2 * SPEC.bar_bits + 1)
    np.testing.assert_array_equal(obs[:n], obs[n:2 * n])  # the bar before the first is the start bar
    before = obs
    obs, _, _, _, info = env.step(SPEC.toggle_action(2, 3))
    np.testing.assert_array_equal(obs[n:2 * n], before[:n])
    assert obs[:n][SPEC.toggle_action(2, 3)] != before[:n][SPEC.toggle_action(2, 3)]
    ages = obs[2 * n:] * env.memory
    np.testing.assert_allclose(ages, env.ages)
    # The heard change is read from the two bars the observation shows.
    assert info["heard_change"] == bool((obs[:n] != obs[n:2 * n]).any())


def test_a_bar_is_heard_as_onsets():
    env = gym.make(DJ).unwrapped
    # Pattern 1 (every other step) of one row is 32 struck notes, not one held note.
    _, info = env.reset(options={"state": state_playing({10: (1 << 1, 0)})})
    assert info["onsets"] == 32
