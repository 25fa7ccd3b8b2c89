import numpy as np
import pytest

from gym_launchpad.corpus import Corpus
from gym_launchpad.envs import LaunchpadEnv
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState
from gym_launchpad.reward import (
    DistanceTracker,
    bar_distances,
    best_reachable_distance,
    brute_force_best_distance,
    lookahead_distances,
    naive_distance,
    silence_distance,
)


def random_corpus(spec, k, density, seed):
    rng = np.random.default_rng(seed)
    rolls = rng.random((k, spec.n_notes, spec.steps)) < density
    repeats = rng.integers(0, k, size=k // 3)  # some bars repeat, so counts matter in sampled mode
    return Corpus.from_bars(spec, np.concatenate([rolls, rolls[repeats]]))


@pytest.mark.slow
@pytest.mark.parametrize("reward_mode", ["nearest", "sampled"])
def test_reward_equals_naive_reference_over_10000_steps(reward_mode):
    spec = LaunchpadSpec()
    corpus = random_corpus(spec, 300, 0.08, seed=3)
    env = LaunchpadEnv(corpus=corpus, reward_mode=reward_mode, sample_size=100)
    rolls = corpus.rolls().astype(np.float64)
    rng = np.random.default_rng(4)
    env.reset(seed=5)
    for step in range(10_000):
        if step % 2500 == 0:
            env.reset(options={"init": "random"})
        _, reward, _, _, info = env.step(int(rng.integers(spec.n_actions)))
        roll = env.state.roll()
        if reward_mode == "nearest":
            expected, _ = naive_distance(rolls, roll)
        else:  # the reference on the very bar the env says was nearest among its draw
            expected = naive_distance(rolls[info["nearest_bar"]][None], roll)[0]
            if step % 10 == 0:  # a draw never finds a bar nearer than the nearest of all
                assert reward <= -naive_distance(rolls, roll)[0]
        assert reward == -expected
        assert info["distance"] == -reward


def test_tracker_matches_full_recomputation():
    spec = LaunchpadSpec(5, 4, 60)
    corpus = random_corpus(spec, 300, 0.2, seed=0)
    tracker = DistanceTracker(corpus)
    state = LaunchpadState.empty(spec)
    tracker.reset(state.words())
    rng = np.random.default_rng(1)
    for _ in range(500):
        row = state.apply(int(rng.integers(spec.n_actions)))
        if row >= 0:
            tracker.update(row, state.words()[row])
        assert np.array_equal(tracker.distances, bar_distances(corpus.bars, state.words()))


def test_sampled_draws_in_proportion_to_counts():
    spec = LaunchpadSpec(1, 2, 60)
    # Bar [1,0,0,0] occurs 9 times, bar [0,1,1,1] once; the empty bar is at distance 1 and 3.
    corpus = Corpus.from_bars(spec, [[[1, 0, 0, 0]]] * 9 + [[[0, 1, 1, 1]]])
    tracker = DistanceTracker(corpus)
    tracker.reset(np.zeros(1, dtype=np.uint64))
    rng = np.random.default_rng(0)
    draws = [tracker.sampled(rng, 1)[1] for _ in range(4000)]
    share = np.mean(np.array(draws) == 0)
    assert 0.87 < share < 0.93


@pytest.mark.parametrize("spec, k", [(LaunchpadSpec(1, 2, 60), 3), (LaunchpadSpec(2, 2, 60), 6),
                                     (LaunchpadSpec(1, 3, 60), 5), (LaunchpadSpec(2, 3, 60), 4)])
@pytest.mark.parametrize("seed", range(3))
def test_ceiling_equals_brute_force(spec, k, seed):
    corpus = random_corpus(spec, k, 0.5, seed)
    ceiling = best_reachable_distance(corpus)
    assert ceiling.distance == brute_force_best_distance(corpus)
    assert bar_distances(corpus.bars, ceiling.state.words()).min() == ceiling.distance


def test_ceiling_state_reaches_the_distance_on_the_full_spec():
    spec = LaunchpadSpec()
    corpus = random_corpus(spec, 200, 0.05, seed=7)
    ceiling = best_reachable_distance(corpus)
    assert bar_distances(corpus.bars[ceiling.bar_index], ceiling.state.words()) == ceiling.distance
    env = LaunchpadEnv(corpus=corpus)
    _, info = env.reset(options={"state": ceiling.state})
    assert info["distance"] == info["best_distance"] == ceiling.distance
    # No single action from the ceiling state can beat it.
    assert env.distances_after_each_action().min() >= ceiling.distance


def test_silence_distance_is_the_fewest_notes_of_any_bar():
    spec = LaunchpadSpec(2, 2, 60)
    corpus = Corpus.from_bars(spec, [[[1, 0, 1, 1], [0, 0, 0, 1]], [[0, 1, 0, 0], [1, 0, 1, 0]]])
    assert silence_distance(corpus) == 3


@pytest.mark.parametrize("spec", [LaunchpadSpec(3, 2, 60), LaunchpadSpec(4, 6, 50)], ids=str)
def test_lookahead_is_the_distance_after_applying_each_action(spec):
    corpus = random_corpus(spec, 150, 0.2, seed=5)
    tracker = DistanceTracker(corpus)
    rng = np.random.default_rng(6)
    states = [LaunchpadState(spec, rng.integers(0, 1 << spec.n_patterns, spec.n_notes),
                             rng.integers(0, spec.steps, spec.n_notes)) for _ in range(3)]
    distances = np.stack([bar_distances(corpus.bars, s.words()).astype(np.int16) for s in states])
    masks, offsets = np.stack([s.masks for s in states]), np.stack([s.offsets for s in states])
    batch = lookahead_distances(spec, tracker.columns, distances, masks, offsets)
    assert batch.shape == (3, spec.n_actions) and batch.dtype == np.int64
    for state, row in zip(states, batch, strict=True):
        expected = []
        for action in range(spec.n_actions):
            pressed = state.copy()
            pressed.apply(action)
            expected.append(bar_distances(corpus.bars, pressed.words()).min())
        assert row.tolist() == expected
        single = lookahead_distances(spec, tracker.columns, bar_distances(corpus.bars, state.words()).astype(np.int16),
                                     state.masks, state.offsets)
        assert np.array_equal(single, row)
