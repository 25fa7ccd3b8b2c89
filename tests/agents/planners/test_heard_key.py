"""The key a DJ song is in, read from what its observation shows (agents/planners/keys.py)."""

import gymnasium as gym
import numpy as np

import gym_launchpad  # noqa: F401  (registers the ids)
from agents import starts
from agents.planners import keys

DJ = "gym_launchpad/LaunchpadDJ-v0"


def tracker():
    env = gym.make(DJ).unwrapped
    return env, keys.KeyTracker(env.launchpad, env.corpus.bars, env.memory)


def test_a_triad_in_each_of_the_24_keys_reads_as_that_key():
    env, keyed = tracker()
    nothing_played = np.full(len(env.corpus), env.memory)
    for key in range(starts.N_KEYS):
        for seed in range(5):  # any patterns at any offsets, rooted on any row of the tonic
            triad = starts.triad_in_key(env.launchpad, key, np.random.default_rng([key, seed]))
            assert keyed.key(triad.words(), nothing_played) == key, (starts.key_name(key), seed)
    # The histogram of a triad alone: its own key over the IV, the V and the relative keys whose scales hold it.
    assert keys.estimate(np.eye(12)[[0, 4, 7]].sum(axis=0)) == 0          # C E G: C major, not F, G or E minor
    assert keys.estimate(np.eye(12)[[9, 0, 4]].sum(axis=0)) == 12 + 9     # A C E: A minor, not C major


def test_the_shares_are_each_bars_struck_notes_in_each_keys_scale():
    env, keyed = tracker()
    bars = env.corpus.bars
    for bar in (0, 100, 1000):
        per_row = np.bitwise_count(bars[bar].astype(np.uint64))
        for key in (0, 7, 12 + 9):
            inside = starts.key_scale(key)[env.launchpad.pitches % 12]
            assert np.isclose(keyed.shares[bar, key], per_row[inside].sum() / per_row.sum())


def test_the_bars_played_since_the_last_bar_line_that_played_none_make_the_key():
    env, keyed = tracker()
    ages = np.full(len(env.corpus), env.memory)
    in_c = np.flatnonzero(keyed.shares[:, 0] == 1)[:3]
    ages[in_c] = [0, 1, 2]  # three bars of C major, played at the last three bar lines
    assert np.allclose(keyed.played(ages), (keyed.decay ** np.array([0, 1, 2])) @ keyed.classes[in_c])
    # A bar line that played nothing (a person's bar): the ages go on, and the bars before it are forgotten.
    assert np.allclose(keyed.played(np.minimum(ages + 1, env.memory)), 0)
    # A triad in B major heard there reads B major, however many bars of C major came before.
    triad = starts.triad_in_key(env.launchpad, 11, np.random.default_rng(0))
    assert keyed.key(triad.words(), np.minimum(ages + 1, env.memory)) == 11


def test_keys_after_is_the_key_read_at_the_next_bar_line_after_the_bar():
    env, keyed = tracker()
    rng = np.random.default_rng(0)
    ages = np.full(len(env.corpus), env.memory)
    ages[rng.choice(len(ages), 6, replace=False)] = [0, 1, 2, 3, 5, 8]
    candidates = np.flatnonzero(ages == env.memory)[:200]
    after = keyed.keys_after(candidates, ages)
    for bar, key in zip(candidates[:40], after[:40], strict=True):
        next_ages = np.minimum(ages + 1, env.memory)
        next_ages[bar] = 0
        assert keyed.key(env.corpus.bars[bar], next_ages) == key
