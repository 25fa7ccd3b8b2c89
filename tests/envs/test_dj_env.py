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
    envs = gym.make_vec(DJ, num_envs=3, presses_per_bar=1)
    obs, _ = envs.reset(seed=0)
    assert obs.shape == (3, *gym.make(DJ, presses_per_bar=1).observation_space.shape)
    _, rewards, _, _, infos = envs.step(np.array([0, 1, SPEC.noop_action]))
    assert rewards.shape == (3,) and infos["heard_change"].tolist() == [True, True, False]


def test_the_default_corpus_is_the_shipped_onsets_and_sounding_cells_are_refused():
    env = gym.make(DJ).unwrapped
    assert env.corpus.cells == "onsets" and env.corpus.hash == Corpus.onsets().hash
    with pytest.raises(ValueError, match="holds sounding cells.*--cells onsets"):
        gym.make(DJ, corpus=Corpus.default())


@pytest.mark.parametrize("bad", [{"memory": 0}, {"arrival_radius": -1}, {"presses_per_bar": 0},
                                 {"song_bars": 1.5}, {"arrival_bonus": "40"}, {"arrival_bonus": float("nan")}])
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


def test_the_reward_is_its_terms_and_a_cycle_earns_nothing_beyond_closeness():
    # Two corpus bars: A plays row 0's downbeat; B adds row 1's downbeat (one cell away).
    bar_a = np.zeros(SPEC.n_notes, dtype=np.uint64)
    bar_a[0] = 1
    bar_b = bar_a.copy()
    bar_b[1] = 1
    env = gym.make(DJ, corpus=onset_corpus([bar_a, bar_b]), presses_per_bar=1, arrival_radius=0, memory=4).unwrapped
    obs, info = env.reset(options={"state": state_playing({0: (1, 0)})})
    assert info["distance"] == 0 and info["rewards"] == {"closeness": 0.0, "arrival": 0.0}
    # An offset press of a silent row and the no-op change nothing a listener hears, and earn nothing.
    for silent in (SPEC.offset_action(5, 0), SPEC.noop_action):
        _, reward, _, _, info = env.step(silent)
        assert not info["heard_change"] and not info["arrival"] and reward == 0.0
    # Striking row 1 on the downbeat arrives at B: new.
    _, reward, _, _, info = env.step(SPEC.toggle_action(1, 0))
    assert info["heard_change"] and info["arrival"] and info["nearest_bar"] == 1
    assert reward == 0.0 + env.arrival_bonus == sum(info["rewards"].values())
    # Toggling row 1 on and off cycles A-B-A-B: every bar changes, and earns its closeness alone.
    for _ in range(10):
        _, reward, _, _, info = env.step(SPEC.toggle_action(1, 0))
        assert info["heard_change"] and not info["arrival"] and reward == info["rewards"]["closeness"] == 0.0
    # B held for memory bars is forgotten by A: back to A is an arrival again.
    for _ in range(4):
        env.step(SPEC.noop_action)
    _, reward, _, _, info = env.step(SPEC.toggle_action(1, 0))
    assert info["arrival"] and info["nearest_bar"] == 0 and reward == env.arrival_bonus
    assert reward <= info["reward_bound"] == -info["best_distance"] + env.arrival_bonus


def test_presses_between_bar_lines_are_not_heard_and_the_phase_is_observed():
    env = gym.make(DJ, presses_per_bar=3, song_bars=2).unwrapped
    obs, info = env.reset(seed=1)
    n = SPEC.n_notes * (2 * SPEC.bar_bits + 1)
    assert env.observation_space.shape == (2 * n + len(env.corpus) + 3,) and info["bar_line"]
    start = env.words.copy()
    for press in range(1, 7):
        obs, reward, terminated, truncated, info = env.step(SPEC.toggle_action(press, 1))
        assert obs[-3:].tolist() == [float(i == press % 3) for i in range(3)] and not terminated
        assert info["bar_line"] == (press % 3 == 0) and info["bars"] == press // 3
        assert truncated == (press == 6)  # the bar line of the second bar ends the song
        if info["bar_line"]:
            # The bar heard is the bar played now; the reward is its closeness (and any arrival).
            np.testing.assert_array_equal(obs[n:2 * n], obs[:n])
            assert reward == sum(info["rewards"].values()) and info["rewards"]["closeness"] == -info["distance"]
        else:
            # Between bar lines nothing is heard: no reward, the heard bar and the ages stay.
            assert reward == 0.0 and info["rewards"] == {"closeness": 0.0, "arrival": 0.0}
            heard = env.heard_words if press > 3 else start
            np.testing.assert_array_equal(env.heard_words, heard)


def test_the_observation_shows_what_the_reward_depends_on():
    env = gym.make(DJ, presses_per_bar=1).unwrapped
    obs, _ = env.reset(seed=3)
    n = SPEC.n_notes * (2 * SPEC.bar_bits + 1)
    np.testing.assert_array_equal(obs[:n], obs[n:2 * n])  # the bar before the first is the start bar
    before = obs
    obs, _, _, _, info = env.step(SPEC.toggle_action(2, 3))
    np.testing.assert_array_equal(obs[n:2 * n], obs[:n])  # one press a bar: the bar heard is this one
    assert obs[:n][SPEC.toggle_action(2, 3)] != before[:n][SPEC.toggle_action(2, 3)]
    ages = obs[2 * n:2 * n + len(env.corpus)] * env.memory
    np.testing.assert_allclose(ages, env.ages)
    # The heard change is read from the two bars the observations show.
    assert info["heard_change"] == bool((obs[:n] != before[n:2 * n]).any())


def test_the_default_task_is_24_presses_a_bar_and_a_song_of_300_bars():
    env = gym.make(DJ)
    assert env.unwrapped.presses_per_bar == 24 and env.unwrapped.song_bars == 300
    env.reset(seed=0)
    steps, truncated = 0, False
    while not truncated:
        *_, truncated, info = env.step(SPEC.noop_action)
        steps += 1
    assert steps == 24 * 300 and info["bars"] == 300


def test_a_bar_is_heard_as_onsets():
    env = gym.make(DJ).unwrapped
    # Pattern 1 (every other step) of one row is 32 struck notes, not one held note.
    _, info = env.reset(options={"state": state_playing({10: (1 << 1, 0)})})
    assert info["onsets"] == 32
