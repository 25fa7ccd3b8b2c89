"""Hostile weights files, each built here: :func:`agents.weights.read` and the Q-network loader refuse every one
with one WeightsError (one line, naming the file and the problem), and ``evaluate`` with rc 2."""

import json
import shutil

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from agents import weights
from agents.dqn import export
from agents.eval import evaluate
from agents.policies import shipped_weights
from agents.weights import WeightsError, WeightsMismatchError

#: Nested deeper than Python's JSON reader recurses.
DEEP = 200_000


@pytest.fixture
def small(tmp_path):
    """Whole weights (two float tensors) written by :func:`weights.write`, and their tensors."""
    tensors = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(2, dtype=np.float32)}
    return weights.write(tmp_path / "w.safetensors", tensors, {"network": "test"}), tensors


def _rewrite_json(path, document):
    path.with_suffix(".json").write_text(document if isinstance(document, str) else json.dumps(document))


#: (what is done to the file, what the one-line refusal says)
DESCRIPTION_CASES = {
    "a list nested 200,000 deep": ("[" * DEEP + "]" * DEEP, "nested too deeply"),
    "an object nested 200,000 deep": ('{"a":' * DEEP + "1" + "}" * DEEP, "nested too deeply"),
    "a JSON list": ("[1, 2]", "not a weights description: it holds a JSON list"),
    "a JSON number": ("3", "not a weights description: it holds a JSON int"),
    "a JSON string": ('"weights"', "not a weights description: it holds a JSON str"),
    "not JSON": ("{", "not readable JSON"),
    "format_version a string": ({"format_version": "1"}, "format_version is '1', a JSON str, not a version"),
    "format_version a float": ({"format_version": 1.0}, "format_version is 1.0, a JSON float, not a version"),
    "format_version true": ({"format_version": True}, "format_version is True, a JSON bool, not a version"),
    "no format_version": ({"network": "test"}, "format_version is None"),
}


@pytest.mark.parametrize("case", DESCRIPTION_CASES)
def test_a_hostile_description_is_one_line_naming_the_json(small, case):
    path, _ = small
    document, message = DESCRIPTION_CASES[case]
    _rewrite_json(path, document)
    with pytest.raises(WeightsError, match=message) as refused:
        weights.read(path)
    assert str(path.with_suffix(".json")) in str(refused.value) and "\n" not in str(refused.value)


def test_a_description_that_is_not_utf8_or_of_another_version_is_refused(small):
    path, _ = small
    path.with_suffix(".json").write_bytes(b'{"format_version": 1, "x": "\xff"}')
    with pytest.raises(WeightsError, match="not readable JSON"):
        weights.read(path)
    _rewrite_json(path, {"format_version": 2})
    with pytest.raises(WeightsMismatchError, match="has format 2, this code reads 1"):
        weights.read(path)


#: (the tensors written in place of the file's, what the refusal says); each built from the good ones.
TENSOR_CASES = {
    "int32": (lambda t: {**t, "a": t["a"].astype(np.int32)}, "tensor a is int32, not floating point"),
    "int64": (lambda t: {**t, "b": t["b"].astype(np.int64)}, "tensor b is int64, not floating point"),
    "bool": (lambda t: {**t, "b": t["b"] > 0}, "tensor b is bool, not floating point"),
    "NaN": (lambda t: {**t, "a": t["a"] * np.nan}, "tensor a holds NaN or infinite values"),
    "inf": (lambda t: {**t, "b": t["b"] + np.inf}, "tensor b holds NaN or infinite values"),
    "beyond float32": (lambda t: {**t, "a": t["a"].astype(np.float64) * 1e300}, "beyond float32"),
}


@pytest.mark.parametrize("case", TENSOR_CASES)
def test_a_tensor_that_is_not_finite_floats_is_refused(small, case):
    path, tensors = small
    alter, message = TENSOR_CASES[case]
    save_file(alter(tensors), str(path))
    with pytest.raises(WeightsError, match=message) as refused:
        weights.read(path)
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)


def test_float16_and_float64_weights_are_read_as_float32(small):
    path, tensors = small
    save_file({"a": tensors["a"].astype(np.float16), "b": tensors["b"].astype(np.float64)}, str(path))
    read, _ = weights.read(path, {"a": (2, 3), "b": (2,)})
    assert all(array.dtype == np.float32 for array in read.values())
    np.testing.assert_array_equal(read["a"], tensors["a"])


