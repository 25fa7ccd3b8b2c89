"""Training smoke tests on tiny budgets: every preset trains, logs real TensorBoard scalars, is deterministic,
resumes, saves on Ctrl-C, and exports weights that load without pickle."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from stable_baselines3 import DQN
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from agents.dqn import train
from agents.dqn.model_files import load_replay_buffer
from agents.dqn.runs import load_model

REPO = Path(__file__).resolve().parents[3]

#: A tiny budget: short episodes so the logger dumps and the evaluation runs within a few hundred steps.
TINY = ["--set", "buffer_size=2000", "--set", "learning_starts=50", "--set", "episode_steps=50",
        "--set", "eval_freq=200", "--set", "eval_episodes=1", "--set", "target_update_interval=100",
        "--no-progress-bar"]


def _train(tmp_path, corpus, preset="mlp", steps=300, seed=0, name="run", extra=()):
    logdir = tmp_path / name
    argv = ["--preset", preset, "--timesteps", str(steps), "--logdir", str(logdir), "--corpus", corpus,
            "--seed", str(seed), *TINY, *extra]
    assert train.main(argv) == 0
    return logdir


def _scalars(logdir):
    events = EventAccumulator(str(logdir / "tb"))
    events.Reload()
    return events


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["linear", "mlp"])
def test_each_preset_trains_and_logs_music_scalars(tmp_path, synthetic_corpus_path, preset):
    logdir = _train(tmp_path, synthetic_corpus_path, preset, extra=["--checkpoint-freq", "150"])
    tags = set(_scalars(logdir).Tags()["scalars"])
    music = {"music/mean_distance_per_step", "music/final_distance", "music/ceiling_fraction",
             "music/notes_per_bar", "music/distinct_nearest_bars"}
    assert music <= tags
    assert {"eval/mean_reward_per_step", "eval/in_scale_ratio", "rollout/ep_rew_mean", "train/loss"} <= tags
    steps = [event.step for event in _scalars(logdir).Scalars("music/final_distance")]
    assert steps and max(steps) <= 300
    assert (logdir / "final_model.zip").is_file() and (logdir / "best_model.zip").is_file()
    assert sorted(p.name for p in (logdir / "checkpoints").iterdir()) == [
        "dqn_150_steps.zip", "dqn_300_steps.zip", "dqn_replay_buffer_300_steps.npz"]
    config = json.loads((logdir / "config.json").read_text())
    assert config["preset"]["network"] == preset and config["preset"]["buffer_size"] == 2000


@pytest.mark.slow
def test_rowwise_network_trains_on_a_small_launchpad(tmp_path, small_corpus_path):
    spec = '{"n_notes": 8, "bar_bits": 3, "low_note": 60}'
    logdir = _train(tmp_path, small_corpus_path, "rowwise", steps=200,
                    extra=["--checkpoint-freq", "0", "--set", f"env_kwargs={spec}"])
    weights = load_model(logdir / "final_model.zip").q_net.state_dict()
    assert weights["features_extractor.row.weight"].shape == (1024, 4 + 8)  # B + 1 toggles + 2**B offsets
    assert weights["q_net.0.weight"].shape == (512, 8 * 1024)
    assert "music/notes_per_bar" in _scalars(logdir).Tags()["scalars"]


@pytest.mark.slow
def test_training_twice_with_one_seed_gives_equal_parameters(tmp_path, synthetic_corpus_path):
    params = []
    for name in ("a", "b"):
        logdir = _train(tmp_path, synthetic_corpus_path, "mlp", name=name, extra=["--checkpoint-freq", "0"])
        params.append(DQN.load(logdir / "final_model.zip", device="cpu").q_net.state_dict())
    assert params[0].keys() == params[1].keys()
    for key in params[0]:
        torch.testing.assert_close(params[0][key], params[1][key], rtol=0, atol=0)
    other = _train(tmp_path, synthetic_corpus_path, "mlp", name="c", seed=1, extra=["--checkpoint-freq", "0"])
    weights = DQN.load(other / "final_model.zip", device="cpu").q_net.state_dict()
    assert any(not torch.equal(weights[k], params[0][k]) for k in weights)


@pytest.mark.slow
def test_resume_continues_from_the_last_checkpoint(tmp_path, synthetic_corpus_path, capsys):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=300, extra=["--checkpoint-freq", "100"])
    first = load_model(logdir / "checkpoints" / "dqn_300_steps.zip")
    # DQN steps in chunks of train_freq (4), so the budgets are multiples of 4.
    assert _train(tmp_path, synthetic_corpus_path, "linear", steps=500, extra=["--checkpoint-freq", "100", "--resume"])
    assert "resuming from" in capsys.readouterr().out
    resumed = load_model(logdir / "final_model.zip")
    assert resumed.num_timesteps == 500 and first.num_timesteps == 300
    assert (logdir / "checkpoints" / "dqn_500_steps.zip").is_file()
    # The replay buffer came along: about 300 earlier transitions (SB3 checkpoints a step before storing
    # it) plus 200 new ones; a fresh buffer would hold 200.
    assert sorted(p.name for p in (logdir / "checkpoints").glob("*.npz")) == ["dqn_replay_buffer_500_steps.npz"]
    load_replay_buffer(resumed, logdir / "checkpoints" / "dqn_replay_buffer_500_steps.npz")
    assert 495 <= resumed.replay_buffer.size() <= 500
    steps = [e.step for e in _scalars(logdir).Scalars("music/final_distance")]
    assert max(steps) > 300


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_saves_a_checkpoint_that_resumes(tmp_path, synthetic_corpus_path, sig):
    logdir = tmp_path / "interrupted"
    command = [sys.executable, "-m", "agents", "train", "--preset", "linear", "--timesteps", "1000000",
               "--logdir", str(logdir), "--corpus", synthetic_corpus_path, "--checkpoint-freq", "0", *TINY]
    process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    progress = logdir / "tb" / "progress.csv"
    # The first row of progress.csv is written after the first few episodes: training is under way.
    while not (progress.is_file() and progress.stat().st_size > 0) and time.time() < deadline:
        time.sleep(0.2)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "continue with --resume" in stderr
    saved = list((logdir / "checkpoints").glob("dqn_*_steps.zip"))
    assert len(saved) == 1 and list((logdir / "checkpoints").glob("dqn_replay_buffer_*_steps.npz"))
    model = load_model(saved[0])
    assert 0 < model.num_timesteps < 1_000_000


def test_bad_arguments_get_one_clear_error(capsys):
    assert train.main(["--preset", "mlp", "--set", "gama=0.9"]) == 2
    assert "unknown preset field" in capsys.readouterr().err
    assert train.main(["--preset", "cnn"]) == 2
    assert "choose one of linear, mlp, rowwise" in capsys.readouterr().err
    assert train.main(["--set", "loss=l1"]) == 2
    assert "unknown loss" in capsys.readouterr().err


def test_training_on_the_native_vector_env(tmp_path, synthetic_corpus_path):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=400, extra=["--n-envs", "4",
                                                                               "--checkpoint-freq", "0"])
    tags = set(_scalars(logdir).Tags()["scalars"])
    assert {"music/final_distance", "rollout/ep_rew_mean", "eval/mean_reward_per_step"} <= tags
    assert load_model(logdir / "final_model.zip").num_timesteps == 400


def test_a_resumed_run_keeps_its_progress_rows_and_ends_at_exactly_the_asked_step(tmp_path, synthetic_corpus_path):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=202, extra=["--checkpoint-freq", "50"])
    assert load_model(logdir / "final_model.zip").num_timesteps == 202  # not 204: SB3 steps 4 at a time
    rows_before = (logdir / "tb" / "progress.csv").read_text().splitlines()
    assert len(rows_before) > 1
    _train(tmp_path, synthetic_corpus_path, "linear", steps=403, extra=["--checkpoint-freq", "50", "--resume"])
    assert load_model(logdir / "final_model.zip").num_timesteps == 403
    rows_after = (logdir / "tb" / "progress.csv").read_text().splitlines()
    header = rows_after[0].split(",")
    steps = [int(float(row.split(",")[header.index("time/total_timesteps")])) for row in rows_after[1:]
             if row.split(",")[header.index("time/total_timesteps")]]
    assert rows_after[1:len(rows_before)] == [row + "," * (len(header) - len(rows_before[0].split(",")))
                                              for row in rows_before[1:]]
    assert min(steps) <= 202 < max(steps)
