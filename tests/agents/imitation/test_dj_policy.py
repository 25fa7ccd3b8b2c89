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


def _dj_layers(env, seed=0):
    rng = np.random.default_rng(seed)
    n_in, n_out = env.observation_space.shape[0], env.action_space.n
    return [(rng.normal(size=(8, n_in)), rng.normal(size=8)), (rng.normal(size=(n_out, 8)), rng.normal(size=n_out))]


@pytest.mark.parametrize("layers", [-1, 0, "3", 2.5, True, None, 17])
def test_a_layer_count_that_is_no_whole_number_in_range_is_refused(tmp_path, layers):
    env = gym.make(DJ)
    path = dj_policy.save(_dj_layers(env), tmp_path / "dj.safetensors", {"corpus_hash": env.unwrapped.corpus.hash})
    meta = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**meta, "layers": layers}))
    with pytest.raises(WeightsError, match=f"dj.json: layers is {layers!r}, not a whole number from 1 to 16"):
        dj_policy.load(path, env)


@pytest.mark.parametrize("document, kind", [("[1, 2]", "list"), ("7", "int"), ("[" * 200_000 + "]" * 200_000, "")])
def test_a_description_that_is_no_object_is_refused(tmp_path, document, kind):
    env = gym.make(DJ)
    path = dj_policy.save(_dj_layers(env), tmp_path / "dj.safetensors", {"corpus_hash": env.unwrapped.corpus.hash})
    path.with_suffix(".json").write_text(document)
    with pytest.raises(WeightsError, match=f"it holds a JSON {kind}" if kind else "nested too deeply") as refused:
        dj_policy.load(path, env)
    assert "\n" not in str(refused.value)


#: Layers that do not chain from the observation to the actions: each refused when loaded, never at the first act.
MISSHAPEN = {
    "a 1-D weight": (lambda w0, b0, w1, b1: [(w0.reshape(-1), b0), (w1, b1)], r"layer 0 has weight \[{8n}\]"),
    "a 3-D weight": (lambda w0, b0, w1, b1: [(w0[None], b0), (w1, b1)], r"layer 0 has weight \[1, 8, {n}\]"),
    "a wrong inner shape": (lambda w0, b0, w1, b1: [(w0, b0), (np.hstack([w1, w1[:, :1]]), b1)],
                            r"layer 1 has weight \[313, 9\] .* needs weight \[313, 8\]"),
    "a 2-D bias": (lambda w0, b0, w1, b1: [(w0, b0[None]), (w1, b1)], r"bias \[1, 8\]"),
    "a 2-D last bias": (lambda w0, b0, w1, b1: [(w0, b0), (w1, b1[:, None])], r"bias \[313, 1\]"),
    "a hidden layer of no units": (lambda w0, b0, w1, b1: [(w0[:0], b0[:0]), (w1[:, :0], b1)],
                                   r"layer 0 has weight \[0, {n}\] .* \[outputs \(at least 1\), {n}\]"),
}


@pytest.mark.parametrize("case", MISSHAPEN)
def test_misshapen_layers_are_refused_when_loaded(tmp_path, case):
    env = gym.make(DJ)
    (w0, b0), (w1, b1) = _dj_layers(env)
    alter, message = MISSHAPEN[case]
    n = env.observation_space.shape[0]  # the observation's size, in the messages
    message = message.replace("{8n}", str(8 * n)).replace("{n}", str(n))
    path = dj_policy.save(alter(w0, b0, w1, b1), tmp_path / "dj.safetensors",
                          {"corpus_hash": env.unwrapped.corpus.hash})
    with pytest.raises(WeightsError, match=message) as refused:
        dj_policy.load(path, env)
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)
