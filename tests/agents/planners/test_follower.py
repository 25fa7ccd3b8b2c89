"""The follower, the DJ task's planner of 24 presses a bar: it plays the chorales on, bar by bar."""

import gymnasium as gym
import numpy as np
import pytest

import gym_launchpad  # noqa: F401  (registers the ids)
from agents import starts
from agents.eval.song_metrics import check, song_metrics
from agents.planners.follower import Follower, replays, successors
from agents.planners.keys import scores
from agents.rollout import write_song

DJ = "gym_launchpad/LaunchpadDJ-v0"


def test_successors_are_the_next_bar_of_the_same_source():
    env = gym.make(DJ).unwrapped
    corpus = env.corpus
    following = successors(corpus)
    assert (following >= 0).sum() > 300
    for bar in np.flatnonzero(following >= 0)[:50]:
        assert corpus.source_index[following[bar]] == corpus.source_index[bar]
        assert corpus.bar_number[following[bar]] == corpus.bar_number[bar] + 1


def test_in_all_keys_a_bar_is_followed_by_the_next_bar_of_its_chorale_in_the_same_key():
    corpus = gym.make(DJ, all_keys=True).unwrapped.corpus
    per_key = corpus.metadata["all_keys"]["sources_per_key"]
    following = successors(corpus)
    found = np.flatnonzero(following >= 0)
    key, source = np.divmod(corpus.source_index, per_key)
    assert np.array_equal(key[following[found]], key[found])
    assert np.array_equal(source[following[found]], source[found])
    assert np.array_equal(corpus.bar_number[following[found]], corpus.bar_number[found] + 1)
    # Every key follows its chorales about as often as the chorales' own (29.9% of their bars; a transposed
    # bar equal to an earlier one keeps that one's source, so a few chains break).
    shares = [(following[key == k] >= 0).mean() for k in range(12)]
    assert min(shares) > 0.25 and abs(shares[0] - (successors(gym.make(DJ).unwrapped.corpus) >= 0).mean()) < 1e-9


def test_each_bar_line_it_walks_to_its_target_and_follows_the_chorale_when_it_can():
    env = gym.make(DJ)
    follower = Follower(env)
    obs, _ = env.reset(seed=5)
    followed, heard = 0, -1
    for _ in range(40):
        for press in range(24):
            obs, _, _, _, info = env.step(follower.predict(obs)[0])
            if press == 0:
                target, before = follower.target, follower.table.presses(env.unwrapped.state.masks,
                                                                         env.unwrapped.state.offsets)
        # The walk reached the target within the bar's presses: the bar heard is its best rendering.
        assert info["bar_line"] and before[target] <= 23
        assert info["distance"] <= follower.table.fit[target]
        followed += int(heard >= 0 and follower.next_bar[heard] == target)
        heard = info["nearest_bar"]
    assert followed >= 1  # it follows a chorale wherever the next bar is in the corpus, new and near


def test_its_target_is_a_function_of_the_heard_bar_and_the_ages():
    env = gym.make(DJ)
    follower = Follower(env)
    obs, _ = env.reset(seed=2)
    for _ in range(24 * 5):
        obs = env.step(follower.predict(obs)[0])[0]
    unwrapped = env.unwrapped
    assert unwrapped.at_bar_line
    chosen = follower.choose(unwrapped.state.masks, unwrapped.state.offsets, unwrapped.heard_words, unwrapped.ages)
    assert chosen == Follower(env).choose(unwrapped.state.masks.copy(), unwrapped.state.offsets.copy(),
                                          unwrapped.heard_words.copy(), unwrapped.ages.copy())


def play_from_a_triad(env, follower, key: int, bars: int, seed: int = 0):
    """The follower's first target and the bars heard at its next ``bars`` bar lines, from a triad in ``key``."""
    unwrapped = env.unwrapped
    triad = starts.triad_in_key(unwrapped.launchpad, key, np.random.default_rng([key, seed]))
    obs, _ = env.reset(seed=seed, options={"state": triad})
    heard, first = [], None
    while len(heard) < bars:
        obs = env.step(follower.predict(obs)[0])[0]
        first = follower.target if first is None else first
        if unwrapped.at_bar_line:
            heard.append(unwrapped.heard_words.copy())
    return first, np.asarray(heard)


