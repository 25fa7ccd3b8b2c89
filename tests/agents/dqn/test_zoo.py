"""RL Zoo3 reads agents/hyperparams/dqn.yml: it trains for a few hundred steps, and two -optimize workers at
once share one Optuna study on a PostgreSQL server, as workers on several machines would (docs/tuning.md)."""

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import postgres_cluster  # tests/agents/dqn is on sys.path (pytest's default "prepend" mode)
import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
HYPERPARAMS = REPO / "agents" / "hyperparams" / "dqn.yml"
ZOO = [sys.executable, "-m", "rl_zoo3.train", "--algo", "dqn", "--env", "gym_launchpad/Launchpad-v0",
       "--gym-packages", "gym_launchpad", "-conf", str(HYPERPARAMS), "--seed", "0", "--log-folder", "logs",
       "-params", "buffer_size:2000", "learning_starts:50", "--env-kwargs", "max_episode_steps:50"]


def _zoo(tmp_path, *args):
    result = subprocess.run([*ZOO, *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_hyperparameters_are_the_paper_mlp_preset():
    from agents.dqn.presets import get_preset

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


@pytest.fixture(scope="module")
def postgres_url():
    """The PostgreSQL server of ``$GYM_LAUNCHPAD_TEST_POSTGRES`` (``.ci/run`` starts one), else a throwaway one
    started here; skipped where PostgreSQL is not installed, except in CI, which must test it."""
    url = os.environ.get(postgres_cluster.URL_VARIABLE)
    if url:
        yield url
        return
    if postgres_cluster.find_program("initdb") is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed, and CI must test tuning on a real database server")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql): no database server to tune on")
    # Not under pytest's tmp_path: as root the server runs as nobody, who cannot enter pytest's 0700 folders.
    folder = tempfile.mkdtemp(prefix="gym_launchpad_postgres_")
    try:
        yield postgres_cluster.start(folder)
    finally:
        postgres_cluster.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_two_zoo_workers_tune_one_study_on_postgresql(tmp_path, postgres_url):
    """docs/tuning.md's commands on one machine: create the study, two ``-optimize`` workers at once, read it."""
    import optuna

    study_name = f"launchpad-{uuid.uuid4().hex[:8]}"
    optuna.create_study(study_name=study_name, storage=postgres_url, direction="maximize")
    workers = {}
    for seed, name in enumerate(("a", "b"), start=1):
        folder = tmp_path / name
        folder.mkdir()
        # Each worker keeps its trials' evaluations in its own folder: they say which worker ran which trial.
        args = ["-n", "200", "-optimize", "--storage", postgres_url, "--study-name", study_name, "--n-trials", "1",
                "--n-jobs", "1", "--n-evaluations", "1", "--eval-episodes", "1", "--sampler", "random",
                "--pruner", "none", "--n-startup-trials", "1", "--optimization-log-path", "trials"]
        command = [*ZOO, *args]
        command[command.index("--seed") + 1] = str(seed)  # two samplers proposing different hyperparameters
        workers[name] = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         text=True)
    for name, worker in workers.items():
        output, _ = worker.communicate(timeout=300)
        assert worker.returncode == 0, f"worker {name}:\n{output[-3000:]}"
    study = optuna.load_study(study_name=study_name, storage=postgres_url)
    finished = {t.number for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None}
    ran = {name: {int(p.name.removeprefix("trial_")) for p in (tmp_path / name / "trials").iterdir()}
           for name in workers}
    assert len(ran["a"]) == len(ran["b"]) == 1 and not ran["a"] & ran["b"]
    assert finished == ran["a"] | ran["b"]
