"""What the learner sees: scaled, centred or shaped rewards in the replay buffer, the env's own in the logs;
and, for the reward head, every action's reward from the env's lookahead in each step's info."""

import numpy as np
import pytest
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv
from test_train import _scalars, _train  # tests/agents/dqn is on sys.path (pytest's default "prepend" mode)

from agents.dqn.learner_reward import LearnerReward, LearnerRewardVecEnv
from agents.dqn.model_files import load_replay_buffer
from agents.dqn.presets import get_preset
from agents.dqn.runs import load_model
from agents.dqn.sb3_vec_env import make_sb3_vec_env
from gym_launchpad import Corpus
from gym_launchpad.launchpad import LaunchpadState
from gym_launchpad.observation import bars_from_observations
from gym_launchpad.reward import bar_distances, silence_distance


def test_reward_scale_changes_what_the_learner_sees_not_what_is_logged(tmp_path, synthetic_corpus_path):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=200,
                    extra=["--checkpoint-freq", "100", "--set", "reward_scale=0.01"])
    model = load_model(logdir / "checkpoints" / "dqn_200_steps.zip")
    load_replay_buffer(model, logdir / "checkpoints" / "dqn_replay_buffer_200_steps.npz")
    stored = model.replay_buffer.rewards[: model.replay_buffer.size()]
    distances = _scalars(logdir).Scalars("music/mean_distance_per_step")
    episode_returns = _scalars(logdir).Scalars("rollout/ep_rew_mean")
    # Distances here are about 100 per step: the buffer holds them scaled, the logs unscaled.
    assert np.abs(stored).max() < 10 and min(d.value for d in distances) > 20
    assert episode_returns[-1].value < -20 * 50


def test_centered_scaled_reward_is_what_the_learner_stores(tmp_path, synthetic_corpus_path):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=100,
                    extra=["--checkpoint-freq", "100", "--set", "reward_scale=0.5", "--set", "center_reward=true"])
    model = load_model(logdir / "checkpoints" / "dqn_100_steps.zip")
    load_replay_buffer(model, logdir / "checkpoints" / "dqn_replay_buffer_100_steps.npz")
    buffer, corpus = model.replay_buffer, Corpus.load(synthetic_corpus_path)
    n = buffer.size()
    bars = bars_from_observations(corpus.spec, "toggles", buffer.next_observations[:n, 0])
    distances = np.array([bar_distances(corpus.bars, bar).min() for bar in bars])
    expected = 0.5 * (silence_distance(corpus) - distances)
    np.testing.assert_allclose(buffer.rewards[:n, 0], expected)


@pytest.mark.parametrize("n_envs", [1, 4])
def test_improvement_shaping_stores_the_distance_each_press_took_off(tmp_path, synthetic_corpus_path, n_envs):
    # 50-step episodes: 200 steps per env cross episode ends, where the next press starts from a reset state.
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=200 * n_envs,
                    extra=["--n-envs", str(n_envs), "--checkpoint-freq", str(200 * n_envs),
                           "--set", "reward_shaping=improvement", "--set", "reward_scale=0.5"])
    checkpoints = logdir / "checkpoints"
    model = load_model(checkpoints / f"dqn_{200 * n_envs}_steps.zip")
    load_replay_buffer(model, checkpoints / f"dqn_replay_buffer_{200 * n_envs}_steps.npz")
    buffer, corpus = model.replay_buffer, Corpus.load(synthetic_corpus_path)
    n = buffer.size()

    def distances(observations):
        bars = bars_from_observations(corpus.spec, "toggles", observations.reshape(n * n_envs, -1))
        return np.array([bar_distances(corpus.bars, bar).min() for bar in bars]).reshape(n, n_envs)

    before, after = distances(buffer.observations[:n]), distances(buffer.next_observations[:n])
    np.testing.assert_allclose(buffer.rewards[:n], 0.5 * (before - after))
    assert np.any(before != after) and buffer.timeouts[:n].sum() >= 3 * n_envs
    # What is logged stays the env's reward: minus the distance, about -20 per step on this corpus.
    assert _scalars(logdir).Scalars("rollout/ep_rew_mean")[-1].value < -5 * 50


@pytest.mark.parametrize("n_envs", [1, 3])
def test_info_gives_every_actions_learner_reward_from_where_the_step_started(synthetic_corpus_path, n_envs):
    preset = get_preset("mlp", reward_head=True, reward_shaping="improvement", reward_scale=0.5, episode_steps=4)
    corpus = Corpus.load(synthetic_corpus_path)
    if n_envs == 1:
        venv = DummyVecEnv([lambda: Monitor(preset.make_env(corpus))])
    else:
        venv = make_sb3_vec_env(num_envs=n_envs, corpus=corpus, max_episode_steps=4)
    venv.seed(3)
    env = LearnerRewardVecEnv(venv, LearnerReward(0.5, shaping="improvement"), action_rewards=True)
    env.reset()
    probe = preset.make_env(corpus)
    rng = np.random.default_rng(0)
    for _ in range(6):  # across an episode end, where the next press starts from the reset state
        states = _states(venv)
        expected = []
        for state in states:
            _, info = probe.reset(options={"state": state})
            row = []
            for action in range(probe.action_space.n):  # each press played for real on a copy of the state
                probe.reset(options={"state": LaunchpadState(state.spec, state.masks.copy(), state.offsets.copy())})
                row.append(0.5 * (info["distance"] - probe.step(action)[4]["distance"]))
            expected.append(row)
        _, rewards, _, infos = env.step(rng.integers(probe.action_space.n, size=n_envs))
        np.testing.assert_allclose(np.stack([i["action_rewards"] for i in infos]), np.array(expected))
    assert np.array(expected).max() > 0 > np.array(expected).min()


def _states(venv):
    if isinstance(venv, DummyVecEnv):
        return [e.unwrapped.state for e in venv.envs]
    return venv.venv.unwrapped.states
