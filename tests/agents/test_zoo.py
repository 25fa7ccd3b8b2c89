"""RL Zoo3 reads agents/hyperparams/dqn.yml: it trains for a few hundred steps, and -optimize with --storage
keeps an Optuna study in a database that several machines could share."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
HYPERPARAMS = REPO / "agents" / "hyperparams" / "dqn.yml"
ZOO = [sys.executable, "-m", "rl_zoo3.train", "--algo", "dqn", "--env", "gym_launchpad/Launchpad-v0",
       "--gym-packages", "gym_launchpad", "-conf", str(HYPERPARAMS), "--seed", "0", "--log-folder", "logs",
       "-params", "buffer_size:2000", "learning_starts:50", "--env-kwargs", "max_episode_steps:50"]


def _zoo(tmp_path, *args):
    result = subprocess.run([*ZOO, *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_hyperparameters_are_the_paper_mlp_preset():
    from agents.presets import get_preset

    params = yaml.safe_load(HYPERPARAMS.read_text())["gym_launchpad/Launchpad-v0"]
    preset = get_preset("mlp")
    for key in ("buffer_size", "learning_starts", "batch_size", "gamma", "train_freq", "target_update_interval",
                "exploration_initial_eps", "exploration_final_eps", "exploration_fraction", "max_grad_norm"):
        assert params[key] == getattr(preset, key), key
    schedule, start = params["learning_rate"].split("_")
    assert schedule == "lin" and float(start) == preset.learning_rate_start
    assert params["policy_kwargs"] == "dict(net_arch=[1024, 512])"


@pytest.mark.slow
def test_zoo_trains_a_few_hundred_steps(tmp_path):
    from stable_baselines3 import DQN

    _zoo(tmp_path, "-n", "300", "--eval-freq", "-1")
    model_path = tmp_path / "logs" / "dqn" / "gym_launchpad-Launchpad-v0_1" / "gym_launchpad-Launchpad-v0.zip"
    model = DQN.load(model_path, device="cpu")
    assert model.num_timesteps == 300
    assert [layer.out_features for layer in model.q_net.q_net if hasattr(layer, "out_features")] == [1024, 512, 313]


@pytest.mark.slow
def test_zoo_optimize_keeps_the_study_in_shared_storage(tmp_path):
    import optuna

    storage = f"sqlite:///{tmp_path / 'study.db'}"
    _zoo(tmp_path, "-n", "300", "-optimize", "--storage", storage, "--study-name", "launchpad", "--n-trials", "2",
         "--n-jobs", "1", "--n-evaluations", "1", "--eval-episodes", "1", "--sampler", "random", "--pruner", "none",
         "--n-startup-trials", "1")
    study = optuna.load_study(study_name="launchpad", storage=storage)
    finished = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(finished) == 2 and all(t.value is not None for t in finished)
