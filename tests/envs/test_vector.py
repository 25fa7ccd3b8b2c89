import importlib.util
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import gym_launchpad  # noqa: F401  (registers the ids)
from gym_launchpad.corpus import Corpus
from gym_launchpad.envs import LaunchpadVectorEnv
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.observation import observe
from gym_launchpad.reward import KERNELS, BatchDistanceTracker, DistanceTracker, bar_distances, make_kernel

# The ids LaunchpadVectorEnv steps; LaunchpadDJ-v0 vectorises as a SyncVectorEnv (tests/envs/test_dj_env.py).
ENV_IDS = [env_id for env_id, spec in gym.registry.items()
           if env_id.startswith("gym_launchpad/") and spec.vector_entry_point is not None]
E = 4
HAS_NUMBA = importlib.util.find_spec("numba") is not None
# The numba kernel is the [fast] extra; without it the numpy reference runs alone.
BACKENDS = [pytest.param(name, marks=pytest.mark.skipif(name == "numba" and not HAS_NUMBA, reason="needs numba"))
            for name in KERNELS]


def assert_same(ours, theirs, where="result"):
    """Equal values, dtypes and dict keys, all the way down (Gymnasium's info arrays included)."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, dict):
        assert set(ours) == set(theirs), f"{where}: keys differ by {set(ours) ^ set(theirs)}"
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, np.ndarray) and theirs.dtype == object:
        assert ours.dtype == object and ours.shape == theirs.shape, where
        for a, b in zip(ours, theirs, strict=True):
            assert (a is None) == (b is None), where
            if isinstance(b, np.ndarray):
                assert_same(a, b, where)
            else:
                assert a == b, f"{where}: {a!r} != {b!r}"
    else:
        ours, theirs = np.asarray(ours), np.asarray(theirs)
        assert ours.dtype == theirs.dtype, f"{where}: dtype {ours.dtype} != {theirs.dtype}"
        assert np.array_equal(ours, theirs), f"{where}: {ours} != {theirs}"


# rl_zoo3, once imported (tests/agents/test_zoo.py does), replaces gym.make's TimeLimit with a subclass
# that adds info["TimeLimit.truncated"]; the reference single envs get Gymnasium's own class back.
GYMNASIUM_TIME_LIMIT = next(cls for cls in gym.wrappers.TimeLimit.__mro__
                            if cls.__module__.startswith("gymnasium.wrappers"))


def make_single(env_id, max_episode_steps, **kwargs):
    """``gym.make(env_id, ...)``, with Gymnasium's TimeLimit whatever another library patched in."""
    env = gym.make(env_id, max_episode_steps=max_episode_steps, **kwargs)
    assert isinstance(env, GYMNASIUM_TIME_LIMIT)
    return GYMNASIUM_TIME_LIMIT(env.env, max_episode_steps)


def sync_and_vector(env_id, mode, max_episode_steps, **kwargs):
    sync = SyncVectorEnv([lambda: make_single(env_id, max_episode_steps, **kwargs) for _ in range(E)],
                         autoreset_mode=mode)
    vector = gym.make_vec(env_id, num_envs=E, autoreset_mode=mode, max_episode_steps=max_episode_steps, **kwargs)
    return sync, vector


def test_make_vec_returns_the_native_vector_env_for_every_id():
    for env_id in ENV_IDS:
        envs = gym.make_vec(env_id, num_envs=3)
        assert isinstance(envs, LaunchpadVectorEnv)
        assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
        assert envs.max_episode_steps == gym.spec(env_id).max_episode_steps
        assert envs.action_space == gym.spaces.MultiDiscrete([envs.single_action_space.n] * 3)