def in_scale(env, heard: np.ndarray, key: int) -> float:
    per_row = np.bitwise_count(heard.astype(np.uint64)).sum(axis=0)
    return per_row[starts.key_scale(key)[env.unwrapped.launchpad.pitches % 12]].sum() / per_row.sum()


def test_after_a_triad_in_any_key_it_plays_on_in_that_key():
    env = gym.make(DJ)
    follower = Follower(env)
    fits = []
    for key in range(starts.N_KEYS):
        first, heard = play_from_a_triad(env, follower, key, bars=8)
        # It hears the triad's key, and its first bar is in that key's scale (major, or harmonic minor) in every key.
        assert follower.keys.shares[first, key] >= 0.8, starts.key_name(key)
        fits.append(in_scale(env, heard, key))
    # Its next 8 bars stay in the key (80% of their struck notes in its scale) wherever the shipped corpus has the
    # bars: 20 keys measured (not F# major, C# minor, Eb minor, Ab minor, whose scales hold few chorale bars).
    assert sum(fit >= 0.8 for fit in fits) >= 18, [round(fit, 2) for fit in fits]
    for key in (0, 7, 2 + 12, 9 + 12):  # C and G major, D and A minor: more than 90%
        assert fits[key] >= 0.9, starts.key_name(key)


@pytest.mark.slow
def test_after_a_triad_its_next_32_bars_stay_in_the_key_in_20_of_24_keys():
    # Issue #22's measure, as agents/results/all_keys/dj_key_fit.py plays it (its triads; 20 measured; four other
    # draws of triads (--seed 1000, 2000, 3000; --after 60): 20-21, F# major, Eb and Ab minor missing, whose scales
    # hold few chorale bars).
    from agents.results.all_keys.dj_key_fit import key_fit

    result = key_fit("follower", None, 32)
    assert result["keys_fit"] >= 20, [(k["key"], round(k["in_scale"], 2)) for k in result["key_fit"]]


@pytest.mark.slow
def test_the_follower_meets_every_target_on_a_held_out_seed(tmp_path):
    env = gym.make(DJ)
    path = write_song(env, Follower(env), seed=105, bars=300, path=tmp_path / "follower.mid")
    result = song_metrics(path, with_muspy=False)
    assert all(check(result).values()), result


def test_when_no_new_bar_in_the_key_is_near_it_replays_the_longest_unplayed_bar_in_the_key():
    env = gym.make(DJ)
    follower = Follower(env)
    unwrapped = env.unwrapped
    env.reset(seed=3, options={"state": starts.triad_in_key(unwrapped.launchpad, 0, np.random.default_rng(0))})
    masks, offsets = unwrapped.state.masks, unwrapped.state.offsets
    # Every bar of C major's scale has been played at some bar line in the memory (the youngest two last): no new
    # bar is in the key.
    in_c = np.flatnonzero(follower.keys.shares[:, 0] >= 0.8)
    ages = np.full(len(unwrapped.corpus), unwrapped.memory)
    clear = scores(follower.keys.classes[in_c])  # the bars that read C major most clearly are the youngest
    in_c = in_c[np.argsort(np.max(clear[:, 1:], axis=1) - clear[:, 0], kind="stable")]
    ages[in_c] = np.minimum(np.arange(len(in_c)), unwrapped.memory - 1)
    heard = unwrapped.corpus.bars[in_c[0]]
    assert follower.keys.key(heard, ages) == 0
    chosen = follower.choose(masks, offsets, heard, ages)
    # It replays a bar in the key, neither of the last two heard, rather than leave the key for a new bar.
    assert follower.keys.shares[chosen, 0] >= 0.8 and 2 <= ages[chosen] < unwrapped.memory
    # Rule 4's replay is the longest unplayed bar in the key (90% of its notes first) whose walk is heard as one.
    replay = follower.replay(0, follower.keys.shares[:, 0], follower.table.presses(masks, offsets), masks, offsets,
                             ages)
    presses = follower.table.presses(masks, offsets)
    reachable = (presses > 0) & (presses <= 24) & (follower.table.fit <= follower.radius) & (ages >= 2)
    top = reachable & (follower.keys.shares[:, 0] >= 0.9) & (ages > ages[replay])
    assert not any(follower.arrives(bar, masks, offsets, ages, least_age=2) for bar in np.flatnonzero(top))
    # The replays' share: the bar lines in the memory (since its oldest bar) that played no new bar.
    assert replays(np.array([0, 1, 3, unwrapped.memory]), unwrapped.memory) == 0.25
