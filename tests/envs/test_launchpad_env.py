import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gym_launchpad  # noqa: F401  (registers the ids)
from gym_launchpad import render, window
from gym_launchpad.corpus import Corpus, CorpusSpecError
from gym_launchpad.envs import LaunchpadEnv
from gym_launchpad.envs.pipeline import INFO_KEYS
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState

# The ids of LaunchpadEnv itself; LaunchpadDJ-v0 has its own arguments (tests/envs/test_dj_env.py).
ENV_IDS = [env_id for env_id, spec in gym.registry.items()
           if env_id.startswith("gym_launchpad/") and spec.entry_point == "gym_launchpad.envs:LaunchpadEnv"]


def small_corpus(spec=None, k=200, seed=0):
    spec = spec or LaunchpadSpec()
    rolls = np.random.default_rng(seed).random((k, spec.n_notes, spec.steps)) < 0.1
    return Corpus.from_bars(spec, rolls)


def test_both_ids_are_registered():
    assert {"gym_launchpad/Launchpad-v0", "gym_launchpad/LaunchpadToy-v0"} <= set(ENV_IDS)


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("reward_mode", ["nearest", "sampled"])
def test_check_env(env_id, reward_mode):
    env = gym.make(env_id, reward_mode=reward_mode, sample_size=50)
    check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("obs_mode", ["toggles", "roll", "onehot"])
def test_two_seeded_envs_step_in_lockstep(env_id, obs_mode):
    kwargs = {"obs_mode": obs_mode, "reward_mode": "sampled", "sample_size": 20}
    a, b = gym.make(env_id, **kwargs), gym.make(env_id, **kwargs)
    obs_a, info_a = a.reset(seed=123)
    obs_b, info_b = b.reset(seed=123)
    a.action_space.seed(7)
    for _ in range(300):
        assert np.array_equal(obs_a, obs_b) and info_a == info_b
        action = a.action_space.sample()
        obs_a, r_a, term_a, trunc_a, info_a = a.step(action)
        obs_b, r_b, term_b, trunc_b, info_b = b.step(action)
        assert (r_a, term_a, trunc_a) == (r_b, term_b, trunc_b)
        assert obs_a in a.observation_space


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_pickle_round_trip(env_id):
    env = gym.make(env_id, reward_mode="sampled", sample_size=20)
    env.reset(seed=1)
    for action in range(5):
        env.step(action)
    clone = pickle.loads(pickle.dumps(env))
    for action in [3, 0, 1, 2] * 10:
        assert_same_step(env.step(action), clone.step(action))


def assert_same_step(one, other):
    obs, reward, terminated, truncated, info = one
    assert np.array_equal(obs, other[0]) and (reward, terminated, truncated, info) == tuple(other[1:])


def test_default_env_uses_the_shipped_corpus_and_truncates_at_1000():
    env = gym.make("gym_launchpad/Launchpad-v0")
    assert env.action_space.n == 313 and env.observation_space.shape == (312,)
    assert env.unwrapped.corpus.hash == Corpus.default().hash
    env.reset(seed=0)
    for t in range(1000):
        _, reward, terminated, truncated, info = env.step(312)
        assert not terminated and truncated == (t == 999)
        assert reward <= -info["best_distance"]


def test_triad_reset_is_a_major_triad_with_one_pattern_per_note():
    env = LaunchpadEnv(corpus=small_corpus())
    for seed in range(20):
        env.reset(seed=seed)
        rows = np.flatnonzero(env.state.masks)
        assert len(rows) == 3 and (np.diff(rows) == [4, 3]).all() and rows[0] <= 16
        assert all(bin(int(m)).count("1") == 1 for m in env.state.masks[rows])


def test_observation_modes_describe_the_state():
    spec = LaunchpadSpec()
    env = LaunchpadEnv(corpus=small_corpus(), init="random", obs_mode="onehot")
    obs, _ = env.reset(seed=3)
    assert obs.shape == (24, 71)
    assert np.array_equal(obs[:, :7], env.state.toggles)
    assert (obs[:, 7:].argmax(axis=1) == env.state.offsets).all()
    roll_env = LaunchpadEnv(corpus=small_corpus(), init="random", obs_mode="roll")
    obs, _ = roll_env.reset(seed=3)
    assert np.array_equal(obs, env.state.roll())
    toggles_env = LaunchpadEnv(corpus=small_corpus(), init="random")
    obs, _ = toggles_env.reset(seed=3)
    offsets = (obs[24 * 7:].reshape(24, 6) * (1 << np.arange(6))).sum(axis=1)
    assert np.array_equal(obs[:24 * 7].reshape(24, 7), env.state.toggles)
    assert np.array_equal(offsets, env.state.offsets) and spec.n_actions == 313