@pytest.mark.parametrize("kernel", BACKENDS)
@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("env_id, kwargs", [
    ("gym_launchpad/Launchpad-v0", {}),
    ("gym_launchpad/Launchpad-v0", {"reward_mode": "sampled", "sample_size": 40, "obs_mode": "onehot"}),
    ("gym_launchpad/Launchpad-v0", {"obs_mode": "roll", "init": "random"}),
    ("gym_launchpad/LaunchpadToy-v0", {}),
    ("gym_launchpad/LaunchpadToy-v0", {"reward_mode": "sampled", "sample_size": 1, "obs_mode": "roll"}),
])
def test_same_as_sync_vector_env_of_single_envs(env_id, kwargs, mode, kernel, monkeypatch):
    """Seeded alike and given the same actions, the vector env returns exactly what E single envs do."""
    monkeypatch.setenv("GYM_LAUNCHPAD_KERNEL", kernel)
    sync, vector = sync_and_vector(env_id, mode, 11, **kwargs)
    assert vector.single_observation_space == sync.single_observation_space
    assert vector.observation_space == sync.observation_space
    assert_same(vector.reset(seed=5), sync.reset(seed=5), "reset")
    rng = np.random.default_rng(0)
    for t in range(40):
        actions = rng.integers(0, vector.single_action_space.n, E)
        actions[rng.random(E) < 0.1] = vector.single_action_space.n - 1  # some no-ops
        assert_same(vector.step(actions), sync.step(actions), f"step {t}")
    assert vector.np_random_seed == sync.np_random_seed


def test_reset_mask_seeds_and_options_match_sync_vector_env():
    sync, vector = sync_and_vector("gym_launchpad/Launchpad-v0", AutoresetMode.DISABLED, 3)
    assert_same(vector.reset(seed=[1, 7, 3, 4]), sync.reset(seed=[1, 7, 3, 4]))
    actions = np.array([0, 1, 2, 3])
    for _ in range(3):
        assert_same(vector.step(actions), sync.step(actions))
    with pytest.raises(RuntimeError, match="reset_mask"):
        vector.step(actions)
    mask = np.array([True, False, True, False])
    options = {"reset_mask": mask, "init": "random"}
    assert_same(vector.reset(seed=9, options=dict(options)), sync.reset(seed=9, options=dict(options)))
    state = {"toggles": np.eye(24, 7, dtype=bool), "offsets": np.arange(24) % 64}
    assert_same(vector.reset(options={"reset_mask": ~mask, "state": state}),
                sync.reset(options={"reset_mask": ~mask, "state": state}))
    assert np.array_equal(vector.masks[1], np.r_[1 << np.arange(7), np.zeros(17, dtype=int)])


def test_observation_is_observe_of_the_state_after_every_step():
    """The table-driven update of each changed row agrees with observing every env from scratch."""
    for obs_mode in ("toggles", "roll", "onehot"):
        vector = gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=E, obs_mode=obs_mode)
        vector.reset(seed=0)
        rng = np.random.default_rng(1)
        for _ in range(50):
            obs = vector.step(rng.integers(0, vector.single_action_space.n, E))[0]
            expected = observe(vector.launchpad, obs_mode, vector.masks, vector.offsets, vector.words)
            assert_same(obs, expected)
            assert np.array_equal(vector.words, vector.launchpad.row_table[vector.masks, vector.offsets])


def test_render_draws_env_zero():
    single = gym.make("gym_launchpad/Launchpad-v0", render_mode="ansi")
    vector = gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=E, render_mode="ansi")
    single.reset(seed=3)
    vector.reset(seed=3)
    for action in (5, 200, 312):
        single.step(action)
        vector.step(np.full(E, action))
        assert vector.render() == single.render()
    rgb = gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=2, render_mode="rgb_array")
    rgb.reset(seed=0)
    frame = rgb.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8


def test_bad_input_is_refused_clearly():
    vector = gym.make_vec("gym_launchpad/LaunchpadToy-v0", num_envs=2)
    with pytest.raises(RuntimeError, match="reset"):
        vector.step(np.array([0, 0]))
    vector.reset(seed=0)
    with pytest.raises(ValueError, match="outside the action space"):
        vector.step(np.array([0, 99]))
    with pytest.raises(ValueError, match="one action per env"):
        vector.step(np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="num_envs"):
        LaunchpadVectorEnv(num_envs=0)
    with pytest.raises(ValueError, match="reset_mask"):
        vector.reset(options={"reset_mask": np.array([1, 0])})
    with pytest.raises(ValueError, match="unknown reset option"):
        vector.reset(options={"colour": "red"})


# --- the kernel -------------------------------------------------------------------------------------
def random_corpus(spec, k, seed):
    rng = np.random.default_rng(seed)
    bars = rng.integers(0, 2**63, size=(k, spec.n_notes), dtype=np.uint64) & spec.row_mask
    return Corpus.from_bars(spec, bars & rng.integers(0, 2**63, size=bars.shape, dtype=np.uint64))


