"""The navigator's walks as a Minari dataset: written by ``python -m agents demos``, read back by
``minari.load_dataset`` as the offline-RL field reads any dataset, and replayed in the env it recovers."""

import numpy as np
import pytest

import gym_launchpad  # noqa: F401  (registers the ids the dataset's env spec names)
from agents.__main__ import run_command
from agents.imitation import demonstrations
from gym_launchpad.launchpad import LaunchpadState
from gym_launchpad.observation import states_from_observations

minari = pytest.importorskip("minari")


@pytest.fixture
def datasets(tmp_path, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "datasets"))
    return tmp_path / "datasets"


def test_the_walks_read_back_with_minari_and_replay_in_the_recovered_env(datasets, capsys):
    assert run_command("demos", ["--episodes", "3", "--noise", "0.2", "--seed", "5"]) == 0
    assert "3 episodes" in capsys.readouterr().out
    assert (datasets / "gym_launchpad" / "Launchpad-v0" / "navigator-v0").is_dir()
    dataset = minari.load_dataset(demonstrations.DATASET_ID)
    assert dataset.total_episodes == 3
    env = dataset.recover_environment()
    for episode in dataset.iterate_episodes():
        n = len(episode.actions)
        assert episode.observations.shape == (n + 1, 312) and episode.infos["allowed"].shape == (n, 313)
        # The teacher's press is always one of the presses of a shortest walk, and the walk ends at the ceiling.
        assert episode.infos["allowed"][np.arange(n), episode.infos["teacher_action"]].all()
        assert episode.truncations[-1] and not episode.terminations.any()
        # The observations are the env's own: the actions replayed from the first state give them back.
        spec = env.unwrapped.launchpad
        masks, offsets = states_from_observations(spec, "toggles", episode.observations[:1])
        obs, _ = env.reset(options={"state": LaunchpadState(spec, masks[0], offsets[0])})
        replayed = [obs] + [env.step(int(action))[0] for action in episode.actions]
        np.testing.assert_array_equal(np.asarray(replayed), episode.observations)
    gathered = demonstrations.load()
    assert len(gathered.labels) == dataset.total_steps
    assert gathered.observations.shape == (dataset.total_steps, 312)


def test_a_missing_dataset_is_one_message_naming_the_command(datasets):
    with pytest.raises(ValueError, match="python -m agents demos"):
        demonstrations.load("gym_launchpad/Launchpad-v0/nobody-v0")


@pytest.mark.slow
def test_imitate_learns_from_the_minari_dataset(datasets, tmp_path):
    import json

    from agents.imitation import composer

    assert run_command("demos", ["--episodes", "4", "--seed", "2"]) == 0
    steps = minari.load_dataset(demonstrations.DATASET_ID).total_steps
    args = composer.ComposerArgs(out=str(tmp_path / "c.safetensors"), demos_dataset=demonstrations.DATASET_ID,
                                 rounds=0, envs=2, epochs=1, head="press")
    out = composer.train(args)
    log = json.loads(out.with_suffix(".json").read_text())["training"]["log"]
    assert log[0]["stage"] == "demonstrations" and log[0]["examples"] == steps