def test_reset_with_a_given_state_in_every_form():
    env = LaunchpadEnv(corpus=small_corpus())
    rng = np.random.default_rng(0)
    toggles = rng.random((24, 7)) < 0.3
    offsets = rng.integers(0, 64, 24)
    expected = LaunchpadState.from_toggles(env.launchpad, toggles, offsets)
    for given in (expected, {"toggles": toggles, "offsets": offsets}, (toggles, offsets)):
        env.reset(options={"state": given})
        assert env.state == expected and np.array_equal(env.words, expected.words())
    env.reset(options={"init": "empty"})
    assert not env.state.masks.any()


@pytest.mark.parametrize("options, message", [
    ({"state": (np.zeros((24, 6)), np.zeros(24, int))}, "toggles must have shape"),
    ({"state": {"toggles": np.zeros((24, 7))}}, "missing \\['offsets'\\]"),
    ({"state": "C major"}, "must be a LaunchpadState"),
    ({"init": "chaos"}, "unknown init='chaos'"),
    ({"seed_state": 1}, "unknown reset option"),
])
def test_bad_reset_options_get_one_clear_error(options, message):
    env = LaunchpadEnv(corpus=small_corpus())
    with pytest.raises(ValueError, match=message):
        env.reset(options=options)


@pytest.mark.parametrize("kwargs, message", [
    ({"reward_mode": "farthest"}, "unknown reward_mode"),
    ({"obs_mode": "pixels"}, "unknown obs_mode"),
    ({"init": "chord"}, "unknown init"),
    ({"render_mode": "rgb_array_list"}, "unknown render_mode"),
    ({"sample_size": 0}, "sample_size"),
])
def test_bad_constructor_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LaunchpadEnv(corpus=small_corpus(), **kwargs)


def test_triad_needs_eight_rows():
    with pytest.raises(ValueError, match="at least 8 pitch rows"):
        LaunchpadEnv(corpus=small_corpus(LaunchpadSpec(4, 6, 47)), n_notes=4)


def test_corpus_of_another_spec_is_refused(tmp_path):
    path = small_corpus(LaunchpadSpec(12, 6, 47)).save(tmp_path / "twelve.npz")
    with pytest.raises(CorpusSpecError, match="n_notes=12"):
        gym.make("gym_launchpad/Launchpad-v0", corpus=str(path))
    env = gym.make("gym_launchpad/Launchpad-v0", corpus=str(path), n_notes=12, init="random")
    assert env.action_space.n == 12 * 13 + 1


@pytest.mark.parametrize("action", [313, -1, 1.5, "0"])
def test_actions_outside_the_space_are_rejected(action):
    env = LaunchpadEnv(corpus=small_corpus())
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(action)


def test_numpy_integer_actions_are_accepted():
    env = LaunchpadEnv(corpus=small_corpus())
    env.reset(seed=0)
    env.step(np.int64(5))
    env.step(np.array(312))
    assert env.last_action == 312


def test_lookahead_matches_stepping():
    env = LaunchpadEnv(corpus=small_corpus(), init="random")
    env.reset(seed=4)
    predicted = env.distances_after_each_action()
    start = env.state.copy()
    for action in range(0, 313, 7):
        env.reset(options={"state": start})
        _, reward, *_ = env.step(action)
        assert -reward == predicted[action]


def test_render_modes():
    env = LaunchpadEnv(corpus=small_corpus(), render_mode="ansi")
    env.reset(seed=0)
    env.step(0)
    text = env.render()
    assert "B2" in text and "A#4" in text and "last action: 0 (toggle B2" in text
    assert len(text.splitlines()) == 24 + 2
    env = LaunchpadEnv(corpus=small_corpus(), render_mode="rgb_array")
    env.reset(seed=0)
    empty = env.render()
    env.step(env.launchpad.toggle_action(0, 1))
    image = env.render()
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert (image != empty).any()
    # The pressed button (the lowest row, drawn at the bottom) in the one palette the window draws with too.
    pitch = render.CELL + render.GAP
    button = image[-pitch:-render.GAP, pitch + render.GAP:2 * pitch]
    assert tuple(button[render.CELL // 2, render.CELL // 2]) == render.COLORS["toggle_on"]
    assert tuple(button[0, 0]) == render.COLORS["agent"]  # outlined: the last press
    assert window.COLORS is render.COLORS


def test_info_keys_are_the_shared_ones():
    env = LaunchpadEnv(corpus=small_corpus())
    _, info = env.reset(seed=0)
    assert tuple(info) == INFO_KEYS
    toy = gym.make("gym_launchpad/LaunchpadToy-v0")
    _, info = toy.reset(seed=0)
    assert tuple(info) == (*INFO_KEYS, "state_index") and info["state_index"] == toy.unwrapped.state.index