@pytest.mark.parametrize("backend", BACKENDS)
def test_single_and_batched_kernels_track_the_full_distances(backend):
    spec = LaunchpadSpec(6, 6, 50)
    corpus = random_corpus(spec, 700, 0)
    single = DistanceTracker(corpus, backend=backend)
    batch = BatchDistanceTracker(corpus, 5, backend=backend)
    assert single.kernel.name == batch.kernel.name == backend
    rng = np.random.default_rng(1)
    words = spec.row_table[rng.integers(0, 128, (5, 6)), rng.integers(0, 64, (5, 6))]
    single.reset(words[0])
    batch.reset(np.arange(5), words)
    for _ in range(200):
        envs = np.flatnonzero(rng.random(5) < 0.7)
        rows = rng.integers(0, 6, len(envs))
        new = spec.row_table[rng.integers(0, 128, len(envs)), rng.integers(0, 64, len(envs))]
        batch.update(envs, rows, new)
        words[envs, rows] = new
        if len(envs) and envs[0] == 0:
            single.update(rows[0], new[0])
        expected = np.stack([bar_distances(corpus.bars, w) for w in words])
        assert np.array_equal(batch.distances, expected)
        assert np.array_equal(single.distances, expected[0])
        assert np.array_equal(single.row_counts.sum(axis=0), expected[0])
        mins, argmins = batch.nearest()
        assert np.array_equal(mins, expected.min(axis=1)) and np.array_equal(argmins, expected.argmin(axis=1))
        assert single.nearest() == (int(expected[0].min()), int(expected[0].argmin()))


def test_batched_sampling_draws_what_single_trackers_draw():
    corpus = random_corpus(LaunchpadSpec(3, 4, 60), 400, 2)
    batch = BatchDistanceTracker(corpus, 3)
    singles = [DistanceTracker(corpus) for _ in range(3)]
    words = np.arange(9, dtype=np.uint64).reshape(3, 3)
    batch.reset(np.arange(3), words)
    for tracker, w in zip(singles, words, strict=True):
        tracker.reset(w)
    rngs, single_rngs = [np.random.default_rng(s) for s in range(3)], [np.random.default_rng(s) for s in range(3)]
    for _ in range(20):
        mins, bars = batch.sampled(np.arange(3), rngs, 50)
        assert [(int(m), int(b)) for m, b in zip(mins, bars, strict=True)] == [
            t.sampled(r, 50) for t, r in zip(singles, single_rngs, strict=True)]


def test_unknown_kernel_is_refused(monkeypatch):
    monkeypatch.setenv("GYM_LAUNCHPAD_KERNEL", "cuda")
    with pytest.raises(ValueError, match="unknown distance kernel 'cuda'"):
        make_kernel(10)


def test_without_numba_the_numpy_reference_runs(monkeypatch):
    monkeypatch.delenv("GYM_LAUNCHPAD_KERNEL", raising=False)
    # As if numba were not installed: the kernels' module can be neither found nor imported.
    monkeypatch.delattr(gym_launchpad, "_numba_kernels", raising=False)
    monkeypatch.setitem(sys.modules, "gym_launchpad._numba_kernels", None)
    assert make_kernel(10).name == "numpy"
    with pytest.raises(gym.error.DependencyNotInstalled, match=r"gym_launchpad\[fast\]"):
        make_kernel(10, "numba")


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_lookahead_is_each_single_envs(env_id):
    sync, vector = sync_and_vector(env_id, AutoresetMode.NEXT_STEP, 50, init="random")
    vector.reset(seed=2)
    sync.reset(seed=2)
    rng = np.random.default_rng(3)
    for _ in range(5):
        expected = np.stack([env.unwrapped.distances_after_each_action() for env in sync.envs])
        lookahead = vector.distances_after_each_action()
        assert lookahead.dtype == np.int64 and np.array_equal(lookahead, expected)
        actions = rng.integers(0, vector.single_action_space.n, E)
        vector.step(actions)
        sync.step(actions)


@pytest.mark.parametrize("kwargs, message", [
    ({"reward_mode": "farthest"}, "unknown reward_mode"),
    ({"obs_mode": "pixels"}, "unknown obs_mode"),
    ({"init": "chord"}, "unknown init"),
    ({"render_mode": "human"}, "unknown render_mode"),
    ({"sample_size": 0}, "sample_size"),
    ({"n_notes": 4, "corpus": [[[0] * 64] * 4]}, "at least 8 pitch rows"),
])
def test_bad_constructor_arguments_get_the_single_envs_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LaunchpadVectorEnv(num_envs=2, **kwargs)
