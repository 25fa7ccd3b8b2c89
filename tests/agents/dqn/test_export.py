"""A Q-network shipped in the repo (the explorer's; the composer ships a walk head, tested in
tests/agents/imitation/test_composer_walk.py) loads from plain tensors (no unpickling) on the shipped corpus and
plays better than random."""

import json
import pickle

import numpy as np
import pytest
from test_train import _train  # tests/agents/dqn is on sys.path (pytest's default "prepend" mode)

from agents.baselines import make_baseline
from agents.dqn import export as pretrained
from agents.dqn.launchpad_dqn import LaunchpadDQN
from agents.dqn.presets import PRESETS
from agents.policies import shipped_weights
from agents.rollout import evaluate_policy
from agents.weights import WeightsError, WeightsMismatchError

#: The shipped agent whose weights are a Q-network.
Q_NETWORK = "explorer"


def test_shipped_weights_are_small_and_described():
    path = shipped_weights(Q_NETWORK)
    assert path.is_file(), "agents/shipped/explorer.safetensors is part of the repo"
    assert path.stat().st_size < 10 * 2**20
    description = json.loads(path.with_suffix(".json").read_text())
    assert description["preset_name"] in PRESETS and description["wall_clock_seconds"] > 0
    assert description["command"].startswith(("python -m agents explore", "python -m agents.explorer"))


@pytest.fixture(scope="module")
def agent():
    return pretrained.load(shipped_weights(Q_NETWORK))


def test_loading_unpickles_nothing(monkeypatch, agent):
    import torch

    def refuse(*args, **kwargs):
        raise AssertionError("pretrained.load must not unpickle")

    # The `agent` fixture loaded once already, so the env's compiled kernels are warm and nothing but the
    # weights is read from disk now.
    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    assert pretrained.load(shipped_weights(Q_NETWORK)).preset.network == agent.preset.network


@pytest.mark.slow
def test_shipped_agent_beats_random_and_noop_on_the_shipped_corpus(agent):
    # The target, on episodes of the length the agent trained on, acting greedily (epsilon 0):
    # agents/results/README.md has the full evaluation, with the paper's epsilon 0.05 too.
    env = agent.make_env()
    scores = {}
    for name, policy in (("agent", agent), ("random", make_baseline("random", env, seed=0)),
                         ("noop", make_baseline("noop", env))):
        scores[name] = evaluate_policy(policy, env, episodes=3, steps=None, seed=0, epsilon=0.0)["mean_reward_per_step"]
    assert scores["agent"] > scores["noop"] > scores["random"], scores


def test_shipped_agent_refuses_another_corpus(synthetic_corpus_path):
    with pytest.raises(WeightsMismatchError, match="train a new agent"):
        pretrained.load(shipped_weights(Q_NETWORK), corpus=synthetic_corpus_path)


def test_exported_weights_load_without_pickle_and_act_like_the_model(tmp_path, synthetic_corpus_path):
    logdir = _train(tmp_path, synthetic_corpus_path, "mlp", steps=200, extra=["--checkpoint-freq", "0"])
    model = LaunchpadDQN.load(logdir / "final_model.zip", device="cpu")
    agent = pretrained.load(logdir / "q_net.safetensors", corpus=synthetic_corpus_path)
    env = agent.make_env(synthetic_corpus_path)
    observations = np.stack([env.reset(seed=s)[0] for s in range(20)])
    np.testing.assert_array_equal(agent.predict(observations)[0], model.predict(observations, deterministic=True)[0])
    description = json.loads((logdir / "q_net.json").read_text())
    assert description["preset_name"] == "mlp" and description["timesteps"] == 200


def test_weights_for_another_corpus_are_refused(tmp_path, synthetic_corpus_path):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=100, extra=["--checkpoint-freq", "0"])
    with pytest.raises(WeightsMismatchError, match="trained for spec .* on corpus"):
        pretrained.load(logdir / "q_net.safetensors", corpus=None)
    with pytest.raises(WeightsError, match="missing.safetensors and missing.json beside it, and neither is there"):
        pretrained.load(tmp_path / "missing.safetensors")


def test_export_command_writes_loadable_weights(tmp_path, synthetic_corpus_path, capsys):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=100, extra=["--checkpoint-freq", "0"])
    out = tmp_path / "exported" / "linear.safetensors"
    assert pretrained.main([str(logdir), "--model", "final_model.zip", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    description = json.loads(out.with_suffix(".json").read_text())
    assert description["source"] == "run/final_model.zip" and description["timesteps"] == 100
    agent = pretrained.load(out, corpus=synthetic_corpus_path)
    assert agent.preset.network == "linear"
