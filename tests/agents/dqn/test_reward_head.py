"""The reward head: every action's reward from the env's lookahead is stored, learned, and exported with Q."""

import json

import numpy as np
import pytest
import torch
from test_train import _train as train_run  # tests/agents/dqn is on sys.path (pytest's default "prepend" mode)

from agents.dqn import export as pretrained
from agents.dqn.model_files import load_replay_buffer
from agents.dqn.reward_head import RewardHeadQNetwork
from agents.dqn.runs import load_model

HEAD = ["--set", "reward_head=true", "--set", "reward_shaping=improvement", "--set", "reward_scale=0.5",
        "--set", "gamma=0.9", "--set", "double_q=true"]


def _train(tmp_path, corpus, steps=400, extra=()):
    return train_run(tmp_path, corpus, "mlp", steps=steps, extra=[*HEAD, "--checkpoint-freq", str(steps), *extra])


def test_on_the_native_vector_env_each_envs_rewards_are_its_own(tmp_path, synthetic_corpus_path):
    logdir = _train(tmp_path, synthetic_corpus_path, steps=400, extra=["--n-envs", "4"])
    model = load_model(logdir / "checkpoints" / "dqn_400_steps.zip")
    load_replay_buffer(model, logdir / "checkpoints" / "dqn_replay_buffer_400_steps.npz")
    buffer = model.replay_buffer
    n = buffer.size()
    taken = np.take_along_axis(buffer.action_rewards[:n], buffer.actions[:n].astype(np.int64), axis=2)[..., 0]
    np.testing.assert_allclose(taken, buffer.rewards[:n])
    assert buffer.rewards[:n].std() > 0


def test_training_stores_the_taken_actions_reward_among_all_and_learns_them(tmp_path, synthetic_corpus_path):
    logdir = _train(tmp_path, synthetic_corpus_path, steps=800)
    model = load_model(logdir / "checkpoints" / "dqn_800_steps.zip")
    load_replay_buffer(model, logdir / "checkpoints" / "dqn_replay_buffer_800_steps.npz")
    buffer = model.replay_buffer
    n = buffer.size()
    taken = buffer.action_rewards[np.arange(n), 0, buffer.actions[:n, 0, 0]]
    np.testing.assert_allclose(taken, buffer.rewards[:n, 0])
    assert isinstance(model.q_net, RewardHeadQNetwork) and float(model.q_net.gamma) == pytest.approx(0.9)
    # The reward head has learned the lookahead: closer to it than the untrained network it started from.
    observations = torch.as_tensor(buffer.observations[:n, 0]).float()
    targets = torch.as_tensor(buffer.action_rewards[:n, 0])
    fresh = RewardHeadQNetwork(**model.q_net._get_constructor_parameters())
    with torch.no_grad():
        trained_error = ((model.q_net.heads(observations)[0] - targets) ** 2).mean()
        fresh_error = ((fresh.heads(observations)[0] - targets) ** 2).mean()
        q = model.q_net(observations)
        reward, continuation = model.q_net.heads(observations)
    assert trained_error < 0.5 * fresh_error
    torch.testing.assert_close(q, reward + 0.9 * continuation)


def test_exported_reward_head_loads_without_pickle_and_acts_like_the_model(tmp_path, synthetic_corpus_path):
    logdir = _train(tmp_path, synthetic_corpus_path, steps=200)
    agent = pretrained.load(logdir / "q_net.safetensors", corpus=synthetic_corpus_path)
    model = load_model(logdir / "final_model.zip")
    assert json.loads((logdir / "q_net.json").read_text())["preset"]["reward_head"] is True
    env = agent.make_env(synthetic_corpus_path)
    observations = np.array([env.reset(seed=s)[0] for s in range(8)])
    np.testing.assert_array_equal(agent.predict(observations)[0], model.predict(observations)[0])


def test_resume_restores_the_lookahead(tmp_path, synthetic_corpus_path):
    _train(tmp_path, synthetic_corpus_path, steps=200, extra=["--checkpoint-freq", "100"])
    logdir = _train(tmp_path, synthetic_corpus_path, steps=300, extra=["--resume", "--checkpoint-freq", "100"])
    model = load_model(logdir / "checkpoints" / "dqn_300_steps.zip")
    load_replay_buffer(model, logdir / "checkpoints" / "dqn_replay_buffer_300_steps.npz")
    n = model.replay_buffer.size()
    assert n > 250 and np.abs(model.replay_buffer.action_rewards[n - 50:n]).sum() > 0
