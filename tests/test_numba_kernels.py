"""The compiled kernel against the numpy reference: every plane path, ties, the parallel press, the chooser."""

import time

import gymnasium as gym
import numpy as np
import pytest

import gym_launchpad  # noqa: F401  (registers the ids)
from gym_launchpad.corpus import Corpus
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.reward import DistanceTracker, bar_distances

kernels = pytest.importorskip("gym_launchpad._numba_kernels", reason="needs numba")
numba = pytest.importorskip("numba")

SPEC = LaunchpadSpec(4, 6, 50)


def corpus_of(bars) -> Corpus:
    return Corpus.from_bars(SPEC, np.asarray(bars, dtype=np.uint64))


@pytest.mark.parametrize("flip", [
    0x1,                    # one bit: one plane
    0x8000_0000_0000_0000,  # the last plane alone
    0x0001_0000_0001_0000,  # two planes
    0x0000_0100_0100_0100,  # three planes
    0x5555_5555_5555_5555,  # every plane
    0x0,                    # nothing flips
])
def test_every_plane_path_updates_as_the_reference(flip):
    rng = np.random.default_rng(7)
    # 700 bars: the chunks of the pass are cut at 256, and a corpus rarely is a multiple of them.
    corpus = corpus_of(rng.integers(0, 2**63, size=(700, 4), dtype=np.uint64) * 2 + 1)
    compiled = DistanceTracker(corpus, backend="numba")
    reference = DistanceTracker(corpus, backend="numpy")
    words = rng.integers(0, 2**63, size=4, dtype=np.uint64)
    for tracker in (compiled, reference):
        tracker.reset(words)
    for row in range(4):
        word = words[row] ^ np.uint64(flip) ^ np.uint64(row)
        compiled.update(row, word)
        reference.update(row, word)
        words[row] = word
        expected = bar_distances(corpus.bars, words)
        assert np.array_equal(compiled.distances, expected)
        assert compiled.nearest() == reference.nearest() == (int(expected.min()), int(expected.argmin()))


def test_the_first_bar_at_the_smallest_distance_is_nearest_across_chunks():
    # Distinct dense bars far from silence, and three one-note bars that tie, in the second and third chunk.
    bars = np.full((900, 4), 2**64 - 1, dtype=np.uint64)
    bars[:, 3] = np.arange(900, dtype=np.uint64)
    bars[[300, 520, 899]] = [[1, 0, 0, 0], [2, 0, 0, 0], [4, 0, 0, 0]]
    tracker = DistanceTracker(corpus_of(bars), backend="numba")
    tracker.reset(np.zeros(4, dtype=np.uint64))
    assert tracker.nearest() == (1, 300)
    tracker.update(1, np.uint64(1))  # all three move alike: still tied, still the first
    assert tracker.nearest() == (2, 300)
    tracker.update(0, np.uint64(6))  # now bars 520 and 899 tie at 2, bar 300 is at 4
    assert tracker.nearest() == (2, 520)


@pytest.mark.parametrize("with_counts", [True, False])
def test_every_press_keeps_the_distances_exact(with_counts, monkeypatch):
    """Toggles of dense patterns (counts), of sparse ones and shifts (counts and planes), from random states;
    without counts (a corpus too big for them) every press reads the planes."""
    if not with_counts:
        monkeypatch.setattr(kernels, "MAX_PATTERN_COUNT_BYTES", 0)
    envs = gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=16, init="random", max_episode_steps=None)
    assert (envs._press_arguments[9].shape[1] > 0) == with_counts
    envs.reset(seed=3)
    rng = np.random.default_rng(4)
    corpus_bars = envs._tracker.corpus.bars
    for _ in range(150):
        envs.step(rng.integers(0, envs.single_action_space.n, 16))
        expected = np.stack([bar_distances(corpus_bars, words) for words in envs.words])
        assert np.array_equal(envs._tracker.distances, expected)
        assert np.array_equal(envs._tracker.mins, expected.min(axis=1))
        assert np.array_equal(envs._tracker.argmins, expected.argmin(axis=1))


def step_all(envs, actions):
    return [envs.step(a) for a in actions]


def test_parallel_press_steps_exactly_as_the_serial_press():
    serial = gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=24, max_episode_steps=30)
    parallel = gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=24, max_episode_steps=30)
    serial._compiled_press = kernels.press
    parallel._compiled_press = kernels.press_parallel
    actions = np.random.default_rng(0).integers(0, serial.single_action_space.n, (70, 24))
    serial.reset(seed=1)
    parallel.reset(seed=1)
    for ours, theirs in zip(step_all(parallel, actions), step_all(serial, actions), strict=True):
        for a, b in zip(ours[:4], theirs[:4], strict=True):
            assert np.array_equal(a, b)
        assert all(np.array_equal(ours[4][key], theirs[4][key]) for key in theirs[4])
    assert np.array_equal(parallel._tracker.distances, serial._tracker.distances)


def test_a_bad_action_changes_nothing_in_either_press():
    for variant in (kernels.press, kernels.press_parallel):
        envs = gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=20)
        envs._compiled_press = variant
        envs.reset(seed=0)
        before = envs._tracker.distances.copy(), envs.masks.copy(), envs.offsets.copy()
        actions = np.zeros(20, dtype=np.int64)
        actions[7] = envs.single_action_space.n
        with pytest.raises(ValueError, match="outside the action space"):
            envs.step(actions)
        after = envs._tracker.distances, envs.masks, envs.offsets
        assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_one_thread_never_shares_the_press():
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert not kernels.parallel_possible(64, 4000)
        assert gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=64)._tracker.kernel.threads == 1
    finally:
        numba.set_num_threads(threads)
    assert not kernels.parallel_possible(2, 100)  # too small a batch to pay for waking a thread


@pytest.mark.parametrize("faster", [0, 1])
def test_the_adaptive_press_settles_on_the_faster_variant_and_probes_less_often(faster):
    calls = []

    def variant(index):
        def run(actions):
            calls.append(index)
            if index != faster:
                time.sleep(0.01)  # far above any stall of the fast one, so the test holds on a busy machine
            return 0
        return run

    chooser = kernels.AdaptivePress()
    chooser._variants = (variant(0), variant(1))
    for _ in range(2000):
        chooser(np.zeros(8, dtype=np.int64))
    assert chooser.parallel == (faster == 1)
    # After the first PROBE calls (the serial press runs until then), the slower one only runs as a probe,
    # and each lost probe doubles the wait for the next: 64, 128, ... calls apart.
    probes = [i for i, index in enumerate(calls) if index != faster and i >= chooser.PROBE]
    gaps = np.diff(probes)
    assert 4 <= len(probes) <= 6 and np.all(gaps[1:] == 2 * gaps[:-1])
