"""Training smoke tests on tiny budgets: every preset trains, logs real TensorBoard scalars, is deterministic,
resumes, saves on Ctrl-C, and exports weights that load without pickle."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from stable_baselines3 import DQN
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from agents import pretrained, train
from agents.callbacks import bars_from_observations
from agents.networks import LaunchpadDQN, linear_schedule, policy_kwargs
from agents.presets import get_preset

REPO = Path(__file__).resolve().parents[2]

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
        "dqn_150_steps.zip", "dqn_300_steps.zip", "dqn_replay_buffer_300_steps.pkl"]
    config = json.loads((logdir / "config.json").read_text())
    assert config["preset"]["network"] == preset and config["preset"]["buffer_size"] == 2000


@pytest.mark.slow
def test_rowwise_network_trains_on_a_small_launchpad(tmp_path, small_corpus_path):
    spec = '{"n_notes": 8, "bar_bits": 3, "low_note": 60}'
    logdir = _train(tmp_path, small_corpus_path, "rowwise", steps=200,
                    extra=["--checkpoint-freq", "0", "--set", f"env_kwargs={spec}"])
    weights = LaunchpadDQN.load(logdir / "final_model.zip", device="cpu").q_net.state_dict()
    assert weights["features_extractor.row.weight"].shape == (1024, 4 + 8)  # B + 1 toggles + 2**B offsets
    assert weights["q_net.0.weight"].shape == (512, 8 * 1024)
    assert "music/notes_per_bar" in _scalars(logdir).Tags()["scalars"]


def test_rowwise_extractor_shares_one_layer_across_rows():
    from gymnasium import spaces

    from agents.networks import RowwiseExtractor

    extractor = RowwiseExtractor(spaces.MultiBinary((5, 9)), units=16)
    obs = torch.randint(0, 2, (3, 5, 9)).float()
    features = extractor(obs).reshape(3, 5, 16)
    permuted = extractor(obs[:, [4, 3, 2, 1, 0]]).reshape(3, 5, 16)
    torch.testing.assert_close(permuted, features[:, [4, 3, 2, 1, 0]])
    with pytest.raises(ValueError, match="obs_mode='onehot'"):
        RowwiseExtractor(spaces.MultiBinary(45))


def test_music_scalars_match_the_env(tmp_path, synthetic_corpus_path):
    """The final distance logged for the first episode is the distance the env reported at its last step."""
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=200, extra=["--checkpoint-freq", "0"])
    logged = _scalars(logdir).Scalars("music/ceiling_fraction")
    assert all(np.isfinite(e.value) for e in logged)
    assert all(e.value <= 1.0 for e in logged)


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


def test_launchpad_dqn_defaults_train_exactly_as_sb3(synthetic_corpus_path):
    preset = get_preset("mlp", learning_starts=50, buffer_size=1000)
    corpus = preset.load_corpus(synthetic_corpus_path)
    weights = []
    for cls in (DQN, LaunchpadDQN):
        model = cls("MlpPolicy", train.make_vec_env(preset, corpus, 1, 0), learning_starts=50, buffer_size=1000,
                    learning_rate=linear_schedule(1e-3, 1e-4), policy_kwargs=policy_kwargs(preset), seed=0,
                    device="cpu", max_grad_norm=10)
        weights.append(model.learn(200).q_net.state_dict())
    for key in weights[0]:
        torch.testing.assert_close(weights[0][key], weights[1][key], rtol=0, atol=0)


def test_paper_loss_and_clipping_change_training(tmp_path, synthetic_corpus_path):
    variants = {("huber", "global"): None, ("mse", "global"): None, ("mse", "per_tensor"): None}
    for loss, grad_clip in variants:
        logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=150, name=f"{loss}-{grad_clip}",
                        extra=["--checkpoint-freq", "0", "--set", f"loss={loss}", "--set", f"grad_clip={grad_clip}"])
        model = LaunchpadDQN.load(logdir / "final_model.zip", device="cpu")
        assert (model.loss, model.grad_clip) == (loss, grad_clip)
        variants[loss, grad_clip] = model.q_net.state_dict()["q_net.0.weight"]
    weights = list(variants.values())
    for i in range(3):
        for j in range(i):
            assert not torch.equal(weights[i], weights[j])


def test_double_q_values_the_online_networks_choice_with_the_target_network(synthetic_corpus_path):
    preset = get_preset("linear", learning_starts=50, buffer_size=1000)
    corpus = preset.load_corpus(synthetic_corpus_path)
    model = LaunchpadDQN("MlpPolicy", train.make_vec_env(preset, corpus, 1, 0), buffer_size=1000,
                         policy_kwargs=policy_kwargs(preset), seed=0, device="cpu")
    with torch.no_grad():  # two different networks, so the two targets differ
        for parameter in model.q_net_target.parameters():
            parameter.add_(torch.randn_like(parameter))
    observations = torch.as_tensor(np.stack([model.observation_space.sample() for _ in range(16)])).float()
    with torch.no_grad():
        online, target = model.q_net(observations), model.q_net_target(observations)
        plain = model.next_state_values(observations)
        model.double_q = True
        double = model.next_state_values(observations)
    torch.testing.assert_close(plain[:, 0], target.max(dim=1).values)
    torch.testing.assert_close(double[:, 0], target[torch.arange(16), online.argmax(dim=1)])
    assert not torch.equal(plain, double) and bool((double <= plain).all())


@pytest.mark.slow
def test_resume_continues_from_the_last_checkpoint(tmp_path, synthetic_corpus_path, capsys):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=300, extra=["--checkpoint-freq", "100"])
    first = LaunchpadDQN.load(logdir / "checkpoints" / "dqn_300_steps.zip", device="cpu")
    # DQN steps in chunks of train_freq (4), so the budgets are multiples of 4.
    assert _train(tmp_path, synthetic_corpus_path, "linear", steps=500, extra=["--checkpoint-freq", "100", "--resume"])
    assert "resuming from" in capsys.readouterr().out
    resumed = LaunchpadDQN.load(logdir / "final_model.zip", device="cpu")
    assert resumed.num_timesteps == 500 and first.num_timesteps == 300
    assert (logdir / "checkpoints" / "dqn_500_steps.zip").is_file()
    # The replay buffer came along: about 300 earlier transitions (SB3 checkpoints a step before storing
    # it) plus 200 new ones; a fresh buffer would hold 200.
    assert sorted(p.name for p in (logdir / "checkpoints").glob("*.pkl")) == ["dqn_replay_buffer_500_steps.pkl"]
    resumed.load_replay_buffer(logdir / "checkpoints" / "dqn_replay_buffer_500_steps.pkl")
    assert 495 <= resumed.replay_buffer.size() <= 500
    steps = [e.step for e in _scalars(logdir).Scalars("music/final_distance")]
    assert max(steps) > 300


def test_resume_refuses_other_settings(tmp_path, synthetic_corpus_path):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=100, extra=["--checkpoint-freq", "100"])
    with pytest.raises(SystemExit, match="pass the same --preset"):
        _train(tmp_path, synthetic_corpus_path, "mlp", steps=200, extra=["--resume"])
    with pytest.raises(SystemExit, match="no config.json"):
        _train(tmp_path, synthetic_corpus_path, "linear", steps=200, name="nothing", extra=["--resume"])
    assert logdir.is_dir()


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
    assert len(saved) == 1 and list((logdir / "checkpoints").glob("dqn_replay_buffer_*_steps.pkl"))
    model = LaunchpadDQN.load(saved[0], device="cpu")
    assert 0 < model.num_timesteps < 1_000_000


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
    with pytest.raises(pretrained.PretrainedMismatchError, match="trained for spec .* on corpus"):
        pretrained.load(logdir / "q_net.safetensors", corpus=None)
    with pytest.raises(FileNotFoundError, match="q_net.json"):
        pretrained.load(tmp_path / "missing.safetensors")


@pytest.mark.parametrize("obs_mode", ["toggles", "onehot", "roll"])
def test_bars_from_observations_inverts_the_observation(synthetic_corpus_path, obs_mode):
    env = get_preset("mlp", obs_mode=obs_mode).make_env(synthetic_corpus_path, init="random")
    spec = env.unwrapped.launchpad
    observations, bars = [], []
    for seed in range(8):
        obs, _ = env.reset(seed=seed)
        observations.append(obs)
        bars.append(env.unwrapped.words.copy())
    np.testing.assert_array_equal(bars_from_observations(spec, obs_mode, np.stack(observations)), np.stack(bars))


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
    assert LaunchpadDQN.load(logdir / "final_model.zip", device="cpu").num_timesteps == 400


def test_reward_scale_changes_what_the_learner_sees_not_what_is_logged(tmp_path, synthetic_corpus_path):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=200,
                    extra=["--checkpoint-freq", "100", "--set", "reward_scale=0.01"])
    model = LaunchpadDQN.load(logdir / "checkpoints" / "dqn_200_steps.zip", device="cpu")
    model.load_replay_buffer(logdir / "checkpoints" / "dqn_replay_buffer_200_steps.pkl")
    stored = model.replay_buffer.rewards[: model.replay_buffer.size()]
    distances = _scalars(logdir).Scalars("music/mean_distance_per_step")
    episode_returns = _scalars(logdir).Scalars("rollout/ep_rew_mean")
    # Distances here are about 100 per step: the buffer holds them scaled, the logs unscaled.
    assert np.abs(stored).max() < 10 and min(d.value for d in distances) > 20
    assert episode_returns[-1].value < -20 * 50


def test_export_command_writes_loadable_weights(tmp_path, synthetic_corpus_path, capsys):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=100, extra=["--checkpoint-freq", "0"])
    out = tmp_path / "exported" / "linear.safetensors"
    assert pretrained.main([str(logdir), "--model", "final_model.zip", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    description = json.loads(out.with_suffix(".json").read_text())
    assert description["source"] == "run/final_model.zip" and description["timesteps"] == 100
    agent = pretrained.load(out, corpus=synthetic_corpus_path)
    assert agent.preset.network == "linear"


@pytest.mark.parametrize("missing", ["torch", "stable_baselines3"])
def test_missing_agents_extra_names_what_to_install(monkeypatch, missing):
    import importlib

    from gymnasium.error import DependencyNotInstalled

    monkeypatch.setitem(sys.modules, missing, None)  # makes `import missing` raise ImportError
    monkeypatch.delitem(sys.modules, "agents.networks")
    with pytest.raises(DependencyNotInstalled, match=r"pip install gym_launchpad\[agents\]"):
        importlib.import_module("agents.networks")


def test_centered_scaled_reward_is_what_the_learner_stores(tmp_path, synthetic_corpus_path):
    from agents.evaluate import silence_distance
    from gym_launchpad import Corpus
    from gym_launchpad.reward import bar_distances

    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=100,
                    extra=["--checkpoint-freq", "100", "--set", "reward_scale=0.5", "--set", "center_reward=true"])
    model = LaunchpadDQN.load(logdir / "checkpoints" / "dqn_100_steps.zip", device="cpu")
    model.load_replay_buffer(logdir / "checkpoints" / "dqn_replay_buffer_100_steps.pkl")
    buffer, corpus = model.replay_buffer, Corpus.load(synthetic_corpus_path)
    n = buffer.size()
    bars = bars_from_observations(corpus.spec, "toggles", buffer.next_observations[:n, 0])
    distances = np.array([bar_distances(corpus.bars, bar).min() for bar in bars])
    expected = 0.5 * (silence_distance(corpus) - distances)
    np.testing.assert_allclose(buffer.rewards[:n, 0], expected)
    with pytest.raises(ValueError, match="expected true or false"):
        train.parse_overrides(["center_reward=yes"])


@pytest.mark.parametrize("n_envs", [1, 4])
def test_improvement_shaping_stores_the_distance_each_press_took_off(tmp_path, synthetic_corpus_path, n_envs):
    from gym_launchpad import Corpus
    from gym_launchpad.reward import bar_distances

    # 50-step episodes: 200 steps per env cross episode ends, where the next press starts from a reset state.
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=200 * n_envs,
                    extra=["--n-envs", str(n_envs), "--checkpoint-freq", str(200 * n_envs),
                           "--set", "reward_shaping=improvement", "--set", "reward_scale=0.5"])
    checkpoints = logdir / "checkpoints"
    model = LaunchpadDQN.load(checkpoints / f"dqn_{200 * n_envs}_steps.zip", device="cpu")
    model.load_replay_buffer(checkpoints / f"dqn_replay_buffer_{200 * n_envs}_steps.pkl")
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


def test_reward_shaping_is_checked():
    with pytest.raises(ValueError, match="unknown reward_shaping 'better'"):
        get_preset("mlp", reward_shaping="better")
    with pytest.raises(ValueError, match="drop one of them"):
        get_preset("mlp", reward_shaping="improvement", center_reward=True)
