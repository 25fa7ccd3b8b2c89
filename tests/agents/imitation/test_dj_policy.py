"""The learned dj agent's weights: they load without unpickling, act as the MLP they hold, and are refused,
in one WeightsError, for another corpus, another format or a damaged file."""

import json

import gymnasium as gym
import numpy as np
import pytest

import gym_launchpad  # noqa: F401  (registers the ids)
from agents.imitation import dj_policy
from agents.weights import WeightsError
from gym_launchpad.corpus import Corpus

DJ = "gym_launchpad/LaunchpadDJ-v0"


def test_learned_weights_round_trip_and_are_refused_for_another_corpus(tmp_path):
    env = gym.make(DJ)
    rng = np.random.default_rng(0)
    n_in, n_out = env.observation_space.shape[0], env.action_space.n
    layers = [(rng.normal(size=(8, n_in)), rng.normal(size=8)), (rng.normal(size=(n_out, 8)), rng.normal(size=n_out))]
    path = dj_policy.save(layers, tmp_path / "dj.safetensors", {"corpus_hash": env.unwrapped.corpus.hash})
    policy = dj_policy.load(path, env)
    obs, _ = env.reset(seed=0)
    hidden = np.maximum(obs @ layers[0][0].T.astype(np.float32) + layers[0][1].astype(np.float32), 0)
    expected = int(np.argmax(hidden @ layers[1][0].T.astype(np.float32) + layers[1][1].astype(np.float32)))
    assert int(policy.predict(obs)[0]) == expected
    assert policy.predict(np.stack([obs, obs]))[0].tolist() == [expected, expected]
    broken = [(layers[0][0], np.full(8, np.nan)), layers[1]]
    with pytest.raises(WeightsError, match="NaN or infinite"):
        dj_policy.load(dj_policy.save(broken, tmp_path / "nan.safetensors", {"corpus_hash": env.unwrapped.corpus.hash}),
                     env)
    other = Corpus.from_bars(env.unwrapped.launchpad, env.unwrapped.corpus.bars[:50], metadata={"cells": "onsets"})
    with pytest.raises(WeightsError, match="trained on corpus"):
        dj_policy.load(path, gym.make(DJ, corpus=other))
    meta = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(WeightsError, match="format 99"):
        dj_policy.load(path, env)
    path.with_suffix(".json").write_text(json.dumps(meta))
    path.write_bytes(b"not safetensors")
    with pytest.raises(WeightsError, match="damaged"):
        dj_policy.load(path, env)
