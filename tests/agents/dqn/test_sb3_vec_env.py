import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("stable_baselines3")
from stable_baselines3 import DQN  # noqa: E402
from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor  # noqa: E402

import gym_launchpad  # noqa: E402,F401  (registers the ids)
from agents.dqn.sb3_vec_env import LaunchpadSB3VecEnv, make_sb3_vec_env  # noqa: E402

E = 4


@pytest.mark.parametrize("env_id, kwargs", [
    ("gym_launchpad/Launchpad-v0", {"max_episode_steps": 9, "reward_mode": "sampled", "sample_size": 30}),
    ("gym_launchpad/LaunchpadToy-v0", {"max_episode_steps": 5}),
])
def test_matches_dummy_vec_env_of_single_envs(env_id, kwargs):
    """What SB3 sees from the adapter is what it sees from DummyVecEnv over E single envs seeded alike."""
    ours = make_sb3_vec_env(env_id, num_envs=E, seed=7, **kwargs)
    dummy = DummyVecEnv([lambda: gym.make(env_id, **kwargs) for _ in range(E)])
    dummy.seed(7)
    assert np.array_equal(ours.reset(), dummy.reset())
    assert ours.reset_infos == dummy.reset_infos
    rng = np.random.default_rng(0)
    ended = 0
    for _ in range(25):
        actions = rng.integers(0, ours.action_space.n, E)
        obs, rewards, dones, infos = ours.step(actions)
        obs_d, rewards_d, dones_d, infos_d = dummy.step(actions)
        assert np.array_equal(obs, obs_d) and np.array_equal(rewards, rewards_d) and np.array_equal(dones, dones_d)
        assert rewards.dtype == rewards_d.dtype
        for info, info_d in zip(infos, infos_d, strict=True):
            terminal, terminal_d = info.pop("terminal_observation", None), info_d.pop("terminal_observation", None)
            assert (terminal is None) == (terminal_d is None)
            if terminal is not None:
                assert np.array_equal(terminal, terminal_d)
                assert info["TimeLimit.truncated"] is True
                ended += 1
            assert info == info_d
        assert ours.reset_infos == dummy.reset_infos
    assert ended >= E  # the time limit ended every env at least once


def test_refuses_a_next_step_vector_env():
    with pytest.raises(ValueError, match="SAME_STEP"):
        LaunchpadSB3VecEnv(gym.make_vec("gym_launchpad/LaunchpadToy-v0", num_envs=2))


@pytest.mark.slow
def test_dqn_trains_on_it(synthetic_corpus_path):
    venv = VecMonitor(make_sb3_vec_env("gym_launchpad/Launchpad-v0", num_envs=4, seed=0,
                                       corpus=synthetic_corpus_path, max_episode_steps=50))
    model = DQN("MlpPolicy", venv, learning_starts=100, buffer_size=2_000, train_freq=4, batch_size=32,
                policy_kwargs={"net_arch": [64]}, seed=0, device="cpu")
    before = [p.detach().clone() for p in model.q_net.parameters()]
    model.learn(400)
    assert model.num_timesteps >= 400
    assert model.replay_buffer.size() * venv.num_envs >= 400 - venv.num_envs
    assert len(model.ep_info_buffer) >= 4  # episodes ended through the adapter and were counted
    assert all(info["l"] == 50 for info in model.ep_info_buffer)
    assert any(not np.array_equal(b, p.detach()) for b, p in zip(before, model.q_net.parameters(), strict=True))
