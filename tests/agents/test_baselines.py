import gymnasium as gym
import numpy as np
import pytest

import gym_launchpad  # noqa: F401
from agents.baselines import BASELINES, GreedyPolicy, greedy_action, make_baseline


@pytest.fixture
def env(synthetic_corpus_path):
    env = gym.make("gym_launchpad/Launchpad-v0", corpus=synthetic_corpus_path, init="random")
    yield env
    env.close()


def _distance_after(env, action):
    """The distance after ``action``, by really stepping a copy of the env from the same state."""
    probe = gym.make("gym_launchpad/Launchpad-v0", corpus=env.unwrapped.corpus)
    probe.reset(options={"state": env.unwrapped.state})
    return probe.step(action)[4]["distance"]


def test_greedy_picks_the_best_single_press(env):
    obs, _ = env.reset(seed=3)
    spec = env.unwrapped.launchpad
    truth = np.array([_distance_after(env, a) for a in range(spec.n_actions)])
    action, _ = GreedyPolicy(env).predict(obs)
    assert truth[action] == truth.min()
    obs, _, _, _, info = env.step(action)
    assert info["distance"] == truth.min()


def test_greedy_breaks_ties_toward_noop_then_lowest_index():
    assert greedy_action(np.array([5, 3, 3, 3]), noop_action=3) == 3
    assert greedy_action(np.array([5, 3, 3, 4]), noop_action=3) == 1


def test_greedy_never_gets_worse_and_settles(env):
    obs, info = env.reset(seed=1)
    policy = GreedyPolicy(env)
    last = info["distance"]
    for _ in range(200):
        action, _ = policy.predict(obs)
        obs, _, _, _, info = env.step(action)
        assert info["distance"] <= last
        last = info["distance"]
    assert action == env.unwrapped.launchpad.noop_action


def test_noop_holds_the_reset_state(env):
    obs, _ = env.reset(seed=2)
    start = env.unwrapped.state.copy()
    policy = make_baseline("noop", env)
    for _ in range(20):
        obs, *_ = env.step(policy.predict(obs)[0])
    assert env.unwrapped.state == start


def test_random_is_seeded_and_batches(env):
    obs, _ = env.reset(seed=0)
    first = [make_baseline("random", env, seed=7).predict(obs)[0] for _ in range(2)]
    assert first[0] == first[1]
    batch, _ = make_baseline("random", env, seed=7).predict(np.stack([obs] * 5))
    assert batch.shape == (5,) and ((0 <= batch) & (batch < env.action_space.n)).all()
    many = make_baseline("random", env, seed=7).predict(np.stack([obs] * 2000))[0]
    assert len(np.unique(many)) > 250


def test_unknown_baseline_is_named(env):
    with pytest.raises(ValueError, match="random, noop, greedy"):
        make_baseline("smart", env)
    assert BASELINES == ("random", "noop", "greedy")
