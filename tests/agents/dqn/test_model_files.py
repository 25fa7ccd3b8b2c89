"""Hostile model and weights files: a crafted SB3 .zip never runs its code unless --trust-pickle is passed,
damaged or altered weights are one clear error each, and checkpoints are written whole or not at all."""

import json
import pickle
import shutil
import struct
import subprocess
import sys
import zipfile
from base64 import b64encode

import numpy as np
import pytest
from safetensors.torch import load_file, save_file
from test_train import TINY, _train  # tests/agents/dqn is on sys.path (pytest's default "prepend" mode)

from agents.dqn import export as pretrained
from agents.dqn import train
from agents.dqn.model_files import (
    TRUST_PICKLE_FLAG,
    ModelFileError,
    UntrustedModelError,
    load_replay_buffer,
    save_replay_buffer,
)
from agents.dqn.runs import Run, check_run_models, load_model
from agents.eval import evaluate
from agents.play import cli as play_cli
from agents.policies import load_policy
from agents.weights import WeightsError
from gym_launchpad.atomic_file import temporary_name, write_atomically


class _CreatesMarker:
    """Unpickles as ``open(path, "w")``: the file appears exactly when someone unpickled the payload."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _plant(model_zip, out, entry, marker):
    """A copy of ``model_zip`` whose ``data`` has ``entry`` as a pickled payload that creates ``marker``."""
    with zipfile.ZipFile(model_zip) as source:
        members = {name: source.read(name) for name in source.namelist()}
    data = json.loads(members["data"])
    data[entry] = {":type:": "<class 'object'>",
                   ":serialized:": b64encode(pickle.dumps(_CreatesMarker(marker))).decode()}
    members["data"] = json.dumps(data).encode()
    with zipfile.ZipFile(out, "w") as target:
        for name, content in members.items():
            target.writestr(name, content)
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory, synthetic_corpus_path):
    """A tiny finished run: config.json, final_model.zip, q_net.safetensors + q_net.json."""
    return _train(tmp_path_factory.mktemp("runs"), synthetic_corpus_path, "linear", steps=100,
                  extra=["--checkpoint-freq", "0"])


def test_a_foreign_zip_is_refused_by_every_entry_point_and_never_unpickled(run, tmp_path, synthetic_corpus_path,
                                                                          capsys):
    marker = tmp_path / "pwned"
    hostile = _plant(run / "final_model.zip", tmp_path / "gift.zip", "surprise", marker)
    with pytest.raises(UntrustedModelError, match=TRUST_PICKLE_FLAG):
        load_policy(str(hostile), synthetic_corpus_path)
    assert evaluate.main([str(hostile), "--episodes", "1", "--steps", "2", "--corpus", synthetic_corpus_path]) == 2
    assert play_cli.main(["--headless", "--bars", "1", "--out", str(tmp_path / "x.mid"), "--agent", str(hostile),
                          "--corpus", synthetic_corpus_path]) == 2
    assert pretrained.main([str(run), "--model", str(hostile), "--out", str(tmp_path / "w.safetensors")]) == 2
    captured = capsys.readouterr()
    refusals = [line for line in (captured.out + captured.err).splitlines() if TRUST_PICKLE_FLAG in line]
    assert len(refusals) == 3 and all("unpickle" in line for line in refusals)
    assert not marker.exists()
    # With the flag the user takes responsibility: the file is unpickled (and here, the payload runs).
    loaded = load_policy(str(hostile), synthetic_corpus_path, trust_pickle=True)
    assert marker.exists() and loaded.policy.num_timesteps == 100


def test_a_run_folders_own_zips_load_without_unpickling_anything(run, tmp_path, synthetic_corpus_path, capsys):
    copy = shutil.copytree(run, tmp_path / "run")
    marker = tmp_path / "pwned"
    # A payload in place of an entry every model has (the spaces): replaced by the preset's, never read.
    checkpoint = Run(copy).checkpoint_model(100)
    checkpoint.parent.mkdir()
    _plant(copy / "final_model.zip", checkpoint, "observation_space", marker)
    shutil.copy(checkpoint, copy / "final_model.zip")
    assert load_model(checkpoint).num_timesteps == 100
    assert evaluate.main([str(copy / "final_model.zip"), "--episodes", "1", "--steps", "2", "--corpus",
                          synthetic_corpus_path, "--runs", str(copy)]) == 0
    assert train.main(["--preset", "linear", "--timesteps", "100", "--logdir", str(copy), "--corpus",
                       synthetic_corpus_path, "--resume", "--checkpoint-freq", "0", "--no-progress-bar",
                       "--set", "buffer_size=2000", "--set", "learning_starts=50", "--set", "episode_steps=50",
                       "--set", "eval_freq=200", "--set", "eval_episodes=1", "--set",
                       "target_update_interval=100"]) == 0
    assert f"resuming from {checkpoint}" in capsys.readouterr().out
    # An entry no model of the run has is refused, even in the run folder.
    _plant(copy / "final_model.zip", copy / "best_model.zip", "surprise", marker)
    with pytest.raises(UntrustedModelError, match="surprise"):
        load_model(copy / "best_model.zip")
    assert pretrained.main([str(copy), "--model", "best_model.zip", "--out", str(tmp_path / "w.safetensors")]) == 2
    assert not marker.exists()


def _exported(run, tmp_path):
    folder = tmp_path / "weights"
    folder.mkdir()
    for name in ("q_net.safetensors", "q_net.json"):
        shutil.copy(run / name, folder / name)
    return folder / "q_net.safetensors"


def test_damaged_or_altered_weights_are_one_clear_error_each(run, tmp_path, synthetic_corpus_path):
    path = _exported(run, tmp_path)
    good = load_file(str(path))
    name = next(iter(good))
    cases = {
        "truncated": lambda: path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2]),
        "shape": lambda: save_file({**good, name: good[name][:1].contiguous()}, str(path)),
        "extra": lambda: save_file({**good, "backdoor.weight": good[name].clone()}, str(path)),
        "nan": lambda: save_file({**good, name: good[name] * float("nan")}, str(path)),
        "inf": lambda: save_file({**good, name: good[name] + float("inf")}, str(path)),
        "header": lambda: path.write_bytes(struct.pack("<Q", 10**12) + b"{}"),
    }
    messages = {"truncated": "truncated", "shape": "has shape", "extra": "unexpected ['backdoor.weight']",
                "nan": "NaN or infinite", "inf": "NaN or infinite", "header": "damaged"}
    for case, damage in cases.items():
        save_file(good, str(path))
        damage()
        with pytest.raises(WeightsError, match=messages[case].replace("[", r"\[")):
            pretrained.load(path, corpus=synthetic_corpus_path)
    path.with_suffix(".json").write_text("[1, 2]")
    with pytest.raises(WeightsError, match="not a weights description"):
        pretrained.load(path, corpus=synthetic_corpus_path)


def test_a_write_cut_short_leaves_the_previous_file_whole(tmp_path):
    path = tmp_path / "checkpoint.npz"
    write_atomically(path, lambda file: np.savez(file, x=np.arange(3)))

    def killed_midway(file):
        file.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(path, killed_midway)
    with np.load(path) as data:
        np.testing.assert_array_equal(data["x"], np.arange(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.npz"]


def test_resume_takes_the_newest_checkpoint_whose_buffer_is_whole_and_says_which(run, tmp_path,
                                                                                 synthetic_corpus_path, capsys):
    copy = shutil.copytree(run, tmp_path / "run")
    runs = Run(copy)
    runs.checkpoints.mkdir()
    model = load_model(copy / "final_model.zip")
    shutil.copy(copy / "final_model.zip", runs.checkpoint_model(100))
    save_replay_buffer(model, runs.replay_buffer(100))
    # Killed while writing step 200's buffer: the model is there, the buffer only as a temporary file.
    shutil.copy(copy / "final_model.zip", runs.checkpoint_model(200))
    (runs.checkpoints / temporary_name(runs.replay_buffer(200))).write_bytes(b"PK\x03\x04 half")
    config = json.loads(runs.config_path.read_text())
    assert runs.resume_point(config) == (runs.checkpoint_model(100), runs.replay_buffer(100))
    load_replay_buffer(model, runs.replay_buffer(100))
    runs.replay_buffer(100).write_bytes(np.savez.__doc__[:100].encode())
    with pytest.raises(ValueError, match="cannot be used"):
        load_replay_buffer(model, runs.replay_buffer(100))


def _agents(*argv):
    """``python -m agents ARGV`` in a new process: (its exit status, its output lines, stdout and stderr)."""
    done = subprocess.run([sys.executable, "-m", "agents", *argv], capture_output=True, text=True, timeout=300)
    return done.returncode, (done.stdout + done.stderr).splitlines()


def test_a_poisoned_run_is_refused_in_one_line_by_evaluate_runs_and_train_resume(run, tmp_path,
                                                                                  synthetic_corpus_path):
    copy = shutil.copytree(run, tmp_path / "run")
    marker = tmp_path / "pwned"
    checkpoint = Run(copy).checkpoint_model(100)
    checkpoint.parent.mkdir()
    _plant(copy / "final_model.zip", checkpoint, "surprise", marker)
    with pytest.raises(UntrustedModelError, match=f"{checkpoint} holds pickled entries \\(surprise\\)"):
        check_run_models(copy)
    status, lines = _agents("evaluate", "noop", "--episodes", "1", "--steps", "2", "--corpus", synthetic_corpus_path,
                            "--runs", str(copy), "--out", str(tmp_path / "eval"))
    assert status == 2 and len(lines) == 1 and lines[0].startswith(f"error: {checkpoint} holds pickled"), lines
    status, lines = _agents("train", "--preset", "linear", "--timesteps", "200", "--logdir", str(copy), "--corpus",
                            synthetic_corpus_path, "--resume", *TINY)
    # train says what it starts on first, then the refusal is its one error line.
    assert status == 2 and lines[0].startswith("train: linear preset"), lines
    assert len(lines) == 2 and lines[1].startswith(f"error: {checkpoint} holds pickled"), lines
    status, lines = _agents("play", "--headless", "--bars", "1", "--out", str(tmp_path / "x.mid"), "--agent",
                            str(checkpoint), "--corpus", synthetic_corpus_path)
    assert status == 2 and len(lines) == 1 and f"{checkpoint} holds pickled" in lines[0], lines
    assert not marker.exists()


def test_a_damaged_checkpoint_or_buffer_stops_resume_in_one_line(run, tmp_path, synthetic_corpus_path, capsys):
    copy = shutil.copytree(run, tmp_path / "run")
    runs = Run(copy)
    runs.checkpoints.mkdir()
    shutil.copy(copy / "final_model.zip", runs.checkpoint_model(100))
    runs.replay_buffer(100).write_bytes(b"PK\x03\x04 not a whole npz")
    argv = ["--preset", "linear", "--timesteps", "200", "--logdir", str(copy), "--corpus", synthetic_corpus_path,
            "--resume", *TINY]
    assert train.main(argv) == 2
    assert capsys.readouterr().err == f"error: replay buffer {runs.replay_buffer(100)} cannot be used: File is not a " \
                                      "zip file\n"
    with zipfile.ZipFile(runs.checkpoint_model(100), "w") as archive:  # a data entry nested 200,000 deep
        archive.writestr("data", "[" * 200_000 + "]" * 200_000)
    for entry in (lambda: check_run_models(copy), lambda: load_model(runs.checkpoint_model(100))):
        with pytest.raises(ModelFileError, match="not an SB3 model file \\(its data entry is nested too deeply\\)"):
            entry()
    assert train.main(argv) == 2
    assert capsys.readouterr().err.startswith(f"error: {runs.checkpoint_model(100)} is not an SB3 model file")


@pytest.mark.parametrize("config", ["[1]", "[" * 200_000 + "]" * 200_000, '{"preset": {"network": "bogus"}}'])
def test_a_run_whose_config_is_not_one_is_refused_in_one_line(run, tmp_path, config, synthetic_corpus_path, capsys):
    copy = shutil.copytree(run, tmp_path / "run")
    Run(copy).config_path.write_text(config)
    with pytest.raises(ModelFileError, match=f"{Run(copy).config_path} is not the config.json of a") as refused:
        check_run_models(copy)
    assert "\n" not in str(refused.value)
    assert evaluate.main(["noop", "--episodes", "1", "--steps", "2", "--corpus", synthetic_corpus_path, "--runs",
                          str(copy)]) == 2
    assert capsys.readouterr().out.startswith(f"error: {Run(copy).config_path} is not the config.json")
    with pytest.raises(ModelFileError, match="is not the config.json"):
        load_model(copy / "final_model.zip")
