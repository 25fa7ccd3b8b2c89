"""Calls the env cannot mean: each is one ValueError naming the argument and what is allowed, never an
action quietly converted (``step(5.0)``, ``step(True)``) nor an error from deep inside numpy."""

import gymnasium as gym
import numpy as np
import pytest

from gym_launchpad import LaunchpadSpec
from gym_launchpad.launchpad import LaunchpadState

SPEC = LaunchpadSpec()
TOGGLES = np.zeros((SPEC.n_notes, SPEC.n_patterns), dtype=int)
OFFSETS = np.zeros(SPEC.n_notes, dtype=int)


@pytest.fixture(scope="module")
def env():
    env = gym.make("gym_launchpad/Launchpad-v0")
    env.reset(seed=0)
    return env


@pytest.mark.parametrize("action", [5.0, True, np.True_, np.float32(3), np.array([True]), np.array([1, 2]), "3",
                                    None, 313, -1, np.int64(400)], ids=repr)
def test_a_step_with_no_button_is_one_clear_error(env, action):
    with pytest.raises(ValueError, match=r"action .*(integer in 0\.\.312|outside the action space Discrete\(313\))"):
        env.step(action)


def test_numpy_integers_are_buttons(env):
    for action in (np.int64(3), np.uint8(3), np.array(3)):
        assert env.step(action)[4]["distance"] >= 0


def _bad_state(masks=None, offsets=None):
    return lambda: LaunchpadState(SPEC, OFFSETS.copy() if masks is None else masks,
                                  OFFSETS.copy() if offsets is None else offsets)


@pytest.mark.parametrize("make, message", [
    (_bad_state(masks=np.full(24, -1)), r"masks must be in 0\.\.127"),
    (_bad_state(masks=np.full(24, 128)), r"masks must be in 0\.\.127"),
    (_bad_state(offsets=np.full(24, -3)), r"offsets must be in 0\.\.63"),
    (_bad_state(offsets=np.full(24, 64)), r"offsets must be in 0\.\.63"),
    (_bad_state(offsets=np.zeros(24) + 0.5), "offsets must be integers"),
    (_bad_state(masks=np.zeros(24, dtype=bool)), "masks must be integers"),
    (_bad_state(masks=np.zeros(23, dtype=int)), r"masks must have shape \(n_notes,\) = \(24,\)"),
    (lambda: LaunchpadState("24 notes", OFFSETS, OFFSETS), "spec must be a LaunchpadSpec"),
], ids=range(8))
def test_a_state_outside_the_launchpad_is_refused(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


@pytest.mark.parametrize("state, message", [
    ({"toggles": TOGGLES + 2, "offsets": OFFSETS}, "toggles must be binary"),
    ({"toggles": TOGGLES, "offsets": OFFSETS + 0.5}, "offsets must be integers"),
    ({"toggles": TOGGLES, "offsets": OFFSETS - 3}, "offsets must be integers in"),
    ({"toggles": TOGGLES[:3], "offsets": OFFSETS}, "toggles must have shape"),
    (("a", "b"), "toggles must have shape"),
    ({"toggles": TOGGLES}, "needs keys 'toggles' and 'offsets'"),
    (42, "options\\['state'\\] must be"),
], ids=range(7))
def test_a_bad_start_state_is_one_clear_error(env, state, message):
    with pytest.raises(ValueError, match=message):
        env.reset(options={"state": state})


def test_a_state_changed_after_it_was_made_is_checked_again_on_reset(env):
    state = LaunchpadState.empty(SPEC)
    state.masks[0] = -1
    with pytest.raises(ValueError, match=r"masks must be in 0\.\.127"):
        env.reset(options={"state": state})


@pytest.mark.parametrize("actions, message", [
    (np.array([True, False]), "integer actions"),
    (np.array([0.0, 1.0]), "integer actions"),
    (np.array(["0", "1"]), "integer actions"),
    (np.array([0, 313]), "outside the action space"),
    (np.array([[0], [1]]), "one action per env"),
], ids=range(5))
def test_the_vector_env_refuses_the_same(actions, message):
    vector = gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=2)
    vector.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        vector.step(actions)


@pytest.mark.parametrize("corpus", [123, b"x", 4.5, [[1, 2], [3]], np.zeros((3, 23), dtype=np.uint64),
                                    np.full((2, 24), -1), np.full((2, 24, 64), 2), np.zeros((2, 24, 63), dtype=bool)],
                         ids=repr)
def test_a_corpus_that_is_no_corpus_is_one_clear_error(corpus):
    with pytest.raises(ValueError, match=r"^corpus must be None \(the shipped corpus\), a path to a corpus \.npz, a "
                                         r"Corpus, or bars as an \(M, 24\) array of uint64 words .*; got "):
        gym.make("gym_launchpad/Launchpad-v0", corpus=corpus)


def test_bars_given_as_words_or_rolls_make_a_corpus():
    words = gym.make("gym_launchpad/Launchpad-v0", corpus=[[1] * 24, [1] * 24]).unwrapped.corpus
    rolls = gym.make("gym_launchpad/Launchpad-v0", corpus=np.eye(64, dtype=bool)[None, :24]).unwrapped.corpus
    assert words.counts.tolist() == [2] and rolls.bars.tolist() == [[1 << n for n in range(24)]]


@pytest.mark.parametrize("options", [[1, 2], "init", 3], ids=repr)
def test_reset_options_that_are_no_dict_are_one_clear_error(env, options):
    with pytest.raises(ValueError, match=r"^reset options must be a dict \(keys: 'state', 'init'\) or None, got "):
        env.reset(options=options)
    vector = gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=2)
    with pytest.raises(ValueError, match=r"^reset options must be a dict \(keys: 'state', 'init', 'reset_mask'\)"):
        vector.reset(options=options)