def test_damaged_missing_and_misshapen_tensors_are_refused(small):
    path, tensors = small
    with pytest.raises(WeightsError, match=r"missing \['c'\]; unexpected \['b'\]"):
        weights.read(path, {"a": (2, 3), "c": (2,)})
    with pytest.raises(WeightsError, match=r"tensor a has shape \[2, 3\], .* needs \[3, 2\]"):
        weights.read(path, {"a": (3, 2), "b": (2,)})
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(WeightsError, match="damaged or truncated"):
        weights.read(path)
    path.unlink()
    with pytest.raises(WeightsError, match="one is not there"):
        weights.read(path)


#: A shipped agent whose weights are a Q-network (:mod:`agents.dqn.export`; the composer's are a walk head's MLP).
Q_NETWORK = "explorer"


@pytest.fixture(scope="module")
def q_network_copy(tmp_path_factory):
    """A shipped Q-network's weights and description (the explorer's), copied: (path, its description)."""
    folder = tmp_path_factory.mktemp("explorer")
    source = shipped_weights(Q_NETWORK)
    path = folder / "explorer.safetensors"
    shutil.copy(source, path)
    return path, json.loads(source.with_suffix(".json").read_text())


def _preset(description, **fields):
    return {**description, "preset": {**description["preset"], **fields}}


#: Q-network descriptions written by hand, and what the refusal says.
Q_NETWORK_CASES = {
    "nested 200,000 deep": (lambda d: "[" * DEEP + "]" * DEEP, "nested too deeply"),
    "env_kwargs naming corpus": (lambda d: _preset(d, env_kwargs={"corpus": "/etc/passwd"}),
                                 "env_kwargs names 'corpus'; it must be an object naming only env arguments"),
    "env_kwargs naming an unknown keyword": (lambda d: _preset(d, env_kwargs={"shell": "rm"}), "names 'shell'"),
    "env_kwargs not an object": (lambda d: _preset(d, env_kwargs=[1]), "env_kwargs is a JSON list"),
    "env_kwargs with a bad init": (lambda d: _preset(d, env_kwargs={"init": "bogus"}), "unknown init='bogus'"),
    "env_kwargs with n_notes a string": (lambda d: _preset(d, env_kwargs={"n_notes": "24"}), "n_notes must be an int"),
    "env_kwargs with n_notes -1": (lambda d: _preset(d, env_kwargs={"n_notes": -1}), "n_notes must be >= 1"),
    "an unknown network": (lambda d: _preset(d, network="bogus"), "unknown network 'bogus'"),
    "an unknown observation": (lambda d: _preset(d, obs_mode=5, row_advantage=False), "unknown obs_mode=5"),
    "episode_steps a string": (lambda d: _preset(d, episode_steps="x"), "max_episode_steps"),
    "an unknown preset field": (lambda d: _preset(d, payload=1), "unexpected keyword argument 'payload'"),
    "no preset object": (lambda d: {**d, "preset": [1]}, "has no preset object"),
}


@pytest.mark.parametrize("case", Q_NETWORK_CASES)
def test_a_hostile_q_network_description_is_one_line(q_network_copy, case, capsys):
    path, description = q_network_copy
    alter, message = Q_NETWORK_CASES[case]
    _rewrite_json(path, alter(description))
    with pytest.raises(WeightsError, match=message) as refused:
        export.load(path)
    assert str(path.with_suffix(".json")) in str(refused.value) and "\n" not in str(refused.value)
    capsys.readouterr()
    assert evaluate.main([str(path), "--episodes", "1", "--steps", "2"]) == 2
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 1 and printed[0].startswith(f"error: {path.with_suffix('.json')}"), printed


def test_q_network_weights_of_an_integer_dtype_are_refused(q_network_copy):
    path, description = q_network_copy
    _rewrite_json(path, description)
    tensors = load_file(str(shipped_weights(Q_NETWORK)))
    name = next(iter(tensors))
    save_file({**tensors, name: tensors[name].astype(np.int32)}, str(path))
    try:
        with pytest.raises(WeightsError, match=f"tensor {name} is int32, not floating point"):
            export.load(path)
    finally:
        shutil.copy(shipped_weights(Q_NETWORK), path)
