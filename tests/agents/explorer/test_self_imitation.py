"""The explorer's own trajectories as DQfD demonstrations: n-step returns, and a margin that ranks their actions."""

import gymnasium as gym
import numpy as np
import pytest

import gym_launchpad  # noqa: F401  (registers the env ids)
from agents.dqn.learner_reward import LearnerReward
from agents.explorer.go_explore import replay
from agents.explorer.self_imitation import Demonstrations, SelfImitationDQN


@pytest.fixture
def env(synthetic_corpus_path):
    return gym.make("gym_launchpad/Launchpad-v0", corpus=synthetic_corpus_path, max_episode_steps=1000)


def test_n_step_returns_of_the_learner_reward(env):
    env.reset(seed=0)
    trajectory = replay(env, env.unwrapped.state.copy(), [3, 10, 17])
    gamma, reward = 0.5, LearnerReward(0.1, shaping="improvement")
    demos = Demonstrations.from_trajectories(env, [trajectory], reward, gamma, n_steps=2, hold_steps=1)
    d = np.array(trajectory.distances + [trajectory.final_distance], dtype=float)  # the hold keeps the bar
    rewards = 0.1 * (d[:-1] - d[1:])
    assert len(demos) == 4 and demos.actions.tolist() == [3, 10, 17, env.action_space.n - 1]
    np.testing.assert_allclose(demos.returns, [rewards[0] + gamma * rewards[1], rewards[1] + gamma * rewards[2],
                                               rewards[2] + gamma * rewards[3], rewards[3]], rtol=1e-6)
    np.testing.assert_allclose(demos.discounts, [gamma**2, gamma**2, gamma**2, gamma])
    np.testing.assert_array_equal(demos.next_observations[0], demos.observations[2])


def test_pretraining_ranks_the_demonstrated_actions_first(env):
    from stable_baselines3.dqn.policies import DQNPolicy

    env.reset(seed=0)
    trajectory = replay(env, env.unwrapped.state.copy(), [3, 10, 17, 24])
    demos = Demonstrations.from_trajectories(env, [trajectory], LearnerReward(0.1, shaping="improvement"), 0.99,
                                             n_steps=3, hold_steps=0)
    model = SelfImitationDQN(DQNPolicy, env, demonstrations=demos, policy_kwargs={"net_arch": []},
                             learning_rate=1e-2, seed=0, device="cpu")
    model.pretrain(300)
    actions, _ = model.predict(demos.observations, deterministic=True)
    assert actions.tolist() == demos.actions.tolist()


def test_the_explorer_is_built_from_its_preset_and_overrides_only_the_loss(env):
    from agents.dqn.launchpad_dqn import LaunchpadDQN, dqn_kwargs, new_model
    from agents.explorer.train import EXPLORER_PRESET

    assert "train" not in SelfImitationDQN.__dict__ and "batch_loss" in SelfImitationDQN.__dict__
    preset = EXPLORER_PRESET.replace(buffer_size=1000)
    model = new_model(preset, env, seed=0, model_class=SelfImitationDQN, margin=0.5)
    assert isinstance(model, LaunchpadDQN) and model.margin == 0.5
    settings = {k: v for k, v in dqn_kwargs(preset).items()
                if k not in ("policy", "learning_rate", "train_freq", "replay_buffer_class")}
    for name, value in settings.items():
        assert getattr(model, name) == value, name
    assert model.train_freq.frequency == preset.train_freq and model.learning_rate(1.0) == preset.learning_rate_start


def test_the_aims_distance_as_the_learner_reward(env):
    env.reset(seed=0)
    trajectory = replay(env, env.unwrapped.state.copy(), [3, 10, 17])
    aim = env.unwrapped.words.copy()  # the bar the trajectory ends on
    reward = LearnerReward(0.1, shaping="improvement")
    demos = Demonstrations.from_trajectories(env, [trajectory], reward, 0.5, n_steps=1, hold_steps=1, aim=aim)
    cells = []
    env.reset(options={"state": trajectory.start})
    cells.append(int(np.bitwise_count(env.unwrapped.words ^ aim).sum()))
    for action in trajectory.actions:
        env.step(action)
        cells.append(int(np.bitwise_count(env.unwrapped.words ^ aim).sum()))
    assert cells[-1] == 0
    np.testing.assert_allclose(demos.returns, [*(0.1 * (np.array(cells[:-1]) - cells[1:])), 0.0], rtol=1e-6)
    # Summed, the presses took off the whole distance to the aim.
    assert demos.returns.sum() == pytest.approx(0.1 * cells[0])


def test_any_order_allows_every_press_the_rest_of_the_way_makes(env):
    from agents.explorer.self_imitation import remaining_presses

    allowed = remaining_presses([3, 10, 3, 17], hold_steps=1, n_actions=6 + 20, noop=25)
    assert [set(np.flatnonzero(row)) for row in allowed] == [{3, 10, 17}, {3, 10, 17}, {3, 17}, {17}, {25}]
    # Without commuting presses only the press made.
    alone = remaining_presses([3, 10, 3, 17], hold_steps=0, n_actions=26, noop=25, commute=False)
    assert [set(np.flatnonzero(row)) for row in alone] == [{3}, {10}, {3}, {17}]
    env.reset(seed=0)
    trajectory = replay(env, env.unwrapped.state.copy(), [3, 10, 17, 24])
    reward = LearnerReward(0.1, shaping="improvement")
    demos = Demonstrations.from_trajectories(env, [trajectory], reward, 0.99, n_steps=3, hold_steps=1, any_order=True)
    assert demos.allowed.shape == (5, env.action_space.n) and demos.allowed[0, [3, 10, 17, 24]].all()
    plain = Demonstrations.from_trajectories(env, [trajectory], reward, 0.99, n_steps=3, hold_steps=1)
    assert plain.allowed is None and len(plain.sample(4, np.random.default_rng(0))) == 5
    with pytest.raises(ValueError, match="do not mix"):
        plain.extend(demos)
    model = SelfImitationDQN("MlpPolicy", env, demonstrations=demos, policy_kwargs={"net_arch": []},
                             learning_rate=1e-2, seed=0, device="cpu")
    model.pretrain(300)
    # At every state of the way the network's first press is one the rest of the way makes.
    actions, _ = model.predict(demos.observations, deterministic=True)
    assert demos.allowed[np.arange(len(demos)), actions].all()
