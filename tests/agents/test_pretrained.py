"""The agent shipped in the repo loads from plain tensors (no unpickling) on the shipped corpus and plays
better than random."""

import json
import pickle

import pytest

from agents import pretrained
from agents.baselines import make_baseline
from agents.evaluate import evaluate_policy


def test_shipped_weights_are_small_and_described():
    path = pretrained.DEFAULT_PRETRAINED
    assert path.is_file(), "agents/pretrained/mlp.safetensors is part of the repo"
    assert path.stat().st_size < 10 * 2**20
    description = json.loads(path.with_suffix(".json").read_text())
    assert description["preset_name"] == "mlp" and description["timesteps"] > 0
    assert description["command"].startswith("python -m agents.pretrained")


@pytest.fixture(scope="module")
def agent():
    return pretrained.load()


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
    assert pretrained.load().preset.network == "mlp"


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
    with pytest.raises(pretrained.PretrainedMismatchError, match="train a new agent"):
        pretrained.load(corpus=synthetic_corpus_path)
